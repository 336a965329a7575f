/**
 * Read and validate a config the way Ignition's `config.Parse` does (docs/ignition.md#parse):
 * empty → not a config; JSON; the version stub; an exact supported version; decode into the
 * version's shapes (Go's decoder: `null` members are absent, unknown keys are warnings); then
 * the `Validate()` rules. The result is a report, never an exception.
 */
import {
  currentSpecVersions,
  type FieldTree,
  fieldTrees,
  type ShapeError,
  type SpecVersion,
  shapeValidators,
} from '@hostmirror/ignition-config-types';
import type { IgnitionConfig } from './config.ts';
import { FindingCollector, type JsonPath } from './findings.ts';
import { cloneJson, jsonTextDepth, jsonValueDepth, MAX_JSON_DEPTH } from './json-depth.ts';
import { ignitionMessages, unusedKeyMessage } from './messages.ts';
import type { ParseFailure, ValidationReport } from './report.ts';
import { checkConfig } from './rules.ts';
import { parseSemVer, specRules, specVersionOf } from './spec.ts';

export interface ValidateOptions {
  /**
   * Report unknown keys (typos such as `sshAuthorizedkeys`) as errors. Ignition itself only
   * warns (`unused key X`) and then ignores the key; strict mode makes such a config invalid.
   */
  strict?: boolean;
  /**
   * The version strings to accept, e.g. `specVersionsAcceptedBy('2.14.0')` for the Ignition
   * inside a given live ISO (2.14.0 accepts `3.4.0-experimental`, which newer releases refuse).
   * Default: what the newest Ignition accepts (`currentSpecVersions`, 2.26.0).
   */
  acceptedVersions?: readonly string[];
}

const failure = (
  parseFailure: ParseFailure,
  version: string | undefined = undefined,
): ValidationReport => ({
  valid: false,
  version,
  parseFailure,
  errors: [],
  warnings: [],
  config: undefined,
});

const notValid = ignitionMessages.ErrInvalid;

type JsonObject = { [key: string]: unknown };
const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Remove `null` members everywhere (iteratively: deep nesting must not exhaust the stack). */
function withoutNullMembers(root: unknown): unknown {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (isObject(value)) {
      for (const [key, member] of Object.entries(value)) {
        if (member === null) delete value[key];
        else pending.push(member);
      }
    }
  }
  return root;
}

type Decoded = { json: unknown } | { failure: ParseFailure };

/** Ignition's parser refuses deeper nesting (json-depth.ts); so do we, before parsing. */
function tooDeep(depth: number): Decoded {
  return {
    failure: {
      code: 'SYNTAX',
      message: notValid,
      detail: `exceeded max depth: the config nests ${depth} levels of arrays and objects, more than the ${MAX_JSON_DEPTH} Ignition's JSON parser accepts (Go encoding/json maxNestingDepth)`,
    },
  };
}

/**
 * " at line L col C" for V8's "at position N", as ignition-validate names the place of a
 * syntax error ("error at line 1 col 10037: …"); empty when the message has no position.
 */
function lineOf(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message);
  if (position === null) return '';
  const offset = Math.min(Number(position[1]), text.length);
  let line = 1;
  let lineStart = 0;
  for (
    let index = text.indexOf('\n');
    index !== -1 && index < offset;
    index = text.indexOf('\n', index + 1)
  ) {
    line++;
    lineStart = index + 1;
  }
  return ` (line ${line} col ${offset - lineStart + 1})`;
}

function decodeJson(input: string | Uint8Array | object): Decoded {
  if (typeof input === 'object' && !(input instanceof Uint8Array)) {
    const depth = jsonValueDepth(input);
    return depth > MAX_JSON_DEPTH ? tooDeep(depth) : { json: cloneJson(input) };
  }
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('utf8');
  if (text.length === 0) return { failure: { code: 'EMPTY', message: ignitionMessages.ErrEmpty } };
  const depth = jsonTextDepth(text);
  if (depth > MAX_JSON_DEPTH) return tooDeep(depth);
  try {
    return { json: JSON.parse(text) as unknown };
  } catch (error) {
    const message = (error as Error).message;
    return {
      failure: { code: 'SYNTAX', message: notValid, detail: `${message}${lineOf(text, message)}` },
    };
  }
}

/** Step 2–4: the version stub, parsed as semver, one of the accepted versions. */
function readVersion(
  json: unknown,
  accepted: readonly string[],
): { version: SpecVersion; text: string } | ParseFailure {
  if (!isObject(json))
    return {
      code: 'SYNTAX',
      message: notValid,
      detail: `a config must be a JSON object, not ${describe(json)}`,
    };
  const ignition = json.ignition;
  if (ignition !== undefined && ignition !== null && !isObject(ignition))
    return {
      code: 'SYNTAX',
      message: notValid,
      detail: `"ignition" must be an object, not ${describe(ignition)}`,
    };
  const version = isObject(ignition) ? ignition.version : undefined;
  if (version !== undefined && version !== null && typeof version !== 'string')
    return {
      code: 'SYNTAX',
      message: notValid,
      detail: `"ignition.version" must be a string, not ${describe(version)}`,
    };
  const semver = typeof version === 'string' ? parseSemVer(version) : undefined;
  if (semver === undefined)
    return { code: 'VERSION_UNPARSABLE', message: ignitionMessages.ErrInvalidVersion };
  const known = specVersionOf(semver);
  if (known === undefined || !accepted.includes(known))
    return { code: 'VERSION_UNSUPPORTED', message: ignitionMessages.ErrUnknownVersion };
  return { version: known, text: version as string };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function pathOf(pointer: string): JsonPath {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function unknownKeyOf(error: ShapeError): string | undefined {
  const key = error.params.additionalProperty ?? error.params.unevaluatedProperty;
  return typeof key === 'string' ? key : undefined;
}

function valueAt(root: unknown, path: JsonPath): unknown {
  let node = root;
  for (const segment of path)
    node = (node as JsonObject | unknown[] | undefined)?.[segment as never];
  return node;
}

/** Go's `encoding/json` key folding: ASCII case, plus the Kelvin sign and long s it folds too. */
function foldKey(key: string): string {
  return key
    .replace(/\u212a/g, 'k')
    .replace(/\u017f/g, 's')
    .toLowerCase();
}

/**
 * Match keys as Go's decoder does: a key that equals a field name ignoring case is used for
 * that field (the last such key wins), and Ignition still warns `unused key X` about it.
 * Only places the spec defines are walked, so the depth is the schema's, not the input's.
 */
const foldedFieldNames = new WeakMap<FieldTree, Map<string, string>>();

function foldedNames(tree: FieldTree, fields: Record<string, FieldTree>): Map<string, string> {
  let names = foldedFieldNames.get(tree);
  if (names === undefined) {
    names = new Map(Object.keys(fields).map((name) => [foldKey(name), name]));
    foldedFieldNames.set(tree, names);
  }
  return names;
}

function foldKeys(value: unknown, tree: FieldTree, path: JsonPath, renamed: JsonPath[]): unknown {
  if (Array.isArray(value)) {
    const items = tree.i;
    if (items !== undefined)
      for (let index = 0; index < value.length; index++)
        value[index] = foldKeys(value[index], items, [...path, index], renamed);
    return value;
  }
  const fields = tree.f;
  if (!isObject(value) || fields === undefined) return value;
  const names = foldedNames(tree, fields);
  const keys = Object.keys(value);
  // Usually every key is exact: walk the known members in place, without rebuilding.
  if (keys.every((key) => key in fields || !names.has(foldKey(key)))) {
    for (const key of keys) {
      const subtree = fields[key];
      if (subtree !== undefined)
        value[key] = foldKeys(value[key], subtree, [...path, key], renamed);
    }
    return value;
  }
  const result: JsonObject = {};
  for (const key of keys) {
    const field = key in fields ? key : names.get(foldKey(key));
    if (field !== undefined && field !== key) renamed.push([...path, key]);
    const target = field ?? key;
    const subtree = field === undefined ? undefined : fields[field];
    result[target] =
      subtree === undefined
        ? value[key]
        : foldKeys(value[key], subtree, [...path, target], renamed);
  }
  return result;
}

/** Shape errors, worded like Go's decoder; unknown keys as Ignition's `unused key` warnings. */
function checkShapes(
  json: unknown,
  version: SpecVersion,
  strict: boolean,
  findings: FindingCollector,
): boolean {
  const validate = shapeValidators[version];
  // Internal invariant: `version` is a SpecVersion and ignition-config-types generates a
  // validator for each (its generated.test.ts), so this is a bug, with its stack.
  if (validate === undefined) throw new Error(`no shape validator for ${version}`);
  if (validate(json)) return true;
  let shapesOk = true;
  for (const error of validate.errors ?? []) {
    const path = pathOf(error.instancePath);
    const unknownKey = unknownKeyOf(error);
    if (unknownKey !== undefined) {
      const message = unusedKeyMessage(unknownKey);
      if (strict) findings.error([...path, unknownKey], message);
      else findings.warn([...path, unknownKey], message);
      continue;
    }
    shapesOk = false;
    const expected = error.params.type;
    findings.error(
      path,
      `cannot unmarshal ${describe(valueAt(json, path))} into a value of type ${String(expected).replace(',null', '')}`,
    );
  }
  return shapesOk;
}

/** Validate a config (bytes, text, or an already parsed JSON value). Never throws for bad input. */
export function validateConfig(
  input: string | Uint8Array | object,
  options: ValidateOptions = {},
): ValidationReport {
  let json: unknown;
  try {
    const decoded = decodeJson(input);
    if ('failure' in decoded) return failure(decoded.failure);
    json = withoutNullMembers(decoded.json);
  } catch (error) {
    if (error instanceof RangeError)
      return failure({
        code: 'SYNTAX',
        message: notValid,
        detail: 'the JSON is nested too deeply',
      });
    throw error;
  }
  const read = readVersion(json, options.acceptedVersions ?? currentSpecVersions);
  if ('code' in read) return failure(read);
  const findings = new FindingCollector();
  const renamed: JsonPath[] = [];
  const tree = fieldTrees[read.version];
  if (tree !== undefined) json = foldKeys(json, tree, [], renamed);
  for (const path of renamed) {
    const message = unusedKeyMessage(String(path.at(-1)));
    if (options.strict === true) findings.error(path, message);
    else findings.warn(path, message);
  }
  let config: IgnitionConfig | undefined;
  if (checkShapes(json, read.version, options.strict === true, findings)) {
    config = json as IgnitionConfig;
    checkConfig(config, specRules(read.version), findings);
  }
  return {
    valid: findings.errors.length === 0,
    version: read.text,
    parseFailure: undefined,
    errors: findings.errors,
    warnings: findings.warnings,
    config,
  };
}
