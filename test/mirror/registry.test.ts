/**
 * The mirror formats against the real consumers (issue 5 proof): an oc-mirror-v2-style
 * archive made with a real docker-registry and skopeo, indexed and unpacked by us, served
 * read-only over TLS with our config.yml and CA, and pulled through our registries.conf in a
 * private network and mount namespace (serve-and-pull.sh).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, requireTool, runTool } from '@hostmirror/fixtures';
import {
  attemptedReferences,
  createMirrorTls,
  mirrorRulesFromArchive,
  mirrorRulesFromPairs,
  parseRegistriesConf,
  renderRegistriesConf,
  renderRegistryConfig,
  resolvePullSources,
  validateRegistriesConf,
  writeMirrorTls,
} from '@hostmirror/host-config';
import { extractMirrorArchive, MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { OciLayout } from '../mirror-check/oci-layout.ts';

const work = mkdtempSync(join(tmpdir(), 'hostmirror-registry-'));
const policy = JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] });

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

interface LayoutImage {
  ref: string;
  layers: Record<string, string>[];
}

/** An OCI image layout with gzip layers, made without network (docs/mirror.md#registry-layout); ref → manifest digest. */
async function writeOciLayout(dir: string, images: LayoutImage[]): Promise<Map<string, string>> {
  const layout = new OciLayout(dir);
  const digests = new Map<string, string>();
  for (const image of images) {
    const manifest = await layout.image(image.layers);
    layout.tag(image.ref, manifest);
    digests.set(image.ref, manifest.digest);
  }
  await layout.finish();
  return digests;
}

const timeoutMs = 30_000;

async function ok(command: string, args: string[]): Promise<string> {
  const result = await runTool(command, args, { timeoutMs });
  assert.equal(result.exitCode, 0, `${command} ${args.join(' ')}: ${result.stderr.toString()}`);
  return result.stdout.toString();
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return response.json();
}

const idms = `---
apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: idms-release-0
  annotations: {createdBy: oc-mirror v2}
spec:
  imageDigestMirrors:
  - source: quay.io/openshift-release-dev/ocp-release
    mirrors: [mirror.example.com:8443/openshift/release-images]
  - source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
    mirrors: [mirror.example.com:8443/openshift/release]
`;
const itms = `---
apiVersion: config.openshift.io/v1
kind: ImageTagMirrorSet
metadata: {name: itms-generic-0}
spec:
  imageTagMirrors:
  - source: registry.redhat.io/ubi9/ubi
    mirrors: [mirror.example.com:8443/ubi9/ubi]
`;

describe('mirror archive with docker-registry and skopeo', () => {
  const tools = { registry: '', skopeo: '', tar: '', unshare: '' };
  const digests = { release: '', component: '', newer: '', ubi: '' };
  const base = join(work, 'base', 'mirror_000001.tar');
  const differential = join(work, 'diff', 'mirror_000001.tar');
  let registryView: { catalog: string[]; tags: Record<string, string[]> };

  before(async () => {
    tools.registry = await requireTool('docker-registry');
    tools.skopeo = await requireTool('skopeo');
    tools.tar = await requireTool('tar', 'tar');
    tools.unshare = await requireTool('unshare');
    await requireTool('ip');
    await requireTool('curl', 'curl');
  });
  // HOSTMIRROR_KEEP_WORK=1 keeps the folder (registry logs, each check's output) for a look.
  after(() => process.env.HOSTMIRROR_KEEP_WORK || rmSync(work, { recursive: true, force: true }));

  it('buildsAnOcMirrorV2ArchiveWithARealRegistry', { timeout: 60_000 }, async () => {
    const layout = join(work, 'oci');
    const made = await writeOciLayout(layout, [
      {
        ref: 'release',
        layers: [
          { 'etc/os-release': 'base\n' },
          { 'release-manifests/release-metadata': '{"version":"4.14.3"}\n' },
        ],
      },
      { ref: 'cli', layers: [{ 'etc/os-release': 'base\n' }, { 'usr/bin/oc': 'cli 4.14.3\n' }] },
      { ref: 'cli2', layers: [{ 'etc/os-release': 'base\n' }, { 'usr/bin/oc': 'cli 4.14.4\n' }] },
      { ref: 'ubi', layers: [{ 'etc/redhat-release': 'ubi 9\n' }] },
    ]);
    digests.release = made.get('release') ?? '';
    digests.ubi = made.get('ubi') ?? '';
    writeFileSync(join(work, 'policy.json'), policy);
    const port = await freePort();
    const root = join(work, 'root1');
    mkdirSync(root);
    writeFileSync(
      join(work, 'reg1.yml'),
      renderRegistryConfig({
        rootDirectory: root,
        listenAddress: `127.0.0.1:${port}`,
        readOnly: false,
      }),
    );
    const controller = new AbortController();
    const registry = runTool(tools.registry, ['serve', join(work, 'reg1.yml')], {
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    try {
      await waitFor(`http://127.0.0.1:${port}/v2/`);
      const push = async (ref: string, target: string, extra: string[] = []) => {
        const digestFile = join(work, `digest-${ref}`);
        await ok(tools.skopeo, [
          'copy',
          '-q',
          '--policy',
          join(work, 'policy.json'),
          '--dest-tls-verify=false',
          '--digestfile',
          digestFile,
          ...extra,
          `oci:${layout}:${ref}`,
          `docker://127.0.0.1:${port}/${target}`,
        ]);
        return readFileSync(digestFile, 'utf8').trim();
      };
      assert.equal(
        await push('release', 'openshift/release-images:4.14.3-x86_64'),
        digests.release,
        'OCI manifest kept byte for byte',
      );
      digests.component = await push('cli', 'openshift/release:4.14.3-x86_64-cli', [
        '--format',
        'v2s2',
      ]);
      assert.equal(await push('ubi', 'ubi9/ubi:latest'), digests.ubi);
      const catalog = (
        (await getJson(`http://127.0.0.1:${port}/v2/_catalog`)) as { repositories: string[] }
      ).repositories;
      const tags: Record<string, string[]> = {};
      for (const repository of catalog)
        tags[repository] = (
          (await getJson(`http://127.0.0.1:${port}/v2/${repository}/tags/list`)) as {
            tags: string[];
          }
        ).tags.sort();
      registryView = { catalog: catalog.sort(), tags };
      // The first archive, as oc-mirror v2 lays it out: the storage tree plus working-dir.
      mkdirSync(join(work, 'base'));
      mkdirSync(join(work, 'wd', 'working-dir', 'cluster-resources'), { recursive: true });
      writeFileSync(
        join(work, 'wd', 'working-dir', 'cluster-resources', 'idms-oc-mirror.yaml'),
        idms,
      );
      writeFileSync(
        join(work, 'wd', 'working-dir', 'cluster-resources', 'itms-oc-mirror.yaml'),
        itms,
      );
      writeFileSync(join(work, 'wd', 'isc_2026-11-30T05:00:00Z'), 'kind: ImageSetConfiguration\n');
      await ok(tools.tar, [
        '--format=pax',
        '-cf',
        base,
        '-C',
        root,
        'docker',
        '-C',
        join(work, 'wd'),
        'working-dir',
        'isc_2026-11-30T05:00:00Z',
      ]);
      const blobsBefore = new Set(listBlobDirs(root));
      // A later run adds an image sharing the base layer: the differential archive carries only new blobs.
      digests.newer = await push('cli2', 'openshift/release:4.14.4-x86_64-cli');
      const newBlobs = listBlobDirs(root).filter((dir) => !blobsBefore.has(dir));
      mkdirSync(join(work, 'diff'));
      writeFileSync(
        join(work, 'diff-members.txt'),
        `${[...newBlobs, 'docker/registry/v2/repositories'].join('\n')}\n`,
      );
      await ok(tools.tar, [
        '--format=pax',
        '-cf',
        differential,
        '-C',
        root,
        '-T',
        join(work, 'diff-members.txt'),
      ]);
    } finally {
      controller.abort();
      await registry;
    }
  });

  it('indexAgreesWithTheRegistry', async () => {
    const archive = await MirrorArchive.open([base]);
    assert.deepEqual(archive.repositories(), registryView.catalog);
    for (const repository of archive.repositories())
      assert.deepEqual(
        archive.tags(repository).map((tag) => tag.tag),
        registryView.tags[repository],
      );
    assert.equal(archive.tags('openshift/release-images')[0]?.digest, digests.release);
    assert.equal(archive.tags('openshift/release')[0]?.digest, digests.component);
    assert.deepEqual(await archive.checkCompleteness().then((report) => report.problems), []);
    for (const blob of archive.blobs()) await archive.verifyBlob(blob.digest);
    const resources = await archive.readClusterResources();
    assert.equal(resources.imageDigestMirrors.length, 2);
    assert.equal(resources.imageTagMirrors.length, 1);
  });

  it('differentialArchiveNeedsItsBase', async () => {
    const alone = await MirrorArchive.open([differential]);
    const report = await alone.checkCompleteness();
    assert.equal(report.complete, false);
    const missingForNewer = report.problems.filter(
      (problem) =>
        problem.kind === 'blob-missing' &&
        problem.neededBy.some((by) => by.manifest === digests.newer),
    );
    assert.equal(
      missingForNewer.length,
      1,
      'exactly the shared base layer is missing for the new image',
    );
    const both = await MirrorArchive.open([base, differential]);
    assert.equal((await both.checkCompleteness()).complete, true);
    assert.deepEqual(
      both.tags('openshift/release').map((tag) => tag.tag),
      ['4.14.3-x86_64-cli', '4.14.4-x86_64-cli'],
    );
  });

  it('servesOverTlsAndPullsThroughOurRegistriesConf', { timeout: 90_000 }, async () => {
    const archive = await MirrorArchive.open([base, differential]);
    const root = join(work, 'root2');
    await extractMirrorArchive(archive, { registryRoot: root });
    const port = await freePort();
    const debugPort = await freePort();
    const plainPort = await freePort();
    const host = `localhost:${port}`;
    const tls = await writeMirrorTls(createMirrorTls({ hosts: ['localhost'] }), join(work, 'tls'));
    writeFileSync(
      join(work, 'reg.yml'),
      renderRegistryConfig({
        rootDirectory: root,
        listenAddress: `127.0.0.1:${port}`,
        debugAddress: `127.0.0.1:${debugPort}`,
        tls: { certificate: tls.serverCertificate, key: tls.serverKey },
      }),
    );
    const resources = await archive.readClusterResources();
    const confA = renderRegistriesConf({
      rules: mirrorRulesFromArchive(resources, archive, { host, neverContactSource: true }),
    });
    const confB = renderRegistriesConf({
      rules: mirrorRulesFromArchive(resources, archive, {
        host,
        neverContactSource: true,
        tagPolicy: 'all',
      }),
    });
    assert.deepEqual(validateRegistriesConf(confA).errors, []);
    writeFileSync(join(work, 'conf-a.conf'), confA);
    writeFileSync(join(work, 'conf-b.conf'), confB);
    const confC = renderRegistriesConf({
      rules: mirrorRulesFromArchive(resources, archive, {
        host: `localhost:${plainPort}`,
        neverContactSource: true,
      }),
      insecure: true,
    });
    assert.equal(confC.match(/^insecure = true$/gm)?.length, 3, 'insecure on every mirror table');
    writeFileSync(join(work, 'conf-c.conf'), confC);
    const closedPort = await freePort();
    const confD = renderRegistriesConf({
      rules: mirrorRulesFromPairs([
        {
          source: 'quay.io/openshift-release-dev/ocp-release',
          mirror: `localhost:${closedPort}/openshift/release-images`,
        },
        {
          source: 'quay.io/openshift-release-dev/ocp-release',
          mirror: `${host}/openshift/release-images`,
        },
      ]),
    });
    writeFileSync(join(work, 'conf-d.conf'), confD);
    writeFileSync(
      join(work, 'reg-plain.yml'),
      renderRegistryConfig({ rootDirectory: root, listenAddress: `127.0.0.1:${plainPort}` }),
    );
    const result = await runTool(
      tools.unshare,
      [
        '-n',
        '-m',
        '--propagation',
        'private',
        'bash',
        join(repoRoot, 'test/mirror/serve-and-pull.sh'),
      ],
      {
        timeoutMs: 80_000,
        env: {
          ...process.env,
          W: work,
          PORT: String(port),
          DEBUG_PORT: String(debugPort),
          PLAIN_PORT: String(plainPort),
          RELEASE_DIGEST: digests.release,
          COMPONENT_DIGEST: digests.component,
          UBI_DIGEST: digests.ubi,
        },
      },
    );
    const results = Object.fromEntries(
      result.stdout
        .toString()
        .split('\n')
        .filter((line) => line.startsWith('RESULT '))
        .map((line) => line.split(' ').slice(1) as [string, string])
        .map(([name, code]) => [name, Number(code)]),
    );
    const err = (name: string) => readFileSync(join(work, `err-${name}.txt`), 'utf8');
    assert.equal(result.exitCode, 0, result.stderr.toString());
    assert.deepEqual(
      results,
      {
        ready: 0,
        catalog: 0,
        health: 0,
        'inspect-release-digest': 0,
        'inspect-component-digest': 0,
        'copy-release-digest': 0,
        'copy-component-digest': 0,
        'inspect-release-tag-digest-only': 1,
        'inspect-ubi-tag': 0,
        'inspect-ubi-digest-tag-only': 1,
        'push-refused': 1,
        'upload-405': 0,
        'no-ca-refused': 1,
        'inspect-release-tag-all': 0,
        'inspect-release-digest-all': 0,
        'parity-two-mirrors': 0,
        'plain-insecure-digest': 0,
        'plain-without-insecure': 1,
      },
      `stderr of the checks:\n${readdirSync(work)
        .filter((name) => name.startsWith('err-'))
        .map((name) => `${name}: ${readFileSync(join(work, name), 'utf8').trim()}`)
        .join('\n')}`,
    );
    assert.match(err('inspect-release-tag-digest-only'), /blocked/);
    assert.match(err('no-ca-refused'), /certificate/);
    assert.match(err('plain-without-insecure'), /HTTP response to HTTPS client/);
    // Our resolver predicts what containers/image did: the same endpoints, in the same order.
    const release = `quay.io/openshift-release-dev/ocp-release@${digests.release}`;
    const tried = [...err('parity-two-mirrors').matchAll(/Trying to access \\"([^"\\]+)\\"/g)].map(
      (match) => match[1],
    );
    const plan = resolvePullSources(release, parseRegistriesConf(confD));
    assert.deepEqual(tried, attemptedReferences(plan).slice(0, 2));
    assert.deepEqual(
      plan.map((source) => source.role),
      ['mirror', 'mirror', 'primary'],
    );
    const planA = parseRegistriesConf(confA);
    /** The sources c/image contacts over the network (blocked ones fail before it). */
    const contacted = (reference: string, conf = planA) =>
      resolvePullSources(reference, conf)
        .filter((source) => source.status === 'try')
        .map((source) => source.reference);
    assert.deepEqual(contacted(release), [`${host}/openshift/release-images@${digests.release}`]);
    assert.deepEqual(
      contacted('quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64'),
      [],
      'blocked, as skopeo said',
    );
    assert.deepEqual(
      contacted(`registry.redhat.io/ubi9/ubi@${digests.ubi}`),
      [],
      'tag-only mirror, blocked source',
    );
    assert.equal(
      contacted(
        'quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64',
        parseRegistriesConf(confB),
      )[0],
      `${host}/openshift/release-images:4.14.3-x86_64`,
    );
    // The read-only registry serves exactly what our index lists.
    const catalog = JSON.parse(
      readFileSync(join(work, 'catalog.json'), 'utf8'),
    ).repositories.sort();
    assert.deepEqual(catalog, archive.repositories());
    for (const repository of archive.repositories()) {
      const listed = JSON.parse(
        readFileSync(join(work, `tags-${repository.replaceAll('/', '_')}.json`), 'utf8'),
      ).tags.sort();
      assert.deepEqual(
        listed,
        archive.tags(repository).map((tag) => tag.tag),
      );
    }
    // The pulled manifest is the archive's blob, byte for byte.
    assert.deepEqual(
      readFileSync(join(work, 'pulled-release', 'manifest.json')),
      await archive.readBlob(digests.release),
    );
    assert.deepEqual(
      readFileSync(join(work, 'pulled-component', 'manifest.json')),
      await archive.readBlob(digests.component),
    );
  });
});

function listBlobDirs(root: string): string[] {
  const blobs = join(root, 'docker/registry/v2/blobs/sha256');
  return readdirSync(blobs).flatMap((prefix) =>
    readdirSync(join(blobs, prefix)).map(
      (hex) => `docker/registry/v2/blobs/sha256/${prefix}/${hex}`,
    ),
  );
}

async function waitFor(url: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`${url} did not answer 200 within 10 s`);
}
