/**
 * gzip for bytes held in memory (Ignition data URLs, small configs): the same deflate as the
 * streams, without a timestamp (node:zlib writes mtime 0), and a gunzip that refuses to grow past
 * a limit, so a small input cannot expand into gigabytes (a "gzip bomb").
 */
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { CodecError } from './errors.ts';

/** gzip's best compression level (9). */
export const GZIP_BEST_LEVEL = constants.Z_BEST_COMPRESSION;

/** One gzip member of `bytes` at `level` (default 9); the same bytes give the same output. */
export function gzipBytes(bytes: Uint8Array, level: number = GZIP_BEST_LEVEL): Buffer {
  return gzipSync(bytes, { level });
}

/**
 * The decompressed bytes of a gzip stream held in memory. Throws `CodecError` `TOO_LARGE` past
 * `maxBytes` of output, `TRUNCATED` when the stream is cut short, `CORRUPT` when its data is not
 * gzip's.
 */
export function gunzipBytes(
  bytes: Uint8Array,
  options: { maxBytes: number; what?: string },
): Buffer {
  const what = options.what ?? 'The gzip data';
  try {
    return gunzipSync(bytes, { maxOutputLength: options.maxBytes });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE')
      throw new CodecError(
        'TOO_LARGE',
        `${what} decompresses to more than ${options.maxBytes} bytes (from ${bytes.length}).`,
        { codec: 'gzip', cause: error },
      );
    if (code === 'Z_BUF_ERROR')
      throw new CodecError('TRUNCATED', `${what} ends inside its gzip stream.`, {
        codec: 'gzip',
        cause: error,
      });
    throw new CodecError(
      'CORRUPT',
      `${what} is not gzip data that decompresses (${(error as Error).message}).`,
      { codec: 'gzip', cause: error },
    );
  }
}
