export type AtomicFileErrorCode = 'OUTPUT_EXISTS' | 'OUTPUT_DIR_MISSING';

/** A typed error: tests and callers branch on `code`, never on the wording. */
export class AtomicFileError extends Error {
  readonly code: AtomicFileErrorCode;
  readonly path: string;

  constructor(code: AtomicFileErrorCode, path: string, message: string) {
    super(message);
    this.name = 'AtomicFileError';
    this.code = code;
    this.path = path;
  }
}
