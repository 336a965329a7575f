import { CPIO_MAGIC_PREFIX, GZIP_MAGIC, XZ_MAGIC, ZSTD_MAGIC } from './constants.ts';

/** The codecs hostmirror writes and reads. `none` is an uncompressed newc archive. */
export type Codec = 'gzip' | 'xz' | 'zstd' | 'none';

export const CODECS: readonly Codec[] = ['gzip', 'xz', 'zstd', 'none'];

function startsWith(head: Uint8Array, magic: Uint8Array): boolean {
  if (head.length < magic.length) return false;
  return magic.every((byte, index) => head[index] === byte);
}

/**
 * The codec of a segment from its first bytes (give at least 6). cpio magic → `none`;
 * anything else (bzip2, lzma, lz4, lzo, which the kernel may know but we do not) → `unknown`.
 */
export function sniffCodec(head: Uint8Array): Codec | 'unknown' {
  if (startsWith(head, GZIP_MAGIC)) return 'gzip';
  if (startsWith(head, XZ_MAGIC)) return 'xz';
  if (startsWith(head, ZSTD_MAGIC)) return 'zstd';
  if (startsWith(head, CPIO_MAGIC_PREFIX)) return 'none';
  return 'unknown';
}
