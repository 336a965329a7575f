/**
 * Which release image the cluster installs, and proof that the archive holds it. The order is
 * openshift-install's (docs/installer.md#agent-iso): `--release-image`, else the environment variable
 * `OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE`, else the single release in the archive.
 */
import { type MirrorArchive, parseImageReference } from '@hostmirror/oc-mirror-archive';
import { BuildIsoError } from './errors.ts';

/** The variable openshift-install reads to install another release than its pinned one. */
export const RELEASE_OVERRIDE_VARIABLE = 'OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE';
/** oc-mirror's repository for release images, and their source (docs/mirror.md#naming). */
export const RELEASE_IMAGES_REPOSITORY = 'openshift/release-images';
export const RELEASE_SOURCE = 'quay.io/openshift-release-dev/ocp-release';

/** `agent-iso`: the release the agent ISO's own Ignition names (agent-iso.ts). */
export type ReleaseOrigin = 'option' | 'environment' | 'archive' | 'agent-iso';

export interface ReleaseChoice {
  /** The source pull spec the cluster uses, by digest. */
  reference: string;
  /** The pull spec as given (by tag or digest); equal to `reference` when found in the archive. */
  given: string;
  origin: ReleaseOrigin;
  /** The archive repository that holds the release manifest. */
  repository: string;
  digest: string;
}

type ReleaseArchive = Pick<MirrorArchive, 'repositories' | 'tags' | 'manifests' | 'hasBlob'>;

function releaseTags(archive: ReleaseArchive) {
  return archive.repositories().includes(RELEASE_IMAGES_REPOSITORY)
    ? archive.tags(RELEASE_IMAGES_REPOSITORY)
    : [];
}

function holder(archive: ReleaseArchive, digest: string): string | undefined {
  const repositories = archive.repositories();
  const ordered = [
    ...repositories.filter((name) => name === RELEASE_IMAGES_REPOSITORY),
    ...repositories.filter((name) => name !== RELEASE_IMAGES_REPOSITORY),
  ];
  return ordered.find((name) => archive.manifests(name).includes(digest));
}

function single(archive: ReleaseArchive): ReleaseChoice {
  const tags = releaseTags(archive);
  const digests = [...new Set(tags.map((tag) => tag.digest))];
  if (digests.length !== 1)
    throw new BuildIsoError(
      'RELEASE_IMAGE_UNKNOWN',
      digests.length === 0
        ? `The archive holds no release image (no tag in ${RELEASE_IMAGES_REPOSITORY}); give the release with --release-image quay.io/openshift-release-dev/ocp-release@sha256:… or mirror one with oc-mirror.`
        : `The archive holds ${digests.length} releases (${tags.map((tag) => tag.tag).join(', ')}); choose one with --release-image or ${RELEASE_OVERRIDE_VARIABLE}.`,
    );
  const digest = digests[0] as string;
  const reference = `${RELEASE_SOURCE}@${digest}`;
  return {
    reference,
    given: reference,
    origin: 'archive',
    repository: RELEASE_IMAGES_REPOSITORY,
    digest,
  };
}

/** Choose the release and check that the archive holds its manifest; refuse with the digest otherwise. */
export function chooseRelease(
  archive: ReleaseArchive,
  option: string | undefined,
  env: NodeJS.ProcessEnv,
): ReleaseChoice {
  const fromEnv = env[RELEASE_OVERRIDE_VARIABLE];
  const given = option ?? (fromEnv === '' ? undefined : fromEnv);
  if (given === undefined) return single(archive);
  const origin: ReleaseOrigin = option !== undefined ? 'option' : 'environment';
  const where = origin === 'option' ? '--release-image' : RELEASE_OVERRIDE_VARIABLE;
  let parsed: ReturnType<typeof parseImageReference>;
  try {
    parsed = parseImageReference(given);
  } catch (error) {
    throw new BuildIsoError(
      'RELEASE_IMAGE_UNKNOWN',
      `${where} ${JSON.stringify(given)} is not an image pull spec (${(error as Error).message}); write it as quay.io/openshift-release-dev/ocp-release@sha256:<64 hex>.`,
    );
  }
  let digest = parsed.digest;
  if (digest === undefined) {
    const tag = parsed.tag ?? 'latest';
    const tags = releaseTags(archive);
    digest = tags.find((entry) => entry.tag === tag)?.digest;
    if (digest === undefined)
      throw new BuildIsoError(
        'RELEASE_NOT_IN_ARCHIVE',
        `The release ${given} (${where}) is not in the archive: it has no ${RELEASE_IMAGES_REPOSITORY}:${tag}, only ${tags.map((entry) => entry.tag).join(', ') || 'no release tags'}; mirror that release with oc-mirror or give the release the archive holds.`,
      );
  }
  const repository = holder(archive, digest);
  if (repository === undefined || !archive.hasBlob(digest))
    throw new BuildIsoError(
      'RELEASE_NOT_IN_ARCHIVE',
      `The release image ${digest} (${where}: ${given}) is not in the archive; mirror that release with oc-mirror (its ImageSetConfiguration must name it) or give the release the archive holds.`,
    );
  return { reference: `${parsed.name}@${digest}`, given, origin, repository, digest };
}
