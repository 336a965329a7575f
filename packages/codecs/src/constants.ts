/**
 * Magic numbers and kernel limits of the compressed initramfs formats. Sources: RFC 1952 (gzip),
 * the .xz file format 1.2.1 (tukaani.org/xz/xz-file-format.txt), RFC 8878 (zstd), the kernel's
 * `lib/decompress*.c` and `Documentation/staging/xz.rst` (docs/coreos-iso.md#kernel-initramfs-rules).
 */

/** gzip member: ID1 ID2 (RFC 1952 §2.3.1). */
export const GZIP_MAGIC = Uint8Array.of(0x1f, 0x8b);
/** The only gzip compression method: deflate. */
export const GZIP_METHOD_DEFLATE = 8;
/** Fixed part of a gzip header. */
export const GZIP_HEADER_SIZE = 10;
/** gzip trailer: CRC32 and ISIZE. */
export const GZIP_TRAILER_SIZE = 8;
/** gzip FLG bits (RFC 1952 §2.3.1). */
export const GZIP_FLAG_FTEXT = 0x01;
export const GZIP_FLAG_FHCRC = 0x02;
export const GZIP_FLAG_FEXTRA = 0x04;
export const GZIP_FLAG_FNAME = 0x08;
export const GZIP_FLAG_FCOMMENT = 0x10;
/**
 * FLG bits the kernel's gunzip can step over: it skips the 10-byte header and, when FNAME is
 * set, the name (`lib/decompress_inflate.c`); any other flag makes inflate fail.
 */
export const GZIP_KERNEL_ALLOWED_FLAGS = GZIP_FLAG_FNAME;

/** xz stream header magic (xz-file-format §2.1.1.1). */
export const XZ_MAGIC = Uint8Array.of(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00);
/** xz stream footer magic "YZ" (xz-file-format §2.1.2.4). */
export const XZ_FOOTER_MAGIC = Uint8Array.of(0x59, 0x5a);
/** xz stream header and footer are both 12 bytes. */
export const XZ_STREAM_HEADER_SIZE = 12;
/** xz check IDs (xz-file-format §3.4). */
export const XZ_CHECK_NONE = 0x00;
export const XZ_CHECK_CRC32 = 0x01;
export const XZ_CHECK_CRC64 = 0x04;
export const XZ_CHECK_SHA256 = 0x0a;
/** Checks the kernel's XZ Embedded decodes (Documentation/staging/xz.rst): none and CRC32. */
export const XZ_KERNEL_CHECKS: readonly number[] = [XZ_CHECK_NONE, XZ_CHECK_CRC32];

/** zstd frame magic 0xFD2FB528 little-endian (RFC 8878 §3.1.1). */
export const ZSTD_MAGIC = Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd);
/**
 * Largest zstd window we accept for an initramfs: older kernels' `lib/decompress_unzstd.c`
 * refuse frames above 8 MiB ("ZSTD-compressed data has too large a window size").
 */
export const ZSTD_KERNEL_MAX_WINDOW = 8 * 1024 * 1024;
/** log2 of ZSTD_KERNEL_MAX_WINDOW, the windowLog cap our compressors set. */
export const ZSTD_KERNEL_MAX_WINDOW_LOG = 23;

/** newc cpio magic "070701"/"070702" starts with "07070" (an uncompressed segment). */
export const CPIO_MAGIC_PREFIX = Uint8Array.of(0x30, 0x37, 0x30, 0x37, 0x30);
