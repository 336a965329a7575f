import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { createGzip, gzipSync } from 'node:zlib';
import {
  blobOf,
  DEFAULT_TAR_MTIME,
  type MadeImage,
  m2dCatalog,
  m2dOperand,
  m2dOperatorBundle,
  m2dRebuiltCatalog,
  m2dRelease,
  makeImage,
  OCI_LAYER_GZIP,
  tarArchive,
  tarHeaderBlock,
  writeChunk,
} from '@hostmirror/fixtures';
import { MirrorArchive } from './archive-index.ts';
import { mapArchiveSources } from './archive-sources.ts';
import { catalogFileBundles } from './catalog.ts';
import { MAX_IMAGE_NAME_LENGTH, readCatalogImage } from './catalog-image.ts';
import { archiveMirrorResources } from './generated-resources.ts';
import { forEachLayerFile } from './layer-files.ts';

const work = mkdtempSync(join(tmpdir(), 'hostmirror-catalog-image-'));
after(() => rmSync(work, { recursive: true, force: true }));

const isc = `kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
mirror:
  operators:
  - catalog: registry.redhat.io/redhat/redhat-operator-index:v4.14
`;

function catalogImage(layer: Buffer): MadeImage {
  return makeImage({
    repository: 'redhat/redhat-operator-index',
    tag: 'v4.14',
    layers: [gzipSync(layer)],
    layerMediaType: OCI_LAYER_GZIP,
  });
}

function fbcLayer(files: Record<string, string | Buffer>): Buffer {
  return tarArchive(
    Object.entries(files).map(([path, data]) => ({ path, data: Buffer.from(data) })),
    DEFAULT_TAR_MTIME,
  );
}

async function archiveOf(name: string, images: MadeImage[], omit: string[] = []) {
  const dir = join(work, name);
  mkdirSync(dir);
  const path = join(dir, 'mirror_000001.tar');
  await writeChunk(path, {
    images: [m2dRelease, ...images],
    imageSetConfig: isc,
    omit: new Set(omit),
  });
  return MirrorArchive.open([path]);
}

describe('operator catalogs in the archive', () => {
  it('withoutAFilterRecordTheCatalogsOwnTagIsReadAndItsAbsentImagesNoted', async () => {
    // A `full` catalog oc-mirror did not rebuild: its tag is what the cluster reads. The
    // unfiltered fixture catalog lists package bar, whose bundle the archive does not hold.
    const archive = await archiveOf('unfiltered', [m2dCatalog, m2dOperatorBundle, m2dOperand]);
    const sources = await mapArchiveSources(archive);
    assert.deepEqual(
      sources.catalogs.map((entry) => [entry.tag, entry.imageTag, entry.bundles]),
      [['v4.14', 'v4.14', 2]],
    );
    assert.deepEqual(
      sources.sources
        .filter((entry) => entry.category === 'operator')
        .map((entry) => entry.repository),
      ['foo/foo-operator-bundle', 'foo/foo-rhel9'],
    );
    assert.match(
      sources.notes.join('\n'),
      /catalog redhat\/redhat-operator-index:v4\.14 lists 1 image\(s\) whose repository the archive does not hold \(first: registry\.example\.com\/bar\/bar-operator-bundle@sha256:b+\)/,
    );
  });

  it('streamsTheLayerAndKeepsOnlyTheCatalogFiles', async () => {
    // A 256 MiB catalog layer made on the fly (gzip'd tar: a 256 MiB binary, then the catalog):
    // the reader streams past what it does not want and holds one catalog file at a time, so
    // memory stays far below the layer's size.
    const size = 256 * 1024 * 1024;
    const catalog = Buffer.from(
      JSON.stringify({ schema: 'olm.bundle', name: 'foo.v1', package: 'foo', image: 'r.io/a:1' }),
    );
    const header = (name: string, length: number) =>
      tarHeaderBlock(name, length, 'pax', { mtime: DEFAULT_TAR_MTIME });
    async function* tar() {
      yield header('bin/opm', size);
      const zeros = Buffer.alloc(1024 * 1024);
      for (let sent = 0; sent < size; sent += zeros.length) yield zeros;
      yield header('configs/foo/catalog.json', catalog.length);
      yield Buffer.concat([catalog, Buffer.alloc(512 - (catalog.length % 512))]);
      yield Buffer.alloc(1024);
    }
    const layer = Readable.from(tar()).pipe(createGzip({ level: 1 }));
    let peak = 0;
    const before = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss - before);
    }, 20);
    const bundles: string[] = [];
    try {
      const files = await forEachLayerFile(
        layer,
        (path) => path.startsWith('configs/'),
        'layer sha256:test',
        (file, bytes) => bundles.push(...catalogFileBundles(file, bytes).map((b) => b.name)),
      );
      assert.equal(files, 1);
    } finally {
      clearInterval(sampler);
    }
    assert.deepEqual(bundles, ['foo.v1']);
    assert.ok(peak < 128 * 1024 * 1024, `RSS grew up to ${peak} bytes streaming a 256 MiB layer`);
  });

  it('refusesHostileCatalogsWithTypedErrors', async () => {
    const long = catalogImage(
      fbcLayer({
        'configs/x/catalog.json': JSON.stringify({
          schema: 'olm.bundle',
          name: 'x.v1',
          image: `registry.example.com/${'a'.repeat(MAX_IMAGE_NAME_LENGTH)}:1`,
        }),
      }),
    );
    const notTar = makeImage({
      repository: 'redhat/redhat-operator-index',
      tag: 'v4.14',
      layers: [gzipSync(Buffer.from('not a tar, but gzip'.repeat(100)))],
      layerMediaType: OCI_LAYER_GZIP,
    });
    const bad = catalogImage(fbcLayer({ 'configs/x/catalog.json': '{"schema":"olm.bundle" ]' }));
    const cases: [string, MadeImage, string[], string, RegExp][] = [
      [
        'long-name',
        long,
        [],
        'CATALOG_INVALID',
        /the olm\.bundle x\.v1 in configs\/x\/catalog\.json names an image of 1047 characters, more than 1024/,
      ],
      ['not-tar', notTar, [], 'LAYER_UNREADABLE', /cannot be read as a tar layer/],
      [
        'bad-json',
        bad,
        [],
        'CATALOG_INVALID',
        /configs\/x\/catalog\.json is not a valid file-based catalog/,
      ],
      [
        'missing-layer',
        bad,
        [bad.layers[0]?.digest ?? ''],
        'BLOB_NOT_IN_ARCHIVE',
        /The layer sha256:[a-f0-9]{64} of catalog image .* is in no archive chunk; mirror the catalog again/,
      ],
    ];
    for (const [name, image, omit, code, message] of cases) {
      const archive = await archiveOf(name, [image], omit);
      await assert.rejects(readCatalogImage(archive, image.repository, image.manifest.digest), {
        code,
        message,
      });
      // Mapping sources does not fail on it: the catalog's contents are named as unmapped.
      const sources = await mapArchiveSources(archive);
      assert.match(
        sources.notes.join('\n'),
        new RegExp(`The catalog redhat/redhat-operator-index:v4\\.14 cannot be read \\(${code}`),
        name,
      );
    }
  });

  it('readsAMultiPlatformCatalogFromTheChildTheArchiveHolds', async () => {
    // oc-mirror's rebuilt catalog is an image index (catalog_builder.go pushes the index); the
    // configs are the same on every platform, so the cluster's platform is read, else any held.
    const child = m2dRebuiltCatalog;
    const absent = `sha256:${'e'.repeat(64)}`;
    const index = blobOf(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: absent,
            size: 100,
            platform: { architecture: 'arm64', os: 'linux' },
          },
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: child.manifest.digest,
            size: child.manifest.bytes.length,
            platform: { architecture: 'amd64', os: 'linux' },
          },
        ],
      }),
    );
    // The index and, as its "config" and "layers", the child's blobs: all written as blobs.
    const indexImage: MadeImage = {
      repository: child.repository,
      tag: 'v4.14',
      manifest: index,
      config: child.manifest,
      layers: [child.config, ...child.layers],
    };
    const archive = await archiveOf('index', [indexImage]);
    const read = await readCatalogImage(archive, child.repository, index.digest, {
      architectures: ['arm64'],
    });
    assert.equal(read.manifest, child.manifest.digest);
    assert.deepEqual(
      read.bundles.map((bundle) => [bundle.name, bundle.relatedImages.length]),
      [['foo.v1.0.0', 2]],
    );
    const none = await archiveOf('index-without-children', [indexImage], [child.manifest.digest]);
    await assert.rejects(readCatalogImage(none, child.repository, index.digest), {
      code: 'BLOB_NOT_IN_ARCHIVE',
      message: /None of the 2 platform manifests of the catalog image .* is in the archive/,
    });
  });

  it('aRelatedImageByTagGetsAnOperatorItmsRule', async () => {
    // oc-mirror copies a related image named by tag to its path under that tag, and its
    // disk-to-mirror lists it in the ITMS (generateImageMirrors TagsOnlyMode, operator category).
    const operand = makeImage({ repository: 'foo/foo-rhel9', tag: '1.0', layers: ['by tag'] });
    const image = catalogImage(
      fbcLayer({
        'configs/foo/catalog.json': JSON.stringify({
          schema: 'olm.bundle',
          name: 'foo.v1',
          package: 'foo',
          image: 'registry.example.com/foo/foo-operator-bundle:v1',
          relatedImages: [{ name: 'operand', image: 'registry.example.com/foo/foo-rhel9:1.0' }],
        }),
      }),
    );
    const archive = await archiveOf('by-tag', [image, operand]);
    const made = await archiveMirrorResources(archive, 'mirror.local:5000');
    assert.deepEqual(
      made.sources.sources
        .filter((entry) => entry.category === 'operator')
        .map((entry) => [entry.repository, entry.byDigest, entry.byTag]),
      [['foo/foo-rhel9', false, true]],
    );
    assert.deepEqual(
      made.resources.imageTagMirrors.map((entry) => [entry.origin, entry.source, entry.mirrors]),
      [['ITMS/itms-operator-0', 'registry.example.com/foo', ['mirror.local:5000/foo']]],
    );
    assert.deepEqual(
      made.resources.imageDigestMirrors.filter((e) => e.origin.includes('operator')),
      [],
    );
    // The bundle image's repository is not in the archive: counted in a note.
    assert.match(
      made.warnings.join('\n'),
      /lists 1 image\(s\) whose repository the archive does not hold \(first: registry\.example\.com\/foo\/foo-operator-bundle:v1\)/,
    );
  });
});
