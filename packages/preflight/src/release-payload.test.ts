import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseImageManifest } from '@hostmirror/oc-mirror-archive';
import { MirrorCheckError } from './errors.ts';
import { formatPlatform, selectPlatforms } from './image-manifest.ts';
import { readFilesFromLayer, readMatchingFilesFromLayer } from './layer-files.ts';
import {
  IMAGE_REFERENCES_PATH,
  parseImageReferences,
  parseReleaseMetadata,
  RELEASE_METADATA_PATH,
} from './release-payload.ts';
import { findReleaseSignatures } from './signatures.ts';

const D = `sha256:${'ab'.repeat(32)}`;

/** A tar entry: ustar header (with checksum) + data padded to 512. `typeflag` '0' by default. */
function entry(name: string, data: string | Buffer, typeflag = '0'): Buffer {
  const body = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const header = Buffer.alloc(512);
  header.write(name.slice(0, 100), 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write(typeflag, 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return Buffer.concat([header, body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

function tar(...entries: Buffer[]): Buffer {
  return Buffer.concat([...entries, Buffer.alloc(1024)]);
}

/** A stream in small chunks, so headers and data straddle chunk boundaries. */
function chunked(bytes: Buffer, size = 97): Readable {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += size)
    chunks.push(bytes.subarray(offset, offset + size));
  return Readable.from(chunks);
}

function isCode(code: string) {
  return (error: unknown) => error instanceof MirrorCheckError && error.code === code;
}

const imageStream = (tags: unknown[]) =>
  JSON.stringify({ kind: 'ImageStream', metadata: { name: '4.14.3' }, spec: { tags } });

describe('readFilesFromLayer', () => {
  const layer = tar(
    entry('./etc/os-release', 'ID=x\n'),
    entry('./release-manifests/', '', '5'),
    entry('./release-manifests/image-references', '{"kind":"ImageStream"}'),
    entry('./release-manifests/release-metadata', '{"version":"4.14.3"}'),
  );

  test('findsWantedFilesInAGzipStreamSplitAnywhere', async () => {
    const files = await readFilesFromLayer(
      chunked(gzipSync(layer), 61),
      [IMAGE_REFERENCES_PATH, RELEASE_METADATA_PATH],
      'layer',
    );
    assert.equal(files.get(IMAGE_REFERENCES_PATH)?.toString(), '{"kind":"ImageStream"}');
    assert.equal(files.get(RELEASE_METADATA_PATH)?.toString(), '{"version":"4.14.3"}');
  });

  test('readsZstdAndXzLayersThroughCodecs', async () => {
    // OCI allows zstd layers (application/vnd.oci.image.layer.v1.tar+zstd); the zstd(1) and
    // xz(1) commands make them, @hostmirror/codecs reads them.
    for (const [command, args] of [
      ['zstd', ['-q', '-c']],
      ['xz', ['-q', '-c', '--check=crc32']],
    ] as const) {
      const compressed = execFileSync(command, args, { input: layer });
      const files = await readFilesFromLayer(
        chunked(compressed, 53),
        [RELEASE_METADATA_PATH],
        command,
      );
      assert.equal(files.get(RELEASE_METADATA_PATH)?.toString(), '{"version":"4.14.3"}', command);
    }
  });

  test('readsUncompressedLayers', async () => {
    const files = await readFilesFromLayer(chunked(layer), [RELEASE_METADATA_PATH], 'layer');
    assert.deepEqual([...files.keys()], [RELEASE_METADATA_PATH]);
  });

  test('stopsOnceEverythingIsFound', async () => {
    let pulled = 0;
    const endless = Readable.from(
      (function* () {
        yield entry('release-manifests/image-references', '{}');
        for (;;) {
          pulled++;
          yield entry(`filler-${pulled}`, Buffer.alloc(4096));
          if (pulled > 10_000) throw new Error('read past the wanted file');
        }
      })(),
    );
    const files = await readFilesFromLayer(endless, [IMAGE_REFERENCES_PATH], 'layer');
    assert.equal(files.size, 1);
    assert.ok(pulled < 100, `pulled ${pulled} chunks after the wanted file`);
  });

  test('followsPaxAndGnuLongNames', async () => {
    const longName = `release-manifests/${'x'.repeat(120)}`;
    const record = (() => {
      const body = ` path=${longName}\n`;
      let length = body.length + 1;
      while (`${length}${body}`.length !== length) length++;
      return `${length}${body}`;
    })();
    const files = await readFilesFromLayer(
      chunked(
        tar(
          entry('PaxHeaders/x', record, 'x'),
          entry('short-name', 'from pax'),
          entry('././@LongLink', `${longName}-gnu\0`, 'L'),
          entry('truncated-name', 'from gnu'),
        ),
      ),
      [longName, `${longName}-gnu`],
      'layer',
    );
    assert.equal(files.get(longName)?.toString(), 'from pax');
    assert.equal(files.get(`${longName}-gnu`)?.toString(), 'from gnu');
  });

  test('largeWantedFilesAreJoinedOnceNotPerChunk', async () => {
    const big = Buffer.alloc(32 * 1024 * 1024, 0x61);
    const started = performance.now();
    const files = await readMatchingFilesFromLayer(
      chunked(tar(entry('configs/big/catalog.json', big), entry('other', 'x')), 16 * 1024),
      (path) => path.startsWith('configs/'),
      'layer',
    );
    assert.equal(files.get('configs/big/catalog.json')?.length, big.length);
    // Joining per chunk copies ~32 GiB here (minutes); joining once takes well under a second.
    assert.ok(performance.now() - started < 10_000);
  });

  test('truncatedLayerIsLayerUnreadable', async () => {
    const cut = layer.subarray(0, 512 * 3 + 100);
    await assert.rejects(
      readFilesFromLayer(chunked(cut), [RELEASE_METADATA_PATH], 'layer sha256:x'),
      isCode('LAYER_UNREADABLE'),
    );
  });

  test('garbageIsLayerUnreadable', async () => {
    await assert.rejects(
      readFilesFromLayer(
        chunked(Buffer.alloc(2048, 0x41)),
        [RELEASE_METADATA_PATH],
        'layer sha256:x',
      ),
      isCode('LAYER_UNREADABLE'),
    );
    await assert.rejects(
      readFilesFromLayer(
        chunked(Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 7)])),
        [RELEASE_METADATA_PATH],
        'layer',
      ),
      isCode('LAYER_UNREADABLE'),
    );
  });

  test('missingFilesAreSimplyAbsent', async () => {
    const files = await readFilesFromLayer(
      chunked(tar(entry('a', 'b'))),
      [IMAGE_REFERENCES_PATH],
      'layer',
    );
    assert.equal(files.size, 0);
  });
});

describe('parseImageReferences', () => {
  test('readsComponents', () => {
    const payload = parseImageReferences(
      imageStream([{ name: 'etcd', from: { kind: 'DockerImage', name: `quay.io/a/b@${D}` } }]),
      'image-references',
    );
    assert.equal(payload.name, '4.14.3');
    assert.deepEqual(
      payload.components.map((component) => [component.name, component.reference]),
      [['etcd', `quay.io/a/b@${D}`]],
    );
  });

  const bad: [string, string, RegExp][] = [
    ['syntax error', '{"kind": "ImageStream",\n "spec": [', /line 2, column/],
    ['wrong kind', JSON.stringify({ kind: 'List' }), /#\$\.kind$/],
    ['no tags', JSON.stringify({ kind: 'ImageStream', spec: {} }), /#\$\.spec\.tags$/],
    ['tag without from', imageStream([{ name: 'etcd' }]), /#\$\.spec\.tags\[0\]\.from$/],
    [
      'by tag',
      imageStream([{ name: 'etcd', from: { kind: 'DockerImage', name: 'quay.io/a/b:1' } }]),
      /#\$\.spec\.tags\[0\]\.from\.name$/,
    ],
    [
      'bad reference',
      imageStream([{ name: 'etcd', from: { kind: 'DockerImage', name: 'quay.io/A@x' } }]),
      /\.from\.name$/,
    ],
  ];
  for (const [name, text, subject] of bad)
    test(`refuses ${name} naming the place`, () => {
      assert.throws(
        () => parseImageReferences(text, 'image-references in layer L'),
        (error) =>
          error instanceof MirrorCheckError &&
          error.code === 'IMAGE_REFERENCES_INVALID' &&
          (subject.test(error.subject ?? '') || subject.test(error.message)),
      );
    });

  test('releaseMetadataArchitectureAndErrors', () => {
    const metadata = parseReleaseMetadata(
      JSON.stringify({
        version: '4.14.3',
        previous: ['4.14.2'],
        metadata: { 'release.openshift.io/architecture': 'multi' },
      }),
      'release-metadata',
    );
    assert.deepEqual(metadata, { version: '4.14.3', architecture: 'multi', previous: ['4.14.2'] });
    assert.throws(
      () => parseReleaseMetadata('nope', 'release-metadata'),
      isCode('RELEASE_METADATA_INVALID'),
    );
  });
});

describe('platform choice', () => {
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        { digest: D, platform: { architecture: 'amd64', os: 'linux' } },
        {
          digest: `sha256:${'cd'.repeat(32)}`,
          platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
        },
        {
          digest: `sha256:${'ef'.repeat(32)}`,
          platform: { architecture: 'unknown', os: 'unknown' },
        },
      ],
    }),
  );

  test('selectsTheClusterArchitecturesByTheirOciNames', () => {
    const manifest = parseImageManifest(index, 'repo@x');
    assert.equal(manifest.kind, 'index');
    if (manifest.kind !== 'index') return;
    const { selected, missing } = selectPlatforms(manifest.children, [
      'x86_64',
      'aarch64',
      's390x',
    ]);
    assert.deepEqual(
      selected.map((child) => formatPlatform(child.platform)),
      ['linux/amd64', 'linux/arm64/v8'],
    );
    assert.deepEqual(missing, ['s390x']);
  });
});

describe('release signatures', () => {
  test('findsTheConfigMapKeyForTheDigest', () => {
    const hex = D.slice('sha256:'.length);
    const resources = {
      documents: [],
      imageDigestMirrors: [],
      imageTagMirrors: [],
      catalogSources: [],
      signatureConfigMaps: [
        {
          name: 'mirrored-release-signatures',
          namespace: 'openshift-config-managed',
          keys: [`sha256-${hex}-1`, `sha256-${'00'.repeat(32)}-2`],
        },
      ],
    };
    assert.deepEqual(findReleaseSignatures(resources, D), {
      present: true,
      found: [`ConfigMap openshift-config-managed/mirrored-release-signatures key sha256-${hex}-1`],
    });
    assert.equal(findReleaseSignatures(resources, `sha256:${'11'.repeat(32)}`).present, false);
  });
});
