import { HostmirrorError } from '@hostmirror/errors';
/** Stable codes of NewcError; callers and tests branch on these, never on the message. */
export type NewcErrorCode =
  /** The bytes at `offset` are not `070701`/`070702`. */
  | 'BAD_MAGIC'
  /** `070707` (odc) found: the kernel wants newc (`cpio -H newc`). */
  | 'ODC_FORMAT'
  /** The input ended inside a header, name or body. */
  | 'TRUNCATED'
  /** A header field holds something other than 8 hex digits. */
  | 'BAD_HEX'
  /** The name's last byte (at namesize − 1) is not NUL. */
  | 'NAME_NOT_TERMINATED'
  /** A field is larger than its format or the kernel allows (size > 4 GiB − 1, name > PATH_MAX). */
  | 'FIELD_TOO_LARGE'
  /** namesize is 0 or the name is empty. */
  | 'BAD_NAME_SIZE'
  /** A path is absolute or holds `..` where that is not allowed. */
  | 'PATH_TRAVERSAL'
  /** A path is empty or otherwise unusable. */
  | 'BAD_PATH'
  /** The same path was given twice to the writer. */
  | 'DUPLICATE_PATH'
  /** A streamed entry's length differs from its declared size. */
  | 'SIZE_MISMATCH'
  /** An entry input is missing something it needs (symlink target, stream size). */
  | 'BAD_ENTRY'
  /** A body was read after the reader moved on, or twice. */
  | 'BODY_CONSUMED'
  /** A header does not start on a 4-byte boundary from the archive's start (kernel: "broken padding"). */
  | 'BROKEN_PADDING';

/** What the user can do about each code (the `fix` of a throw that gives none). */
const NEWCERROR_FIXES: Readonly<Record<NewcErrorCode, string>> = {
  BAD_MAGIC:
    'Give a newc cpio archive (cpio -H newc), or the initrd it starts; a compressed one is read by @hostmirror/initrd.',
  ODC_FORMAT: 'Write the archive in newc format (cpio -o -H newc); the kernel reads only newc.',
  TRUNCATED: 'The archive was cut short: copy or make it again.',
  BAD_HEX: 'The archive is damaged: make it again with cpio -H newc or hostmirror initrd build.',
  NAME_NOT_TERMINATED:
    'The archive is damaged: make it again with cpio -H newc or hostmirror initrd build.',
  FIELD_TOO_LARGE: 'Keep each file under 4 GiB and each path under 4096 bytes.',
  BAD_NAME_SIZE:
    'The archive is damaged: make it again with cpio -H newc or hostmirror initrd build.',
  PATH_TRAVERSAL:
    'Give relative paths below the root with no .. and no symlinked folders on the way.',
  BAD_PATH: 'Give a path below the root such as etc/file.',
  DUPLICATE_PATH: 'Give each path once.',
  SIZE_MISMATCH:
    "Do not change the file while the archive is written, or declare the stream's real size.",
  BAD_ENTRY:
    'Give the entry what the message says it lacks (a symlink target, a stream size, a valid time).',
  BODY_CONSUMED: "Read each entry's body before asking for the next entry, and only once.",
  BROKEN_PADDING: 'Pad the data before the archive with zeros to a multiple of 4 bytes.',
};

/**
 * A typed error of the newc reader or writer. `offset` is the byte offset in the stream being
 * read (the header's offset for header faults) when there is one; `path` the entry concerned.
 */
export class NewcError extends HostmirrorError<NewcErrorCode> {
  static override readonly fixes = NEWCERROR_FIXES;
}
