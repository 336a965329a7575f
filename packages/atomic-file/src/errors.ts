import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';
export type AtomicFileErrorCode = 'OUTPUT_EXISTS' | 'OUTPUT_DIR_MISSING' | 'COMMIT_FAILED';

/** What the user can do about each code (the `fix` of a throw that gives none). */
const ATOMICFILEERROR_FIXES: Readonly<Record<AtomicFileErrorCode, string>> = {
  OUTPUT_EXISTS:
    'Choose another output path, or pass -f (library: overwrite: true) to replace the file.',
  OUTPUT_DIR_MISSING: "Create the output's folder first, or write to a folder that exists.",
  COMMIT_FAILED:
    'Check that the output is not a folder and that its folder is writable and has space, then run the command again.',
};

/** A typed error: tests and callers branch on `code`, never on the wording. */
export class AtomicFileError extends HostmirrorError<AtomicFileErrorCode> {
  static override readonly fixes = ATOMICFILEERROR_FIXES;

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
