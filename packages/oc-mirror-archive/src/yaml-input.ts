import { type Document, LineCounter, parseAllDocuments, visit } from 'yaml';
import { MirrorFormatError } from './errors.ts';

/**
 * The one way hostmirror reads YAML it did not write (install-config, agent-config, an
 * archive's cluster resources, an ImageSetConfiguration, catalogs, manifests inside an ISO):
 * every failure is a `MirrorFormatError` naming the file, line and column, never a raw
 * `ReferenceError` or "Excessive alias count" with a stack (issue 20: `x: *nope` and alias
 * bombs crashed build-iso, `mirror check` and `mirror registries-conf`).
 *
 * Aliases (`*name`) are refused outright in configs a person writes or oc-mirror writes
 * (`aliases: 'refuse'`): openshift-install's own YAML reader (sigs.k8s.io/yaml over
 * go-yaml) would expand them, but none of these files needs one and each expansion can
 * multiply the document (the "billion laughs" bomb). Where aliases are plausible (catalogs,
 * `aliases: 'bounded'`), expansion is bounded by the yaml library's `maxAliasCount`, and going
 * past it is the same typed error.
 */

export type YamlAliases = 'refuse' | 'bounded';

export interface YamlReadOptions {
  /** The file (or other named input) the text came from, for messages. */
  path: string;
  /** YAML 1.1 (Kubernetes-style: `yes`, `0644`) unless told. */
  version?: '1.1' | '1.2';
  aliases?: YamlAliases;
}

/** Alias expansions allowed in `bounded` mode: the yaml library's default. */
export const YAML_MAX_ALIAS_COUNT = 100;

function place(lineCounter: LineCounter, offset: number) {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function fail(
  code: 'YAML_INVALID' | 'YAML_ALIAS_REFUSED',
  options: YamlReadOptions,
  at: { line: number; column: number },
  problem: string,
  fix: string,
  subject?: string,
): never {
  throw new MirrorFormatError(
    code,
    `${options.path}:${at.line}:${at.column}: ${problem}; ${fix}.`,
    { path: options.path, line: at.line, column: at.column, fix, subject },
  );
}

/** Parse every `---` document, refusing syntax errors and (in `refuse` mode) any alias. */
export function parseYamlDocuments(text: string, options: YamlReadOptions): Document[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, {
    version: options.version ?? '1.1',
    lineCounter,
    prettyErrors: false,
  });
  const list = Array.isArray(documents) ? documents : [documents];
  for (const document of list) {
    const [error] = document.errors;
    if (error !== undefined)
      fail(
        'YAML_INVALID',
        options,
        place(lineCounter, error.pos[0]),
        `${error.message.split('\n')[0]}`,
        'fix the YAML syntax there',
      );
    visit(document, {
      Alias(_, alias) {
        const at = place(lineCounter, alias.range?.[0] ?? 0);
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
  return list;
}

/** A parsed document as plain data, with alias expansion bounded; a typed error past the bound. */
export function yamlDocumentToJs(document: Document, options: YamlReadOptions): unknown {
  try {
    return document.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT });
  } catch (error) {
    // The yaml library throws a plain ReferenceError for "Excessive alias count".
    throw new MirrorFormatError(
      'YAML_INVALID',
      `${options.path}: ${(error as Error).message} (more than ${YAML_MAX_ALIAS_COUNT} alias expansions); write the values out instead of aliases.`,
      { path: options.path, fix: 'write the values out instead of aliases' },
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
