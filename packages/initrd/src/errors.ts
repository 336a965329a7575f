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
  /** readInitrd: a broken newc archive in an uncompressed segment (the NewcError code is in `newcCode`). */
  | 'NEWC'
  // Spec and build errors
  | 'SPEC_SYNTAX'
  | 'SPEC_INVALID'
  | 'SOURCE_MISSING'
  | 'VERIFY_FAILED';

/** A typed initrd error: `offset` is a byte offset in the file read, `file`/`line`/`column` a spec place. */
export class InitrdError extends HostmirrorError<InitrdErrorCode> {
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
