import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';
export type AtomicFileErrorCode = 'OUTPUT_EXISTS' | 'OUTPUT_DIR_MISSING' | 'COMMIT_FAILED';

/** A typed error: tests and callers branch on `code`, never on the wording. */
export class AtomicFileError extends HostmirrorError<AtomicFileErrorCode> {
  /** The output path concerned (always set). */
  declare readonly path: string;

  constructor(
    code: AtomicFileErrorCode,
    message: string,
    details: ErrorDetails & { path: string },
  ) {
    super(code, message, details);
  }
}
