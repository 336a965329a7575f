import type { MirrorArchive } from './archive-index.ts';
import { MirrorFormatError } from './errors.ts';
import { parseImageReference } from './image-reference.ts';

/**
 * Which release an archive holds: the one answer every verb uses (`mirror check`,
 * `boot-sequence`, `build-iso`).
 *
 * oc-mirror v2 mirrors a release image to `openshift/release-images:<tag>`
 * (openshift/oc-mirror `internal/pkg/release/const.go` releaseImagePathComponents,
 * `local_stored_collector.go` prepareTag, commit 855b64a3c9c03634bcab6210b641274772050cda); a
 * destination namespace may come before it (`<ns>/openshift/release-images`). Sigstore
 * signatures, attestations and SBOMs attached to an image sit beside it as the tags
 * `sha256-<hex>.sig`, `.att`, `.sbom` (sigstore/cosign `pkg/oci/remote/remote.go`
 * SignatureTagSuffix/AttestationTagSuffix/SBOMTagSuffix, AttachedImageTag): they are not
 * releases, and a release with its `.sig` is still one release.
 */

export const RELEASE_IMAGES_REPOSITORY = 'openshift/release-images';
/** oc-mirror's repository for release components (`releaseComponentPathComponents`). */
export const RELEASE_COMPONENTS_REPOSITORY = 'openshift/release';

const ATTACHED_ARTIFACT_TAG = /^sha256-[a-f0-9]{64}\.(sig|att|sbom)$/;

/** A cosign signature, attestation or SBOM tag (`sha256-<hex>.sig|.att|.sbom`), not an image of its own. */
export function isAttachedArtifactTag(tag: string): boolean {
  return ATTACHED_ARTIFACT_TAG.test(tag);
}

export function isReleaseRepository(repository: string): boolean {
  return (
    repository === RELEASE_IMAGES_REPOSITORY || repository.endsWith(`/${RELEASE_IMAGES_REPOSITORY}`)
  );
}

/** oc-mirror's release component repository (`openshift/release`, maybe under a namespace). */
export function isReleaseComponentsRepository(repository: string): boolean {
  return (
    repository === RELEASE_COMPONENTS_REPOSITORY ||
    repository.endsWith(`/${RELEASE_COMPONENTS_REPOSITORY}`)
  );
}

export interface ArchiveRelease {
  /** The archive repository holding the release manifest. */
  repository: string;
  /** The release manifest (a manifest list for a multi-architecture release). */
  digest: string;
  /** The release tags pointing at it, without attached-artifact tags. */
  tags: string[];
  /** Attached artifact tags of this digest in the archive (`sha256-<hex>.sig` …). */
  signatureTags: string[];
  /** The source repository the cluster pulls it from (`quay.io/openshift-release-dev/ocp-release`). */
  source: string | undefined;
  /** `<source>@<digest>`, when the source is known. */
  reference: string | undefined;
  /** How it was chosen: given by the caller, or the only release in the archive. */
  chosenBy: 'given' | 'only-release';
}

type ReleaseArchive = Pick<MirrorArchive, 'repositories' | 'tags' | 'manifests' | 'hasBlob'>;

interface Candidate {
  repository: string;
  tag: string;
  digest: string;
}

function candidates(archive: ReleaseArchive): Candidate[] {
  return archive
    .repositories()
    .filter(isReleaseRepository)
    .flatMap((repository) =>
      archive
        .tags(repository)
        .filter(({ tag }) => !isAttachedArtifactTag(tag))
        .map(({ tag, digest }) => ({ repository, tag, digest })),
    );
}

function describe(list: readonly Candidate[]): string {
  return list.map(({ repository, tag }) => `${repository}:${tag}`).join(', ');
}

function signatureTags(archive: ReleaseArchive, repository: string, digest: string): string[] {
  const prefix = `${digest.replace(':', '-')}.`;
  return archive
    .tags(repository)
    .map(({ tag }) => tag)
    .filter((tag) => tag.startsWith(prefix) && isAttachedArtifactTag(tag));
}

export interface ResolveReleaseOptions {
  /**
   * The release as the caller gave it: a pull spec (by digest or tag), or a bare release tag
   * (`4.14.3-x86_64`). Undefined: the only release in the archive.
   */
  given?: string | undefined;
  /** Where `given` came from, for messages (`--release-image`, an environment variable). */
  givenBy?: string;
  /** The source of each archive repository, as the archive records it (archive-sources.ts). */
  sourceOf?: (repository: string) => string | undefined;
}

/**
 * Find the release: `given` (a pull spec by digest or tag, or a release tag) or else the only
 * release image in the archive. Throws `RELEASE_NOT_IN_ARCHIVE` (naming what the archive has),
 * `RELEASE_AMBIGUOUS` (several releases, none chosen) or `BAD_IMAGE_REFERENCE`.
 */
export function resolveArchiveRelease(
  archive: ReleaseArchive,
  options: ResolveReleaseOptions = {},
): ArchiveRelease {
  const all = candidates(archive);
  const { given } = options;
  const by = options.givenBy ?? 'the release';
  const finish = (
    repository: string,
    digest: string,
    source: string | undefined,
    chosenBy: ArchiveRelease['chosenBy'],
  ): ArchiveRelease => ({
    repository,
    digest,
    tags: all
      .filter((entry) => entry.repository === repository && entry.digest === digest)
      .map((entry) => entry.tag),
    signatureTags: signatureTags(archive, repository, digest),
    source,
    reference: source === undefined ? undefined : `${source}@${digest}`,
    chosenBy,
  });
  if (given === undefined) {
    const digests = [...new Set(all.map(({ digest }) => digest))];
    if (digests.length === 0)
      throw new MirrorFormatError(
        'RELEASE_NOT_IN_ARCHIVE',
        `The archive holds no release image (no tag in a ${RELEASE_IMAGES_REPOSITORY} repository${archive.repositories().some(isReleaseRepository) ? ' other than signature tags' : ''}); mirror a release with oc-mirror (mirror.platform.channels in the ImageSetConfiguration) or give the release pull spec.`,
      );
    if (digests.length > 1)
      throw new MirrorFormatError(
        'RELEASE_AMBIGUOUS',
        `The archive holds ${digests.length} releases (${describe(all)}); choose one by its tag or pull spec.`,
      );
    const chosen = all[0] as Candidate;
    return finish(
      chosen.repository,
      chosen.digest,
      options.sourceOf?.(chosen.repository),
      'only-release',
    );
  }
  // A bare tag (no registry, no digest): one of the archive's release tags.
  if (!given.includes('/') && !given.includes('@')) {
    const matching = all.filter(({ tag }) => tag === given);
    const digests = [...new Set(matching.map(({ digest }) => digest))];
    if (digests.length === 0)
      throw new MirrorFormatError(
        'RELEASE_NOT_IN_ARCHIVE',
        `The archive has no release tagged ${JSON.stringify(given)} (${by}); its release tags: ${describe(all) || 'none'}.`,
      );
    if (digests.length > 1)
      throw new MirrorFormatError(
        'RELEASE_AMBIGUOUS',
        `The release tag ${JSON.stringify(given)} (${by}) names ${digests.length} images (${describe(matching)}); give the release by digest.`,
      );
    const chosen = matching[0] as Candidate;
    return finish(chosen.repository, chosen.digest, options.sourceOf?.(chosen.repository), 'given');
  }
  let parsed: ReturnType<typeof parseImageReference>;
  try {
    parsed = parseImageReference(given);
  } catch (error) {
    throw new MirrorFormatError(
      'BAD_IMAGE_REFERENCE',
      `${by} ${JSON.stringify(given)} is not an image pull spec (${(error as Error).message}); write it as quay.io/openshift-release-dev/ocp-release@sha256:<64 hex>.`,
    );
  }
  if (parsed.digest === undefined) {
    const tag = parsed.tag ?? 'latest';
    const matching = all.filter((entry) => entry.tag === tag);
    const digests = [...new Set(matching.map(({ digest }) => digest))];
    if (digests.length !== 1)
      throw new MirrorFormatError(
        digests.length === 0 ? 'RELEASE_NOT_IN_ARCHIVE' : 'RELEASE_AMBIGUOUS',
        digests.length === 0
          ? `The release ${given} (${by}) is not in the archive: no ${RELEASE_IMAGES_REPOSITORY}:${tag}, only ${describe(all) || 'no release tags'}; mirror that release with oc-mirror or give the release the archive holds.`
          : `The release ${given} (${by}) matches ${digests.length} images (${describe(matching)}); give it by digest.`,
      );
    const chosen = matching[0] as Candidate;
    return finish(chosen.repository, chosen.digest, parsed.name, 'given');
  }
  const digest = parsed.digest;
  const releaseHolder = all.find((entry) => entry.digest === digest)?.repository;
  const holder =
    releaseHolder ??
    archive
      .repositories()
      .filter(isReleaseRepository)
      .find((repository) => archive.manifests(repository).includes(digest)) ??
    archive.repositories().find((repository) => archive.manifests(repository).includes(digest));
  if (holder === undefined || !archive.hasBlob(digest))
    throw new MirrorFormatError(
      'RELEASE_NOT_IN_ARCHIVE',
      `The release image ${digest} (${by}: ${given}) is not in the archive${all.length > 0 ? ` (it holds ${describe(all)})` : ''}; mirror that release with oc-mirror (its ImageSetConfiguration must name it) or give the release the archive holds.`,
    );
  return finish(holder, digest, parsed.name, 'given');
}
