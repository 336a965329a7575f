/**
 * Compressor and decompressor backends, chosen per codec (docs/deps.md#gzip, docs/deps.md#xz, docs/deps.md#zstd):
 * - gzip: node:zlib (writes header flags 0, which the kernel needs).
 * - xz: node-liblzma (optional dependency, prebuilt liblzma) with check CRC32, else `xz --check=crc32 -T1`.
 * - zstd: node:zlib when the Node version has zstd (22.15+), else zstd-napi (optional), else
 *   the `zstd` command; always with a checksum and a window of at most 8 MiB.
 */
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { CommandTransform, commandAvailable } from './command-transform.ts';
import { ZSTD_KERNEL_MAX_WINDOW_LOG } from './constants.ts';
import { CodecError } from './errors.ts';
import type { Codec } from './sniff.ts';

/** Which implementation runs a codec. `auto` takes the first available in the order above. */
export type CodecBackend = 'auto' | 'node' | 'binding' | 'command';

export interface CodecOptions {
  /** Compression level: gzip 1–9 (default 6), xz 0–9 (default 6), zstd 1–22 (default 3). */
  level?: number;
  /** Force a backend (tests, benchmarks); default `auto`. */
  backend?: CodecBackend;
}

export type ResolvedBackend =
  | 'node:zlib'
  | 'node-liblzma'
  | 'zstd-napi'
  | 'xz command'
  | 'zstd command'
  | 'passthrough';

const LEVELS: Record<Exclude<Codec, 'none'>, { min: number; max: number; fallback: number }> = {
  gzip: { min: 1, max: 9, fallback: 6 },
  xz: { min: 0, max: 9, fallback: 6 },
  zstd: { min: 1, max: 22, fallback: 3 },
};
/** zstd's own defaults stay at or below windowLog 23 up to level 19; above that we cap it. */
const ZSTD_LEVEL_NEEDING_WINDOW_CAP = 20;

/**
 * Output buffer of node:zlib's gzip compressor and decompressors (node's default is 16 KiB). The
 * bytes do not depend on it (deflate's output is the same however the output space is handed
 * out); the JavaScript per chunk does: an overlay of 152.8 MiB of binaries (gzip -6, verified
 * while written) took 4.41–4.58 s of CPU with 128 KiB against 4.95–5.38 s with 16 KiB, the
 * same sha256 (three interleaved runs each, load average 12–16, 2026-12-06); 64 KiB gave
 * 4.64–4.88 s and 256 KiB 4.49–4.79 s. Gunzip of that overlay (160 MB out): 0.48–0.58 s of CPU
 * against 0.72–1.06 s.
 */
export const ZLIB_CHUNK_BYTES = 128 * 1024;

export function checkLevel(codec: Exclude<Codec, 'none'>, level: number | undefined): number {
  const range = LEVELS[codec];
  const value = level ?? range.fallback;
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new CodecError(
      'BAD_OPTION',
      `${codec} level ${String(level)} is out of range; use ${range.min}–${range.max}.`,
      { codec },
    );
  }
  return value;
}

type LiblzmaModule = typeof import('node-liblzma');
type ZstdNapiModule = typeof import('zstd-napi');

let liblzmaPromise: Promise<LiblzmaModule | undefined> | undefined;
let zstdNapiPromise: Promise<ZstdNapiModule | undefined> | undefined;

function loadLiblzma(): Promise<LiblzmaModule | undefined> {
  liblzmaPromise ??= import('node-liblzma').catch(() => undefined);
  return liblzmaPromise;
}

function loadZstdNapi(): Promise<ZstdNapiModule | undefined> {
  zstdNapiPromise ??= import('zstd-napi')
    .then((module) => (module as unknown as { default?: ZstdNapiModule }).default ?? module)
    .catch(() => undefined);
  return zstdNapiPromise;
}

interface NodeZstd {
  createZstdCompress(options: { params: Record<number, number> }): Transform;
  createZstdDecompress(): Transform;
  constants: Record<string, number>;
}

/** node:zlib's zstd (Node ≥ 22.15 / 23.8), or undefined on older Node versions. */
function nodeZstd(): NodeZstd | undefined {
  const candidate = zlib as unknown as Partial<NodeZstd>;
  if (
    typeof candidate.createZstdCompress !== 'function' ||
    typeof candidate.createZstdDecompress !== 'function'
  )
    return undefined;
  return candidate as NodeZstd;
}

function unavailable(codec: Codec, backend: CodecBackend, what: string): CodecError {
  return new CodecError(
    'CODEC_UNAVAILABLE',
    `No ${codec} backend${backend === 'auto' ? '' : ` of kind ${backend}`} is available: ${what}.`,
    { codec },
  );
}

/**
 * What to install when a codec has no backend. The native bindings are not dependencies of the
 * published package (zstd-napi compiles from source, node-liblzma's install script compiles
 * although it ships prebuilt binaries), so `npm install` needs no compiler; a user may add one.
 */
const XZ_INSTALL =
  'install the xz command (Debian/Ubuntu: apt-get install xz-utils; Fedora/RHEL: dnf install xz) or the npm package node-liblzma beside hostmirror (npm install node-liblzma)';
const ZSTD_INSTALL =
  'run on Node ≥ 22.15 (its node:zlib has zstd), install the zstd command (Debian/Ubuntu: apt-get install zstd; Fedora/RHEL: dnf install zstd), or the npm package zstd-napi beside hostmirror (npm install zstd-napi; it compiles)';

function wants(backend: CodecBackend, kind: Exclude<CodecBackend, 'auto'>): boolean {
  return backend === 'auto' || backend === kind;
}

/** Which backend `auto` (or the forced one) resolves to for a codec; throws CODEC_UNAVAILABLE. */
export async function resolveBackend(
  codec: Codec,
  backend: CodecBackend = 'auto',
): Promise<ResolvedBackend> {
  if (codec === 'none') return 'passthrough';
  if (codec === 'gzip') {
    if (wants(backend, 'node')) return 'node:zlib';
    throw unavailable(codec, backend, 'gzip runs on node:zlib only; use backend node or auto');
  }
  if (codec === 'xz') {
    if (wants(backend, 'binding') && (await loadLiblzma()) !== undefined) return 'node-liblzma';
    if (wants(backend, 'command') && commandAvailable('xz')) return 'xz command';
    throw unavailable(codec, backend, XZ_INSTALL);
  }
  if (wants(backend, 'node') && nodeZstd() !== undefined) return 'node:zlib';
  if (wants(backend, 'binding') && (await loadZstdNapi()) !== undefined) return 'zstd-napi';
  if (wants(backend, 'command') && commandAvailable('zstd')) return 'zstd command';
  throw unavailable(codec, backend, ZSTD_INSTALL);
}

export async function compressorFor(
  codec: Exclude<Codec, 'none'>,
  level: number,
  backend: ResolvedBackend,
): Promise<Transform> {
  switch (backend) {
    case 'node:zlib':
      if (codec === 'gzip') return zlib.createGzip({ level, chunkSize: ZLIB_CHUNK_BYTES });
      return nodeZstdCompressor(level);
    case 'node-liblzma': {
      const lzma = (await loadLiblzma()) as LiblzmaModule;
      // kernel requires CRC32 (Documentation/staging/xz.rst); one thread keeps output reproducible.
      return lzma.createXz({
        check: lzma.check.CRC32,
        preset: level,
        threads: 1,
      }) as unknown as Transform;
    }
    case 'xz command':
      return new CommandTransform('xz', 'xz', ['--check=crc32', '-T1', `-${level}`, '-c', '-q']);
    case 'zstd-napi': {
      const zstd = (await loadZstdNapi()) as ZstdNapiModule;
      return new zstd.CompressStream({
        compressionLevel: level,
        checksumFlag: true,
        ...(level >= ZSTD_LEVEL_NEEDING_WINDOW_CAP
          ? { windowLog: ZSTD_KERNEL_MAX_WINDOW_LOG }
          : {}),
      });
    }
    case 'zstd command':
      return new CommandTransform('zstd', 'zstd', [
        ...(level >= ZSTD_LEVEL_NEEDING_WINDOW_CAP
          ? ['--ultra', `--zstd=wlog=${ZSTD_KERNEL_MAX_WINDOW_LOG}`]
          : []),
        `-${level}`,
        '--check',
        '-T1',
        '-q',
        '-c',
      ]);
    default:
      throw new CodecError('CODEC_UNAVAILABLE', `Backend ${backend} cannot compress ${codec}.`, {
        codec,
      });
  }
}

function nodeZstdCompressor(level: number): Transform {
  const zstd = nodeZstd() as NodeZstd;
  const { ZSTD_c_compressionLevel, ZSTD_c_checksumFlag, ZSTD_c_windowLog } = zstd.constants;
  const params: Record<number, number> = {
    [ZSTD_c_compressionLevel as number]: level,
    [ZSTD_c_checksumFlag as number]: 1,
  };
  if (level >= ZSTD_LEVEL_NEEDING_WINDOW_CAP)
    params[ZSTD_c_windowLog as number] = ZSTD_KERNEL_MAX_WINDOW_LOG;
  return new OneWriteAtATime(zstd.createZstdCompress({ params }));
}

/**
 * Feeds an inner compressor one chunk at a time and ends it only when it has taken every
 * write. Node's zstd compressor appends an empty 13-byte frame when `end()` arrives while
 * writes are still queued (nodejs/node#66078), so the same input could give two different
 * outputs depending on timing; with nothing queued at `end()` the bytes are always the same.
 */
class OneWriteAtATime extends Transform {
  readonly #inner: Transform;

  constructor(inner: Transform) {
    super();
    this.#inner = inner;
    inner.on('data', (chunk: Buffer) => this.push(chunk));
    inner.on('error', (error: Error) => this.destroy(error));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // The inner write callback runs once the compressor has consumed the chunk.
    this.#inner.write(chunk, (error) => callback(error ?? undefined));
  }

  override _flush(callback: TransformCallback): void {
    this.#inner.once('end', () => callback());
    this.#inner.end();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#inner.destroy();
    callback(error);
  }
}

export async function decompressorFor(
  codec: Exclude<Codec, 'none'>,
  backend: ResolvedBackend,
): Promise<Transform> {
  switch (backend) {
    case 'node:zlib':
      return codec === 'gzip'
        ? zlib.createGunzip({ chunkSize: ZLIB_CHUNK_BYTES })
        : (nodeZstd() as NodeZstd).createZstdDecompress();
    case 'node-liblzma':
      return ((await loadLiblzma()) as LiblzmaModule).createUnxz() as unknown as Transform;
    case 'xz command':
      return new CommandTransform('xz', 'xz', ['-d', '-c', '-q']);
    case 'zstd-napi':
      return new ((await loadZstdNapi()) as ZstdNapiModule).DecompressStream();
    case 'zstd command':
      return new CommandTransform('zstd', 'zstd', ['-d', '-c', '-q']);
    default:
      throw new CodecError('CODEC_UNAVAILABLE', `Backend ${backend} cannot decompress ${codec}.`, {
        codec,
      });
  }
}
