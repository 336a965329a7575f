import { parse as parseToml, TomlError } from 'smol-toml';
import { MirrorFormatError } from './errors.ts';
import { isValidHost, isValidRepositoryPath } from './image-reference.ts';

/**
 * containers-registries.conf(5) version 2, the subset this project writes and the whole of
 * what it accepts (mirror.md §1). containers/image ignores unknown keys silently (a typo
 * like `mirror-by-digest` changes behaviour without a word, mirror.md §1.3), so this
 * validator refuses them.
 */

/** Where the drop-in goes (containers-registries.conf.d(5)); later names win for equal prefixes. */
export const REGISTRIES_CONF_DROP_IN_DIR = '/etc/containers/registries.conf.d';
export const REGISTRIES_CONF_DROP_IN_NAME = '99-hostmirror.conf';

export const PULL_FROM_MIRROR_VALUES = ['all', 'digest-only', 'tag-only'] as const;
export type PullFromMirror = (typeof PULL_FROM_MIRROR_VALUES)[number];
export const SHORT_NAME_MODES = ['enforcing', 'permissive', 'disabled'] as const;

export interface MirrorEndpoint {
  location: string;
  /** Which pulls may use this mirror; "all" when unset (c/image's default). */
  pullFromMirror: PullFromMirror | undefined;
  insecure: boolean;
}

export interface RegistryTable {
  /** As written; "" and missing both mean "same as location". */
  prefix: string | undefined;
  location: string;
  insecure: boolean;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: MirrorEndpoint[];
}

export interface RegistriesConf {
  unqualifiedSearchRegistries: string[] | undefined;
  shortNameMode: string | undefined;
  credentialHelpers: string[] | undefined;
  aliases: Record<string, string>;
  registries: RegistryTable[];
}

export interface RegistriesConfIssue {
  /** Stable code: tests and callers branch on it. */
  code:
    | 'toml-syntax'
    | 'v1-format'
    | 'unknown-key'
    | 'wrong-type'
    | 'bad-enum'
    | 'missing-location'
    | 'bad-prefix'
    | 'bad-location'
    | 'duplicate-prefix'
    | 'digest-only-conflict'
    | 'insecure-not-on-mirror'
    | 'newer-key';
  /** Where: `registry[0].mirror[1].location` style. */
  path: string;
  message: string;
}

export interface RegistriesConfReport {
  valid: boolean;
  errors: RegistriesConfIssue[];
  warnings: RegistriesConfIssue[];
  /** The parsed configuration when there are no errors. */
  config: RegistriesConf | undefined;
}

const topLevelKeys = new Set([
  'unqualified-search-registries',
  'short-name-mode',
  'credential-helpers',
  'additional-layer-store-auth-helper',
  'registry',
  'aliases',
]);
const registryKeys = new Set([
  'prefix',
  'location',
  'insecure',
  'blocked',
  'mirror-by-digest-only',
  'mirror',
]);
const mirrorKeys = new Set(['location', 'insecure', 'pull-from-mirror']);
/** Keys of newer containers/image versions than Debian 12's 5.23: accepted, with a warning. */
const newerKeys = new Set(['proxy']);
/** The v1 format's tables (`[registries.search]` …); mixing them with v2 is a hard c/image error. */
const v1TopLevelKey = 'registries';

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}

/** `host[:port][/path]`, no tag, digest or wildcard. */
export function isRepositoryScope(value: string): boolean {
  const slash = value.indexOf('/');
  const host = slash === -1 ? value : value.slice(0, slash);
  if (!isValidHost(host)) return false;
  return slash === -1 || isValidRepositoryPath(value.slice(slash + 1));
}

/** A wildcard prefix: `*.` and a bare host (no port, no path), per containers-registries.conf(5). */
export function isWildcardPrefix(value: string): boolean {
  return /^\*\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(
    value,
  );
}

class Checker {
  readonly errors: RegistriesConfIssue[] = [];
  readonly warnings: RegistriesConfIssue[] = [];

  error(code: RegistriesConfIssue['code'], path: string, message: string): void {
    this.errors.push({ code, path, message });
  }

  warn(code: RegistriesConfIssue['code'], path: string, message: string): void {
    this.warnings.push({ code, path, message });
  }

  keys(table: Table, allowed: Set<string>, path: string, hint: string): void {
    for (const key of Object.keys(table)) {
      if (allowed.has(key)) continue;
      if (newerKeys.has(key)) {
        this.warn(
          'newer-key',
          `${path}${key}`,
          `"${key}" is only read by containers/image newer than 5.23; older hosts ignore it.`,
        );
        continue;
      }
      this.error(
        'unknown-key',
        `${path}${key}`,
        `Unknown key "${key}" ${hint}: containers/image would ignore it silently. Allowed: ${[...allowed].join(', ')}.`,
      );
    }
  }

  string(table: Table, key: string, path: string): string | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.error(
        'wrong-type',
        `${path}${key}`,
        `"${key}" must be a string; got ${JSON.stringify(value)}.`,
      );
      return undefined;
    }
    return value;
  }

  boolean(table: Table, key: string, path: string): boolean {
    const value = table[key];
    if (value === undefined) return false;
    if (typeof value !== 'boolean') {
      this.error(
        'wrong-type',
        `${path}${key}`,
        `"${key}" must be true or false; got ${JSON.stringify(value)}.`,
      );
      return false;
    }
    return value;
  }

  stringArray(table: Table, key: string, path: string): string[] | undefined {
    const value = table[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      this.error(
        'wrong-type',
        `${path}${key}`,
        `"${key}" must be an array of strings; got ${JSON.stringify(value)}.`,
      );
      return undefined;
    }
    return value as string[];
  }
}

function checkMirror(checker: Checker, value: unknown, path: string): MirrorEndpoint | undefined {
  if (!isTable(value)) {
    checker.error('wrong-type', path, 'Each [[registry.mirror]] must be a table.');
    return undefined;
  }
  checker.keys(value, mirrorKeys, `${path}.`, 'in a [[registry.mirror]] table');
  const location = checker.string(value, 'location', `${path}.`);
  if (location === undefined || location === '') {
    checker.error(
      'missing-location',
      `${path}.location`,
      'Every [[registry.mirror]] needs a non-empty location.',
    );
  } else if (!isRepositoryScope(location)) {
    checker.error(
      'bad-location',
      `${path}.location`,
      `Mirror location ${JSON.stringify(location)} must be host[:port][/path] with no tag, digest or wildcard.`,
    );
  }
  const pull = checker.string(value, 'pull-from-mirror', `${path}.`);
  if (
    pull !== undefined &&
    pull !== '' &&
    !(PULL_FROM_MIRROR_VALUES as readonly string[]).includes(pull)
  ) {
    checker.error(
      'bad-enum',
      `${path}.pull-from-mirror`,
      `pull-from-mirror ${JSON.stringify(pull)} is not one of ${PULL_FROM_MIRROR_VALUES.join(', ')}.`,
    );
  }
  return {
    location: location ?? '',
    pullFromMirror: pull === '' || pull === undefined ? undefined : (pull as PullFromMirror),
    insecure: checker.boolean(value, 'insecure', `${path}.`),
  };
}

function pathAfterHost(scope: string): string {
  const slash = scope.indexOf('/');
  return slash === -1 ? '' : scope.slice(slash + 1);
}

function checkPrefix(
  checker: Checker,
  prefix: string | undefined,
  location: string | undefined,
  path: string,
): void {
  if (prefix !== undefined && prefix !== '') {
    if (prefix.includes('*')) {
      if (!isWildcardPrefix(prefix))
        checker.error(
          'bad-prefix',
          `${path}.prefix`,
          `Wildcard prefix ${JSON.stringify(prefix)} is invalid: only a leading "*." on a bare host is allowed ("*.example.com"; not "*.example.com/foo" or "example.*.com").`,
        );
    } else if (prefix.includes('@') || pathAfterHost(prefix).includes(':')) {
      checker.error(
        'bad-prefix',
        `${path}.prefix`,
        `Prefix ${JSON.stringify(prefix)} names a tag or digest; containers/image does not match tag pulls against it (mirror.md §1.3). Use the repository only.`,
      );
    } else if (!isRepositoryScope(prefix)) {
      checker.error(
        'bad-prefix',
        `${path}.prefix`,
        `Prefix ${JSON.stringify(prefix)} must be host[:port][/path].`,
      );
    }
  }
  const wildcard = prefix?.startsWith('*.') === true;
  if (location === undefined || location === '') {
    if (!wildcard)
      checker.error(
        'missing-location',
        `${path}.location`,
        'A [[registry]] needs a location (only a wildcard prefix may leave it empty).',
      );
    return;
  }
  if (location.includes('*') || location.includes('@') || !isRepositoryScope(location)) {
    checker.error(
      'bad-location',
      `${path}.location`,
      `Location ${JSON.stringify(location)} must be host[:port][/path] with no tag, digest or wildcard.`,
    );
  }
}

function checkRegistry(checker: Checker, value: unknown, index: number): RegistryTable | undefined {
  const path = `registry[${index}]`;
  if (!isTable(value)) {
    checker.error('wrong-type', path, 'Each [[registry]] must be a table.');
    return undefined;
  }
  checker.keys(
    value,
    registryKeys,
    `${path}.`,
    'in a [[registry]] table (top-level keys must come before the first [[registry]])',
  );
  const prefix = checker.string(value, 'prefix', `${path}.`);
  const location = checker.string(value, 'location', `${path}.`);
  checkPrefix(checker, prefix, location, path);
  const mirrorsValue = value.mirror;
  const mirrors: MirrorEndpoint[] = [];
  if (mirrorsValue !== undefined) {
    if (!Array.isArray(mirrorsValue)) {
      checker.error(
        'wrong-type',
        `${path}.mirror`,
        'mirror must be an array of tables: write [[registry.mirror]].',
      );
    } else {
      mirrorsValue.forEach((mirror, mirrorIndex) => {
        const endpoint = checkMirror(checker, mirror, `${path}.mirror[${mirrorIndex}]`);
        if (endpoint) mirrors.push(endpoint);
      });
    }
  }
  const mirrorByDigestOnly = checker.boolean(value, 'mirror-by-digest-only', `${path}.`);
  if (mirrorByDigestOnly && mirrors.some((mirror) => mirror.pullFromMirror !== undefined)) {
    checker.error(
      'digest-only-conflict',
      `${path}.mirror-by-digest-only`,
      'mirror-by-digest-only and a per-mirror pull-from-mirror cannot be set together: containers/image refuses the whole file. Use pull-from-mirror = "digest-only" on each mirror instead.',
    );
  }
  return {
    prefix,
    location: location ?? '',
    insecure: checker.boolean(value, 'insecure', `${path}.`),
    blocked: checker.boolean(value, 'blocked', `${path}.`),
    mirrorByDigestOnly,
    mirrors,
  };
}

/** The prefix a table matches: its prefix, or its location when the prefix is empty or missing. */
export function effectivePrefix(table: RegistryTable): string {
  return table.prefix === undefined || table.prefix === '' ? table.location : table.prefix;
}

function hostOf(scope: string): string {
  const slash = scope.indexOf('/');
  return slash === -1 ? scope : scope.slice(0, slash);
}

function crossChecks(checker: Checker, registries: RegistryTable[]): void {
  const seen = new Map<string, number>();
  registries.forEach((table, index) => {
    const prefix = effectivePrefix(table);
    const earlier = seen.get(prefix);
    if (earlier !== undefined)
      checker.error(
        'duplicate-prefix',
        `registry[${index}].prefix`,
        `Prefix ${JSON.stringify(prefix)} is defined twice (also registry[${earlier}]); containers/image refuses the file.`,
      );
    seen.set(prefix, index);
  });
  const insecureHosts = new Set(
    registries.filter((table) => table.insecure).map((table) => hostOf(effectivePrefix(table))),
  );
  registries.forEach((table, index) => {
    table.mirrors.forEach((mirror, mirrorIndex) => {
      if (!mirror.insecure && insecureHosts.has(hostOf(mirror.location)))
        checker.warn(
          'insecure-not-on-mirror',
          `registry[${index}].mirror[${mirrorIndex}].insecure`,
          `${hostOf(mirror.location)} is insecure in its own [[registry]], but that does not reach mirror endpoints (mirror.md §1.2): set insecure = true on this mirror table too, or use TLS with a certs.d CA.`,
        );
    });
  });
}

/**
 * Validate a registries.conf (main file or drop-in) strictly. Never throws: the report has
 * errors and warnings with their places; `config` is set only when there are no errors.
 */
export function validateRegistriesConf(text: string): RegistriesConfReport {
  const checker = new Checker();
  let document: Table;
  try {
    document = parseToml(text) as Table;
  } catch (error) {
    const where =
      error instanceof TomlError ? `line ${error.line}, column ${error.column}` : 'the file';
    checker.error(
      'toml-syntax',
      where,
      `Not valid TOML: ${(error as Error).message.split('\n')[0]}`,
    );
    return { valid: false, errors: checker.errors, warnings: checker.warnings, config: undefined };
  }
  if (v1TopLevelKey in document) {
    checker.error(
      'v1-format',
      v1TopLevelKey,
      'The v1 format ([registries.search], [registries.insecure], [registries.block]) is not accepted: write version 2 ([[registry]] tables); c/image refuses a file mixing both.',
    );
  }
  checker.keys(document, new Set([...topLevelKeys, v1TopLevelKey]), '', 'at the top level');
  const shortNameMode = checker.string(document, 'short-name-mode', '');
  if (
    shortNameMode !== undefined &&
    shortNameMode !== '' &&
    !(SHORT_NAME_MODES as readonly string[]).includes(shortNameMode)
  )
    checker.error(
      'bad-enum',
      'short-name-mode',
      `short-name-mode ${JSON.stringify(shortNameMode)} is not one of ${SHORT_NAME_MODES.join(', ')}.`,
    );
  checker.string(document, 'additional-layer-store-auth-helper', '');
  const aliases: Record<string, string> = {};
  if (document.aliases !== undefined) {
    if (!isTable(document.aliases))
      checker.error(
        'wrong-type',
        'aliases',
        '[aliases] must be a table of "short-name" = "registry/repository".',
      );
    else
      for (const [name, target] of Object.entries(document.aliases)) {
        if (typeof target !== 'string')
          checker.error('wrong-type', `aliases.${name}`, `The alias ${name} must be a string.`);
        else aliases[name] = target;
      }
  }
  const registries: RegistryTable[] = [];
  const registryList = document.registry;
  if (registryList !== undefined) {
    if (!Array.isArray(registryList))
      checker.error(
        'wrong-type',
        'registry',
        'registry must be an array of tables: write [[registry]].',
      );
    else
      registryList.forEach((value, index) => {
        const table = checkRegistry(checker, value, index);
        if (table) registries.push(table);
      });
  }
  crossChecks(checker, registries);
  const config: RegistriesConf = {
    unqualifiedSearchRegistries: checker.stringArray(document, 'unqualified-search-registries', ''),
    shortNameMode,
    credentialHelpers: checker.stringArray(document, 'credential-helpers', ''),
    aliases,
    registries,
  };
  const valid = checker.errors.length === 0;
  return {
    valid,
    errors: checker.errors,
    warnings: checker.warnings,
    config: valid ? config : undefined,
  };
}

/** Parse and validate; throws `REGISTRIES_CONF_INVALID` listing every error. */
export function parseRegistriesConf(text: string, file = 'registries.conf'): RegistriesConf {
  const report = validateRegistriesConf(text);
  if (!report.config) {
    const list = report.errors.map((issue) => `${issue.path}: ${issue.message}`).join('\n  ');
    throw new MirrorFormatError(
      'REGISTRIES_CONF_INVALID',
      `${file} is not a valid registries.conf:\n  ${list}`,
      { path: file },
    );
  }
  return report.config;
}

/**
 * Combine a main file and drop-ins as containers/image does (containers-registries.conf.d(5)):
 * in order, later scalars replace earlier ones, a [[registry]] with the same prefix replaces
 * the earlier table, new prefixes are added.
 */
export function mergeRegistriesConfs(configs: RegistriesConf[]): RegistriesConf {
  const merged: RegistriesConf = {
    unqualifiedSearchRegistries: undefined,
    shortNameMode: undefined,
    credentialHelpers: undefined,
    aliases: {},
    registries: [],
  };
  for (const config of configs) {
    merged.unqualifiedSearchRegistries =
      config.unqualifiedSearchRegistries ?? merged.unqualifiedSearchRegistries;
    merged.shortNameMode = config.shortNameMode ?? merged.shortNameMode;
    merged.credentialHelpers = config.credentialHelpers ?? merged.credentialHelpers;
    Object.assign(merged.aliases, config.aliases);
    for (const table of config.registries) {
      const index = merged.registries.findIndex(
        (existing) => effectivePrefix(existing) === effectivePrefix(table),
      );
      if (index === -1) merged.registries.push(table);
      else merged.registries[index] = table;
    }
  }
  return merged;
}
