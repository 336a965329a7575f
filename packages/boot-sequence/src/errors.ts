import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';
/** Stable codes of the boot-sequence errors; tests and callers branch on these. */
export type BootSequenceErrorCode =
  | 'BOOT_BAD_MODE'
  | 'BOOT_BAD_TOPOLOGY'
  | 'BOOT_RENDEZVOUS_IP_REQUIRED'
  | 'BOOT_BAD_ADDRESS'
  | 'BOOT_BAD_NAME'
  | 'BOOT_BAD_PORT'
  | 'BOOT_BAD_LABEL'
  | 'BOOT_BAD_VOLUME_ACCESS'
  | 'BOOT_BAD_ARCHIVE'
  | 'BOOT_BAD_DIGEST'
  | 'BOOT_PRELOAD_LIST_REQUIRED'
  | 'BOOT_BAD_SPEC'
  | 'BOOT_ARCHIVE_INCOMPLETE';

/** A setting or asset of the boot sequence is wrong; the message names it and the fix. */
export class BootSequenceError extends HostmirrorError<BootSequenceErrorCode> {
  constructor(code: BootSequenceErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}
