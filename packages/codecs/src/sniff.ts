import { CPIO_MAGIC_PREFIX, GZIP_MAGIC, XZ_MAGIC, ZSTD_MAGIC } from './constants.ts';

/** The codecs hostmirror writes and reads. `none` is an uncompressed newc archive. */
export type Codec = 'gzip' | 'xz' | 'zstd' | 'none';

export const CODECS: readonly Codec[] = ['gzip', 'xz', 'zstd', 'none'];

function startsWith(head: Uint8Array, magic: Uint8Array): boolean {
  if (head.length < magic.length) return false;
  return magic.every((byte, index) => head[index] === byte);
}

/**
 * Magics of the other codecs a kernel can be built with (`lib/decompress.c`: bzip2, lzma, lzo,
 * lz4 legacy frames), which hostmirror does not read.
 */
const OTHER_KERNEL_CODECS: readonly { name: string; magic: Uint8Array }[] = [
  { name: 'bzip2', magic: Uint8Array.of(0x42, 0x5a) },
  { name: 'lzma', magic: Uint8Array.of(0x5d, 0x00) },
  { name: 'lzo', magic: Uint8Array.of(0x89, 0x4c) },
  { name: 'lz4', magic: Uint8Array.of(0x02, 0x21) },
];

/** The name of a kernel initramfs codec hostmirror does not read (`bzip2`…), or undefined. */
export function sniffOtherKernelCodec(head: Uint8Array): string | undefined {
  return OTHER_KERNEL_CODECS.find(({ magic }) => startsWith(head, magic))?.name;
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
