/**
 * Archives as oc-mirror v2 really writes them (issue 13): a mirror-to-disk base run and a
 * differential run, each starting at mirror_000001.tar, with an empty
 * working-dir/cluster-resources, a release signature, additional images by tag and by digest,
 * a cosign `.sig` tag beside the release and a stale repository of oc-mirror's shared cache
 * (make-oc-mirror-set.sh, real docker-registry and skopeo). The boot sequence made from them
 * (prepareBootSequence, the assembly build-iso uses) must: find the one release; generate the
 * IDMS/ITMS and signature ConfigMap oc-mirror's disk-to-mirror would; name the stale
 * repository; and, run for real in a private network namespace, unpack both runs in order,
 * leave the stale repository out and let real skopeo, configured only by the emitted
 * registries.conf, pull every image of the set by digest (and the tagged ones by tag).
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  bootFileSet,
  prepareBootSequence,
  REGISTRY_BINARY,
  volumeArchiveNames,
} from '@hostmirror/boot-sequence';
import { requireTool, runTool } from '@hostmirror/fixtures';
import { parseClusterResourceFile } from '@hostmirror/oc-mirror-archive';
import { inNamespace, stepsTable, testAssets, testDir, writeFileSet } from './support.ts';

let work: string;
const digests: Record<string, string> = {};
let archives: string[];

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hostmirror-oc-mirror-set-'));
  const made = await runTool(
    await requireTool('unshare'),
    [
      '-n',
      '-m',
      '--propagation',
      'private',
      'bash',
      join(testDir, 'make-oc-mirror-set.sh'),
      work,
      '5056',
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(made.exitCode, 0, `${made.stdout}\n${made.stderr}`);
  for (const [, key, value] of made.stdout.toString().matchAll(/^([A-Z_0-9]+)=(\S+)$/gm))
    digests[key as string] = value as string;
  archives = [join(work, 'base/mirror_000001.tar'), join(work, 'diff/mirror_000001.tar')];
});

after(async () => {
  if (work && !process.env.HOSTMIRROR_KEEP_WORK) await rm(work, { recursive: true, force: true });
});

test('a base and a differential mirror-to-disk run: generated mirror sets, stale repository named, unpacked in order and served', async () => {
  const fixed = testAssets();
  const { plan, assets, manifests, warnings } = await prepareBootSequence(
    { mode: 'every-node', topology: 'sno' },
    { archives, tls: { caCertificate: fixed.caCertificate, ...fixed.tls } },
  );
  // One release, though a cosign sha256-<hex>.sig tag sits beside it.
  assert.deepEqual(plan.settings.release, {
    repository: 'openshift/release-images',
    digest: digests.RELEASE,
  });
  // Both runs, in order, under names that stay unique on the volume.
  const names = volumeArchiveNames(archives);
  assert.deepEqual(names, ['01-mirror_000001.tar', '02-mirror_000001.tar']);
  assert.deepEqual(
    assets.archives.map((archive) => archive.name),
    names,
  );
  // The stale cache repository is named at build time and left out at boot.
  assert.deepEqual(assets.skipRepositories, ['old/thing']);
  assert.ok(
    warnings.some(
      (warning) => warning.includes('old/thing') && warning.includes(digests.STALE_LAYER as string),
    ),
    warnings.join('\n'),
  );
  // The signature ConfigMap oc-mirror's disk-to-mirror would write, carrying the signature bytes.
  const configMap = manifests.manifests.find((manifest) => manifest.kind === 'ConfigMap');
  assert.ok(configMap, manifests.manifests.map((manifest) => manifest.fileName).join(', '));
  const signature = parseClusterResourceFile(configMap.fileName, configMap.yaml)[0]?.document as {
    metadata: { name: string; namespace: string };
    binaryData: Record<string, string>;
  };
  assert.equal(signature.metadata.name, 'mirrored-release-signatures');
  assert.equal(signature.metadata.namespace, 'openshift-config-managed');
  const hex = (digests.RELEASE as string).slice('sha256:'.length);
  assert.deepEqual(
    Buffer.from(signature.binaryData[`sha256-${hex}-1`] ?? '', 'base64'),
    Buffer.concat([
      Buffer.from([0x89, 0x01]),
      Buffer.from(`binary signature of ${digests.RELEASE}`),
      Buffer.from([0xff]),
    ]),
  );
  assert.deepEqual(manifests.manifests.map((manifest) => manifest.kind).sort(), [
    'ConfigMap',
    'ImageDigestMirrorSet',
    'ImageDigestMirrorSet',
    'ImageTagMirrorSet',
  ]);

  // Run the live sequence on a host root whose folder volume holds the set under its names.
  const root = join(work, 'host', 'root');
  await writeFileSet(root, bootFileSet(plan, 'live', assets));
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  const steps = join(work, 'host', 'steps.tsv');
  await writeFile(steps, stepsTable(plan.phases.live));
  const volume = join(root, 'srv/volume');
  await mkdir(volume, { recursive: true });
  for (const [index, archive] of archives.entries())
    await copyFile(archive, join(volume, names[index] as string));
  await mkdir(join(root, dirname(REGISTRY_BINARY)), { recursive: true });
  await copyFile(await requireTool('docker-registry'), join(root, REGISTRY_BINARY));
  const pulls = [
    ['release', `quay.io/openshift-release-dev/ocp-release@${digests.RELEASE}`],
    ['component', `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${digests.CLI}`],
    ['minimal', `registry.redhat.io/ubi9/ubi-minimal@${digests.MINIMAL}`],
    ['ubi', `registry.redhat.io/ubi9/ubi@${digests.UBI}`],
    ['ubi94', `registry.redhat.io/ubi9/ubi@${digests.UBI94}`],
    ['ubi-tag', 'registry.redhat.io/ubi9/ubi:latest'],
    ['ubi94-tag', 'registry.redhat.io/ubi9/ubi:9.4'],
  ];
  const result = await inNamespace(
    `export HOSTMIRROR_ROOT='${root}' HOSTMIRROR_READY_TIMEOUT=20 HOSTMIRROR_VOLUME_WAIT=0 HOSTMIRROR_VOLUME_DIR=/srv/volume
export HOSTMIRROR_UPDATE_CA_TRUST=true
hm_run_steps ${root} ${steps}
hm_use_root_config ${root}
${pulls.map(([name, reference]) => `skopeo inspect --no-tags docker://${reference} >/dev/null 2>${work}/err-${name} && echo "PULL ${name} ok" || echo "PULL ${name} failed"`).join('\n')}
curl -sf --cacert ${root}/etc/hostmirror/ca.crt https://registry.hostmirror.internal:5000/v2/_catalog | sed 's/^/CATALOG /'
`,
    {},
  );
  const out = result.stdout.toString();
  const explain = `exit ${result.exitCode}\n${out}\n${result.stderr}`;
  assert.equal(result.exitCode, 0, explain);
  for (const [name] of pulls)
    assert.ok(
      out.includes(`PULL ${name} ok`),
      `${name}: ${await readFile(join(work, `err-${name}`), 'utf8').catch(() => '')}\n${explain}`,
    );
  const catalog = JSON.parse(/^CATALOG (.*)$/m.exec(out)?.[1] ?? '{}') as {
    repositories: string[];
  };
  assert.deepEqual(catalog.repositories.sort(), [
    'openshift/release',
    'openshift/release-images',
    'ubi9/ubi',
    'ubi9/ubi-minimal',
  ]);
  assert.match(result.stderr.toString(), /leaving out 1 stale repositories/);
});
