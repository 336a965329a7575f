import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import * as zlib from 'node:zlib';
import { filterThroughTool } from '@hostmirror/fixtures';
import {
  type Codec,
  type CodecBackend,
  CodecError,
  crc32,
  crc32Table,
  createCompressor,
  createDecompressor,
  parseGzipHeader,
  parseXzStreamHeader,
  parseZstdFrameHeader,
  resolveBackend,
  sniffCodec,
  sniffOtherKernelCodec,
  ZSTD_KERNEL_MAX_WINDOW,
} from './index.ts';

// Half random, half repetitive: exercises both literal and match paths.
const input = Buffer.concat([randomBytes(200_000), Buffer.alloc(300_000, 'hostmirror ')]);

async function run(transform: NodeJS.ReadWriteStream, data: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
    transform,
    async (source) => {
      for await (const chunk of source) out.push(chunk as Buffer);
    },
  );
  return Buffer.concat(out);
}

const matrix: [Exclude<Codec, 'none'>, CodecBackend][] = [
  ['gzip', 'node'],
  ['xz', 'binding'],
  ['xz', 'command'],
  ['zstd', 'binding'],
  ['zstd', 'command'],
];

const tool = (command: string, args: string[], data: Buffer, debianPackage: string) =>
  filterThroughTool(command, args, data, debianPackage).toString();

describe('codecs', () => {
  for (const [codec, backend] of matrix) {
    it(`roundtrip ${codec} via ${backend}`, async () => {
      const compressed = await run(
        await createCompressor(codec, { backend, level: codec === 'zstd' ? 3 : 1 }),
        input,
      );
      assert.equal(sniffCodec(compressed), codec);
      assert.ok(compressed.length < input.length);
      const restored = await run(await createDecompressor(codec, { backend }), compressed);
      assert.ok(restored.equals(input));
    });
  }

  it('kernelHeaders: gzip flags 0, xz CRC32, zstd checksum and window ≤ 8 MiB', async () => {
    const gzip = await run(await createCompressor('gzip'), input);
    assert.equal(parseGzipHeader(gzip)?.flags, 0);
    for (const backend of ['binding', 'command'] as const) {
      const xz = await run(await createCompressor('xz', { backend, level: 0 }), input);
      assert.equal(parseXzStreamHeader(xz)?.checkName, 'crc32');
      const file = join(await mkdtemp(join(tmpdir(), 'codecs-')), 'x.xz');
      await writeFile(file, xz);
      assert.match(tool('xz', ['--robot', '-lvv', file], Buffer.alloc(0), 'xz-utils'), /\tCRC32\t/);
      const zstd = await run(
        await createCompressor('zstd', {
          backend: backend === 'binding' ? 'binding' : 'command',
          level: 22,
        }),
        input,
      );
      const frame = parseZstdFrameHeader(zstd);
      assert.ok(frame?.hasChecksum);
      assert.ok(
        (frame?.windowSize ?? Infinity) <= ZSTD_KERNEL_MAX_WINDOW,
        `window ${frame?.windowSize}`,
      );
      tool('zstd', ['-t', '-q'], zstd, 'zstd');
    }
  });

  it('zstdOnNodeZlibWhereNodeHasIt', async () => {
    const nodeHasZstd =
      typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function';
    if (!nodeHasZstd) {
      await assert.rejects(
        createCompressor('zstd', { backend: 'node' }),
        (error: unknown) => error instanceof CodecError && error.code === 'CODEC_UNAVAILABLE',
      );
      return;
    }
    assert.equal(await resolveBackend('zstd'), 'node:zlib');
    const compressed = await run(
      await createCompressor('zstd', { backend: 'node', level: 22 }),
      input,
    );
    const frame = parseZstdFrameHeader(compressed);
    assert.ok(frame?.hasChecksum);
    assert.ok((frame?.windowSize ?? Infinity) <= ZSTD_KERNEL_MAX_WINDOW);
    assert.ok(
      (await run(await createDecompressor('zstd', { backend: 'node' }), compressed)).equals(input),
    );
  });

  it('zstdSameBytesWhenEndArrivesWithWritesQueued (nodejs/node#66078)', async () => {
    const nodeHasZstd =
      typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function';
    if (!nodeHasZstd) return; // Node 20 has no node:zlib zstd; CI runs these tests on Node 22 too.
    const pieces = Array.from({ length: 64 }, (_, i) => input.subarray(i * 7000, i * 7000 + 7000));
    const outputs = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const compressor = await createCompressor('zstd', { backend: 'node' });
      const collected = buffer(compressor as unknown as Readable);
      // Every write is queued when end() arrives: the case that appended an empty frame.
      for (const piece of pieces) compressor.write(piece);
      compressor.end();
      const bytes = await collected;
      outputs.add(bytes.toString('hex'));
      // One frame only: the frame's content decodes to the input and nothing follows it.
      const decoded = await run(await createDecompressor('zstd', { backend: 'node' }), bytes);
      assert.ok(decoded.equals(Buffer.concat(pieces)));
      const file = join(await mkdtemp(join(tmpdir(), 'zstd-frames-')), 'out.zst');
      await writeFile(file, bytes);
      const listed = spawnSync('zstd', ['-lv', file], { encoding: 'utf8' });
      assert.equal(listed.status, 0, `zstd -lv (Debian package zstd): ${listed.stderr}`);
      assert.match(listed.stdout, /# Zstandard Frames: 1\b/);
    }
    assert.equal(outputs.size, 1, 'the same input gave different bytes');
  });

  it('sniffCodec', () => {
    assert.equal(sniffCodec(Buffer.from('070701000')), 'none');
    assert.equal(sniffCodec(Buffer.from('BZh91AY')), 'unknown');
    assert.equal(sniffCodec(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0])), 'zstd');
    assert.equal(sniffCodec(new Uint8Array(0)), 'unknown');
    // Kernel codecs we do not read are named, so the refusal can say which.
    assert.equal(sniffOtherKernelCodec(Buffer.from('BZh91AY')), 'bzip2');
    assert.equal(sniffOtherKernelCodec(Buffer.from([0x02, 0x21, 0x4c, 0x18])), 'lz4');
    assert.equal(sniffOtherKernelCodec(Buffer.from('070701000')), undefined);
  });

  it('crc32MatchesKnownValue', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
    assert.equal(crc32Table(Buffer.from('123456789')), 0xcbf43926);
  });

  it('crc32RunsOnAndAgreesWithTheTable', () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, index) => (index * 31) & 0xff));
    const whole = crc32Table(bytes);
    assert.equal(crc32(bytes), whole);
    // A running CRC over pieces is the CRC of the whole, in both versions.
    const cut = 12_345;
    assert.equal(crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut))), whole);
    assert.equal(crc32Table(bytes.subarray(cut), crc32Table(bytes.subarray(0, cut))), whole);
  });

  it('missingBackendNamesWhatToInstall', async () => {
    await assert.rejects(resolveBackend('xz', 'node'), (error: unknown) => {
      assert.ok(error instanceof CodecError);
      assert.equal(error.code, 'CODEC_UNAVAILABLE');
      assert.match(error.message, /apt-get install xz-utils/);
      assert.match(error.message, /npm install node-liblzma/);
      assert.doesNotMatch(error.message, /pnpm/);
      return true;
    });
    // The published package pulls no native binding (no compiler at npm install): a user may add one.
    const manifest = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { dependencies?: Record<string, string>; optionalDependencies?: unknown };
    assert.equal(manifest.optionalDependencies, undefined);
    // Type declarations only (no install script): the .d.ts name Node's types.
    for (const name of Object.keys(manifest.dependencies ?? {}))
      assert.match(name, /^(@hostmirror\/|@types\/node$)/);
    await assert.rejects(
      createCompressor('gzip', { level: 42 }),
      (error: unknown) => error instanceof CodecError && error.code === 'BAD_OPTION',
    );
  });

  it('corruptInputFailsWithTypedErrorFromCommand', async () => {
    const xz = await run(await createCompressor('xz', { level: 0 }), input);
    xz[xz.length >> 1] = (xz[xz.length >> 1] as number) ^ 0xff;
    await assert.rejects(
      run(await createDecompressor('xz', { backend: 'command' }), xz),
      (error: unknown) => {
        assert.ok(error instanceof CodecError);
        assert.equal(error.code, 'CODEC_FAILED');
        return true;
      },
    );
    await assert.rejects(buffer(Readable.from([xz]).pipe(await createDecompressor('xz'))));
  });
});
