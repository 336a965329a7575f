import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';
import type { ValidationReport } from './report.ts';

export type IgnitionErrorCode =
  /** The config has errors; `report` says which. */
  | 'CONFIG_INVALID'
  /** A downward translation would drop or change fields; the message names them. */
  | 'TRANSLATE_DROPS_FIELDS'
  /** The spec version asked for is not one we know. */
  | 'UNKNOWN_SPEC_VERSION'
  /** The builder was given the same path (or unit, drop-in) twice. */
  | 'BUILDER_CONFLICT'
  /** The builder was given a value Ignition would refuse (the message says which and why). */
  | 'BUILDER_INVALID'
  /** A data URL could not be decoded. */
  | 'DATA_URL_INVALID'
  /** Contents do not match the `verification.hash` given for them. */
  | 'HASH_MISMATCH';

/** Every error this package throws: a stable `code` and a sentence naming the value and the fix. */
export class IgnitionError extends HostmirrorError<IgnitionErrorCode> {
  /** The validation report behind a `CONFIG_INVALID` error. */
  readonly report: ValidationReport | undefined;

  constructor(
    code: IgnitionErrorCode,
    message: string,
    details: ErrorDetails & { report?: ValidationReport | undefined } = {},
  ) {
    super(code, message, details);
    this.report = details.report;
  }
}
