import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { blobOf, makeImage, releaseIdms, TarBuilder, writeChunk } from '@hostmirror/fixtures';
import { extractMirrorArchive } from './archive-extract.ts';
import { detectArchiveKind, type ImageSetConfigCopy, MirrorArchive } from './archive-index.ts';
import { MirrorFormatError } from './errors.ts';

const work = mkdtempSync(join(tmpdir(), 'hostmirror-archive-'));
after(() => rmSync(work, { recursive: true, force: true }));

const release = makeImage({
  repository: 'openshift/release-images',
  tag: '4.14.3-x86_64',
  layers: ['release layer'],
});
const component = makeImage({
  repository: 'openshift/release',
  tag: '4.14.3-x86_64-cli',
  layers: ['cli layer', 'shared layer'],
});
const newer = makeImage({
  repository: 'openshift/release',
  tag: '4.14.4-x86_64-cli',
  layers: ['cli layer 2', 'shared layer'],
});

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof MirrorFormatError, String(error));
    return error.code;
  }
  return 'no error';
}

describe('MirrorArchive', () => {
  const base = join(work, 'base', 'mirror_000001.tar');
  const differential = join(work, 'diff', 'mirror_000001.tar');

  it('listsRepositoriesTagsManifests', async () => {
    mkdirSync(join(work, 'base'));
    await writeChunk(base, {
      images: [release, component],
      clusterResources: { 'idms-oc-mirror.yaml': releaseIdms('mirror.example:8443') },
    });
    const archive = await MirrorArchive.open([base]);
    assert.deepEqual(archive.repositories(), ['openshift/release', 'openshift/release-images']);
    assert.deepEqual(archive.tags('openshift/release-images'), [
      { tag: '4.14.3-x86_64', digest: release.manifest.digest },
    ]);
    assert.deepEqual(archive.manifests('openshift/release'), [component.manifest.digest]);
    assert.equal(archive.blobs().length, 7);
    assert.deepEqual(await archive.readBlob(release.manifest.digest), release.manifest.bytes);
    await archive.verifyBlob(component.layers[1]?.digest ?? '');
    const report = await archive.checkCompleteness();
    assert.deepEqual(report, { complete: true, manifestsChecked: 2, blobsNeeded: 7, problems: [] });
    assert.deepEqual(archive.clusterResourceFiles(), ['idms-oc-mirror.yaml']);
    const resources = await archive.readClusterResources();
    assert.deepEqual(
      resources.imageDigestMirrors.map((entry) => [
        entry.source,
        entry.mirrors,
        entry.mirrorSourcePolicy,
        entry.origin,
      ]),
      [
        [
          'quay.io/openshift-release-dev/ocp-release',
          ['mirror.example:8443/openshift/release-images'],
          'AllowContactingSource',
          'IDMS/idms-release-0',
        ],
        [
          'quay.io/openshift-release-dev/ocp-v4.0-art-dev',
          ['mirror.example:8443/openshift/release'],
          'AllowContactingSource',
          'IDMS/idms-release-0',
        ],
      ],
    );
  });

  it('differentialMissingBlobNamesManifest', async () => {
    mkdirSync(join(work, 'diff'));
    const knownBefore = new Set([
      ...[release, component].flatMap((image) =>
        [image.manifest, image.config, ...image.layers].map((blob) => blob.digest),
      ),
    ]);
    await writeChunk(differential, { images: [release, component, newer], omit: knownBefore });
    const alone = await MirrorArchive.open([differential]);
    const report = await alone.checkCompleteness();
    assert.equal(report.complete, false);
    const shared = component.layers[1]?.digest ?? '';
    const problem = report.problems.find(
      (item) => item.kind === 'blob-missing' && item.digest === shared,
    );
    assert.ok(problem && problem.kind === 'blob-missing');
    assert.deepEqual(
      problem.neededBy.map((by) => [by.repository, by.manifest, by.role]),
      [['openshift/release', newer.manifest.digest, 'layer']],
    );
    const withBase = await MirrorArchive.open([base, differential]);
    assert.equal((await withBase.checkCompleteness()).complete, true);
    assert.deepEqual(
      withBase.tags('openshift/release').map((tag) => tag.tag),
      ['4.14.3-x86_64-cli', '4.14.4-x86_64-cli'],
    );
    assert.equal(await code(alone.readBlob(shared)), 'BLOB_NOT_IN_ARCHIVE');
  });

  it('chunksInNumericOrder', async () => {
    const folder = join(work, 'split');
    mkdirSync(folder);
    await writeChunk(join(folder, 'mirror_000001.tar'), { images: [release] });
    await writeChunk(join(folder, 'mirror_000002.tar'), { images: [component] });
    const archive = await MirrorArchive.open([
      join(folder, 'mirror_000002.tar'),
      join(folder, 'mirror_000001.tar'),
    ]);
    assert.deepEqual(
      archive.chunks.map((chunk) => chunk.sequence),
      [1, 2],
    );
    assert.equal(
      await code(
        MirrorArchive.open([join(folder, 'mirror_000001.tar'), join(folder, 'mirror_000001.tar')]),
      ),
      'ARCHIVE_DUPLICATE_CHUNK',
    );
  });

  it('v1RefusedWithAdvice', async () => {
    const byName = join(work, 'mirror_seq1_000000.tar');
    const tar = await TarBuilder.create(byName);
    await tar.file(`v2/openshift/release/blobs/sha256:${'c'.repeat(64)}`, 'x');
    await tar.file('publish/.metadata.json', '{}');
    await tar.end();
    const renamed = join(work, 'renamed.tar');
    writeFileSync(renamed, readFileSync(byName));
    for (const path of [byName, renamed]) {
      const error = await MirrorArchive.open([path]).catch((caught: unknown) => caught);
      assert.ok(error instanceof MirrorFormatError);
      assert.equal(error.code, 'ARCHIVE_V1');
      assert.match(error.message, /oc-mirror --from/);
      assert.equal((await detectArchiveKind(path)).kind, 'oc-mirror-v1');
    }
    assert.equal((await detectArchiveKind(base)).kind, 'oc-mirror-v2');
  });

  it('plainTarRefused', async () => {
    const path = join(work, 'plain.tar');
    const tar = await TarBuilder.create(path);
    await tar.file('hello.txt', 'hi');
    await tar.end();
    assert.equal(await code(MirrorArchive.open([path])), 'ARCHIVE_NOT_OC_MIRROR');
    assert.equal(await code(MirrorArchive.open([])), 'ARCHIVE_NONE');
  });

  it('indexesImageSetConfigCopiesAndSignatureNames', async () => {
    const path = join(work, 'extras.tar');
    const tar = await TarBuilder.create(path);
    await tar.file(
      'docker/registry/v2/repositories/a/_manifests/tags/1/current/link',
      `sha256:${'cd'.repeat(32)}`,
    );
    await tar.file('isc_2026-11-30T00:00:00Z', 'kind: ImageSetConfiguration\n');
    await tar.file('working-dir/isc_nested', 'not a top-level copy');
    await tar.file(`working-dir/signatures/4.14.3-x86_64-sha256-${'ab'.repeat(32)}`, 'sig');
    await tar.file('working-dir/signatures/other', 'sig');
    await tar.end();
    const archive = await MirrorArchive.open([path]);
    assert.deepEqual(
      archive.imageSetConfigCopies().map((copy) => copy.name),
      ['isc_2026-11-30T00:00:00Z'],
    );
    const [copy] = archive.imageSetConfigCopies();
    assert.equal(
      await archive.readImageSetConfigCopy(copy as ImageSetConfigCopy),
      'kind: ImageSetConfiguration\n',
    );
    assert.deepEqual(archive.signatureFiles(), [
      `4.14.3-x86_64-sha256-${'ab'.repeat(32)}`,
      'other',
    ]);
    assert.equal(archive.summary().workingDirMembers, 3);
  });

  for (const [name, options, rule] of [
    [
      'docker/registry/v2/blobs/sha256/aa/x',
      { typeflag: '2', linkName: '/etc/shadow' },
      'link-on-registry-path',
    ],
    ['docker/registry/v2', { typeflag: '2', linkName: '/tmp' }, 'link-on-registry-path'],
    ['working-dir/x', { typeflag: '1', linkName: 'isc_x' }, 'link'],
    ['working-dir/fifo', { typeflag: '6' }, 'special-file'],
    ['../etc/passwd', {}, 'parent-reference'],
    ['/etc/passwd', {}, 'absolute-name'],
    ['docker/registry/v2/a/./../../../../b', {}, 'parent-reference'],
  ] as const) {
    it(`unsafeMemberRefused ${name} (${rule})`, async () => {
      const path = join(work, 'unsafe.tar');
      const tar = await TarBuilder.create(path);
      await tar.file('docker/registry/v2/blobs/sha256/aa/ok/data', 'ok');
      const offset = tar.offset;
      await tar.entry(name, options);
      await tar.end();
      await assert.rejects(MirrorArchive.open([path]), (error: unknown) => {
        assert.ok(error instanceof MirrorFormatError, String(error));
        assert.equal(error.code, 'ARCHIVE_UNSAFE_MEMBER');
        assert.equal(error.value, name);
        assert.equal(error.offset, offset);
        assert.equal(error.path, path);
        assert.ok(error.message.includes(`(${rule})`), error.message);
        assert.ok(error.message.includes('of chunk 1 ('), error.message);
        return true;
      });
    });
  }

  it('damagedBlobDetected', async () => {
    const path = join(work, 'damaged.tar');
    const offsets = await writeChunk(path, { images: [release] });
    const bytes = readFileSync(path);
    const layerOffset = offsets.get(release.layers[0]?.digest ?? '') ?? 0;
    bytes[layerOffset] = (bytes[layerOffset] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);
    const archive = await MirrorArchive.open([path]);
    assert.equal(
      await code(archive.verifyBlob(release.layers[0]?.digest ?? '')),
      'BLOB_DIGEST_MISMATCH',
    );
    assert.equal(await code(archive.readBlob('sha256:nothex')), 'BAD_DIGEST');
  });

  it('extractsRegistryTreeOnly', async () => {
    const archive = await MirrorArchive.open([base, differential]);
    const root = join(work, 'root');
    const workingDir = join(work, 'wd');
    const first = await extractMirrorArchive(archive, { registryRoot: root, workingDir });
    const layer = newer.layers[0];
    assert.ok(layer);
    const hex = layer.digest.slice(7);
    assert.deepEqual(
      readFileSync(join(root, `docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`)),
      layer.bytes,
    );
    assert.match(
      readFileSync(join(workingDir, 'cluster-resources/idms-oc-mirror.yaml'), 'utf8'),
      /ImageDigestMirrorSet/,
    );
    assert.throws(() => readFileSync(join(root, 'isc_2026-11-30T00:00:00Z')));
    const again = await extractMirrorArchive(archive, { registryRoot: root });
    assert.equal(again.skipped, archive.blobs().length, 'blobs already there are kept on a re-run');
    assert.ok(first.files > again.files);
  });

  it('readsSignatureAndCatalogResources', async () => {
    const path = join(work, 'resources.tar');
    await writeChunk(path, {
      images: [release],
      clusterResources: {
        'itms-oc-mirror.yaml':
          'apiVersion: config.openshift.io/v1\nkind: ImageTagMirrorSet\nmetadata: {name: itms-generic-0}\nspec:\n  imageTagMirrors:\n  - source: registry.redhat.io/ubi9\n    mirrors: [m.example:5000/ubi9]\n',
        'cs-redhat-operator-index-v4-14.yaml':
          'apiVersion: operators.coreos.com/v1alpha1\nkind: CatalogSource\nmetadata: {name: cs-redhat-operator-index-v4-14, namespace: openshift-marketplace}\nspec: {image: m.example:5000/redhat/redhat-operator-index:v4.14, sourceType: grpc}\n',
        'signature-configmap.json': JSON.stringify({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: 'mirrored-release-signatures',
            namespace: 'openshift-config-managed',
            labels: { 'release.openshift.io/verification-signatures': '' },
          },
          binaryData: { [`sha256-${'d'.repeat(64)}-1`]: 'AAAA' },
        }),
        'bad.yaml': 'kind: [',
      },
    });
    const archive = await MirrorArchive.open([path]);
    await assert.rejects(
      archive.readClusterResources(),
      (error: unknown) =>
        error instanceof MirrorFormatError &&
        error.code === 'YAML_INVALID' &&
        error.line === 1 &&
        error.message.startsWith('working-dir/cluster-resources/bad.yaml:1:'),
    );
    assert.equal(
      await archive
        .readClusterResourceFile('itms-oc-mirror.yaml')
        .then((text) => text.includes('ImageTagMirrorSet')),
      true,
    );
    assert.equal(
      await code(archive.readClusterResourceFile('nope.yaml')),
      'RESOURCE_NOT_IN_ARCHIVE',
    );
  });

  it('blobHelpers', () => {
    assert.match(blobOf('x').digest, /^sha256:[a-f0-9]{64}$/);
  });
});
