/**
 * Which release image the cluster installs, and proof that the archive holds it. The order is
 * openshift-install's (docs/installer.md#agent-iso): `--release-image`, else the environment variable
 * `OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE`, else the single release in the archive. The
 * archive is asked through the mirror package's one release resolver (`resolveArchiveRelease`),
 * the same one `mirror check` and `boot-sequence` use.
 */
import {
  type MirrorArchive,
  MirrorFormatError,
  RELEASE_IMAGES_REPOSITORY,
  resolveArchiveRelease,
} from '@hostmirror/oc-mirror-archive';
import { BuildIsoError } from './errors.ts';

/** The variable openshift-install reads to install another release than its pinned one. */
export const RELEASE_OVERRIDE_VARIABLE = 'OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE';

/** oc-mirror's repository for release images (the resolver's, re-exported for agent-iso.ts). */
export { RELEASE_IMAGES_REPOSITORY };

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

/**
 * Choose the release and check that the archive holds its manifest; refuse with the digest
 * otherwise. `sourceOf` names the source repository an archive repository serves (the mirror
 * rules' answer, `mirrorRulesFor(…).sourceOf`); a release given as a pull spec needs none.
 */
export function chooseRelease(
  archive: ReleaseArchive,
  option: string | undefined,
  env: NodeJS.ProcessEnv,
  sourceOf: (repository: string) => string | undefined = () => undefined,
): ReleaseChoice {
  const fromEnv = env[RELEASE_OVERRIDE_VARIABLE];
  const given = option ?? (fromEnv === '' ? undefined : fromEnv);
  const origin: ReleaseOrigin =
    given === undefined ? 'archive' : option !== undefined ? 'option' : 'environment';
  const where = origin === 'option' ? '--release-image' : RELEASE_OVERRIDE_VARIABLE;
  let found: ReturnType<typeof resolveArchiveRelease>;
  try {
    found = resolveArchiveRelease(archive, { given, givenBy: where, sourceOf });
  } catch (error) {
    if (!(error instanceof MirrorFormatError)) throw error;
    throw new BuildIsoError(
      error.code === 'RELEASE_NOT_IN_ARCHIVE' && given !== undefined
        ? 'RELEASE_NOT_IN_ARCHIVE'
        : 'RELEASE_IMAGE_UNKNOWN',
      given === undefined && error.code === 'RELEASE_AMBIGUOUS'
        ? `${error.message.replace(/; choose one.*$/, '')}; choose one with --release-image or ${RELEASE_OVERRIDE_VARIABLE}.`
        : error.message,
    );
  }
  if (found.reference === undefined)
    throw new BuildIsoError(
      'RELEASE_IMAGE_UNKNOWN',
      `The archive's release ${found.repository}@${found.digest} has no known source: neither the archive's mirror sets nor its records (the ImageSetConfiguration copy isc_*) say where it was mirrored from; give it with --release-image SOURCE@${found.digest} (for OCP quay.io/openshift-release-dev/ocp-release@${found.digest}).`,
    );
  return {
    reference: found.reference,
    given: given ?? found.reference,
    origin,
    repository: found.repository,
    digest: found.digest,
  };
}
