import { isValidHost, MirrorFormatError } from '@hostmirror/oc-mirror-archive';
import { parse as parseToml } from 'smol-toml';
import {
  type ContainersImageRules,
  type ContainersImageVersion,
  containersImageRules,
  DEFAULT_CONTAINERS_IMAGE,
} from './containers-image-version.ts';
import { aliasProblems } from './short-names.ts';

/**
 * registries.conf (containers-registries.conf(5) version 2) read the way containers/image reads
 * it (pkg/sysregistriesv2 `loadConfigFile` and `postProcessRegistries`, read at df7e80d2 and at
 * the version tags named below), so the resolver (pull-sources.ts) sees what CRI-O, podman and
 * skopeo see — not what the file's author meant. The rules that changed between c/image
 * versions follow `containersImage` (containers-image-version.ts: the version of the target
 * OpenShift release's CRI-O; default 5.25, OpenShift 4.14's; Debian 12's skopeo is 5.23). This is the package's one parsed model; the strict validator
 * (registries-conf-strict.ts) checks what we write or accept from users and then loads the file
 * through here.
 * 0. Keys match the fields without regard to case (BurntSushi/toml: an exact match, else
 *    `strings.EqualFold`), so `Location`, `[[Registry]]` and `Mirror-By-Digest-Only` are read.
 * 1. Unknown keys are ignored (c/image only logs them at debug level); we list them in
 *    `ignoredKeys` so a report can warn (a typo like `mirror-by-digest` silently changes nothing).
 * 2. `location` and `prefix` lose trailing `/` (mirror locations only from c/image 5.35);
 *    `http://`/`https://` is an error.
 * 3. An empty `prefix` means the prefix is the `location`; both empty is an error; an empty
 *    `location` is allowed only with a `*.example.com` prefix.
 * 4. `pull-from-mirror` is allowed on mirrors only, must be all|digest-only|tag-only, and must not
 *    be combined with the registry's `mirror-by-digest-only`.
 * 5. Tables naming the same location must agree on `insecure` and `blocked`.
 * 6. A wildcard prefix must be a bare `*.host` (no `/`, `@`, `:`).
 * 7. For tables with the same prefix the first one wins inside a file, silently; a drop-in's
 *    table replaces the same prefix from earlier files (`mergeRegistriesConfs`).
 * 8. Mixing v1 (`[registries.search]`…) and v2 keys is an error; drop-ins must be v2. From
 *    c/image 5.24 a v1 table with an empty list counts as v1 too.
 * 9. Each `unqualified-search-registries` entry must be a bare `host[:port]` (no namespace);
 *    `short-name-mode` must be enforcing, permissive or disabled; every `[aliases]` name must be
 *    a short name and every value `registry/repository` (short-names.ts).
 */

/** Where the drop-in goes (containers-registries.conf.d(5)); later names win for equal prefixes. */
export const REGISTRIES_CONF_DROP_IN_DIR = '/etc/containers/registries.conf.d';
export const REGISTRIES_CONF_DROP_IN_NAME = '99-hostmirror.conf';

/** c/image sysregistriesv2 values for `pull-from-mirror`. */
export const PULL_FROM_MIRROR_VALUES = ['all', 'digest-only', 'tag-only'] as const;
export type PullFromMirror = (typeof PULL_FROM_MIRROR_VALUES)[number];
/** c/image pkg/sysregistriesv2 shortnames: the values of `short-name-mode`. */
export const SHORT_NAME_MODES = ['enforcing', 'permissive', 'disabled'] as const;
export const WILDCARD_PREFIX_START = '*.';

export interface RegistryEndpoint {
  /** `host[:port][/namespace…]`; empty only for the primary endpoint of a wildcard prefix. */
  location: string;
  insecure: boolean;
}

export interface MirrorEndpoint extends RegistryEndpoint {
  /** `all` when unset in the file (c/image's default). */
  pullFromMirror: PullFromMirror;
}

export interface RegistryTable extends RegistryEndpoint {
  /** Normalised: never empty (an empty or missing prefix is the location). */
  prefix: string;
  blocked: boolean;
  mirrorByDigestOnly: boolean;
  mirrors: MirrorEndpoint[];
  /** Where the table came from (file path or a label), for messages. */
  origin: string;
}

export interface RegistriesConf {
  /** Sorted by prefix, one table per prefix (what c/image keeps after loading). */
  registries: RegistryTable[];
  unqualifiedSearchRegistries: string[] | undefined;
  shortNameMode: string | undefined;
  credentialHelpers: string[] | undefined;
  aliases: Record<string, string>;
  /** Keys c/image would not decode (dotted TOML paths), with their file. */
  ignoredKeys: { origin: string; key: string }[];
  /** The files (or labels) merged into this configuration, in load order. */
  origins: string[];
  /** The containers/image version whose rules read it (`5.MINOR`). */
  containersImage: ContainersImageVersion;
}

/** The [[registry]] keys c/image 5.23 decodes. */
export const REGISTRY_KEYS: ReadonlySet<string> = new Set([
  'prefix',
  'location',
  'insecure',
  'blocked',
  'mirror-by-digest-only',
  'mirror',
]);
/** The [[registry.mirror]] keys c/image 5.23 decodes. */
export const MIRROR_KEYS: ReadonlySet<string> = new Set([
  'location',
  'insecure',
  'pull-from-mirror',
]);
/** The top-level keys c/image 5.23 decodes (`registries` is the v1 format's table). */
export const TOP_LEVEL_KEYS: ReadonlySet<string> = new Set([
  'registry',
  'unqualified-search-registries',
  'credential-helpers',
  'short-name-mode',
  'additional-layer-store-auth-helper',
  'aliases',
]);
/** The v1 format's table (`[registries.search]` …); mixing it with v2 is a hard c/image error. */
export const V1_TOP_LEVEL_KEY = 'registries';

export type TomlTable = Record<string, unknown>;

function invalid(origin: string, message: string): MirrorFormatError {
  return new MirrorFormatError('REGISTRIES_CONF_INVALID', `${origin}: ${message}`, {
    path: origin,
  });
}

export function isTomlTable(value: unknown): value is TomlTable {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
  );
}

/** Parse TOML text; throws `REGISTRIES_CONF_INVALID` naming the file and the first syntax fault. */
function parseRegistriesToml(text: string, origin: string): TomlTable {
  try {
    return parseToml(text) as TomlTable;
  } catch (error) {
    throw invalid(origin, `not valid TOML: ${(error as Error).message.split('\n')[0]}`);
  }
}

function readString(table: TomlTable, key: string, path: string, origin: string): string {
  const value = table[key];
  if (value === undefined) return '';
  if (typeof value !== 'string')
    throw invalid(origin, `${path}.${key} must be a string; got ${JSON.stringify(value)}.`);
  return value;
}

function readBoolean(table: TomlTable, key: string, path: string, origin: string): boolean {
  const value = table[key];
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    throw invalid(origin, `${path}.${key} must be true or false; got ${JSON.stringify(value)}.`);
  return value;
}

/** c/image parseLocation: trim trailing `/`, refuse URI schemes. */
function parseLocation(value: string, path: string, origin: string): string {
  const trimmed = value.replace(/\/+$/, '');
  if (trimmed.startsWith('http://') || trimmed.startsWith('https://'))
    throw invalid(
      origin,
      `${path} ${JSON.stringify(value)}: URI schemes are not supported; write host[:port]/path.`,
    );
  return trimmed;
}

/**
 * BurntSushi/toml's field matching (decode.go unifyStruct): a key names the field with exactly
 * its name, else one equal to it under `strings.EqualFold`. The table is rewritten with each
 * matched key spelled as the field; an exact spelling wins over a folded one.
 */
export function foldTomlKeys(table: TomlTable, fields: Iterable<string>): TomlTable {
  const byFold = new Map<string, string>();
  for (const field of fields) byFold.set(field.toLowerCase(), field);
  const result: TomlTable = {};
  const exact = new Set<string>();
  for (const [key, value] of Object.entries(table)) {
    const field = byFold.has(key) && byFold.get(key) === key ? key : byFold.get(key.toLowerCase());
    if (field === undefined) {
      result[key] = value;
    } else if (field === key) {
      result[field] = value;
      exact.add(field);
    } else if (!exact.has(field)) {
      result[field] = value;
    }
  }
  return result;
}

function collectIgnored(
  table: TomlTable,
  known: ReadonlySet<string>,
  path: string,
  origin: string,
  into: RegistriesConf['ignoredKeys'],
): void {
  for (const key of Object.keys(table))
    if (!known.has(key)) into.push({ origin, key: path === '' ? key : `${path}.${key}` });
}

function readMirror(
  written: unknown,
  path: string,
  registryPrefix: string,
  mirrorByDigestOnly: boolean,
  context: LoadContext,
): MirrorEndpoint {
  const { origin, ignored } = context;
  if (!isTomlTable(written))
    throw invalid(origin, `${path} must be a table ([[registry.mirror]]).`);
  const raw = foldTomlKeys(written, MIRROR_KEYS);
  collectIgnored(raw, MIRROR_KEYS, path, origin, ignored);
  const writtenLocation = readString(raw, 'location', path, origin);
  const location = parseLocation(writtenLocation, path, origin);
  if (location === '')
    throw invalid(origin, `${path}: the mirror location is unset; set location = "host/path".`);
  const pull = readString(raw, 'pull-from-mirror', path, origin);
  if (mirrorByDigestOnly && pull !== '')
    throw invalid(
      origin,
      `${path}: cannot set mirror-by-digest-only for the registry ${JSON.stringify(registryPrefix)} and pull-from-mirror for the mirror ${JSON.stringify(location)} at the same time; keep only pull-from-mirror.`,
    );
  if (pull !== '' && !(PULL_FROM_MIRROR_VALUES as readonly string[]).includes(pull))
    throw invalid(
      origin,
      `${path}: unsupported pull-from-mirror value ${JSON.stringify(pull)} for mirror ${JSON.stringify(location)}; use one of ${PULL_FROM_MIRROR_VALUES.join(', ')}.`,
    );
  return {
    // Before 5.35 the checks above ran on a trimmed copy and the mirror kept its `/`.
    location: context.rules.trimsMirrorTrailingSlash ? location : writtenLocation,
    insecure: readBoolean(raw, 'insecure', path, origin),
    pullFromMirror: pull === '' ? 'all' : (pull as PullFromMirror),
  };
}

/** The prefix c/image keeps for a table: the prefix without trailing `/`, else the location. */
function readPrefix(raw: TomlTable, location: string, path: string, origin: string): string {
  const written = readString(raw, 'prefix', path, origin);
  if (written === '') {
    if (location === '')
      throw invalid(origin, `${path}: both location and prefix are unset; set location.`);
    return location;
  }
  const prefix = parseLocation(written, `${path}.prefix`, origin);
  if (!prefix.startsWith(WILDCARD_PREFIX_START) && location === '')
    throw invalid(
      origin,
      `${path}: location is unset and prefix ${JSON.stringify(prefix)} is not in the format *.example.com; set location.`,
    );
  if (prefix.startsWith(WILDCARD_PREFIX_START) && /[/@:]/.test(prefix))
    throw invalid(
      origin,
      `${path}: wildcarded prefix ${JSON.stringify(prefix)} must be in the format *.example.com (no "/", "@" or ":").`,
    );
  return prefix;
}

/** What one file's loading needs: its name, where ignored keys go, the c/image rules. */
interface LoadContext {
  origin: string;
  ignored: RegistriesConf['ignoredKeys'];
  rules: ContainersImageRules;
}

function readRegistry(written: unknown, index: number, context: LoadContext): RegistryTable {
  const { origin, ignored } = context;
  const path = `registry[${index}]`;
  if (!isTomlTable(written)) throw invalid(origin, `${path} must be a table ([[registry]]).`);
  // c/image decodes pull-from-mirror on a registry (an endpoint too) and then refuses it.
  const registryKeys = new Set([...REGISTRY_KEYS, 'pull-from-mirror']);
  const raw = foldTomlKeys(written, registryKeys);
  collectIgnored(raw, registryKeys, path, origin, ignored);
  const location = parseLocation(
    readString(raw, 'location', path, origin),
    `${path}.location`,
    origin,
  );
  const prefix = readPrefix(raw, location, path, origin);
  if (readString(raw, 'pull-from-mirror', path, origin) !== '')
    throw invalid(
      origin,
      `${path}: pull-from-mirror must not be set for a non-mirror registry ${JSON.stringify(prefix)}; move it into [[registry.mirror]].`,
    );
  const mirrorByDigestOnly = readBoolean(raw, 'mirror-by-digest-only', path, origin);
  const rawMirrors = raw.mirror ?? [];
  if (!Array.isArray(rawMirrors))
    throw invalid(origin, `${path}.mirror must be an array of tables ([[registry.mirror]]).`);
  const mirrors = rawMirrors.map((mirror, mirrorIndex) =>
    readMirror(mirror, `${path}.mirror[${mirrorIndex}]`, prefix, mirrorByDigestOnly, context),
  );
  return {
    prefix,
    location,
    insecure: readBoolean(raw, 'insecure', path, origin),
    blocked: readBoolean(raw, 'blocked', path, origin),
    mirrorByDigestOnly,
    mirrors,
    origin,
  };
}

/** c/image: tables naming the same location (or wildcard prefix) must agree on insecure/blocked. */
function checkConflicts(registries: RegistryTable[], origin: string): void {
  const byKey = new Map<string, RegistryTable>();
  for (const registry of registries) {
    const key = registry.location === '' ? registry.prefix : registry.location;
    const other = byKey.get(key);
    if (other === undefined) {
      byKey.set(key, registry);
      continue;
    }
    for (const setting of ['insecure', 'blocked'] as const)
      if (other[setting] !== registry[setting])
        throw new MirrorFormatError(
          'REGISTRIES_CONF_CONFLICT',
          `${origin}: registry ${JSON.stringify(key)} is defined multiple times with conflicting '${setting}' setting; make the tables agree.`,
          { path: origin },
        );
  }
}

function sortedByPrefix(byPrefix: Map<string, RegistryTable>): RegistryTable[] {
  return [...byPrefix.keys()].sort().map((prefix) => byPrefix.get(prefix) as RegistryTable);
}

/** First table per prefix wins, silently, then sort by prefix (c/image postProcessRegistries). */
function uniqueSortedByPrefix(registries: RegistryTable[]): RegistryTable[] {
  const byPrefix = new Map<string, RegistryTable>();
  for (const registry of registries)
    if (!byPrefix.has(registry.prefix)) byPrefix.set(registry.prefix, registry);
  return sortedByPrefix(byPrefix);
}

function readStringList(raw: unknown, key: string, origin: string): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.some((item) => typeof item !== 'string'))
    throw invalid(origin, `${key} must be an array of strings.`);
  return raw as string[];
}

function readAliases(raw: unknown, origin: string): Record<string, string> {
  if (raw === undefined) return {};
  if (!isTomlTable(raw))
    throw invalid(origin, '[aliases] must be a table of "short-name" = "registry/repository".');
  const aliases: Record<string, string> = {};
  for (const [name, target] of Object.entries(raw)) {
    if (typeof target !== 'string')
      throw invalid(origin, `aliases.${name} must be a string; got ${JSON.stringify(target)}.`);
    aliases[name] = target;
  }
  // newShortNameAliasCache reports every bad entry at once (shortnames.go).
  const problems = aliasProblems(aliases);
  if (problems.length > 0)
    throw invalid(
      origin,
      `validating short-name aliases: ${problems.join('; ')}. Write each as short-name = "registry/repository" (no tag or digest), or "" to reset it.`,
    );
  return aliases;
}

const V1_TABLES = ['search', 'insecure', 'block'] as const;

/**
 * Whether the v1 part (`[registries.search|insecure|block] registries = […]`) is set: 5.23's
 * `Nonempty` wants a non-empty list, 5.24+'s `hasSetField` any list, even `[]`.
 */
function hasV1Content(raw: unknown, rules: ContainersImageRules): boolean {
  if (!isTomlTable(raw)) return false;
  const v1 = foldTomlKeys(raw, V1_TABLES);
  return V1_TABLES.some((key) => {
    const written = v1[key];
    if (!isTomlTable(written)) return false;
    const list = foldTomlKeys(written, ['registries']).registries;
    return Array.isArray(list) && (rules.emptyV1TablesCount || list.length > 0);
  });
}

/** Whether the v2 part is set (`hasSetField` 5.24+, `Nonempty` 5.23: empty lists are unset). */
function hasV2Content(raw: TomlTable, rules: ContainersImageRules): boolean {
  const isSet = (value: unknown) =>
    value !== undefined &&
    (Array.isArray(value)
      ? rules.emptyV1TablesCount || value.length > 0
      : isTomlTable(value)
        ? rules.emptyV1TablesCount || Object.keys(value).length > 0
        : value !== '');
  return [...TOP_LEVEL_KEYS].some((key) => isSet(raw[key]));
}

/** c/image parseShortNameMode (system_registries_v2.go). */
function readShortNameMode(raw: TomlTable, origin: string): string | undefined {
  const mode = readString(raw, 'short-name-mode', '', origin);
  if (mode === '') return undefined;
  if (!(SHORT_NAME_MODES as readonly string[]).includes(mode))
    throw invalid(
      origin,
      `invalid short-name mode: ${JSON.stringify(mode)}; use one of ${SHORT_NAME_MODES.join(', ')}.`,
    );
  return mode;
}

/** postProcessRegistries: each entry, trimmed, must be a bare host[:port] (anchoredDomainRegexp). */
function readSearchRegistries(raw: unknown, origin: string): string[] | undefined {
  const list = readStringList(raw, 'unqualified-search-registries', origin);
  return list?.map((entry) => {
    const host = parseLocation(entry, 'unqualified-search-registries', origin);
    if (!isValidHost(host))
      throw invalid(
        origin,
        `Invalid unqualified-search-registries entry ${JSON.stringify(host)}: only host[:port] is allowed there (no namespace); name the namespace in the image reference or use [aliases].`,
      );
    return host;
  });
}

export interface LoadRegistriesConfOptions {
  /** The file's path or a label, used in messages and in `origin`. */
  origin?: string;
  /** A registries.conf.d drop-in: c/image refuses v1 content there. */
  dropIn?: boolean;
  /** Read as this containers/image does (`5.MINOR`); default 5.25 (OpenShift 4.14's CRI-O). */
  containersImage?: ContainersImageVersion;
}

/**
 * Read one registries.conf (TOML text, or an object already parsed from TOML) with c/image's
 * rules. Throws `REGISTRIES_CONF_INVALID` or `REGISTRIES_CONF_CONFLICT` where c/image refuses
 * the file. v1 files (`[registries.search]`…) are not converted: hostmirror only writes v2.
 */
export function loadRegistriesConf(
  input: string | TomlTable,
  options: LoadRegistriesConfOptions = {},
): RegistriesConf {
  const origin = options.origin ?? 'registries.conf';
  const rules = containersImageRules(options.containersImage ?? DEFAULT_CONTAINERS_IMAGE);
  const written = typeof input === 'string' ? parseRegistriesToml(input, origin) : input;
  const topLevelKeys = new Set([...TOP_LEVEL_KEYS, V1_TOP_LEVEL_KEY]);
  const raw = foldTomlKeys(written, topLevelKeys);
  const ignoredKeys: RegistriesConf['ignoredKeys'] = [];
  collectIgnored(raw, topLevelKeys, '', origin, ignoredKeys);
  const rawRegistries = raw.registry ?? [];
  if (!Array.isArray(rawRegistries))
    throw invalid(origin, 'registry must be an array of tables ([[registry]]).');
  const at = `(as containers/image ${rules.version} reads it)`;
  if (hasV1Content(raw[V1_TOP_LEVEL_KEY], rules)) {
    if (options.dropIn === true)
      throw invalid(
        origin,
        `registry must be in v2 format but is in v1 ${at}; drop-ins are v2 only.`,
      );
    if (hasV2Content(raw, rules))
      throw invalid(
        origin,
        `mixing sysregistry v1/v2 is not supported ${at}; remove the [registries.*] tables${rules.emptyV1TablesCount ? ', even empty ones,' : ''} and use v2 tables only.`,
      );
    throw invalid(origin, 'v1 registries.conf ([registries.search]…) is not supported; use v2.');
  }
  const context: LoadContext = { origin, ignored: ignoredKeys, rules };
  const registries = rawRegistries.map((entry, index) => readRegistry(entry, index, context));
  checkConflicts(registries, origin);
  const search = readSearchRegistries(raw['unqualified-search-registries'], origin);
  const shortNameMode = readShortNameMode(raw, origin);
  return {
    registries: uniqueSortedByPrefix(registries),
    unqualifiedSearchRegistries: search,
    shortNameMode,
    credentialHelpers: readStringList(raw['credential-helpers'], 'credential-helpers', origin),
    aliases: readAliases(raw.aliases, origin),
    ignoredKeys,
    origins: [origin],
    containersImage: rules.version,
  };
}

/**
 * Merge the main file and its drop-ins in the order c/image loads them (the main file, then
 * registries.conf.d/*.conf in lexical order): a later table replaces an earlier one with the same
 * prefix; a later `unqualified-search-registries`, `short-name-mode` or `credential-helpers`
 * replaces the earlier value; aliases are merged name by name, later ones winning.
 */
export function mergeRegistriesConfs(
  main: RegistriesConf,
  ...dropIns: RegistriesConf[]
): RegistriesConf {
  const byPrefix = new Map(main.registries.map((registry) => [registry.prefix, registry]));
  const merged: RegistriesConf = { ...main, aliases: { ...main.aliases } };
  for (const dropIn of dropIns) {
    for (const registry of dropIn.registries) byPrefix.set(registry.prefix, registry);
    merged.unqualifiedSearchRegistries =
      dropIn.unqualifiedSearchRegistries ?? merged.unqualifiedSearchRegistries;
    merged.shortNameMode = dropIn.shortNameMode ?? merged.shortNameMode;
    merged.credentialHelpers = dropIn.credentialHelpers ?? merged.credentialHelpers;
    Object.assign(merged.aliases, dropIn.aliases);
  }
  const all = [main, ...dropIns];
  return {
    ...merged,
    registries: sortedByPrefix(byPrefix),
    ignoredKeys: all.flatMap((conf) => conf.ignoredKeys),
    origins: all.flatMap((conf) => conf.origins),
  };
}
