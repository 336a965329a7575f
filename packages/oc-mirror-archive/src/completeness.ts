import type { CompletenessReport, MirrorArchive, NeededBy } from './archive-index.ts';

/**
 * The one completeness rule, used by `mirror inspect`, `mirror check`, build-iso and (through
 * the list it yields) the boot-time unpack step.
 *
 * oc-mirror v2 puts every repository of its shared cache into each archive, but only the blobs
 * of the images this run mirrored that are not in `working-dir/.history` (openshift/oc-mirror
 * `internal/pkg/archive/archive.go` BuildArchive steps 1–2, commit
 * 855b64a3c9c03634bcab6210b641274772050cda). A repository another run left in the cache can
 * therefore arrive without its blobs. Such a repository, when the cluster does not need it, is
 * stale: named at build time and skipped at boot (not unpacked, so the registry never offers a
 * half image). A blob missing from a repository the cluster needs refuses the build, naming
 * the repository, the blob and the fix.
 */

export interface MissingBlob {
  repository: string;
  /** The manifest needing it (a digest, or `repository:tag` for a tag whose manifest is absent). */
  manifest: string;
  role: NeededBy['role'];
  /** The blob (or manifest) digest no chunk holds, or the reason a manifest cannot be read. */
  blob: string;
  reason: 'blob-missing' | 'manifest-unreadable';
}

export interface StaleRepository {
  repository: string;
  /** The blobs (or unreadable manifests) it lacks. */
  missing: string[];
}

export interface CompletenessVerdict {
  /** Nothing a needed repository serves is missing. */
  complete: boolean;
  manifestsChecked: number;
  blobsNeeded: number;
  /** What needed repositories lack: each refuses the build. */
  missing: MissingBlob[];
  /** Repositories the cluster does not need that lack blobs: named, then skipped at boot. */
  stale: StaleRepository[];
}

export const MISSING_BLOB_FIX =
  'give every archive of the set in order (the base run first, then each differential run), or mirror again with oc-mirror so the archive carries the blob';

/** Judge the archive: `isNeeded(repository)` says which repositories the cluster pulls from. */
export async function judgeCompleteness(
  archive: Pick<MirrorArchive, 'checkCompleteness' | 'repositories' | 'manifests'>,
  isNeeded: (repository: string) => boolean,
): Promise<CompletenessVerdict> {
  const report: CompletenessReport = await archive.checkCompleteness();
  // checkCompleteness names one repository per manifest (the first of those linking it); the
  // verdict is per repository, so every repository linking the manifest is judged.
  let holders: Map<string, string[]> | undefined;
  const linking = (by: NeededBy): string[] => {
    if (by.role === 'tag' || !(by.otherRepositories ?? 0)) return [by.repository];
    if (holders === undefined) {
      holders = new Map();
      for (const repository of archive.repositories())
        for (const manifest of archive.manifests(repository)) {
          const list = holders.get(manifest) ?? [];
          list.push(repository);
          holders.set(manifest, list);
        }
    }
    return holders.get(by.manifest) ?? [by.repository];
  };
  const missing: MissingBlob[] = [];
  const stale = new Map<string, Set<string>>();
  const skip = (repository: string, what: string) => {
    const set = stale.get(repository) ?? new Set<string>();
    set.add(what);
    stale.set(repository, set);
  };
  for (const problem of report.problems) {
    if (problem.kind === 'blob-missing') {
      for (const by of problem.neededBy)
        for (const repository of linking(by)) {
          if (isNeeded(repository))
            missing.push({
              repository,
              manifest: by.manifest,
              role: by.role,
              blob: problem.digest,
              reason: 'blob-missing',
            });
          else skip(repository, problem.digest);
        }
    } else
      for (const repository of linking({
        repository: problem.repository,
        manifest: problem.manifest,
        role: 'manifest',
        otherRepositories: 1,
      })) {
        if (isNeeded(repository))
          missing.push({
            repository,
            manifest: problem.manifest,
            role: 'manifest',
            blob: problem.reason,
            reason: 'manifest-unreadable',
          });
        else skip(repository, problem.manifest);
      }
  }
  return {
    complete: missing.length === 0,
    manifestsChecked: report.manifestsChecked,
    blobsNeeded: report.blobsNeeded,
    missing,
    stale: [...stale]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([repository, blobs]) => ({ repository, missing: [...blobs].sort() })),
  };
}

/** One line per stale repository, for warnings: what it lacks and what happens to it. */
export function describeStale(stale: StaleRepository): string {
  const shown = stale.missing.slice(0, 3).join(', ');
  const more = stale.missing.length > 3 ? ` and ${stale.missing.length - 3} more` : '';
  return `The archive repository ${stale.repository} lacks ${shown}${more} and the cluster does not need it (oc-mirror's shared cache kept it from another run): it is not served (skipped when the hosts unpack the archives).`;
}

/** The refusal text for what needed repositories lack (first few, with the fix). */
export function describeMissing(missing: readonly MissingBlob[]): string {
  const shown = missing
    .slice(0, 5)
    .map((item) =>
      item.reason === 'blob-missing'
        ? `${item.repository}: blob ${item.blob} (${item.role} of ${item.manifest}) is in no archive chunk`
        : `${item.repository}: manifest ${item.manifest} cannot be read (${item.blob})`,
    )
    .join('; ');
  const more = missing.length > 5 ? `; and ${missing.length - 5} more` : '';
  return `${shown}${more}. Fix: ${MISSING_BLOB_FIX}.`;
}
