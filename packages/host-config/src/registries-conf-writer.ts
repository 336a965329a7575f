import {
  type ArchiveMirrorResources,
  archiveMirrorResources,
  type ClusterResources,
  type ImageMirrorSetEntry,
  isReleaseComponentsRepository,
  isReleaseRepository,
  isValidHost,
  type MirrorArchive,
  MirrorFormatError,
  type RecordsArchive,
} from '@hostmirror/oc-mirror-archive';
import type { PullFromMirror } from './registries-conf.ts';
import { isRepositoryScope, validateRegistriesConf } from './registries-conf-strict.ts';

/**
 * Write the registries.conf v2 drop-in for a mirror exactly as docs/design.md#mirror-mode says, which is how
 * the machine-config-operator renders IDMS/ITMS (docs/mirror.md#registries-conf): one `[[registry]]` per
 * source with `prefix = ""` and `location = source`; each mirror with its own
 * `pull-from-mirror` ("digest-only" from IDMS/ICSP, "tag-only" from ITMS); `blocked = true`
 * when the source must never be contacted; never `mirror-by-digest-only` (with
 * pull-from-mirror it is a hard error); `insecure = true` on every mirror table or on none.
 */

export interface MirrorRuleEndpoint {
  location: string;
  pullFromMirror: PullFromMirror;
}

/** One source and its mirrors, in preference order. */
export interface MirrorRule {
  source: string;
  mirrors: MirrorRuleEndpoint[];
  /** Never contact the source: `blocked = true`. */
  blocked: boolean;
}

export interface RegistriesConfWriteOptions {
  rules: MirrorRule[];
  /** Plain HTTP or unverified TLS to the mirrors; prefer TLS with a certs.d CA (default false). */
  insecure?: boolean;
  /** A comment line to put at the top (for example which archive it was made from). */
  comment?: string;
}

/** How the mirror sets' policies become pull-from-mirror values. */
export type TagPolicy =
  /** IDMS/ICSP → digest-only, ITMS → tag-only: exactly what the cluster would do. */
  | 'mirror-sets'
  /** Every mirror serves tags too ("all"): by-tag pulls of release images work offline. */
  | 'all';

export interface RulesFromArchiveOptions {
  /** The mirror registry's `host:port` as the hosts reach it. */
  host: string;
  tagPolicy?: TagPolicy;
  /** Block every source (`NeverContactSource` for all); otherwise per mirror set. */
  neverContactSource?: boolean;
}

function tomlString(value: string): string {
  // TOML basic strings share JSON's escapes for everything JSON.stringify emits.
  return JSON.stringify(value);
}

/** The registries.conf text; our own output is validated and a fault throws. */
export function renderRegistriesConf(options: RegistriesConfWriteOptions): string {
  const lines: string[] = [];
  if (options.comment) for (const line of options.comment.split('\n')) lines.push(`# ${line}`);
  lines.push('# containers-registries.conf(5) version 2 drop-in written by hostmirror.');
  for (const rule of options.rules) {
    lines.push('', '[[registry]]', 'prefix = ""', `location = ${tomlString(rule.source)}`);
    if (rule.blocked) lines.push('blocked = true');
    for (const mirror of rule.mirrors) {
      lines.push('', '[[registry.mirror]]', `location = ${tomlString(mirror.location)}`);
      if (options.insecure) lines.push('insecure = true');
      lines.push(`pull-from-mirror = ${tomlString(mirror.pullFromMirror)}`);
    }
  }
  const text = `${lines.join('\n')}\n`;
  const report = validateRegistriesConf(text);
  if (!report.valid) {
    throw new MirrorFormatError(
      'BAD_MIRROR_RULE',
      `The mirror rules make an invalid registries.conf: ${report.errors.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`,
    );
  }
  return text;
}

function splitScope(scope: string): { host: string; path: string } {
  const slash = scope.indexOf('/');
  return slash === -1
    ? { host: scope, path: '' }
    : { host: scope.slice(0, slash), path: scope.slice(slash + 1) };
}

/**
 * Where a mirror set's mirror lives in this archive. oc-mirror names mirrors
 * `<destination>/<path>`; unpacked, the archive's repositories sit at the registry root, so
 * the destination host (and any namespace it added) is dropped until the rest names
 * repositories the archive holds (docs/mirror.md#naming).
 */
export function relocateMirror(
  mirror: string,
  host: string,
  repositories: readonly string[],
): string | undefined {
  const parts = splitScope(mirror)
    .path.split('/')
    .filter((part) => part !== '');
  // A registry-scoped mirror (no path) maps the whole registry: the archive's root.
  if (parts.length === 0) return repositories.length > 0 ? host : undefined;
  for (let skip = 0; skip < parts.length; skip++) {
    const candidate = parts.slice(skip).join('/');
    if (
      repositories.some(
        (repository) => repository === candidate || repository.startsWith(`${candidate}/`),
      )
    )
      return `${host}/${candidate}`;
  }
  return undefined;
}

function checkHost(host: string): void {
  if (!isValidHost(host) || host.includes('/')) {
    throw new MirrorFormatError(
      'BAD_MIRROR_RULE',
      `Mirror host ${JSON.stringify(host)} must be host[:port] (for example mirror.local:5000).`,
    );
  }
}

/**
 * Rules from an archive's IDMS/ITMS (and ICSP), with every mirror moved to `host`. A mirror
 * the archive does not hold is an error naming it: a registries.conf pointing at a missing
 * repository fails only later, at pull time.
 */
export function mirrorRulesFromArchive(
  resources: ClusterResources,
  archive: Pick<MirrorArchive, 'repositories'>,
  options: RulesFromArchiveOptions,
): MirrorRule[] {
  checkHost(options.host);
  const repositories = archive.repositories();
  const digestPolicy: PullFromMirror = options.tagPolicy === 'all' ? 'all' : 'digest-only';
  const tagPolicy: PullFromMirror = options.tagPolicy === 'all' ? 'all' : 'tag-only';
  const bySource = new Map<string, MirrorRule>();
  const add = (entry: ImageMirrorSetEntry, pullFromMirror: PullFromMirror) => {
    if (!isRepositoryScope(entry.source)) {
      throw new MirrorFormatError(
        'BAD_MIRROR_RULE',
        `${entry.origin}: source ${JSON.stringify(entry.source)} must be host[:port][/path]; wildcards are not allowed for mirrors.`,
      );
    }
    const rule = bySource.get(entry.source) ?? {
      source: entry.source,
      mirrors: [],
      blocked: false,
    };
    bySource.set(entry.source, rule);
    rule.blocked ||=
      options.neverContactSource === true || entry.mirrorSourcePolicy === 'NeverContactSource';
    for (const mirror of entry.mirrors) {
      const location = relocateMirror(mirror, options.host, repositories);
      if (location === undefined) {
        throw new MirrorFormatError(
          'MIRROR_NOT_IN_ARCHIVE',
          `${entry.origin}: mirror ${mirror} (for ${entry.source}) names no repository in the archive; it holds ${repositories.join(', ') || 'no repositories'}. Use the archive the mirror set was made with.`,
        );
      }
      const known = rule.mirrors.find((endpoint) => endpoint.location === location);
      if (!known) rule.mirrors.push({ location, pullFromMirror });
      else if (known.pullFromMirror !== pullFromMirror) known.pullFromMirror = 'all';
    }
  };
  for (const entry of resources.imageDigestMirrors) add(entry, digestPolicy);
  for (const entry of resources.imageTagMirrors) add(entry, tagPolicy);
  return [...bySource.values()];
}

/** `host/path` of `host/path[:tag][@digest]`. */
function imageName(image: string): string {
  const name = image.split('@')[0] ?? '';
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

/** How the mirror treats the sources: the caller's decision, stated once. */
export interface MirrorPolicy {
  /** Block every source (`blocked = true`): offline pulls fail fast and prove the mirror is used. */
  neverContactSource: boolean;
  tagPolicy?: TagPolicy;
  /**
   * Source repositories pulled by tag as well (an agent ISO naming its release by tag:
   * release-image-download.sh runs `podman pull "$RELEASE_IMAGE"` as given): their digest-only
   * mirrors serve tags too (`pull-from-mirror = "all"`).
   */
  tagRepositories?: readonly string[];
}

export interface ArchiveMirrorRules {
  rules: MirrorRule[];
  /** The archive's mirror sets (carried, or made from its records) the rules come from. */
  mirror: ArchiveMirrorResources;
  /** The source repository an archive repository serves, by these rules (undefined: none). */
  sourceOf: (repository: string) => string | undefined;
  /**
   * Whether the cluster needs an archive repository: the release and its components, each repository the
   * records map (or, for carried mirror sets, that a mirror covers) and each catalog image.
   * The completeness rule's question (completeness.ts).
   */
  needs: (repository: string) => boolean;
}

/**
 * The source repository whose pulls `host/<repository>` serves: the rule whose mirror scope
 * (`host/<scope>`) is the repository or its longest enclosing namespace, with the rest of
 * the path appended to the rule's source.
 */
export function sourceServedBy(
  rules: readonly MirrorRule[],
  host: string,
  repository: string,
): string | undefined {
  let best: { source: string; length: number } | undefined;
  for (const rule of rules)
    for (const mirror of rule.mirrors) {
      const scope = mirror.location === host ? '' : mirror.location.slice(host.length + 1);
      if (mirror.location !== host && !mirror.location.startsWith(`${host}/`)) continue;
      const inside = scope === '' || repository === scope || repository.startsWith(`${scope}/`);
      if (!inside || (best !== undefined && best.length >= scope.length)) continue;
      const rest = scope === '' ? repository : repository.slice(scope.length + 1);
      best = { source: rest === '' ? rule.source : `${rule.source}/${rest}`, length: scope.length };
    }
  return best?.source;
}

/**
 * The one answer to "which registries.conf rules serve this archive from `host`", used by
 * `mirror check`, `mirror registries-conf`, the boot sequence and build-iso: the archive's
 * IDMS/ITMS when it carries them, else those oc-mirror's disk-to-mirror would write, made from
 * the archive's records (generated-resources.ts); every mirror moved to `host`. Repositories
 * whose source cannot be known are named in `mirror.warnings`.
 */
export async function mirrorRulesFor(
  archive: RecordsArchive,
  host: string,
  policy: MirrorPolicy,
): Promise<ArchiveMirrorRules> {
  checkHost(host);
  const mirror = await archiveMirrorResources(archive, host);
  const rules = mirrorRulesFromArchive(mirror.resources, archive, {
    host,
    neverContactSource: policy.neverContactSource,
    ...(policy.tagPolicy === undefined ? {} : { tagPolicy: policy.tagPolicy }),
  });
  for (const repository of policy.tagRepositories ?? [])
    for (const rule of rules)
      if (repository === rule.source || repository.startsWith(`${rule.source}/`))
        for (const mirror of rule.mirrors)
          if (mirror.pullFromMirror === 'digest-only') mirror.pullFromMirror = 'all';
  const sourceOf = (repository: string) => sourceServedBy(rules, host, repository);
  const catalogs = new Set(
    mirror.resources.catalogSources
      .map((catalog) => relocateMirror(imageName(catalog.image), host, archive.repositories()))
      .filter((location): location is string => location !== undefined && location !== host)
      .map((location) => location.slice(host.length + 1)),
  );
  const mapped = new Set(mirror.sources.sources.map((entry) => entry.repository));
  const needs = (repository: string) =>
    isReleaseRepository(repository) ||
    isReleaseComponentsRepository(repository) ||
    catalogs.has(repository) ||
    (mirror.generated ? mapped.has(repository) : sourceOf(repository) !== undefined);
  return { rules, mirror, sourceOf, needs };
}

/** Rules from explicit `source=mirror` pairs (mirror locations used as given). */
export function mirrorRulesFromPairs(
  pairs: { source: string; mirror: string }[],
  options: { pullFromMirror?: PullFromMirror; neverContactSource?: boolean } = {},
): MirrorRule[] {
  const bySource = new Map<string, MirrorRule>();
  for (const { source, mirror } of pairs) {
    for (const [what, value] of [
      ['source', source],
      ['mirror', mirror],
    ] as const) {
      if (!isRepositoryScope(value))
        throw new MirrorFormatError(
          'BAD_MIRROR_RULE',
          `The ${what} ${JSON.stringify(value)} must be host[:port][/path] with no tag, digest or wildcard.`,
        );
    }
    const rule = bySource.get(source) ?? {
      source,
      mirrors: [],
      blocked: options.neverContactSource === true,
    };
    bySource.set(source, rule);
    if (!rule.mirrors.some((endpoint) => endpoint.location === mirror))
      rule.mirrors.push({
        location: mirror,
        pullFromMirror: options.pullFromMirror ?? 'digest-only',
      });
  }
  return [...bySource.values()];
}
