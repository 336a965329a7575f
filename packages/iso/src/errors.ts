/**
 * Every way reading or editing an ISO can fail. Callers and tests branch on `code`; the
 * message is a sentence naming the value, its place (path or byte offset) and the fix.
 */
import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';
export type IsoErrorCode =
  | 'ISO_TRUNCATED'
  | 'NOT_ISO9660'
  | 'BAD_DIRECTORY_RECORD'
  | 'RECORD_CROSSES_SECTOR'
  | 'DIRECTORY_LOOP'
  | 'EXTENT_PAST_END'
  | 'BAD_SYSTEM_USE'
  | 'BAD_BOOT_CATALOG'
  | 'FILE_NOT_FOUND'
  | 'NOT_COREOS'
  | 'BAD_METADATA'
  | 'IGNITION_EXISTS'
  | 'NO_EMBEDDED_IGNITION'
  | 'EMBED_TOO_LARGE'
  | 'BAD_EMBED_AREA'
  | 'NO_KARGS_AREA'
  | 'KARGS_TOO_LARGE'
  | 'KARGS_MISMATCH'
  | 'KARG_NOT_FOUND'
  | 'UNSUPPORTED_FILE'
  | 'FILE_TOO_LARGE'
  | 'BAD_ARCHIVE'
  | 'BAD_PARTITION_TABLE'
  | 'OUTPUT_IS_INPUT'
  | 'ISO_CHANGED'
  | 'TTY_OUTPUT'
  | 'ISO_LOCKED'
  | 'LOCK_UNAVAILABLE'
  | 'ISO_TORN'
  | 'JOURNAL_MISMATCH'
  | 'WRITE_FAILED'
  | 'UNSAFE_AREA'
  | 'ALREADY_CUSTOMIZED'
  | 'UNSUPPORTED_CUSTOMIZATION'
  | 'BAD_CUSTOMIZATION'
  | 'NOT_LIVE_INITRD';

/** `offset` is the byte offset in the image the error is about, when there is one. */
export class IsoError extends HostmirrorError<IsoErrorCode> {
  constructor(code: IsoErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}
