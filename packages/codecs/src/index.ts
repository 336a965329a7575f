/**
 * @hostmirror/codecs: gzip, xz (check CRC32) and zstd (checksum, window ≤ 8 MiB) as Node
 * Transform streams with fallbacks, and codec sniffing by magic. See README.md for the
 * backends and their measured speed.
 */
import { PassThrough, type Transform } from 'node:stream';
import {
  type CodecOptions,
  checkLevel,
  compressorFor,
  decompressorFor,
  resolveBackend,
} from './backends.ts';
import type { Codec } from './sniff.ts';

export {
  type CodecBackend,
  type CodecOptions,
  type ResolvedBackend,
  resolveBackend,
} from './backends.ts';
export { GZIP_BEST_LEVEL, gunzipBytes, gzipBytes } from './bytes.ts';
export { CommandTransform, commandAvailable } from './command-transform.ts';
export * from './constants.ts';
export { crc32, crc32Table } from './crc32.ts';
export { CodecError, type CodecErrorCode } from './errors.ts';
export {
  type GzipHeader,
  parseGzipHeader,
  parseXzStreamFooter,
  parseXzStreamHeader,
  parseZstdFrameHeader,
  type XzCheckName,
  type XzStreamFlags,
  type XzStreamFooter,
  xzCheckSize,
  type ZstdFrameHeader,
} from './headers.ts';
export {
  type DecodedStream,
  decodeOneStream,
  type PushbackReader,
  type StreamCodec,
  type XzStreamInfo,
  type ZstdFrameInfo,
} from './one-stream.ts';
export { CODECS, type Codec, sniffCodec, sniffOtherKernelCodec } from './sniff.ts';

/**
 * A compressing Transform for `codec` (`none` passes bytes through). Throws CodecError
 * CODEC_UNAVAILABLE, naming what to install, when no backend is present.
 */
export async function createCompressor(
  codec: Codec,
  options: CodecOptions = {},
): Promise<Transform> {
  if (codec === 'none') return new PassThrough();
  const level = checkLevel(codec, options.level);
  return compressorFor(codec, level, await resolveBackend(codec, options.backend));
}

/** A decompressing Transform for `codec` (`none` passes bytes through). */
export async function createDecompressor(
  codec: Codec,
  options: Pick<CodecOptions, 'backend'> = {},
): Promise<Transform> {
  if (codec === 'none') return new PassThrough();
  return decompressorFor(codec, await resolveBackend(codec, options.backend));
}
