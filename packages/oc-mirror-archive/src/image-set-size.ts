import type { MirrorArchive } from './archive-index.ts';
import { isDigest } from './digest.ts';
import {
  BOOTSTRAP_COMPONENTS,
  type ReleaseComponent,
  type SizeEstimate,
} from './image-set-config.ts';
import { MAX_MANIFEST_BYTES, parseManifest } from './manifest.ts';

/**
 * Real sizes for `--bootstrap-only` from an archive that already holds the release: the
 * unique blobs (manifests, configs, layers, index children) of every component, then of the
 * bootstrap's components only. Blobs shared between components count once, as they do on
 * disk. Components whose manifest the archive lacks are counted and named in the basis.
 */
export interface ArchiveSizeEstimate {
  full: SizeEstimate;
  bootstrapOnly: SizeEstimate;
  /** Components whose image digest is not in the archive. */
  missing: string[];
}

function digestOf(image: string): string | undefined {
  const at = image.lastIndexOf('@');
  const digest = at === -1 ? '' : image.slice(at + 1);
  return isDigest(digest) ? digest : undefined;
}

/** Every blob an image needs, the manifest itself included; undefined when it is not there. */
async function blobsOfImage(
  archive: MirrorArchive,
  manifest: string,
  into: Set<string>,
): Promise<boolean> {
  const location = archive.blob(manifest);
  if (!location) return false;
  into.add(manifest);
  if (location.size > MAX_MANIFEST_BYTES) return true;
  const parsed = parseManifest(await archive.readBlob(manifest));
  for (const reference of parsed?.references ?? []) {
    if (reference.role === 'child-manifest') await blobsOfImage(archive, reference.digest, into);
    else into.add(reference.digest);
  }
  return true;
}

function bytesOf(archive: MirrorArchive, blobs: Set<string>): number {
  let total = 0;
  for (const digest of blobs) total += archive.blob(digest)?.size ?? 0;
  return total;
}

export async function estimateSizesFromArchive(
  archive: MirrorArchive,
  components: ReleaseComponent[],
): Promise<ArchiveSizeEstimate> {
  const keep = new Set<string>(BOOTSTRAP_COMPONENTS);
  const all = new Set<string>();
  const bootstrap = new Set<string>();
  const missing: string[] = [];
  let kept = 0;
  for (const component of components) {
    const digest = digestOf(component.image);
    const blobs = new Set<string>();
    if (digest === undefined || !(await blobsOfImage(archive, digest, blobs))) {
      missing.push(component.name);
      continue;
    }
    for (const blob of blobs) all.add(blob);
    if (keep.has(component.name)) {
      kept++;
      for (const blob of blobs) bootstrap.add(blob);
    }
  }
  const basis = `unique blobs of the components found in the archive (${components.length - missing.length} of ${components.length}${missing.length > 0 ? `; not in it: ${missing.join(', ')}` : ''})`;
  return {
    full: { bytes: bytesOf(archive, all), components: components.length - missing.length, basis },
    bootstrapOnly: { bytes: bytesOf(archive, bootstrap), components: kept, basis },
    missing,
  };
}
