/**
 * The one error shape of hostmirror. Every package's error class (`IsoError`, `NewcError`,
 * `IgnitionError`, …) extends `HostmirrorError`, so a caller reads the same fields whatever
 * threw: a stable `code` to branch on (never the wording), a sentence for a message, the value at
 * fault (`subject`), where it is (`path`, byte `offset`, `jsonPath`, `line`/`column`), what to do
 * about it (`fix`: the throw's own, else the class's fix for the code) and the underlying `cause`.
 * Constructors take `(code, message, details)` in that order (docs/design.md#code-style).
 */

/** Where in its input an error is. Every field is optional: fill what is known. */
export interface ErrorPlace {
  /** The file (or other named input) the error is about. */
  path?: string | undefined;
  /** Byte offset in `path` (or in the stream being read), for binary formats. */
  offset?: number | undefined;
  /** JSON path in Ignition's form, `$.storage.files.0.path`. */
  jsonPath?: string | undefined;
  /** 1-based line and column, for text formats. */
  line?: number | undefined;
  column?: number | undefined;
}

export interface ErrorDetails extends ErrorPlace {
  /** The object or value the error is about: an image reference, a digest, a codec, a size. */
  subject?: string | undefined;
  /** What the user can change, when the message does not already say it. */
  fix?: string | undefined;
  /** The error this one explains (a Node system error, a decoder's error). */
  cause?: unknown;
}

/** `HostmirrorError` as plain data (what `JSON.stringify(error)` gives). */
export interface ErrorJson extends ErrorPlace {
  name: string;
  code: string;
  message: string;
  subject?: string;
  fix?: string;
}

/** Marks hostmirror errors across copies of this package (two installed versions). */
const brand = Symbol.for('@hostmirror/errors.HostmirrorError');

export class HostmirrorError<Code extends string = string> extends Error {
  /**
   * What the user can do about each code of the class: the `fix` of an error whose throw gives
   * none. Every class declares its own table over all its codes (`Record<XxxErrorCode, string>`,
   * so a new code without a fix does not compile), and test/packaging/error-shape.test.ts checks
   * that every code thrown in the sources has one.
   */
  static readonly fixes: Readonly<Record<string, string>> = {};

  readonly code: Code;
  readonly subject: string | undefined;
  readonly path: string | undefined;
  readonly offset: number | undefined;
  readonly jsonPath: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly fix: string | undefined;

  constructor(code: Code, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.subject = details.subject;
    this.path = details.path;
    this.offset = details.offset;
    this.jsonPath = details.jsonPath;
    this.line = details.line;
    this.column = details.column;
    this.fix = details.fix ?? (new.target as typeof HostmirrorError).fixes[code];
    Object.defineProperty(this, brand, { value: true });
  }

  /** The place fields that are set. */
  get place(): ErrorPlace {
    const place: ErrorPlace = {};
    if (this.path !== undefined) place.path = this.path;
    if (this.offset !== undefined) place.offset = this.offset;
    if (this.jsonPath !== undefined) place.jsonPath = this.jsonPath;
    if (this.line !== undefined) place.line = this.line;
    if (this.column !== undefined) place.column = this.column;
    return place;
  }

  /** The error as data, for `--json` output and logs; unset fields are left out. */
  toJSON(): ErrorJson {
    const json: ErrorJson = { name: this.name, code: this.code, message: this.message };
    if (this.subject !== undefined) json.subject = this.subject;
    Object.assign(json, this.place);
    if (this.fix !== undefined) json.fix = this.fix;
    return json;
  }
}

/** True for any hostmirror error, also one thrown by another installed copy of this package. */
export function isHostmirrorError(value: unknown): value is HostmirrorError {
  return (
    value instanceof HostmirrorError ||
    (value instanceof Error && (value as unknown as Record<symbol, unknown>)[brand] === true)
  );
}
