import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  DEFAULT_TAR_MTIME,
  type MadeImage,
  m2dCatalog,
  m2dOperand,
  m2dOperatorBundle,
  m2dRelease,
  makeImage,
  OCI_LAYER_GZIP,
  tarArchive,
  writeChunk,
} from '@hostmirror/fixtures';
import { MirrorArchive } from './archive-index.ts';
import { mapArchiveSources } from './archive-sources.ts';
import { MAX_IMAGE_NAME_LENGTH, readCatalogImage } from './catalog-image.ts';

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
    // 96 MiB of other files in the catalog layer: streamed past, never held.
    const big = Buffer.alloc(96 * 1024 * 1024);
    const image = catalogImage(
      fbcLayer({
        'bin/opm': big,
        'configs/foo/catalog.json': JSON.stringify({
          schema: 'olm.bundle',
          name: 'foo.v1',
          package: 'foo',
          image: 'registry.example.com/foo/b@sha256:'.padEnd(98, 'a'),
        }),
      }),
    );
    const archive = await archiveOf('big-layer', [image]);
    const before = process.memoryUsage().rss;
    const read = await readCatalogImage(archive, image.repository, image.manifest.digest);
    const grown = process.memoryUsage().rss - before;
    assert.deepEqual(
      read.bundles.map((bundle) => bundle.name),
      ['foo.v1'],
    );
    assert.ok(grown < 64 * 1024 * 1024, `RSS grew ${grown} bytes reading a 96 MiB layer`);
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
});
