/**
 * The checker's index of the archive: per repository its manifests, linked blobs and tags, and
 * which repositories hold each manifest (for "the archive has it in …" fixes); built once per
 * check from the archive index, then looked up for every pull source.
 */
import type { ImageReference, MirrorArchive, RecordsArchive } from '@hostmirror/oc-mirror-archive';
import { referenceName } from '@hostmirror/oc-mirror-archive';
import type { ContentProblem } from './content.ts';

/**
 * What the checker reads from the archive index (formats' MirrorArchive has all of it): what
 * oc-mirror-archive's archiveMirrorResources reads (its RecordsArchive, so a record it comes to
 * read is not listed here again) and the checker's own look-ups.
 */
export type CheckableArchive = RecordsArchive &
  Pick<
    MirrorArchive,
    'chunks' | 'hasRepository' | 'manifests' | 'linkedBlobs' | 'checkCompleteness'
  >;

export interface ArchiveLookup {
  archive: CheckableArchive;
  hosts: Set<string>;
  manifests: Map<string, Set<string>>;
  layers: Map<string, Set<string>>;
  tags: Map<string, Map<string, string>>;
  /** Manifest digest → repositories holding it (for "the archive has it in …" hints). */
  holders: Map<string, string[]>;
  verified: Map<string, ContentProblem | undefined>;
}

export function buildLookup(archive: CheckableArchive, hosts: Iterable<string>): ArchiveLookup {
  const lookup: ArchiveLookup = {
    archive,
    hosts: new Set(hosts),
    manifests: new Map(),
    layers: new Map(),
    tags: new Map(),
    holders: new Map(),
    verified: new Map(),
  };
  for (const repository of archive.repositories()) {
    const manifests = new Set(archive.manifests(repository));
    lookup.manifests.set(repository, manifests);
    lookup.layers.set(repository, new Set(archive.linkedBlobs(repository)));
    lookup.tags.set(
      repository,
      new Map(archive.tags(repository).map(({ tag, digest }) => [tag, digest])),
    );
    for (const digest of manifests) {
      const list = lookup.holders.get(digest) ?? [];
      list.push(repository);
      lookup.holders.set(digest, list);
    }
  }
  return lookup;
}

/** Repositories of the archive that hold the image: by digest, or by tag under the same path. */
export function holdersOf(lookup: ArchiveLookup, reference: ImageReference): string[] {
  if (reference.digest !== undefined) return lookup.holders.get(reference.digest) ?? [];
  return [...lookup.tags]
    .filter(
      ([repository, tags]) =>
        (repository === reference.path || repository.endsWith(`/${reference.path}`)) &&
        tags.has(reference.tag ?? ''),
    )
    .map(([repository]) => repository);
}

/** The fix when no source serves the reference: where the archive has it, or that it has not. */
export function mappingFix(lookup: ArchiveLookup, reference: ImageReference, kind: string): string {
  const holders = holdersOf(lookup, reference);
  const host = [...lookup.hosts][0] ?? '<mirror host>';
  const wanted = reference.digest ?? `tag ${reference.tag ?? ''}`;
  if (holders.length === 0)
    return `the archive holds ${wanted} of ${referenceName(reference)} in no repository: mirror the image with oc-mirror and give the new archive.`;
  return `the archive holds it in ${holders.join(', ')}: ${kind} ${referenceName(reference)} → ${host}/${holders[0]} (an ${reference.digest === undefined ? 'ImageTagMirrorSet' : 'ImageDigestMirrorSet'} mirror, or a [[registry.mirror]] location).`;
}

export interface Lookup {
  repository: string;
  digest: string | undefined;
  outcome: 'found' | 'repository-missing' | 'manifest-unknown';
}

export function lookUp(lookup: ArchiveLookup, reference: ImageReference): Lookup {
  const repository = reference.path;
  const manifests = lookup.manifests.get(repository);
  if (manifests === undefined)
    return { repository, digest: reference.digest, outcome: 'repository-missing' };
  if (reference.digest !== undefined)
    return {
      repository,
      digest: reference.digest,
      outcome: manifests.has(reference.digest) ? 'found' : 'manifest-unknown',
    };
  const digest = lookup.tags.get(repository)?.get(reference.tag ?? '');
  return { repository, digest, outcome: digest === undefined ? 'manifest-unknown' : 'found' };
}
