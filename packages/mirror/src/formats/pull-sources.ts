import { formatImageReference, parseImageReference } from './image-reference.ts';
import { effectivePrefix, type RegistriesConf, type RegistryTable } from './registries-conf.ts';

/**
 * Where containers/image would pull a reference from, given a registries.conf (merged
 * drop-ins included): `sysregistriesv2.FindRegistry` (longest matching prefix, a match must
 * end at a `/`, `:` or `@`; `*.host` matches any subdomain, not the apex) then
 * `PullSourcesFromReference` (mirrors in order, filtered by `mirror-by-digest-only` or each
 * mirror's `pull-from-mirror`, then the primary location unless `blocked`). mirror.md §1.2
 * and §6.3 hold the observed behaviour this follows.
 */

export interface PullSource {
  /** The reference as it would be pulled from this endpoint. */
  reference: string;
  /** The endpoint (mirror or primary location) it came from. */
  endpoint: string;
  insecure: boolean;
  kind: 'mirror' | 'primary';
}

export interface PullPlan {
  /** The normalised reference. */
  reference: string;
  /** The [[registry]] table that matched (the longest prefix), if any. */
  registry: { prefix: string; location: string; blocked: boolean } | undefined;
  /** Endpoints tried in order; empty means the pull fails ("blocked"). */
  sources: PullSource[];
  /** The primary location is not contacted (`blocked = true`). */
  blocked: boolean;
}

/** The length of `prefix` if it matches `reference` (c/image `refMatchingPrefix`), else -1. */
function matchLength(reference: string, prefix: string): number {
  if (prefix.startsWith('*.')) {
    const host = reference.split('/')[0] ?? '';
    const hostOnly = host.split(':')[0] ?? host;
    return hostOnly.endsWith(prefix.slice(1)) && hostOnly.length > prefix.length - 1
      ? hostOnly.length
      : -1;
  }
  if (!reference.startsWith(prefix)) return -1;
  const next = reference.charAt(prefix.length);
  return next === '' || next === '/' || next === ':' || next === '@' ? prefix.length : -1;
}

export function findRegistry(
  config: RegistriesConf,
  reference: string,
): { table: RegistryTable; length: number } | undefined {
  let best: { table: RegistryTable; length: number } | undefined;
  for (const table of config.registries) {
    const length = matchLength(reference, effectivePrefix(table));
    if (length > (best?.length ?? -1)) best = { table, length };
  }
  return best;
}

function rewrite(reference: string, matchedLength: number, location: string): string {
  return location === '' ? reference : `${location}${reference.slice(matchedLength)}`;
}

/** The pull plan for `image` (any reference form; normalised as docker/reference does). */
export function resolvePullSources(config: RegistriesConf, image: string): PullPlan {
  const parsed = parseImageReference(image);
  const reference = formatImageReference(parsed);
  const match = findRegistry(config, reference);
  if (!match) {
    return {
      reference,
      registry: undefined,
      sources: [{ reference, endpoint: parsed.domain, insecure: false, kind: 'primary' }],
      blocked: false,
    };
  }
  const { table, length } = match;
  const byDigest = parsed.digest !== undefined;
  const sources: PullSource[] = [];
  for (const mirror of table.mirrors) {
    const allowed = table.mirrorByDigestOnly
      ? byDigest
      : mirror.pullFromMirror === undefined || mirror.pullFromMirror === 'all'
        ? true
        : mirror.pullFromMirror === 'digest-only'
          ? byDigest
          : !byDigest;
    if (allowed)
      sources.push({
        reference: rewrite(reference, length, mirror.location),
        endpoint: mirror.location,
        insecure: mirror.insecure,
        kind: 'mirror',
      });
  }
  if (!table.blocked) {
    sources.push({
      reference: rewrite(reference, length, table.location),
      endpoint: table.location || parsed.domain,
      insecure: table.insecure,
      kind: 'primary',
    });
  }
  return {
    reference,
    registry: { prefix: effectivePrefix(table), location: table.location, blocked: table.blocked },
    sources,
    blocked: table.blocked,
  };
}
