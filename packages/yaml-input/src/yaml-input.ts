/**
 * The one way hostmirror reads YAML it did not write (install-config, agent-config, an
 * archive's cluster resources, an ImageSetConfiguration, catalogs, manifests inside an ISO, the
 * overlay spec of `initrd build`, coreos-installer configs): every failure is a `YamlInputError`
 * naming the file, line and column, never a raw `ReferenceError`, "Excessive alias count" or
 * stack overflow with a stack (issue 20: `x: *nope` and alias bombs crashed build-iso, `mirror
 * check` and `mirror registries-conf`; tools/fuzz found the rest).
 *
 * Aliases (`*name`) are refused outright in files a person or oc-mirror writes (`aliases:
 * 'refuse'`, the default): openshift-install's own YAML reader (sigs.k8s.io/yaml over go-yaml)
 * would expand them, but none of these files needs one and each expansion can multiply the
 * document (the "billion laughs" bomb). Where aliases are plausible (catalogs, `aliases:
 * 'bounded'`), expansion is bounded by the yaml library's `maxAliasCount`, and going past it is
 * the same typed error.
 */
import {
  Composer,
  type Document,
  type ErrorCode,
  isScalar,
  Lexer,
  LineCounter,
  Parser,
  visit,
} from 'yaml';
import { YamlInputError, type YamlInputErrorCode } from './errors.ts';

export type YamlAliases = 'refuse' | 'bounded';

export interface YamlReadOptions {
  /** The file (or other named input) the text came from, for messages. */
  path: string;
  /** YAML 1.1 (Kubernetes-style: `yes`, `0644`) unless told. */
  version?: '1.1' | '1.2';
  /** `refuse` (the default) or `bounded` (expanded up to `YAML_MAX_ALIAS_COUNT` times). */
  aliases?: YamlAliases;
  /**
   * What to do about a text over `YAML_MAX_LEXEMES`, in the caller's words (default: give the
   * file the tool wrote); a clause, as the other fixes of the message.
   */
  tooLargeFix?: string;
}

/** Alias expansions allowed in `bounded` mode: the yaml library's default. */
export const YAML_MAX_ALIAS_COUNT = 100;

/**
 * The most lexemes (scalars, indicators, spaces, newlines) a YAML text may have. yaml builds
 * the whole CST and document of a text before anything can be checked, at 250 bytes (a block
 * list) to 1.1 KiB (aliases in flow lists: 132,649 lexemes took 153 MiB of heap in the fuzz
 * run) per lexeme, and 1 MiB of `a,` exhausted a 192 MiB heap; so the count is bounded before
 * anything is composed (counting costs about 0.7 µs a lexeme and keeps nothing). An
 * install-config has a few thousand lexemes, an agent-config about 100–300 per host, an IDMS
 * about 15 per mirrored repository (3,000 repositories: 45,000), an overlay spec a few per path.
 */
export const YAML_MAX_LEXEMES = 50_000;

/** The documents of a text and where an offset in it is, for the caller's own errors. */
export interface ParsedYaml {
  /** Every `---` document, in order (none for an empty text). */
  documents: Document.Parsed[];
  /** The 1-based line and column of a character offset of the text. */
  place(offset: number): { line: number; column: number };
}

/** `problem; fix.` at `line:column` of the file, as a typed error; `fix` becomes a sentence. */
function fail(
  code: YamlInputErrorCode,
  options: YamlReadOptions,
  at: { line: number; column: number },
  problem: string,
  fix: string,
  subject?: string,
): never {
  throw new YamlInputError(code, `${options.path}:${at.line}:${at.column}: ${problem}; ${fix}.`, {
    path: options.path,
    line: at.line,
    column: at.column,
    fix: `${fix.charAt(0).toUpperCase()}${fix.slice(1)}.`,
    subject,
  });
}

/** V8's "Maximum call stack size exceeded". */
function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack size/i.test(error.message);
}

/** Where yaml's composer reports a problem: an offset, a range, or a token (its `offset`). */
type YamlErrorSource = number | readonly number[] | { offset: number };

/** The first error the yaml library reported, carried out of its composer. */
class FirstYamlError {
  readonly offset: number;
  readonly code: ErrorCode;
  readonly message: string;

  constructor(offset: number, code: ErrorCode, message: string) {
    this.offset = offset;
    this.code = code;
    this.message = message;
  }
}

/**
 * Every `---` document of the text, stopping at the first syntax error. yaml's
 * `parseAllDocuments` composes the whole stream and records every problem as a
 * YAMLParseError (each capturing a stack trace): a mutated 350 KB document gave 7,807 of
 * them, and collecting them was half the time spent refusing it (tools/fuzz/README.md). Only
 * the first is ever reported, so the composer's error handler throws it.
 */
function composeUntilFirstError(
  text: string,
  options: YamlReadOptions,
  lines: LineCounter,
): Document.Parsed[] {
  let lexemes = 0;
  for (const _ of new Lexer().lex(text))
    if (++lexemes > YAML_MAX_LEXEMES)
      // Nothing was parsed yet, so the place is the start of the text.
      fail(
        'YAML_INVALID',
        options,
        { line: 1, column: 1 },
        `more than ${YAML_MAX_LEXEMES} YAML tokens (the text is ${text.length} characters); hostmirror does not read a YAML file this large`,
        options.tooLargeFix ?? 'give the file the tool wrote, not a generated or concatenated one',
      );
  // Duplicate keys are checked in parseYaml: yaml's own check compares each key with every
  // earlier one (resolve-block-map.js mapIncludes), so 25,000 keys took 9 s of CPU.
  const composer = new Composer({ version: options.version ?? '1.1', uniqueKeys: false });
  let first: FirstYamlError | undefined;
  // Composer.onError is how compose-doc/compose-node report problems (yaml 2.x
  // src/compose/composer.ts); it is a private member, so it is replaced on the instance.
  Object.defineProperty(composer, 'onError', {
    value(source: YamlErrorSource, code: ErrorCode, message: string, warning?: boolean) {
      if (warning === true) return;
      const offset =
        typeof source === 'number' ? source : 'offset' in source ? source.offset : source[0];
      // yaml catches errors thrown while composing a collection (its stack-overflow guard) and
      // reports them again: keep the first.
      first ??= new FirstYamlError(offset ?? 0, code, message);
      throw first;
    },
  });
  try {
    return [...composer.compose(new Parser(lines.addNewLine).parse(text))];
  } catch (error) {
    if (first === undefined && isStackOverflow(error))
      // yaml's CST parser recurses without a guard (Parser.pop through nested block maps:
      // tools/fuzz initrd-spec seed 20 input 57984, 97 KB of mis-indented lines): the line where
      // the lexer stopped is the best place to give.
      first = new FirstYamlError(
        lines.lineStarts.at(-1) ?? 0,
        'RESOURCE_EXHAUSTION',
        (error as Error).message,
      );
    if (!(error instanceof FirstYamlError) && first === undefined) throw error;
    const found = first ?? (error as FirstYamlError);
    const { line, col } = lines.linePos(found.offset);
    fail(
      'YAML_INVALID',
      options,
      { line, column: col },
      found.code === 'RESOURCE_EXHAUSTION'
        ? `collections nested too deeply to read (${found.message})`
        : `${found.message.split('\n')[0]}`,
      'fix the YAML syntax there',
    );
  }
}

/**
 * Every `---` document of the text, refusing (as `YamlInputError`) a text over
 * `YAML_MAX_LEXEMES`, a syntax error, nesting yaml cannot read, a key twice in one mapping, and
 * in `refuse` mode any alias (in `bounded` mode, an alias to no anchor).
 */
export function parseYaml(text: string, options: YamlReadOptions): ParsedYaml {
  const lines = new LineCounter();
  const place = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const documents = composeUntilFirstError(text, options, lines);
  for (const document of documents) {
    visit(document, {
      Map(_, map) {
        // One pass with a set: yaml's default check is quadratic (above). Scalar keys compare
        // by value as yaml's default `uniqueKeys` does.
        const seen = new Set<unknown>();
        for (const pair of map.items) {
          if (!isScalar(pair.key)) continue;
          const key = pair.key.value;
          if (seen.has(key))
            fail(
              'YAML_INVALID',
              options,
              place(pair.key.range?.[0] ?? 0),
              `the key ${JSON.stringify(String(key)).slice(0, 80)} appears twice in one mapping`,
              'keep one of them',
              String(key),
            );
          seen.add(key);
        }
      },
      Alias(_, alias) {
        const at = place(alias.range?.[0] ?? 0);
        const name = String(alias.source);
        if ((options.aliases ?? 'refuse') === 'refuse')
          fail(
            'YAML_ALIAS_REFUSED',
            options,
            at,
            `the alias *${name} is refused (a YAML alias can multiply the document)`,
            'write the value out in full instead of an anchor and alias',
            `*${name}`,
          );
        if (alias.resolve(document) === undefined)
          fail(
            'YAML_INVALID',
            options,
            at,
            `the alias *${name} names no anchor before it`,
            `define &${name} before using *${name}, or write the value out`,
            `*${name}`,
          );
      },
    });
  }
  return { documents, place };
}

/** `parseYaml`'s documents. */
export function parseYamlDocuments(text: string, options: YamlReadOptions): Document.Parsed[] {
  return parseYaml(text, options).documents;
}

/** A parsed document as plain data, with alias expansion bounded; a typed error past the bound. */
export function yamlDocumentToJs(document: Document, options: YamlReadOptions): unknown {
  try {
    return document.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT });
  } catch (error) {
    if (isStackOverflow(error))
      throw new YamlInputError(
        'YAML_INVALID',
        `${options.path}: collections nested too deeply to read (${(error as Error).message}); nest them less.`,
        { path: options.path, fix: 'Nest the collections less.', cause: error },
      );
    // The yaml library throws a plain ReferenceError for "Excessive alias count".
    if (!(error instanceof ReferenceError)) throw error;
    throw new YamlInputError(
      'YAML_INVALID',
      `${options.path}: ${error.message} (more than ${YAML_MAX_ALIAS_COUNT} alias expansions); write the values out instead of aliases.`,
      { path: options.path, fix: 'Write the values out instead of aliases.', cause: error },
    );
  }
}

/** Every document of the text as plain data (empty documents included, as `null`). */
export function readYamlAll(text: string, options: YamlReadOptions): unknown[] {
  return parseYamlDocuments(text, options).map((document) => yamlDocumentToJs(document, options));
}

/** The first document of the text as plain data (`null` when empty). */
export function readYaml(text: string, options: YamlReadOptions): unknown {
  const [document] = parseYamlDocuments(text, options);
  return document === undefined ? null : yamlDocumentToJs(document, options);
}
