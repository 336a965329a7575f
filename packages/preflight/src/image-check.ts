/**
 * One source reference checked the way CRI-O pulls it: its pull sources from the registries.conf
 * with containers/image's rules (`resolvePullSources`); the first source the archive can answer
 * is the one c/image would use, so it must serve everything; else the most useful reason and fix.
 */
import { type PullSource, type RegistriesConf, resolvePullSources } from '@hostmirror/host-config';
import {
  formatImageReference,
  type ImageReference,
  parseImageReference,
  referenceName,
} from '@hostmirror/oc-mirror-archive';
import { type ArchiveLookup, lookUp, mappingFix } from './archive-lookup.ts';
import { verifyContent } from './content.ts';
import { asCheckError } from './errors.ts';
import type { ImageCheck, ImageRole, SourceResult } from './report.ts';

/** Sigstore attachments are tags named after the manifest digest (cosign, c/image `sigstore`). */
export function sigstoreTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

export function sourceResult(
  source: PullSource,
  outcome: SourceResult['outcome'],
  detail?: string,
): SourceResult {
  return {
    role: source.role,
    reference: source.reference,
    status: source.status,
    outcome,
    detail: detail ?? source.reason,
  };
}

/** Check one source reference; never throws for archive content, only reports. */
export async function checkImage(
  lookup: ArchiveLookup,
  conf: RegistriesConf,
  reference: string,
  role: ImageRole,
  name: string | undefined,
  architectures: readonly string[],
): Promise<ImageCheck> {
  const result: ImageCheck = {
    role,
    name,
    reference,
    ok: false,
    servedBy: undefined,
    repository: undefined,
    digest: undefined,
    code: undefined,
    reason: undefined,
    fix: undefined,
    sources: [],
    sigstore: undefined,
  };
  let parsed: ImageReference;
  let sources: PullSource[];
  try {
    parsed = parseImageReference(reference);
    result.reference = formatImageReference(parsed);
    sources = resolvePullSources(parsed, conf);
  } catch (error) {
    const failure = asCheckError(error);
    if (failure === undefined) throw error;
    return {
      ...result,
      code: failure.code,
      reason: failure.message,
      fix: 'correct the reference or the registries.conf table named.',
    };
  }
  for (const source of sources) {
    if (source.status !== 'try') {
      result.sources.push(
        sourceResult(source, source.status === 'skipped' ? 'skipped' : 'blocked'),
      );
      continue;
    }
    const physical = parseImageReference(source.reference);
    if (!lookup.hosts.has(physical.domain)) {
      result.sources.push(
        sourceResult(
          source,
          'unreachable',
          `${physical.domain} is not the archive's host; offline it cannot be reached`,
        ),
      );
      continue;
    }
    const found = lookUp(lookup, physical);
    if (found.outcome !== 'found') {
      result.sources.push(
        sourceResult(
          source,
          found.outcome,
          found.outcome === 'repository-missing'
            ? `the archive has no repository ${found.repository}`
            : `mirror ${found.repository} has no such manifest`,
        ),
      );
      continue;
    }
    // c/image uses the first source that answers the manifest: it must serve everything.
    const digest = found.digest as string;
    const problem = await verifyContent(lookup, found.repository, digest, architectures);
    result.servedBy = source.reference;
    result.repository = found.repository;
    result.digest = digest;
    result.sigstore = lookup.tags.get(found.repository)?.has(sigstoreTag(digest))
      ? 'present'
      : 'absent';
    if (problem === undefined) {
      result.sources.push(sourceResult(source, 'served'));
      result.ok = true;
      return result;
    }
    result.sources.push(sourceResult(source, 'content-incomplete', problem.detail));
    return {
      ...result,
      code: problem.code,
      reason: `mirror ${source.reference}: ${problem.detail}`,
      fix: problem.fix,
    };
  }
  return { ...result, ...explainNotServed(lookup, result.sources, parsed, conf) };
}

/** The most useful reason and fix when no source serves the reference. */
export function explainNotServed(
  lookup: ArchiveLookup,
  sources: SourceResult[],
  parsed: ImageReference,
  conf: RegistriesConf,
): Pick<ImageCheck, 'code' | 'reason' | 'fix'> {
  const archiveMiss = sources.find(
    (source) => source.outcome === 'repository-missing' || source.outcome === 'manifest-unknown',
  );
  if (archiveMiss !== undefined) {
    const physical = parseImageReference(archiveMiss.reference);
    const mapping = `${referenceName(parsed)} → ${physical.domain}/${physical.path}`;
    return {
      code:
        archiveMiss.outcome === 'repository-missing'
          ? 'MIRROR_REPOSITORY_MISSING'
          : 'MANIFEST_MISSING',
      reason:
        archiveMiss.outcome === 'repository-missing'
          ? `the mapping ${mapping} routes to repository ${physical.path}, which the archive does not have`
          : `mirror ${physical.path} has no such manifest (mapping ${mapping})`,
      fix: mappingFix(lookup, parsed, 'map'),
    };
  }
  const skipped = sources.filter((source) => source.outcome === 'skipped');
  if (skipped.length > 0)
    return {
      code: 'MIRROR_POLICY_SKIPS_REFERENCE',
      reason: `every mirror is skipped: ${skipped[0]?.detail ?? 'policy'}`,
      fix:
        parsed.digest === undefined
          ? 'pull it by digest, or add a mirror that serves tags (pull-from-mirror = "all" or "tag-only"; an ImageTagMirrorSet).'
          : 'add a mirror that serves digests (pull-from-mirror = "all" or "digest-only"; an ImageDigestMirrorSet).',
    };
  const mirrors = sources.filter((source) => source.role === 'mirror');
  const blocked = sources.find((source) => source.outcome === 'blocked');
  if (mirrors.length === 0)
    return {
      code: blocked === undefined ? 'NO_MIRROR_FOR_REFERENCE' : 'SOURCE_BLOCKED',
      reason:
        blocked === undefined
          ? `no registries.conf table mirrors ${referenceName(parsed)} (${conf.origins.join(', ')}), so the pull goes to ${parsed.domain}, unreachable offline`
          : `${blocked.detail} and no mirror serves ${referenceName(parsed)}`,
      fix: mappingFix(lookup, parsed, 'add a mirror'),
    };
  return {
    code: blocked === undefined ? 'NO_MIRROR_FOR_REFERENCE' : 'SOURCE_BLOCKED',
    reason: `no pull source is served by the archive: ${sources.map((source) => `${source.reference} ${source.outcome}${source.detail === undefined ? '' : ` (${source.detail})`}`).join('; ')}`,
    fix: mappingFix(lookup, parsed, 'add a mirror'),
  };
}
