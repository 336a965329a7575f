/** Stable codes of InitrdError and of verifier faults. Tests branch on these. */
import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';

export type InitrdErrorCode =
  // Kernel-rule faults (docs/coreos-iso.md#kernel-initramfs-rules)
  /** An uncompressed archive does not start 4-byte aligned from the start of the file. */
  | 'UNALIGNED_SEGMENT'
  /** After an uncompressed archive the next segment is not 4-aligned (kernel: "broken padding"). */
  | 'BROKEN_PADDING'
  /** A segment starts with bytes that are no known magic. */
  | 'UNKNOWN_MAGIC'
  /** A segment uses a compression the kernel may know but we do not read (bzip2, lzma, lzo, lz4). */
  | 'UNSUPPORTED_CODEC'
  /** gzip header flags other than FNAME: the kernel's gunzip cannot skip them. */
  | 'GZIP_HEADER_FLAGS'
  /** gzip trailer CRC32 or size does not match the data. */
  | 'GZIP_CRC_MISMATCH'
  /** xz check other than none/CRC32 (CRC64 is xz's default): XZ Embedded refuses it. */
  | 'XZ_CHECK_UNSUPPORTED'
  /** xz stream structure is broken. */
  | 'XZ_CORRUPT'
  /** zstd window above 8 MiB. */
  | 'ZSTD_WINDOW_TOO_LARGE'
  /** zstd frame structure is broken. */
  | 'ZSTD_CORRUPT'
  /** The file ends inside a compressed stream or an archive. */
  | 'TRUNCATED'
  /** The decompressor failed (corrupt data). */
  | 'DECOMPRESS_FAILED'
  /** Non-zero bytes after an archive inside a compressed stream that are not another archive. */
  | 'JUNK_IN_COMPRESSED_ARCHIVE'
  /** An archive ends without TRAILER!!!. */
  | 'MISSING_TRAILER'
  /** An entry's folder exists in no earlier entry of any segment: the kernel drops the entry. */
  | 'MISSING_FOLDER'
  /** An entry's folder is a symlink an earlier entry made: the kernel writes where it points. */
  | 'FOLDER_IS_SYMLINK'
  /** An entry's folder is a file or device an earlier entry made: the kernel drops the entry. */
  | 'FOLDER_IS_NOT_DIRECTORY'
  /** A non-directory entry where an earlier entry made a folder with contents: the kernel drops it. */
  | 'REPLACES_NONEMPTY_FOLDER'
  /** The file holds no archive at all. */
  | 'EMPTY'
  /** More entries than `MAX_INITRD_ENTRIES`: the reader stops rather than list them all. */
  | 'TOO_MANY_ENTRIES'
  /** readInitrd: a broken newc archive in an uncompressed segment (the NewcError code is in `newcCode`). */
  | 'NEWC'
  // Spec and build errors
  | 'SPEC_SYNTAX'
  | 'SPEC_INVALID'
  | 'SOURCE_MISSING'
  | 'VERIFY_FAILED';

/** A typed initrd error: `offset` is a byte offset in the file read, `file`/`line`/`column` a spec place. */
/** What the user can do about each code (the `fix` of a throw that gives none). */
const INITRDERROR_FIXES: Readonly<Record<InitrdErrorCode, string>> = {
  UNALIGNED_SEGMENT:
    'Pad with zeros to a multiple of 4 bytes before the uncompressed archive (hostmirror initrd append does).',
  BROKEN_PADDING:
    'Pad with zeros to a multiple of 4 bytes after the uncompressed archive (hostmirror initrd append does).',
  UNKNOWN_MAGIC:
    'Give an initrd: cpio archives, plain or gzip/xz/zstd-compressed, one after another.',
  UNSUPPORTED_CODEC: 'Recompress that segment with gzip, zstd or xz --check=crc32.',
  GZIP_HEADER_FLAGS: 'Compress with node:zlib or gzip -n (header flags 0).',
  GZIP_CRC_MISMATCH: 'The gzip member is damaged: make or copy the initrd again.',
  XZ_CHECK_UNSUPPORTED: 'Compress with xz --check=crc32 (the kernel refuses CRC64).',
  XZ_CORRUPT: 'The xz stream is damaged: make or copy the initrd again.',
  ZSTD_WINDOW_TOO_LARGE:
    'Compress with a window of at most 8 MiB (zstd --zstd=wlog=23, or a level below 20).',
  ZSTD_CORRUPT: 'The zstd frame is damaged: make or copy the initrd again.',
  TRUNCATED: 'The initrd was cut short: copy or make it again.',
  DECOMPRESS_FAILED: 'The compressed segment is damaged: make or copy the initrd again.',
  JUNK_IN_COMPRESSED_ARCHIVE:
    'End each compressed stream after its archive (TRAILER!!!), with nothing but zeros after it.',
  MISSING_TRAILER: 'End every archive with TRAILER!!! (cpio and hostmirror initrd build do).',
  MISSING_FOLDER:
    "Add the entry's folder to the archive before the entry (hostmirror initrd build adds parents).",
  FOLDER_IS_SYMLINK:
    'Write the entry under the real folder, not through the symlink an earlier archive made.',
  FOLDER_IS_NOT_DIRECTORY:
    'Move the entry: an earlier archive made a file where its folder should be.',
  REPLACES_NONEMPTY_FOLDER:
    'Give the entry another path: an earlier archive made a folder with contents there.',
  EMPTY: 'Give an initrd that holds at least one cpio archive.',
  TOO_MANY_ENTRIES:
    'Give a real initrd: a boot initramfs holds thousands of entries, not hundreds of thousands (pack large trees into one image file, as CoreOS does with rootfs.img).',
  NEWC: 'The cpio archive is damaged: make it again with cpio -H newc or hostmirror initrd build.',
  SPEC_SYNTAX: 'Correct the YAML at the line and column the message names.',
  SPEC_INVALID:
    'Correct the spec field the message names (examples/overlay.yaml shows every field).',
  SOURCE_MISSING: 'Correct "source:" in the spec: a regular file, relative to the spec.',
  VERIFY_FAILED:
    'Report this as a hostmirror bug with the message: the archive it wrote breaks a kernel rule.',
};

export class InitrdError extends HostmirrorError<InitrdErrorCode> {
  static override readonly fixes = INITRDERROR_FIXES;

  /** The `NewcError` code behind a `NEWC` error. */
  readonly newcCode: string | undefined;

  constructor(
    code: InitrdErrorCode,
    message: string,
    details: ErrorDetails & { file?: string | undefined; newcCode?: string | undefined } = {},
  ) {
    super(code, message, { ...details, path: details.path ?? details.file });
    this.newcCode = details.newcCode;
  }

  /** The spec file a `SPEC_*` error is about: the same as `path`. */
  get file(): string | undefined {
    return this.path;
  }
}
