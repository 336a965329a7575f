/**
 * The inventory of the control-plane copy (mode node0, the `sync` step): what another
 * control-plane node copies from node0's registry so that its own registry serves the same
 * content. Computed at build time from the archive index, never at boot:
 *
 * - every manifest each repository holds by digest — the archive members
 *   `docker/registry/v2/repositories/<repo>/_manifests/revisions/sha256/<hex>/link`
 *   (oc-mirror-archive `MirrorArchive.manifests`);
 * - every tag with the digest it points at — `_manifests/tags/<tag>/current/link`
 *   (`MirrorArchive.tags`);
 *
 * leaving out the stale repositories the unpack step leaves out (skip-repositories), which node0
 * does not serve. distribution keeps the same layout (distribution/distribution
 * registry/storage/paths.go at e0521d2d010450d29c9df75c51eae357494b02b3:
 * `manifestRevisionLinkPathSpec`, `manifestTagCurrentPathSpec`).
 *
 * One line per item, `<repository> <digest>` for a manifest, `<repository> <digest> <tag>` for a
 * tag, repositories in order, a repository's manifests before its tags (the preload list's
 * shape). The sync step copies each line with `skopeo copy --all --preserve-digests` and records
 * the lines it finished, so a restarted copy skips them.
 */
import { createHash } from 'node:crypto';
import { RESERVED_REPOSITORY_PREFIX } from './constants.ts';
import { BootSequenceError } from './errors.ts';

/** What the inventory reads of an archive (oc-mirror-archive MirrorArchive). */
export interface InventoryArchive {
  repositories(): string[];
  manifests(repository: string): string[];
  tags(repository: string): { tag: string; digest: string }[];
}

/** One line of the inventory. */
export interface InventoryEntry {
  repository: string;
  digest: string;
  /** Present for a tag line. */
  tag?: string;
}

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * The repository names the boot sequence reserves for itself: build-iso refuses an archive that
 * uses one (node0 publishes the registry program and the inventory there).
 */
export function isReservedRepository(repository: string): boolean {
  return (
    repository === RESERVED_REPOSITORY_PREFIX ||
    repository.startsWith(`${RESERVED_REPOSITORY_PREFIX}/`)
  );
}

/** Refuse an archive that already holds a repository the copy reserves. */
export function requireNoReservedRepository(archive: Pick<InventoryArchive, 'repositories'>): void {
  const taken = archive.repositories().find(isReservedRepository);
  if (taken !== undefined)
    throw new BootSequenceError(
      'BOOT_RESERVED_REPOSITORY',
      `The archive holds the repository '${taken}', under '${RESERVED_REPOSITORY_PREFIX}/', which hostmirror reserves: node0 publishes the registry program and the copy's inventory there for the other control-plane nodes.`,
      {
        subject: taken,
        fix: `mirror that content under another repository name, or build with the control-plane copy off`,
      },
    );
}

/** The inventory's entries: manifests by digest, then tags, per repository (see above). */
export function inventoryEntries(
  archive: InventoryArchive,
  skipRepositories: readonly string[] = [],
): InventoryEntry[] {
  requireNoReservedRepository(archive);
  const skipped = new Set(skipRepositories);
  const entries: InventoryEntry[] = [];
  for (const repository of archive.repositories()) {
    if (skipped.has(repository)) continue;
    const manifests = archive.manifests(repository);
    for (const digest of manifests) entries.push({ repository, digest });
    for (const { tag, digest } of archive.tags(repository)) {
      // A tag whose manifest the archive does not hold cannot be copied (and node0 cannot
      // serve it): the completeness rule judged the archive, so this names a damaged one.
      if (!manifests.includes(digest))
        throw new BootSequenceError(
          'BOOT_BAD_ARCHIVE',
          `The tag ${repository}:${tag} points at ${digest}, which the archive does not hold as a manifest of ${repository} (no _manifests/revisions/sha256/${digest.slice(7)}/link).`,
          { subject: `${repository}:${tag}`, fix: 'make the archive again with oc-mirror' },
        );
      entries.push({ repository, digest, tag });
    }
  }
  for (const entry of entries)
    if (!SHA256_DIGEST.test(entry.digest))
      throw new BootSequenceError(
        'BOOT_BAD_DIGEST',
        `The archive names ${entry.repository}@${entry.digest}, not a sha256 digest; the copy verifies sha256 only.`,
        { subject: entry.digest },
      );
  return entries;
}

/** The inventory text (one line per entry, see above). */
export function renderInventory(entries: readonly InventoryEntry[]): string {
  return entries
    .map((entry) =>
      entry.tag === undefined
        ? `${entry.repository} ${entry.digest}\n`
        : `${entry.repository} ${entry.digest} ${entry.tag}\n`,
    )
    .join('');
}

/** sha256 hex of a text, as sha256sum(1) prints it for the file. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
