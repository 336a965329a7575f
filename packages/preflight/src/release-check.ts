/**
 * The release: which one to check (the caller's spec, or the only release the archive holds,
 * sigstore `.sig` tags aside), the check of its image, and its payload (`image-references`,
 * `release-metadata`) streamed from the last layers of the archive copy that serves it.
 */
import type { RegistriesConf } from '@hostmirror/host-config';
import {
  MirrorFormatError,
  parseImageReference,
  RELEASE_COMPONENTS_REPOSITORY,
  RELEASE_IMAGES_REPOSITORY,
  resolveArchiveRelease,
} from '@hostmirror/oc-mirror-archive';
import type { ArchiveLookup } from './archive-lookup.ts';
import type { CheckMirrorOptions } from './checker.ts';
import { parseManifestForCheck, REMIRROR_FIX, readRequiredBlob } from './content.ts';
import { MirrorCheckError } from './errors.ts';
import { checkImage } from './image-check.ts';
import { formatPlatform, ociArchitecture, selectPlatforms } from './image-manifest.ts';
import { readFilesFromLayer } from './layer-files.ts';
import {
  IMAGE_REFERENCES_PATH,
  parseImageReferences,
  parseReleaseMetadata,
  RELEASE_METADATA_PATH,
  type ReleasePayload,
} from './release-payload.ts';
import type { CheckWarning, ImageCheck } from './report.ts';

/** oc-mirror's names for release content in the mirror (oc-mirror-archive's, docs/mirror.md#naming). */
export { RELEASE_COMPONENTS_REPOSITORY, RELEASE_IMAGES_REPOSITORY };
/** Used for a manifest-list release when neither the caller nor a single platform decides. */
export const DEFAULT_ARCHITECTURE = 'amd64';
export interface ReleaseLocation {
  reference: string;
  repository: string | undefined;
  digest: string | undefined;
}

/**
 * Find the release to check: the caller's pull spec (resolved through the registries.conf by
 * checkImage), or else oc-mirror-archive's one release resolver (a release tag, or the only
 * release the archive holds; cosign `sha256-<hex>.sig` tags are not releases).
 */
export function locateRelease(
  lookup: ArchiveLookup,
  conf: RegistriesConf,
  release: string | undefined,
): ReleaseLocation {
  if (release !== undefined && (release.includes('/') || release.includes('@'))) {
    return { reference: release, repository: undefined, digest: undefined };
  }
  let found: ReturnType<typeof resolveArchiveRelease>;
  try {
    found = resolveArchiveRelease(lookup.archive, {
      given: release,
      givenBy: '--release',
      // The source the cluster pulls: the registries.conf source mirrored to this repository.
      sourceOf: (repository) =>
        conf.registries.find((registry) =>
          // A trailing `/` (kept by c/image before 5.35, where the pull then fails) still
          // says which source the mirror is for.
          registry.mirrors.some((mirror) =>
            mirror.location.replace(/\/+$/, '').endsWith(`/${repository}`),
          ),
        )?.prefix,
    });
  } catch (error) {
    if (!(error instanceof MirrorFormatError)) throw error;
    throw new MirrorCheckError(
      error.code === 'RELEASE_AMBIGUOUS' ? 'RELEASE_AMBIGUOUS' : 'RELEASE_NOT_FOUND',
      error.message,
      { subject: release ?? RELEASE_IMAGES_REPOSITORY },
    );
  }
  if (found.reference === undefined)
    throw new MirrorCheckError(
      'RELEASE_NOT_FOUND',
      `No registries.conf rule mirrors a source to ${found.repository}, which holds the release ${found.digest}; give the release with --release SOURCE@${found.digest} or a registries.conf that maps its source.`,
      { subject: found.repository },
    );
  return { reference: found.reference, repository: found.repository, digest: found.digest };
}

/** Stream the release image's layers (last first) until image-references is found. */
export async function readReleasePayload(
  lookup: ArchiveLookup,
  repository: string,
  digest: string,
  wantedArchitectures: readonly string[] | undefined,
): Promise<{ payload: ReleasePayload; architecture: string | undefined }> {
  const where = `release image ${repository}@${digest}`;
  let manifest = parseManifestForCheck(await readRequiredBlob(lookup, digest, where), where);
  let imageDigest = digest;
  if (manifest.kind === 'index') {
    const platforms = manifest.children.filter((child) => child.platform !== undefined);
    const architectures =
      wantedArchitectures ??
      (platforms.length === 1
        ? [platforms[0]?.platform?.architecture as string]
        : [DEFAULT_ARCHITECTURE]);
    const { selected, missing } = selectPlatforms(manifest.children, architectures.slice(0, 1));
    if (missing.length > 0 || selected[0] === undefined)
      throw new MirrorCheckError(
        'PLATFORM_MISSING',
        `The ${where} is a manifest list without a linux/${missing.join(', ')} image (it has ${manifest.children.map((child) => formatPlatform(child.platform)).join(', ')}); mirror the release for the cluster's architecture or pass --arch.`,
        { subject: `${repository}@${digest}` },
      );
    imageDigest = selected[0].digest;
    manifest = parseManifestForCheck(
      await readRequiredBlob(lookup, imageDigest, `${where} (${architectures[0]})`),
      `${repository}@${imageDigest}`,
    );
  }
  if (manifest.kind !== 'image')
    throw new MirrorCheckError(
      'MANIFEST_INVALID',
      `The ${where} is a ${manifest.kind} manifest; a release payload is an OCI or Docker schema 2 image.`,
      { subject: `${repository}@${imageDigest}` },
    );
  const config = parseConfig(
    await readRequiredBlob(lookup, manifest.config.digest, `config of ${where}`),
  );
  for (const layer of [...manifest.layers].reverse()) {
    const label = `layer ${layer.digest} of ${where}`;
    if (!lookup.archive.hasBlob(layer.digest))
      throw new MirrorCheckError(
        'BLOB_MISSING',
        `The ${label} is in no archive chunk, so the release payload cannot be read; ${REMIRROR_FIX}`,
        { subject: layer.digest },
      );
    const files = await readFilesFromLayer(
      lookup.archive.openBlob(layer.digest),
      [IMAGE_REFERENCES_PATH, RELEASE_METADATA_PATH],
      label,
    );
    const references = files.get(IMAGE_REFERENCES_PATH);
    if (references === undefined) continue;
    const metadata = files.get(RELEASE_METADATA_PATH);
    const payload: ReleasePayload = {
      ...parseImageReferences(references.toString('utf8'), `${IMAGE_REFERENCES_PATH} in ${label}`),
      metadata:
        metadata === undefined
          ? undefined
          : parseReleaseMetadata(metadata.toString('utf8'), `${RELEASE_METADATA_PATH} in ${label}`),
    };
    return { payload, architecture: config.architecture };
  }
  throw new MirrorCheckError(
    'IMAGE_REFERENCES_MISSING',
    `None of the ${manifest.layers.length} layers of the ${where} holds ${IMAGE_REFERENCES_PATH}; this is not an OpenShift release payload.`,
    { subject: `${repository}@${digest}` },
  );
}

export function parseConfig(bytes: Buffer): { architecture: string | undefined } {
  try {
    const config = JSON.parse(bytes.toString('utf8')) as { architecture?: unknown };
    return {
      architecture: typeof config.architecture === 'string' ? config.architecture : undefined,
    };
  } catch {
    return { architecture: undefined };
  }
}

export interface ReleaseResult {
  check: ImageCheck;
  location: ReleaseLocation;
  payload: ReleasePayload | undefined;
  /** The release image's own architecture (its config), OCI-named. */
  architecture: string | undefined;
  /** What manifest lists are checked for: the caller's, else the release's. */
  architectures: string[];
}

/**
 * Resolve and check the release image, then read its payload from the archive copy that
 * serves it (or, when the registries.conf does not reach it, from the archive's own
 * release-images repository, so the components are still checked).
 */
export async function checkRelease(
  lookup: ArchiveLookup,
  conf: RegistriesConf,
  options: CheckMirrorOptions,
): Promise<ReleaseResult> {
  const location = locateRelease(lookup, conf, options.release);
  const wanted = options.architectures?.map(ociArchitecture);
  let architectures = wanted ?? [DEFAULT_ARCHITECTURE];
  let check = await checkImage(
    lookup,
    conf,
    location.reference,
    'release',
    undefined,
    architectures,
  );
  const repository = check.repository ?? location.repository;
  const digest = check.digest ?? location.digest;
  if (repository === undefined || digest === undefined)
    return { check, location, payload: undefined, architecture: undefined, architectures };
  const read = await readReleasePayload(lookup, repository, digest, wanted);
  const architecture =
    read.architecture === undefined ? undefined : ociArchitecture(read.architecture);
  architectures = wanted ?? [architecture ?? DEFAULT_ARCHITECTURE];
  // Checked first for the default architecture; a failure may have been that platform's.
  if (wanted === undefined && !check.ok)
    check = await checkImage(lookup, conf, location.reference, 'release', undefined, architectures);
  return { check, location, payload: read.payload, architecture, architectures };
}

export function signatureWarning(digest: string): CheckWarning {
  const hex = digest.slice('sha256:'.length);
  return {
    code: 'RELEASE_SIGNATURE_MISSING',
    message: `No release signature for ${digest}: no ConfigMap labelled release.openshift.io/verification-signatures in working-dir/cluster-resources has a key sha256-${hex}-<n> and no working-dir/signatures/<tag>-sha256-${hex} file exists; the CVO cannot verify the payload offline (mirror with oc-mirror so it writes signature-configmap.yaml, and apply it to the cluster).`,
  };
}

export function parseReleaseDigest(release: ImageCheck, location: ReleaseLocation): string {
  if (location.digest !== undefined) return location.digest;
  try {
    return parseImageReference(release.reference).digest ?? release.digest ?? '';
  } catch {
    return release.digest ?? '';
  }
}
