import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { createDecompressor } from '@hostmirror/codecs';
import { encodeNewcHeader, type NewcHeaderFields } from '@hostmirror/cpio-stream';
import { coreosInstallerFixtures, filterThroughTool as tool } from '@hostmirror/fixtures';
// Test files stay out of the package build, so only they may reach into test/support.
import {
  appendArchive,
  buildOverlay,
  buildOverlayFile,
  extractInitrd,
  InitrdError,
  type InitrdFault,
  parseOverlaySpec,
  readInitrd,
  readInitrdFile,
  verifyInitrd,
} from './index.ts';
import {
  compress,
  fileWith,
  helloArchive,
  newc,
  peakRssGrowthMiB,
  scratch,
} from './initrd.test-support.ts';

async function unxzFixture(name: string): Promise<Buffer> {
  const data = await readFile(join(coreosInstallerFixtures, name));
  return buffer(Readable.from([data]).pipe(await createDecompressor('xz')));
}

function source(bytes: Uint8Array, chunk = 4093): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
  })();
}

function codes(faults: InitrdFault[]): string[] {
  return faults.map((fault) => fault.code);
}

function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');
}

function header(overrides: Partial<NewcHeaderFields>): Buffer {
  return Buffer.from(
    encodeNewcHeader({
      ino: 1,
      mode: 0o100644,
      uid: 0,
      gid: 0,
      nlink: 1,
      mtime: 0,
      filesize: 0,
      devMajor: 0,
      devMinor: 0,
      rdevMajor: 0,
      rdevMinor: 0,
      namesize: 2,
      check: 0,
      ...overrides,
    }),
  );
}

describe('coreos-installer initrd fixtures', () => {
  it('readsEverySegment (compressed.img)', async () => {
    const image = await unxzFixture('compressed.img.xz');
    const listing = await readInitrd(source(image));
    assert.deepEqual(
      listing.segments.map((segment) => [segment.offset, segment.codec, segment.entries.length]),
      [
        [0, 'none', 3],
        [1024, 'gzip', 3],
        [1182, 'xz', 3],
        [1366, 'zstd', 3],
        [1509, 'none', 3],
      ],
    );
    assert.equal(listing.size, image.length);
    for (const dir of ['uncompressed-1', 'gzip', 'xz', 'zstd', 'uncompressed-2']) {
      assert.equal(text(await readInitrdFile(source(image), `${dir}/hello`)), 'HELLO\n');
      assert.equal(text(await readInitrdFile(source(image), `/${dir}/world`)), 'WORLD\n');
    }
    // The kernel would refuse this file twice: xz with CRC64, and an unaligned uncompressed archive.
    const report = await verifyInitrd(source(image));
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.faults.map((fault) => [fault.code, fault.offset]),
      [
        ['XZ_CHECK_UNSUPPORTED', 1189],
        ['UNALIGNED_SEGMENT', 1509],
      ],
    );
  });

  it('lastCopyWins (redundant.img)', async () => {
    const image = await unxzFixture('redundant.img.xz');
    assert.equal(text(await readInitrdFile(source(image), 'data/file')), 'third\n');
    assert.equal((await verifyInitrd(source(image))).ok, true);
  });

  it('paddedNames (padded-names.img)', async () => {
    const image = await unxzFixture('padded-names.img.xz');
    assert.equal(text(await readInitrdFile(source(image), 'dir/hello')), 'z'.repeat(5000));
    assert.equal(text(await readInitrdFile(source(image), 'dir/world')), 'q'.repeat(4500));
  });

  it('traversalRefused', async () => {
    for (const name of ['traversal-absolute.img', 'traversal-relative.img']) {
      const path = join(coreosInstallerFixtures, name);
      assert.equal((await readInitrd(path)).segments[0]?.codec, 'xz');
      await assert.rejects(extractInitrd(path, await scratch()), (error: unknown) => {
        assert.equal((error as { code?: string }).code, 'PATH_TRAVERSAL');
        return true;
      });
    }
  });
});

describe('building overlays', () => {
  async function specDir(): Promise<string> {
    const dir = await scratch('overlay-');
    await writeFile(join(dir, 'tool.sh'), '#!/bin/sh\necho tool\n', { mode: 0o755 });
    await writeFile(
      join(dir, 'spec.yaml'),
      [
        'compress: gzip',
        'files:',
        '  - { path: /usr/local/bin/tool, source: ./tool.sh }',
        '  - { path: /etc/hostmirror/config.yml, contents: "version: 0.1\\n", mode: 0600 }',
        'directories: [{ path: /etc/hostmirror, mode: 0750 }]',
        'symlinks: [{ path: /usr/local/bin/t, target: tool }]',
      ].join('\n'),
    );
    return dir;
  }

  it('roundtripEveryCodecAndRealToolsRead', async () => {
    const dir = await specDir();
    for (const codec of ['gzip', 'xz', 'zstd', 'none'] as const) {
      const out = join(dir, `overlay-${codec}.img`);
      const result = await buildOverlayFile(join(dir, 'spec.yaml'), out, { compress: codec });
      assert.equal(result.report.ok, true);
      const listing = await readInitrd(out);
      assert.equal(listing.segments.length, 1);
      assert.equal(listing.segments[0]?.codec, codec);
      const entries = listing.segments[0]?.entries ?? [];
      assert.deepEqual(
        entries.map((entry) => [entry.path, entry.mode.toString(8)]),
        [
          ['etc', '755'],
          ['etc/hostmirror', '750'],
          ['etc/hostmirror/config.yml', '600'],
          ['usr', '755'],
          ['usr/local', '755'],
          ['usr/local/bin', '755'],
          ['usr/local/bin/t', '777'],
          ['usr/local/bin/tool', '755'],
        ],
      );
      assert.equal(
        text(await readInitrdFile(out, '/usr/local/bin/tool')),
        '#!/bin/sh\necho tool\n',
      );
      const listed = tool('bsdtar', ['-tf', out], new Uint8Array(0), 'libarchive-tools')
        .toString()
        .trim()
        .split('\n');
      assert.deepEqual(
        listed,
        entries.map((entry) => entry.path),
      );
    }
  });

  it('reproducible', async () => {
    const dir = await specDir();
    const spec = parseOverlaySpec(await readFile(join(dir, 'spec.yaml'), 'utf8'));
    const first = await buffer(buildOverlay(spec, { baseDir: dir, compress: 'xz' }));
    const second = await buffer(buildOverlay(spec, { baseDir: dir, compress: 'xz' }));
    assert.equal(
      createHash('sha256').update(first).digest('hex'),
      createHash('sha256').update(second).digest('hex'),
    );
  });

  it('reportsProgress', async () => {
    const dir = await specDir();
    const seen: { done: number; total: number }[] = [];
    await buildOverlayFile(join(dir, 'spec.yaml'), join(dir, 'progress.img'), {
      onProgress: (step) => seen.push(step),
    });
    const last = seen.at(-1);
    assert.ok(
      last !== undefined && last.total === 33 && last.done >= last.total,
      JSON.stringify(last),
    );
  });

  it('refusesMissingSourceAndExistingOutput', async () => {
    const dir = await specDir();
    await writeFile(join(dir, 'bad.yaml'), 'files: [{ path: /x, source: ./nope }]\n');
    await assert.rejects(
      buildOverlayFile(join(dir, 'bad.yaml'), join(dir, 'bad.img')),
      (error: unknown) => {
        assert.ok(error instanceof InitrdError);
        assert.equal(error.code, 'SOURCE_MISSING');
        return true;
      },
    );
    await assert.rejects(stat(join(dir, 'bad.img')));
    await writeFile(join(dir, 'exists.img'), 'keep');
    await assert.rejects(
      buildOverlayFile(join(dir, 'spec.yaml'), join(dir, 'exists.img')),
      (error: unknown) => {
        assert.equal((error as { code?: string }).code, 'OUTPUT_EXISTS');
        return true;
      },
    );
    assert.equal(await readFile(join(dir, 'exists.img'), 'utf8'), 'keep');
  });

  it('streamsA500MiBFileInFlatMemory', async (context) => {
    // Memory must not grow with the input: a 500 MiB file costs what a 50 MiB one costs. The
    // absolute growth of one run is mostly buffers that wait on the garbage collector (V8 starts
    // a collection when external memory passes its limit), which varies with the Node release
    // and the load; the difference between the two sizes is what a leak would show.
    const dir = await scratch('overlay-big-');
    const growthFor = async (mib: number): Promise<number> => {
      const size = mib * 1024 * 1024;
      const source = join(dir, `${mib}.bin`);
      await writeFile(source, '');
      await truncate(source, size);
      await writeFile(
        join(dir, `${mib}.yaml`),
        `compress: gzip\nfiles: [{ path: /big.bin, source: ./${mib}.bin }]\n`,
      );
      return peakRssGrowthMiB(async () => {
        const result = await buildOverlayFile(join(dir, `${mib}.yaml`), join(dir, `${mib}.img`), {
          level: 1,
        });
        assert.equal(result.report.segments[0]?.entries[0]?.size, size);
        assert.equal(result.report.segments[0]?.uncompressedLength, size + 244);
      });
    };
    let small: number;
    let big: number;
    try {
      small = await growthFor(50);
      big = await growthFor(500);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    context.diagnostic(
      `RSS grew by ${small.toFixed(1)} MiB (50 MiB), ${big.toFixed(1)} MiB (500 MiB)`,
    );
    assert.ok(
      big - small < 40 && big < 100,
      `RSS grew by ${big.toFixed(0)} MiB for a 500 MiB file and ${small.toFixed(0)} MiB for a 50 MiB one: memory follows the input size`,
    );
  });
});

describe('verifier and reader on bad input (never a crash or hang)', { timeout: 30_000 }, () => {
  async function verifyBytes(bytes: Uint8Array) {
    return verifyInitrd(source(bytes));
  }

  it('truncated', async () => {
    const archive = await helloArchive('x'.repeat(3000));
    for (const codec of ['gzip', 'xz', 'zstd', 'none'] as const) {
      const whole = await compress(codec, archive);
      const cut = whole.subarray(0, Math.floor(whole.length / 2));
      const report = await verifyBytes(cut);
      assert.equal(report.ok, false, codec);
      const fault = report.faults.at(-1) as InitrdFault;
      assert.equal(fault.code, 'TRUNCATED', `${codec}: ${fault.message}`);
      assert.ok(fault.fatal);
      assert.ok(fault.offset <= cut.length, `${codec} offset ${fault.offset}`);
      await assert.rejects(
        readInitrd(source(cut)),
        (error: unknown) => error instanceof InitrdError && error.code === 'TRUNCATED',
      );
    }
  });

  it('wrongMagic', async () => {
    const report = await verifyBytes(Buffer.from('this is not an initrd'));
    assert.equal(report.segments.length, 0);
    assert.deepEqual(
      report.faults.map((fault) => [fault.code, fault.offset]),
      [['UNKNOWN_MAGIC', 0]],
    );
    const after = await verifyBytes(
      Buffer.concat([await helloArchive(), Buffer.alloc(100), Buffer.from('BZh91AY&SY')]),
    );
    assert.deepEqual(
      after.faults.map((fault) => [fault.code, fault.offset]),
      [['UNSUPPORTED_CODEC', (await helloArchive()).length + 100]],
    );
    assert.deepEqual(codes((await verifyBytes(new Uint8Array(64))).faults), ['EMPTY']);
    assert.deepEqual(codes((await verifyBytes(new Uint8Array(0))).faults), ['EMPTY']);
  });

  it('crc64Xz', async () => {
    const crc64 = tool('xz', ['-c', '-0'], await helloArchive(), 'xz-utils');
    const report = await verifyBytes(crc64);
    assert.deepEqual(
      report.faults.map((fault) => [fault.code, fault.offset, fault.fatal]),
      [['XZ_CHECK_UNSUPPORTED', 7, false]],
    );
    assert.equal(report.segments[0]?.xzCheck, 'crc64');
    assert.equal(report.segments[0]?.entries.length, 4);
  });

  it('unalignedSegmentAndBrokenPadding', async () => {
    const gzip = await compress('gzip', await helloArchive());
    // A zero is skipped like padding, so `lead` always ends at an offset that is not 4-aligned.
    const lead = gzip.length % 4 === 0 ? Buffer.concat([gzip, Buffer.alloc(1)]) : gzip;
    const archive = await helloArchive();
    const unaligned = await verifyBytes(Buffer.concat([lead, archive]));
    assert.deepEqual(
      unaligned.faults.map((fault) => [fault.code, fault.offset, fault.fatal]),
      [['UNALIGNED_SEGMENT', lead.length, false]],
    );
    assert.equal(unaligned.segments.length, 2, 'read anyway, as coreos-installer does');
    const padded = await verifyBytes(
      Buffer.concat([lead, Buffer.alloc(4 - (lead.length % 4)), archive]),
    );
    assert.equal(padded.ok, true);
    const zstd = await compress('zstd', archive);
    const broken = await verifyBytes(Buffer.concat([archive, Buffer.alloc(1), zstd]));
    assert.deepEqual(
      broken.faults.map((fault) => [fault.code, fault.offset]),
      [['BROKEN_PADDING', archive.length + 1]],
    );
    assert.equal(broken.segments.length, 2);
  });

  it('nameWithoutNulInsideACompressedSegment', async () => {
    const bad = Buffer.concat([header({ namesize: 4 }), Buffer.from('abcd'), Buffer.alloc(8)]);
    const gzip = await compress('gzip', bad);
    const padding = Buffer.alloc((4 - (gzip.length % 4)) % 4);
    const report = await verifyBytes(Buffer.concat([gzip, padding, await helloArchive()]));
    assert.deepEqual(
      report.faults.map((fault) => [fault.code, fault.offset, fault.decompressedOffset]),
      [['NAME_NOT_TERMINATED', 0, 110]],
    );
    assert.equal(report.segments.length, 2, 'the next segment is still read');
    assert.equal(report.segments[1]?.entries.length, 4);
  });

  it('oversizedField', async () => {
    const report = await verifyBytes(
      Buffer.concat([header({ namesize: 5000 }), Buffer.alloc(5000)]),
    );
    assert.deepEqual(
      report.faults.map((fault) => [fault.code, fault.offset, fault.fatal]),
      [['FIELD_TOO_LARGE', 0, true]],
    );
    const hex = Buffer.concat([await helloArchive()]);
    hex.write('zz', 20, 'latin1');
    assert.deepEqual(codes((await verifyBytes(hex)).faults), ['BAD_HEX']);
    await assert.rejects(readInitrd(source(hex)), (error: unknown) => {
      assert.ok(error instanceof InitrdError);
      assert.deepEqual([error.code, error.newcCode, error.offset], ['NEWC', 'BAD_HEX', 14]);
      return true;
    });
  });

  it('gzipHeaderFlags', async () => {
    const plain = await compress('gzip', await helloArchive());
    const withComment = Buffer.concat([
      plain.subarray(0, 3),
      Buffer.from([0x10]),
      plain.subarray(4, 10),
      Buffer.from('comment\0'),
      plain.subarray(10),
    ]);
    const report = await verifyBytes(withComment);
    assert.deepEqual(
      report.faults.map((fault) => [fault.code, fault.offset]),
      [['GZIP_HEADER_FLAGS', 3]],
    );
    assert.equal(report.segments[0]?.entries.length, 4);
    const dir = await scratch();
    const named = tool(
      'gzip',
      ['-c', await fileWith(dir, 'archive.cpio', await helloArchive())],
      new Uint8Array(0),
      'gzip',
    );
    assert.equal(named[3], 0x08, 'gzip wrote FNAME');
    assert.equal((await verifyBytes(named)).ok, true, 'the kernel skips FNAME');
    const corrupt = Buffer.from(plain);
    corrupt.writeUInt32LE((corrupt.readUInt32LE(corrupt.length - 8) ^ 1) >>> 0, corrupt.length - 8);
    assert.deepEqual(codes((await verifyBytes(corrupt)).faults), ['GZIP_CRC_MISMATCH']);
  });

  it('zstdWindowTooLarge', async () => {
    const big = tool('zstd', ['-q', '-c', '--zstd=wlog=24'], await helloArchive(), 'zstd');
    const report = await verifyBytes(big);
    assert.deepEqual(codes(report.faults), ['ZSTD_WINDOW_TOO_LARGE']);
    assert.equal(report.segments[0]?.zstdWindowSize, 16 * 1024 * 1024);
  });

  it('junkAndMissingTrailerInsideCompressedStreams', async () => {
    const junk = await compress('xz', Buffer.concat([await helloArchive(), Buffer.from('junk')]));
    const junkReport = await verifyBytes(junk);
    assert.deepEqual(
      junkReport.faults.map((fault) => [fault.code, fault.offset, fault.decompressedOffset]),
      [['JUNK_IN_COMPRESSED_ARCHIVE', 0, (await helloArchive()).length]],
    );
    const whole = await helloArchive('z'.repeat(100));
    const midEntry = await compress('gzip', whole.subarray(0, 150));
    const midReport = await verifyBytes(
      Buffer.concat([midEntry, Buffer.alloc(4 - (midEntry.length % 4)), whole]),
    );
    assert.deepEqual(
      midReport.faults.map((fault) => [
        fault.code,
        fault.offset,
        fault.decompressedOffset,
        fault.fatal,
      ]),
      [['TRUNCATED', 0, 116, false]],
      'a stream that ends inside an entry; the next segment is still read',
    );
    assert.equal(midReport.segments.length, 2);
    const noTrailer = await compress(
      'zstd',
      await newc([{ path: 'a', type: 'file', data: 'a' }], { trailer: false }),
    );
    assert.deepEqual(codes((await verifyBytes(noTrailer)).faults), ['MISSING_TRAILER']);
    const twoArchivesOneStream = await compress(
      'gzip',
      Buffer.concat([await helloArchive('1'), await helloArchive('2')]),
    );
    const two = await verifyBytes(twoArchivesOneStream);
    assert.equal(two.ok, true);
    assert.equal(two.segments[0]?.archives, 2);
    assert.equal(text(await readInitrdFile(source(twoArchivesOneStream), 'etc/hello')), '2');
  });

  it('concatenatedStreamsAndZerosAreSeparateSegments', async () => {
    const parts = [
      await compress('gzip', await helloArchive('1')),
      await compress('gzip', await helloArchive('2')),
      Buffer.alloc(3),
      await compress('xz', await helloArchive('3')),
      await compress('zstd', await helloArchive('4')),
      Buffer.alloc(1001),
      await compress('gzip', await helloArchive('5')),
    ];
    const image = Buffer.concat(parts);
    for (const chunk of [1, 5, 4093, 1 << 20]) {
      const listing = await readInitrd(source(image, chunk));
      assert.deepEqual(
        listing.segments.map((segment) => segment.codec),
        ['gzip', 'gzip', 'xz', 'zstd', 'gzip'],
      );
      assert.equal(listing.size, image.length);
    }
    assert.equal(text(await readInitrdFile(source(image), 'etc/hello')), '5');
  });

  it('randomCorruptionNeverThrowsOrHangs', async () => {
    const archive = await helloArchive('y'.repeat(2000));
    for (const codec of ['gzip', 'xz', 'zstd', 'none'] as const) {
      const good = await compress(codec, archive);
      for (let round = 0; round < 25; round++) {
        const bad = Buffer.from(good);
        const flips = 1 + (round % 4);
        for (let flip = 0; flip < flips; flip++) {
          const at = randomBytes(4).readUInt32LE() % bad.length;
          bad[at] = (bad[at] as number) ^ (1 + ((randomBytes(1)[0] as number) % 255));
        }
        const report = await verifyBytes(Buffer.concat([bad, randomBytes(round)]));
        assert.equal(typeof report.ok, 'boolean');
      }
    }
  });
});

describe('segments written by real tools', () => {
  it('streamsFromRealToolsWithEveryStructure', async () => {
    // xz: several blocks with sizes in their headers (-T2), a BCJ filter, stream padding;
    // zstd: content size known (file) and unknown (pipe), raw blocks for random data; pigz.
    const payload = Buffer.concat([randomBytes(150_000), Buffer.alloc(250_000, 'initrd ')]);
    const archive = await newc([{ path: 'bin/payload', type: 'file', data: payload }]);
    const dir = await scratch('tools-');
    const file = await fileWith(dir, 'archive.cpio', archive);
    const none = new Uint8Array(0);
    const variants: [string, Buffer][] = [
      [
        'xz -T2 blocks',
        tool('xz', ['--check=crc32', '-T2', '--block-size=65536', '-c', file], none, 'xz-utils'),
      ],
      [
        'xz --x86',
        tool('xz', ['--check=crc32', '--x86', '--lzma2=preset=1', '-c', file], none, 'xz-utils'),
      ],
      [
        'xz none + padding',
        Buffer.concat([
          tool('xz', ['--check=none', '-0', '-c', file], none, 'xz-utils'),
          Buffer.alloc(8),
        ]),
      ],
      ['zstd file', tool('zstd', ['-q', '-c', file], none, 'zstd')],
      ['zstd pipe', tool('zstd', ['-q', '-c'], archive, 'zstd')],
      ['pigz', tool('pigz', ['-c', file], none, 'pigz')],
    ];
    for (const [name, bytes] of variants) {
      const report = await verifyInitrd(source(bytes));
      assert.deepEqual(report.faults, [], name);
      assert.equal(report.segments.length, 1, name);
      assert.equal(report.size, bytes.length, name);
      const read = await readInitrdFile(source(bytes, 65_537), 'bin/payload');
      assert.ok(read !== undefined && Buffer.from(read).equals(payload), name);
    }
    const all = Buffer.concat(variants.map(([, bytes]) => bytes));
    assert.deepEqual(
      (await readInitrd(source(all))).segments.map((segment) => segment.codec),
      ['xz', 'xz', 'xz', 'zstd', 'zstd', 'gzip'],
    );
  });
});

describe('appending to an initrd', () => {
  it('keepsTheBaseBytesPadsTo4AndVerifies', async () => {
    const dir = await scratch('append-');
    const base = await compress('gzip', await helloArchive('base'));
    const baseFile = await fileWith(dir, 'base.img', base);
    for (const codec of ['none', 'zstd'] as const) {
      const overlay = await fileWith(
        dir,
        `overlay-${codec}.img`,
        await compress(codec, await helloArchive(codec)),
      );
      const out = join(dir, `out-${codec}.img`);
      const result = await appendArchive(baseFile, overlay, out);
      const bytes = await readFile(out);
      assert.equal(result.archiveOffset % 4, 0);
      assert.equal(result.padding, (4 - (base.length % 4)) % 4);
      assert.ok(bytes.subarray(0, base.length).equals(base), 'original bytes unchanged');
      assert.ok(bytes.subarray(base.length, result.archiveOffset).every((byte) => byte === 0));
      assert.ok(bytes.subarray(result.archiveOffset).equals(await readFile(overlay)));
      assert.equal(result.report.ok, true);
      assert.equal(text(await readInitrdFile(out, 'etc/hello')), codec, 'the appended copy wins');
    }
  });

  it('refusesWhatTheKernelWouldNotUnpack', async () => {
    const dir = await scratch('append-bad-');
    const crc64Base = await fileWith(
      dir,
      'base.img',
      tool('xz', ['-c', '-0'], await helloArchive(), 'xz-utils'),
    );
    const overlay = await fileWith(dir, 'overlay.img', await helloArchive());
    await assert.rejects(
      appendArchive(crc64Base, overlay, join(dir, 'out.img')),
      (error: unknown) => {
        assert.ok(error instanceof InitrdError);
        assert.equal(error.code, 'VERIFY_FAILED');
        assert.equal(error.offset, 7);
        return true;
      },
    );
    await assert.rejects(stat(join(dir, 'out.img')), 'no output left behind');
    const goodBase = await fileWith(dir, 'good.img', await helloArchive());
    const empty = await fileWith(dir, 'empty.img', '');
    await assert.rejects(
      appendArchive(goodBase, empty, join(dir, 'out.img')),
      (error: unknown) => error instanceof InitrdError && error.code === 'VERIFY_FAILED',
    );
    await writeFile(join(dir, 'exists.img'), 'x');
    await assert.rejects(
      appendArchive(goodBase, overlay, join(dir, 'exists.img')),
      (error: unknown) => (error as { code?: string }).code === 'OUTPUT_EXISTS',
    );
    await appendArchive(goodBase, overlay, join(dir, 'exists.img'), { overwrite: true });
  });
});
