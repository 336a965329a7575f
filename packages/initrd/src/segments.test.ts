import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable, type Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type NewcEntryInput, TRAILER_NAME, writeNewc } from '@hostmirror/cpio-stream';
import { buildOverlay, buildOverlayFile } from './build.ts';
import { peakRssGrowthMiB, scratch } from './initrd.test-support.ts';
import { extractInitrd, readInitrd, readInitrdFile } from './read.ts';
import { compressedSegments, groupEntries, orderedEntries } from './segments.ts';
import { parseOverlaySpec } from './spec.ts';
import { verifyInitrd } from './verify.ts';

const KiB = 1024;
/** Magic (4) + frame header (2) + empty last raw block (3) + content checksum (4). */
const EMPTY_ZSTD_FRAME_BYTES = 13;

/** An in-memory initrd as a reader source (a fresh iterable per read). */
function bytesSource(bytes: Buffer): AsyncIterable<Uint8Array> {
  return (async function* () {
    yield bytes;
  })();
}
const MiB = 1024 * KiB;

/** Deterministic, poorly compressible bytes (so segments are not tiny). */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let at = 0; at < length; at++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[at] = state & 0xff;
  }
  return out;
}

/** A tree of files in nested folders, the spec for it, and each file's bytes by path. */
async function fixtureTree(dir: string): Promise<{ specPath: string; files: Map<string, Buffer> }> {
  const files = new Map<string, Buffer>();
  const lines = ['compress: gzip', 'files:'];
  for (let index = 0; index < 24; index++) {
    const path = `/opt/app/d${index % 5}/sub${index % 3}/file${index}.bin`;
    const data = noise(20 * KiB + index * 1111, index + 1);
    const name = `src${index}.bin`;
    await writeFile(join(dir, name), data);
    files.set(path, data);
    lines.push(`  - { path: ${path}, source: ./${name} }`);
  }
  lines.push('  - { path: /etc/motd, contents: "hi\\n", mode: 0600 }');
  files.set('/etc/motd', Buffer.from('hi\n'));
  lines.push('symlinks: [{ path: /usr/local/bin/app, target: /opt/app/d0/sub0/file0.bin }]');
  const specPath = join(dir, 'spec.yaml');
  await writeFile(specPath, `${lines.join('\n')}\n`);
  return { specPath, files };
}

async function build(
  specPath: string,
  dir: string,
  options: { parallel?: boolean; segmentBytes?: number; concurrency?: number },
): Promise<Buffer> {
  const spec = parseOverlaySpec(await readFile(specPath, 'utf8'), { specPath });
  return buffer(buildOverlay(spec, { baseDir: dir, mtime: 1_700_000_000, ...options }));
}

describe('parallel gzip segments', () => {
  it('reproducibleWhateverTheConcurrency', async () => {
    const dir = await scratch('segments-repro-');
    try {
      const { specPath } = await fixtureTree(dir);
      const digests = new Set<string>();
      for (const concurrency of [1, 2, 3, 8, 2]) {
        const bytes = await build(specPath, dir, { segmentBytes: 64 * KiB, concurrency });
        digests.add(createHash('sha256').update(bytes).digest('hex'));
      }
      assert.equal(digests.size, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('oneSegmentIsTheSingleStreamArchive', async () => {
    const dir = await scratch('segments-one-');
    try {
      const { specPath } = await fixtureTree(dir);
      const single = await build(specPath, dir, { parallel: false });
      const oneSegment = await build(specPath, dir, { parallel: true, segmentBytes: 64 * MiB });
      assert.equal((await readInitrd(bytesSource(single))).segments.length, 1);
      assert.ok(oneSegment.equals(single), 'a single group must give the single-stream bytes');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('everySegmentIsACompleteArchiveTheKernelRulesAccept', async () => {
    const dir = await scratch('segments-rules-');
    try {
      const { specPath, files } = await fixtureTree(dir);
      const image = join(dir, 'overlay.img');
      const result = await buildOverlayFile(specPath, image, { segmentBytes: 64 * KiB });
      const bytes = await readFile(image);
      assert.equal((await verifyInitrd(image)).ok, true);
      const { segments } = await readInitrd(image);
      assert.ok(segments.length >= 5, `only ${segments.length} segments`);
      assert.equal(result.report.segments.length, segments.length);
      let end = 0;
      for (const segment of segments) {
        assert.equal(segment.codec, 'gzip');
        assert.equal(segment.offset, end, 'segments follow each other with nothing between');
        assert.equal(segment.trailer, true);
        assert.equal(segment.archives, 1);
        end = segment.offset + segment.length;
        // Each member alone decompresses to an archive that ends right after its trailer.
        const archive = gunzipSync(bytes.subarray(segment.offset, end));
        assert.equal(archive.length % 4, 0);
        const tail = archive.subarray(archive.length - 16).toString('latin1');
        assert.match(tail, new RegExp(`${TRAILER_NAME}\\0+$`));
      }
      assert.equal(end, bytes.length);
      // The whole file is valid gzip to `gzip -t` semantics (concatenated members).
      assert.equal(
        gunzipSync(bytes).length,
        segments.reduce((n, s) => n + s.uncompressedLength, 0),
      );
      const names = segments.flatMap((segment) => segment.entries.map((entry) => entry.path));
      assert.equal(new Set(names).size, names.length, 'no entry written twice');
      for (const path of files.keys()) assert.ok(names.includes(path.slice(1)), path);
      assert.ok(names.includes('usr/local/bin/app'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('roundTripsThroughReaderAndExtraction', async () => {
    const dir = await scratch('segments-roundtrip-');
    try {
      const { specPath, files } = await fixtureTree(dir);
      const bytes = await build(specPath, dir, { segmentBytes: 100 * KiB });
      assert.ok((await readInitrd(bytesSource(bytes))).segments.length > 2);
      for (const [path, data] of files) {
        const found = await readInitrdFile(bytesSource(bytes), path.slice(1));
        assert.ok(found !== undefined && Buffer.from(found).equals(data), path);
      }
      const out = join(dir, 'extracted');
      await extractInitrd(bytesSource(bytes), out);
      for (const [path, data] of files) assert.ok((await readFile(join(out, path))).equals(data));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('sparse500MiBAcrossSegmentsInFlatMemory', async (context) => {
    const dir = await scratch('segments-big-');
    const size = 250 * MiB;
    for (const name of ['a.bin', 'b.bin']) {
      await writeFile(join(dir, name), '');
      await truncate(join(dir, name), size);
    }
    await writeFile(
      join(dir, 'spec.yaml'),
      'compress: gzip\nfiles: [{ path: /x/a.bin, source: ./a.bin }, { path: /y/b.bin, source: ./b.bin }]\n',
    );
    let grewMiB: number;
    try {
      grewMiB = await peakRssGrowthMiB(async () => {
        const result = await buildOverlayFile(join(dir, 'spec.yaml'), join(dir, 'big.img'), {
          level: 1,
          concurrency: 2,
        });
        assert.equal(result.report.segments.length, 2);
        assert.equal(result.report.segments[1]?.entries.at(-1)?.size, size);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    context.diagnostic(`RSS grew by ${grewMiB.toFixed(1)} MiB`);
    assert.ok(grewMiB < 100, `RSS grew by ${grewMiB.toFixed(0)} MiB for a 500 MiB overlay`);
  });
});

describe('grouping entries', () => {
  const file = (path: string, size: number): NewcEntryInput => ({
    path,
    type: 'file',
    size,
    stream: () => Readable.from([Buffer.alloc(size)]),
  });

  it('cutsAtEntryBoundariesBySizeAlone', async () => {
    const entries = await orderedEntries([
      file('/b/big', 300),
      file('/a/one', 40),
      file('/a/two', 40),
      file('/c', 10),
    ]);
    assert.deepEqual(
      entries.map((entry) => `${entry.type[0]}:${entry.path}`),
      ['d:a', 'f:a/one', 'f:a/two', 'd:b', 'f:b/big', 'f:c'],
    );
    // header 110 + name + NUL + body: `a` is 112, `a/one` 156, so a group closes at 200 bytes;
    // folder `b` ends a group and its child `b/big` opens the next (the kernel made `b` already).
    const groups = groupEntries(entries, 200);
    assert.deepEqual(
      groups.map((group) => group.map((entry) => entry.path)),
      [['a', 'a/one'], ['a/two', 'b'], ['b/big'], ['c']],
    );
    assert.deepEqual(groupEntries([], 200), [[]]);
  });

  it('refusesADuplicatePath', async () => {
    await assert.rejects(orderedEntries([file('/a', 1), file('a', 2)]), { code: 'DUPLICATE_PATH' });
  });

  it('aWaitingSegmentPausesAtItsBufferLimit', async () => {
    const head = new PassThrough();
    let produced = 0;
    const second = new Readable({
      read() {
        produced += 64 * KiB;
        this.push(produced > 64 * MiB ? null : Buffer.alloc(64 * KiB, 1));
      },
    });
    const groups: NewcEntryInput[][] = [
      [{ path: 'head', type: 'file', size: 4, stream: () => head }],
      [{ path: 'second', type: 'file', size: 64 * MiB, stream: () => second }],
    ];
    const identity = async (): Promise<Transform> => new PassThrough();
    const chunks = compressedSegments(groups, identity, { concurrency: 2, bufferBytes: MiB });
    const first = chunks.next(); // starts both jobs; the head waits for `head`
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(produced > 0, 'the second segment started while the first was open');
    assert.ok(produced < 4 * MiB, `the waiting segment read ${produced} bytes`);
    head.end(Buffer.from('abcd'));
    let total = (await first).value?.length ?? 0;
    for await (const chunk of chunks) total += chunk.length;
    const expected =
      (await buffer(writeNewc([{ path: 'head', type: 'file', data: 'abcd' }]))).length +
      (
        await buffer(
          writeNewc([{ path: 'second', type: 'file', data: Buffer.alloc(64 * MiB) }], {
            sort: false,
          }),
        )
      ).length;
    assert.equal(total, expected);
  });
});

describe('segments for other codecs when asked', () => {
  for (const codec of ['zstd', 'xz'] as const) {
    it(`${codec}SegmentsVerifyAndRoundTrip`, async () => {
      const dir = await scratch(`segments-${codec}-`);
      try {
        const { specPath, files } = await fixtureTree(dir);
        const spec = parseOverlaySpec(await readFile(specPath, 'utf8'), { specPath });
        const bytes = await buffer(
          buildOverlay(spec, {
            baseDir: dir,
            compress: codec,
            level: 1,
            parallel: true,
            segmentBytes: 200 * KiB,
          }),
        );
        const report = await verifyInitrd(bytesSource(bytes));
        assert.deepEqual(report.faults, []);
        assert.ok(report.segments.length >= 2, `${report.segments.length} segments`);
        // Node 22's node:zlib zstd (the codecs backend there) sometimes ends a stream written in
        // several pieces with a second, empty frame (13 bytes: header, empty block, checksum),
        // with or without segments; it holds no bytes, so the kernel's unpacker stays at an
        // entry boundary. Every frame with content must be a whole archive with its trailer.
        const withContent = report.segments.filter((segment) => segment.uncompressedLength > 0);
        for (const empty of report.segments.filter((segment) => segment.uncompressedLength === 0))
          assert.equal(empty.length, EMPTY_ZSTD_FRAME_BYTES);
        assert.ok(withContent.length >= 2, `${withContent.length} segments with content`);
        assert.ok(withContent.every((segment) => segment.codec === codec && segment.trailer));
        for (const [path, data] of files) {
          const found = await readInitrdFile(bytesSource(bytes), path.slice(1));
          assert.ok(found !== undefined && Buffer.from(found).equals(data), path);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
