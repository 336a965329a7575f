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

/** What the user can do about each code (the `fix` of a throw that gives none). */
const IGNITIONERROR_FIXES: Readonly<Record<IgnitionErrorCode, string>> = {
  CONFIG_INVALID:
    'Correct each problem the report lists at its JSON path (hostmirror ignition validate prints them all).',
  TRANSLATE_DROPS_FIELDS:
    'Remove the fields the message names, or translate to a spec version that has them.',
  UNKNOWN_SPEC_VERSION: 'Use an Ignition spec version from 3.0.0 to 3.5.0 (ignition.version).',
  BUILDER_CONFLICT: 'Add each file, unit or drop-in once.',
  BUILDER_INVALID:
    'Give the value Ignition accepts, as the message says (absolute paths, modes up to 07777, valid unit names).',
  DATA_URL_INVALID:
    'Give the contents as a data: URL (data:,text or data:;base64,...), which needs no network.',
  HASH_MISMATCH: 'Give verification.hash as sha512-<hex> (or sha256-<hex>) of the exact contents.',
};

/** Every error this package throws: a stable `code` and a sentence naming the value and the fix. */
export class IgnitionError extends HostmirrorError<IgnitionErrorCode> {
  static override readonly fixes = IGNITIONERROR_FIXES;

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
