/**
 * Content verification: the blobs one image manifest needs are in an archive chunk and linked
 * in the repository that serves it (else the registry answers "blob unknown"); for a manifest
 * list, the cluster's platforms. Results are cached per repository, digest and architectures.
 */
import { type ImageManifest, parseImageManifest } from '@hostmirror/oc-mirror-archive';
import type { ArchiveLookup } from './archive-lookup.ts';
import { asCheckError, MirrorCheckError, type MirrorCheckErrorCode } from './errors.ts';
import { formatPlatform, selectPlatforms } from './image-manifest.ts';

export interface ContentProblem {
  code: MirrorCheckErrorCode;
  detail: string;
  fix: string;
}

/** Check the blobs one image manifest needs: present in the archive and linked in `repository`. */
export async function verifyContent(
  lookup: ArchiveLookup,
  repository: string,
  digest: string,
  architectures: readonly string[],
): Promise<ContentProblem | undefined> {
  const key = `${repository}@${digest} ${architectures.join(',')}`;
  if (lookup.verified.has(key)) return lookup.verified.get(key);
  const problem = await findContentProblem(lookup, repository, digest, architectures, 0);
  lookup.verified.set(key, problem);
  return problem;
}

export const REMIRROR_FIX =
  'mirror the image again with oc-mirror, and give every archive chunk (a differential archive only carries new blobs).';

/** formats' manifest parser, a failure relabelled as the check's `MANIFEST_INVALID`. */
export function parseManifestForCheck(bytes: Uint8Array, where: string): ImageManifest {
  try {
    return parseImageManifest(bytes, where);
  } catch (error) {
    throw asCheckError(error) ?? error;
  }
}

export async function readManifest(
  lookup: ArchiveLookup,
  repository: string,
  digest: string,
): Promise<ImageManifest | ContentProblem> {
  const where = `${repository}@${digest}`;
  if (!lookup.archive.hasBlob(digest))
    return {
      code: 'BLOB_MISSING',
      detail: `manifest ${where} is linked but its blob is in no archive chunk`,
      fix: REMIRROR_FIX,
    };
  try {
    return parseManifestForCheck(await lookup.archive.readBlob(digest), where);
  } catch (error) {
    if (!(error instanceof MirrorCheckError)) throw error;
    return { code: error.code, detail: error.message, fix: REMIRROR_FIX };
  }
}

export async function findContentProblem(
  lookup: ArchiveLookup,
  repository: string,
  digest: string,
  architectures: readonly string[],
  depth: number,
): Promise<ContentProblem | undefined> {
  const manifest = await readManifest(lookup, repository, digest);
  if ('code' in manifest) return manifest;
  const where = `${repository}@${digest}`;
  if (manifest.kind === 'index') {
    if (depth > 0)
      return {
        code: 'MANIFEST_INVALID',
        detail: `${where} is an index inside an index`,
        fix: REMIRROR_FIX,
      };
    const { selected, missing } = selectPlatforms(manifest.children, architectures);
    if (missing.length > 0)
      return {
        code: 'PLATFORM_MISSING',
        detail: `manifest list ${where} has no linux/${missing.join(', linux/')} image (it has ${manifest.children.map((child) => formatPlatform(child.platform)).join(', ') || 'none'})`,
        fix: `mirror it for the cluster's architecture (ImageSetConfiguration mirror.platform.architectures: [${missing.join(', ')}]), or set --arch to the cluster's architecture.`,
      };
    for (const child of selected) {
      if (!lookup.manifests.get(repository)?.has(child.digest))
        return {
          code: 'MANIFEST_MISSING',
          detail: `manifest list ${where} names ${formatPlatform(child.platform)} image ${child.digest}, which ${repository} does not hold`,
          fix: REMIRROR_FIX,
        };
      const problem = await findContentProblem(lookup, repository, child.digest, architectures, 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const blobs = manifest.kind === 'image' ? [manifest.config, ...manifest.layers] : manifest.layers;
  const linked = lookup.layers.get(repository);
  for (const blob of blobs) {
    if (!lookup.archive.hasBlob(blob.digest))
      return {
        code: 'BLOB_MISSING',
        detail: `blob ${blob.digest} of ${where} is in no archive chunk`,
        fix: REMIRROR_FIX,
      };
    if (!linked?.has(blob.digest))
      return {
        code: 'BLOB_MISSING',
        detail: `blob ${blob.digest} of ${where} is not linked in ${repository} (the registry answers "blob unknown")`,
        fix: REMIRROR_FIX,
      };
  }
  return undefined;
}

export async function readRequiredBlob(
  lookup: ArchiveLookup,
  digest: string,
  what: string,
): Promise<Buffer> {
  if (!lookup.archive.hasBlob(digest))
    throw new MirrorCheckError(
      'BLOB_MISSING',
      `The ${what} (${digest}) is in no archive chunk; ${REMIRROR_FIX}`,
      { subject: digest },
    );
  return lookup.archive.readBlob(digest);
}
