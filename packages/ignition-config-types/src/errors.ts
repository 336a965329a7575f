import { HostmirrorError } from '@hostmirror/errors';

export type IgnitionTypesErrorCode =
  /** An Ignition release not written MAJOR.MINOR.PATCH (`specVersionsAcceptedBy`). */
  'BAD_IGNITION_RELEASE';

/** What the user can do about each code (the `fix` of a throw that gives none). */
const IGNITIONTYPESERROR_FIXES: Readonly<Record<IgnitionTypesErrorCode, string>> = {
  BAD_IGNITION_RELEASE:
    'Give the Ignition release as MAJOR.MINOR.PATCH, e.g. 2.14.0 (ignition --version prints it).',
};

/** A typed error of the spec-version tables: `subject` is the value refused. */
export class IgnitionTypesError extends HostmirrorError<IgnitionTypesErrorCode> {
  static override readonly fixes = IGNITIONTYPESERROR_FIXES;
}
