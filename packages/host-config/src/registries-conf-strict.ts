import {
  isValidHost,
  isValidRepositoryPath,
  MirrorFormatError,
} from '@hostmirror/oc-mirror-archive';
import { parse as parseToml, TomlError } from 'smol-toml';
import {
  type ContainersImageVersion,
  OLDEST_SUPPORTED_OPENSHIFT,
  OPENSHIFT_CONTAINERS_IMAGE,
} from './containers-image-version.ts';
import {
  isTomlTable,
  loadRegistriesConf,
  MIRROR_KEYS,
  PULL_FROM_MIRROR_VALUES,
  REGISTRY_KEYS,
  type RegistriesConf,
  SHORT_NAME_MODES,
  TOP_LEVEL_KEYS,
  type TomlTable,
  V1_TOP_LEVEL_KEY,
  WILDCARD_PREFIX_START,
} from './registries-conf.ts';
import { aliasValueProblem, shortNameProblem } from './short-names.ts';

/**
 * The strict registries.conf validator: for what hostmirror writes and what it accepts from
 * users. c/image (registries-conf.ts has its loading rules) ignores unknown keys silently and
 * keeps the first of two tables with one prefix without a word, so a typo like
 * `mirror-by-digest` or a duplicated table changes behaviour unnoticed (docs/mirror.md#registries-conf). Here
 * those are errors, with their place; a file that passes is then loaded with c/image's rules,
 * so `config` is the same model the resolver uses.
 */

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
    | 'refused-by-containers-image'
    | 'insecure-not-on-mirror'
    | 'newer-key'
    | 'key-case'
    | 'bad-search-registry'
    | 'bad-alias';
  /** Where: `registry[0].mirror[1].location` style. */
  path: string;
  message: string;
}

export interface RegistriesConfReport {
  valid: boolean;
  errors: RegistriesConfIssue[];
  warnings: RegistriesConfIssue[];
  /** The configuration as c/image loads it, when there are no errors. */
  config: RegistriesConf | undefined;
}

/** Keys of newer containers/image versions than Debian 12's 5.23: accepted, with a warning. */
const NEWER_KEYS = new Set(['proxy']);

/** `host[:port][/path]`, no tag, digest or wildcard. */
export function isRepositoryScope(value: string): boolean {
  const slash = value.indexOf('/');
  const host = slash === -1 ? value : value.slice(0, slash);
  if (!isValidHost(host)) return false;
  return slash === -1 || isValidRepositoryPath(value.slice(slash + 1));
}

/** A wildcard prefix: `*.` and a bare host (no port, no path), per containers-registries.conf(5). */
function isWildcardPrefix(value: string): boolean {
  return /^\*\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(
    value,
  );
}

/** What the cross-table checks need of one [[registry]] as written. */
interface WrittenTable {
  /** The prefix c/image matches: the prefix, or the location when the prefix is empty. */
  prefix: string;
  insecure: boolean;
  mirrors: { location: string; insecure: boolean }[];
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

  keys(table: TomlTable, allowed: ReadonlySet<string>, path: string, hint: string): void {
    for (const key of Object.keys(table)) {
      if (allowed.has(key)) continue;
      const folded = [...allowed].find((name) => name.toLowerCase() === key.toLowerCase());
      if (folded !== undefined) {
        this.error(
          'key-case',
          `${path}${key}`,
          `"${key}" is read as "${folded}" by containers/image (BurntSushi/toml matches keys ignoring case) but not by every other reader: write "${folded}".`,
        );
        continue;
      }
      if (NEWER_KEYS.has(key)) {
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

  string(table: TomlTable, key: string, path: string): string | undefined {
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

  boolean(table: TomlTable, key: string, path: string): boolean {
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

  /** A string that must be one of `allowed` when set (empty counts as unset, as in c/image). */
  choice(table: TomlTable, key: string, allowed: readonly string[], path: string): void {
    const value = this.string(table, key, path);
    if (value !== undefined && value !== '' && !allowed.includes(value))
      this.error(
        'bad-enum',
        `${path}${key}`,
        `${key} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}.`,
      );
  }

  stringArray(table: TomlTable, key: string, path: string): void {
    const value = table[key];
    if (value === undefined) return;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
      this.error(
        'wrong-type',
        `${path}${key}`,
        `"${key}" must be an array of strings; got ${JSON.stringify(value)}.`,
      );
  }
}

function checkMirror(
  checker: Checker,
  value: unknown,
  path: string,
): WrittenTable['mirrors'][number] | undefined {
  if (!isTomlTable(value)) {
    checker.error('wrong-type', path, 'Each [[registry.mirror]] must be a table.');
    return undefined;
  }
  checker.keys(value, MIRROR_KEYS, `${path}.`, 'in a [[registry.mirror]] table');
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
  checker.choice(value, 'pull-from-mirror', PULL_FROM_MIRROR_VALUES, `${path}.`);
  return { location: location ?? '', insecure: checker.boolean(value, 'insecure', `${path}.`) };
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
        `Prefix ${JSON.stringify(prefix)} names a tag or digest; containers/image does not match tag pulls against it (containers-registries.conf(5), tested with containers/image 5.23). Use the repository only.`,
      );
    } else if (!isRepositoryScope(prefix)) {
      checker.error(
        'bad-prefix',
        `${path}.prefix`,
        `Prefix ${JSON.stringify(prefix)} must be host[:port][/path].`,
      );
    }
  }
  const wildcard = prefix?.startsWith(WILDCARD_PREFIX_START) === true;
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

function checkMirrors(checker: Checker, value: unknown, path: string): WrittenTable['mirrors'] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    checker.error(
      'wrong-type',
      `${path}.mirror`,
      'mirror must be an array of tables: write [[registry.mirror]].',
    );
    return [];
  }
  return value.flatMap(
    (mirror, mirrorIndex) => checkMirror(checker, mirror, `${path}.mirror[${mirrorIndex}]`) ?? [],
  );
}

function checkRegistry(checker: Checker, value: unknown, index: number): WrittenTable | undefined {
  const path = `registry[${index}]`;
  if (!isTomlTable(value)) {
    checker.error('wrong-type', path, 'Each [[registry]] must be a table.');
    return undefined;
  }
  checker.keys(
    value,
    REGISTRY_KEYS,
    `${path}.`,
    'in a [[registry]] table (top-level keys must come before the first [[registry]])',
  );
  const prefix = checker.string(value, 'prefix', `${path}.`);
  const location = checker.string(value, 'location', `${path}.`);
  checkPrefix(checker, prefix, location, path);
  const mirrors = checkMirrors(checker, value.mirror, path);
  const mirrorByDigestOnly = checker.boolean(value, 'mirror-by-digest-only', `${path}.`);
  const perMirrorPolicy =
    Array.isArray(value.mirror) &&
    value.mirror.some((mirror) => isTomlTable(mirror) && (mirror['pull-from-mirror'] ?? '') !== '');
  if (mirrorByDigestOnly && perMirrorPolicy) {
    checker.error(
      'digest-only-conflict',
      `${path}.mirror-by-digest-only`,
      'mirror-by-digest-only and a per-mirror pull-from-mirror cannot be set together: containers/image refuses the whole file. Use pull-from-mirror = "digest-only" on each mirror instead.',
    );
  }
  checker.boolean(value, 'blocked', `${path}.`);
  return {
    prefix: prefix === undefined || prefix === '' ? (location ?? '') : prefix,
    insecure: checker.boolean(value, 'insecure', `${path}.`),
    mirrors,
  };
}

function hostOf(scope: string): string {
  const slash = scope.indexOf('/');
  return slash === -1 ? scope : scope.slice(0, slash);
}

function crossChecks(checker: Checker, registries: (WrittenTable | undefined)[]): void {
  const seen = new Map<string, number>();
  registries.forEach((table, index) => {
    if (table === undefined) return;
    const earlier = seen.get(table.prefix);
    // c/image 5.23 keeps the first table for a prefix and drops the others without a word.
    if (earlier !== undefined)
      checker.error(
        'duplicate-prefix',
        `registry[${index}].prefix`,
        `Prefix ${JSON.stringify(table.prefix)} is defined twice (also registry[${earlier}]); c/image would silently use the first table (registry[${earlier}]) and ignore this one. Merge them into one [[registry]].`,
      );
    else seen.set(table.prefix, index);
  });
  const written = registries.filter((table): table is WrittenTable => table !== undefined);
  const insecureHosts = new Set(
    written.filter((table) => table.insecure).map((table) => hostOf(table.prefix)),
  );
  registries.forEach((table, index) => {
    table?.mirrors.forEach((mirror, mirrorIndex) => {
      if (!mirror.insecure && insecureHosts.has(hostOf(mirror.location)))
        checker.warn(
          'insecure-not-on-mirror',
          `registry[${index}].mirror[${mirrorIndex}].insecure`,
          `${hostOf(mirror.location)} is insecure in its own [[registry]], but that does not reach mirror endpoints (containers-registries.conf(5): a mirror inherits nothing from another table): set insecure = true on this mirror table too, or use TLS with a certs.d CA.`,
        );
    });
  });
}

function checkTopLevel(checker: Checker, document: TomlTable): void {
  if (V1_TOP_LEVEL_KEY in document) {
    checker.error(
      'v1-format',
      V1_TOP_LEVEL_KEY,
      'The v1 format ([registries.search], [registries.insecure], [registries.block]) is not accepted: write version 2 ([[registry]] tables); c/image refuses a file mixing both.',
    );
  }
  checker.keys(document, new Set([...TOP_LEVEL_KEYS, V1_TOP_LEVEL_KEY]), '', 'at the top level');
  checker.choice(document, 'short-name-mode', SHORT_NAME_MODES, '');
  checker.string(document, 'additional-layer-store-auth-helper', '');
  checker.stringArray(document, 'unqualified-search-registries', '');
  const search = document['unqualified-search-registries'];
  if (Array.isArray(search))
    search.forEach((entry, index) => {
      if (typeof entry === 'string' && !isValidHost(entry.replace(/\/+$/, '')))
        checker.error(
          'bad-search-registry',
          `unqualified-search-registries[${index}]`,
          `${JSON.stringify(entry)} is not a bare host[:port]; containers/image refuses the whole file (Invalid unqualified-search-registries entry).`,
        );
    });
  checker.stringArray(document, 'credential-helpers', '');
  if (document.aliases === undefined) return;
  if (!isTomlTable(document.aliases)) {
    checker.error(
      'wrong-type',
      'aliases',
      '[aliases] must be a table of "short-name" = "registry/repository".',
    );
    return;
  }
  for (const [name, target] of Object.entries(document.aliases)) {
    if (typeof target !== 'string') {
      checker.error('wrong-type', `aliases.${name}`, `The alias ${name} must be a string.`);
      continue;
    }
    const problem =
      shortNameProblem(name) ?? (target === '' ? undefined : aliasValueProblem(target));
    if (problem !== undefined)
      checker.error(
        'bad-alias',
        `aliases.${name}`,
        `${problem}; containers/image refuses the whole file. Write short-name = "registry/repository" (no tag or digest).`,
      );
  }
}

function checkRegistries(checker: Checker, document: TomlTable): void {
  const list = document.registry;
  if (list === undefined) return;
  if (!Array.isArray(list)) {
    checker.error(
      'wrong-type',
      'registry',
      'registry must be an array of tables: write [[registry]].',
    );
    return;
  }
  crossChecks(
    checker,
    list.map((value, index) => checkRegistry(checker, value, index)),
  );
}

/** Load a file that passed the strict checks; c/image's own refusals (conflicts) become issues. */
function loadChecked(
  checker: Checker,
  document: TomlTable,
  origin: string,
): RegistriesConf | undefined {
  // Every containers/image of a supported OpenShift release must read it (the oldest first).
  let config: RegistriesConf | undefined;
  for (const version of SUPPORTED_CONTAINERS_IMAGE) {
    try {
      const loaded = loadRegistriesConf(document, { origin, containersImage: version });
      config ??= loaded;
    } catch (error) {
      if (!(error instanceof MirrorFormatError)) throw error;
      // The loader's message starts with the file; the report already names it.
      const message = error.message.startsWith(`${origin}: `)
        ? error.message.slice(origin.length + 2)
        : error.message;
      checker.error(
        'refused-by-containers-image',
        'registry',
        `containers/image ${version}: ${message}`,
      );
      return undefined;
    }
  }
  return config;
}

/** The distinct c/image versions of the supported OpenShift releases, oldest first. */
const SUPPORTED_CONTAINERS_IMAGE: readonly ContainersImageVersion[] = [
  ...new Set(
    OPENSHIFT_CONTAINERS_IMAGE.filter(
      (entry) =>
        Number(entry.openshift.split('.')[1]) >= Number(OLDEST_SUPPORTED_OPENSHIFT.split('.')[1]),
    ).flatMap((entry) => [entry.containersImage.oldest, entry.containersImage.newest]),
  ),
];

/**
 * Validate a registries.conf (main file or drop-in) strictly. Never throws: the report has
 * errors and warnings with their places; `config` is set only when there are no errors.
 */
export function validateRegistriesConf(
  text: string,
  origin = 'registries.conf',
): RegistriesConfReport {
  const checker = new Checker();
  let document: TomlTable;
  try {
    document = parseToml(text) as TomlTable;
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
  checkTopLevel(checker, document);
  checkRegistries(checker, document);
  const config = checker.errors.length === 0 ? loadChecked(checker, document, origin) : undefined;
  const valid = checker.errors.length === 0;
  return { valid, errors: checker.errors, warnings: checker.warnings, config };
}

/** Validate strictly and load; throws `REGISTRIES_CONF_INVALID` listing every error. */
export function parseRegistriesConf(text: string, file = 'registries.conf'): RegistriesConf {
  const report = validateRegistriesConf(text, file);
  if (report.config === undefined) {
    const list = report.errors.map((issue) => `${issue.path}: ${issue.message}`).join('\n  ');
    throw new MirrorFormatError(
      'REGISTRIES_CONF_INVALID',
      `${file} is not a valid registries.conf:\n  ${list}`,
      { path: file },
    );
  }
  return report.config;
}
