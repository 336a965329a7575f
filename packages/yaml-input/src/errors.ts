import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';

export type YamlInputErrorCode =
  /** Not readable YAML: syntax, too many tokens, nesting, a duplicate key, an unknown alias, an alias bomb. */
  | 'YAML_INVALID'
  /** An alias (`*name`) where aliases are refused. */
  | 'YAML_ALIAS_REFUSED';

/** What the user can do about each code (the `fix` of a throw that gives none). */
const YAMLINPUTERROR_FIXES: Readonly<Record<YamlInputErrorCode, string>> = {
  YAML_INVALID: 'Correct the YAML at the line and column the message names.',
  YAML_ALIAS_REFUSED: 'Write the values out instead of YAML aliases.',
};

/**
 * A refusal of the YAML reader: `path`, `line` and `column` say where, `subject` names the key
 * or alias at fault when there is one. A package that reads YAML for a format of its own may
 * restate it under its own class and code (initrd's spec: `InitrdError` `SPEC_SYNTAX`) from
 * `error.message` and `error.details`, which keep the place, the fix and this error as the cause.
 */
export class YamlInputError extends HostmirrorError<YamlInputErrorCode> {
  static override readonly fixes = YAMLINPUTERROR_FIXES;

  /** Everything but the code and message, with this error as the `cause`. */
  get details(): ErrorDetails {
    return { ...this.place, subject: this.subject, fix: this.fix, cause: this };
  }
}
