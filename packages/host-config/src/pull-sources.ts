import {
  formatImageReference,
  type ImageReference,
  MirrorFormatError,
  parseImageReference,
  referenceName,
} from '@hostmirror/oc-mirror-archive';
import type { PullFromMirror, RegistriesConf, RegistryTable } from './registries-conf.ts';

/**
 * Which endpoints containers/image tries for one pull, in its order (docker transport
 * `newImageSource` + sysregistriesv2 `FindRegistry` / `PullSourcesFromReference`):
 * 1. The table with the longest prefix matching the reference's *name* (`host/path`, no tag or
 *    digest) is chosen. A prefix matches when the name equals it or continues with `/`, `:` or
 *    `@` (so `example.com` also matches `example.com:5000/…`, a c/image quirk kept on purpose).
 *    `*.example.com` matches hosts ending in `.example.com`, never `example.com` itself, and
 *    counts with its full length (`*` included) when prefixes are compared.
 * 2. No table: the reference itself is the only source.
 * 3. Mirrors come first, in file order, then the primary `location`. With the registry's
 *    `mirror-by-digest-only`, every mirror is skipped for a reference without a digest; a
 *    mirror's `pull-from-mirror = digest-only` skips it for tag references, `tag-only` for
 *    digest references.
 * 4. Each endpoint's reference is its location followed by what comes after the matched prefix
 *    in the full reference (`host/path[:tag][@digest]`); a wildcard table with an empty location
 *    keeps the reference unchanged.
 * 5. Each attempt looks the *rewritten* name up again (longest prefix): if that table says
 *    `blocked`, the attempt fails at once ("registry X is blocked") without touching the network.
 *    So a mirror under a blocked prefix is blocked too, and a source rewritten to another
 *    location escapes its own table's `blocked`.
 */
export type PullSourceStatus = 'try' | 'skipped' | 'blocked';

export interface PullSource {
  role: 'mirror' | 'primary';
  /** The reference asked of this endpoint (after the prefix rewrite). */
  reference: string;
  /** The endpoint's location as configured ('' for a wildcard table without location). */
  location: string;
  insecure: boolean;
  /** The mirror's restriction; undefined for the primary endpoint. */
  pullFromMirror: PullFromMirror | undefined;
  /** `try`: c/image contacts it; `skipped`: never tried; `blocked`: tried, refused at once. */
  status: PullSourceStatus;
  /** Why the source is skipped or blocked. */
  reason: string | undefined;
}

/** c/image refMatchingSubdomainPrefix: `*.example.com` against a reference string. */
function wildcardMatchLength(reference: string, prefix: string): number {
  const suffix = prefix.slice(1);
  const index = reference.indexOf(suffix);
  if (index === -1 || reference.slice(0, index).includes('/')) return -1;
  const end = index + suffix.length;
  if (end === reference.length) return end;
  return ':/@'.includes(reference[end] as string) ? end : -1;
}

/** c/image refMatchingPrefix: the length of the matched part of `reference`, or -1. */
function prefixMatchLength(reference: string, prefix: string): number {
  if (prefix.startsWith('*.')) return wildcardMatchLength(reference, prefix);
  if (!reference.startsWith(prefix)) return -1;
  if (reference.length === prefix.length) return prefix.length;
  return ':/@'.includes(reference[prefix.length] as string) ? prefix.length : -1;
}

/** The table c/image uses for `name` (`host/path`): the longest matching prefix. */
export function findRegistry(name: string, conf: RegistriesConf): RegistryTable | undefined {
  let best: RegistryTable | undefined;
  for (const registry of conf.registries)
    if (
      prefixMatchLength(name, registry.prefix) !== -1 &&
      registry.prefix.length > (best?.prefix.length ?? 0)
    )
      best = registry;
  return best;
}

function rewrite(reference: string, registry: RegistryTable, location: string): string {
  const matched = prefixMatchLength(reference, registry.prefix);
  if (location === '') return reference;
  const rewritten = `${location}${reference.slice(matched)}`;
  // c/image re-parses the result with reference.ParseNamed, which wants the canonical form.
  let canonical: string;
  try {
    canonical = formatImageReference(parseImageReference(rewritten));
  } catch {
    canonical = '';
  }
  if (canonical !== rewritten)
    throw new MirrorFormatError(
      'BAD_IMAGE_REFERENCE',
      `Rewriting ${reference} through the registries.conf table with prefix ${JSON.stringify(registry.prefix)} (${registry.origin}) gives ${JSON.stringify(rewritten)}, which is not a canonical image reference, so the whole pull fails; ${location.endsWith('/') ? `the location ${JSON.stringify(location)} ends with "/", which containers/image before 5.35 (OpenShift 4.19 and older) keeps on mirrors: remove it` : "fix that table's location"}.`,
      { path: rewritten },
    );
  return rewritten;
}

function mirrorSkipReason(
  registry: RegistryTable,
  pullFromMirror: PullFromMirror,
  digested: boolean,
): string | undefined {
  if (registry.mirrorByDigestOnly && !digested)
    return `mirror-by-digest-only = true on [[registry]] ${JSON.stringify(registry.prefix)} and the reference has no digest`;
  if (pullFromMirror === 'digest-only' && !digested)
    return 'pull-from-mirror = "digest-only" and the reference is by tag';
  if (pullFromMirror === 'tag-only' && digested)
    return 'pull-from-mirror = "tag-only" and the reference is by digest';
  return undefined;
}

function blockReason(reference: string, conf: RegistriesConf): string | undefined {
  const name = referenceName(parseImageReference(reference));
  const registry = findRegistry(name, conf);
  if (registry === undefined || !registry.blocked) return undefined;
  return `registry ${registry.prefix} is blocked in ${registry.origin}`;
}

/**
 * The ordered pull sources c/image would consider for `reference`: skipped mirrors stay in
 * their place with the reason; blocked sources are marked with the table that blocks them.
 * The first source with status `try` or `blocked` is the first "Trying to access" line of
 * `skopeo --debug inspect`.
 */
export function resolvePullSources(
  reference: string | ImageReference,
  conf: RegistriesConf,
): PullSource[] {
  const parsed = typeof reference === 'string' ? parseImageReference(reference) : reference;
  const full = formatImageReference(parsed);
  const registry = findRegistry(referenceName(parsed), conf);
  if (registry === undefined) {
    const reason = blockReason(full, conf);
    return [
      {
        role: 'primary',
        reference: full,
        location: referenceName(parsed),
        insecure: false,
        pullFromMirror: undefined,
        status: reason === undefined ? 'try' : 'blocked',
        reason,
      },
    ];
  }
  const digested = parsed.digest !== undefined;
  const sources: PullSource[] = registry.mirrors.map((mirror) => {
    const skip = mirrorSkipReason(registry, mirror.pullFromMirror, digested);
    return {
      role: 'mirror',
      reference: rewrite(full, registry, mirror.location),
      location: mirror.location,
      insecure: mirror.insecure,
      pullFromMirror: mirror.pullFromMirror,
      status: skip === undefined ? 'try' : 'skipped',
      reason: skip,
    };
  });
  sources.push({
    role: 'primary',
    reference: rewrite(full, registry, registry.location),
    location: registry.location,
    insecure: registry.insecure,
    pullFromMirror: undefined,
    status: 'try',
    reason: undefined,
  });
  for (const source of sources) {
    if (source.status === 'skipped') continue;
    const reason = blockReason(source.reference, conf);
    if (reason !== undefined) {
      source.status = 'blocked';
      source.reason = reason;
    }
  }
  return sources;
}

/** The references c/image logs as "Trying to access", in order (skipped sources left out). */
export function attemptedReferences(sources: readonly PullSource[]): string[] {
  return sources.filter((source) => source.status !== 'skipped').map((source) => source.reference);
}
