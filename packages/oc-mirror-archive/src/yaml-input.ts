/**
 * The YAML of the mirror formats (an archive's cluster resources, ImageSetConfiguration,
 * catalogs) and of the configs read beside them, through the one bounded reader
 * (`@hostmirror/yaml-input`: token bound, aliases refused or bounded, duplicate keys, nesting).
 * Its refusals are restated as this package's `MirrorFormatError` with the same code
 * (`YAML_INVALID`, `YAML_ALIAS_REFUSED`), message, place and fix, the reader's error as `cause`.
 */
import {
  parseYamlDocuments as parseBounded,
  readYamlAll as readAllBounded,
  readYaml as readBounded,
  yamlDocumentToJs as toJsBounded,
  YamlInputError,
  type YamlReadOptions,
} from '@hostmirror/yaml-input';
import type { Document } from 'yaml';
import { MirrorFormatError } from './errors.ts';

export {
  YAML_MAX_ALIAS_COUNT,
  YAML_MAX_LEXEMES,
  type YamlAliases,
  type YamlReadOptions,
} from '@hostmirror/yaml-input';

/** `read()`, with a refusal of the YAML reader as a `MirrorFormatError` of the same code. */
function asMirrorFormat<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof YamlInputError)) throw error;
    throw new MirrorFormatError(error.code, error.message, error.details);
  }
}

/** Every `---` document, refusing syntax errors and (in `refuse` mode) any alias. */
export function parseYamlDocuments(text: string, options: YamlReadOptions): Document.Parsed[] {
  return asMirrorFormat(() => parseBounded(text, options));
}

/** A parsed document as plain data, with alias expansion bounded. */
export function yamlDocumentToJs(document: Document, options: YamlReadOptions): unknown {
  return asMirrorFormat(() => toJsBounded(document, options));
}

/** Every document of the text as plain data (empty documents included, as `null`). */
export function readYamlAll(text: string, options: YamlReadOptions): unknown[] {
  return asMirrorFormat(() => readAllBounded(text, options));
}

/** The first document of the text as plain data (`null` when empty). */
export function readYaml(text: string, options: YamlReadOptions): unknown {
  return asMirrorFormat(() => readBounded(text, options));
}
