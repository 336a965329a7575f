/**
 * Operator catalogs: each CatalogSource image (moved to the archive host as IDMS mirrors are),
 * then every bundle image and related image its file-based catalog lists.
 */
import { type RegistriesConf, relocateMirror } from '@hostmirror/host-config';
import {
  type ClusterResources,
  formatImageReference,
  type ImageReference,
  MirrorFormatError,
  parseImageReference,
  readCatalogImage,
  referenceName,
} from '@hostmirror/oc-mirror-archive';
import type { ArchiveLookup } from './archive-lookup.ts';
import type { CatalogBundle } from './catalog.ts';
import { asCheckError, MirrorCheckError } from './errors.ts';
import { checkImage } from './image-check.ts';
import { ociArchitecture } from './image-manifest.ts';
import type { CheckWarning, ImageCheck } from './report.ts';

/**
 * The catalog image a CatalogSource pulls once hostmirror serves the archive: oc-mirror wrote
 * it for its destination registry (`dest/redhat/redhat-operator-index:v4.14`); moved to the
 * archive host the same way IDMS mirrors are (formats' relocateMirror). Unchanged when it
 * already names the archive host or names no repository the archive holds.
 */
export function catalogPullSpec(lookup: ArchiveLookup, image: string): string {
  const host = [...lookup.hosts][0];
  let parsed: ImageReference;
  try {
    parsed = parseImageReference(image);
  } catch {
    return image;
  }
  if (host === undefined || lookup.hosts.has(parsed.domain)) return image;
  const location = relocateMirror(referenceName(parsed), host, [...lookup.manifests.keys()]);
  if (location === undefined) return image;
  const moved = parseImageReference(location);
  return formatImageReference({ ...moved, tag: parsed.tag, digest: parsed.digest });
}

/**
 * Read the bundles of a served catalog image: `@hostmirror/oc-mirror-archive`'s
 * `readCatalogImage` (its file-based catalog layer, streamed, bounded), the platform the
 * cluster runs first; failures relabelled as the check's errors.
 */
export async function readCatalogBundles(
  lookup: ArchiveLookup,
  repository: string,
  digest: string,
  architectures: readonly string[],
): Promise<CatalogBundle[]> {
  try {
    return (
      await readCatalogImage(lookup.archive, repository, digest, {
        architectures: architectures.map(ociArchitecture),
      })
    ).bundles;
  } catch (error) {
    if (error instanceof MirrorFormatError && error.code === 'BLOB_NOT_IN_ARCHIVE')
      throw new MirrorCheckError('BLOB_MISSING', error.message, { subject: error.subject });
    throw asCheckError(error) ?? error;
  }
}

/**
 * Check every bundle image and related image the served catalog lists (once each: images
 * already checked are skipped). A catalog that cannot be read fails its own entry.
 */
export async function checkCatalogBundles(
  lookup: ArchiveLookup,
  conf: RegistriesConf,
  catalog: ImageCheck,
  architectures: readonly string[],
  checked: readonly ImageCheck[],
  warnings: CheckWarning[],
): Promise<ImageCheck[]> {
  if (!catalog.ok || catalog.repository === undefined || catalog.digest === undefined) return [];
  let bundles: CatalogBundle[];
  try {
    bundles = await readCatalogBundles(lookup, catalog.repository, catalog.digest, architectures);
  } catch (error) {
    if (!(error instanceof MirrorCheckError)) throw error;
    Object.assign(catalog, {
      ok: false,
      code: error.code,
      reason: error.message,
      fix: 'mirror the catalog again with oc-mirror (it rebuilds a file-based catalog of the mirrored bundles).',
    });
    return [];
  }
  if (bundles.length === 0)
    warnings.push({
      code: 'CATALOG_WITHOUT_BUNDLES',
      message: `${catalog.name ?? 'catalog'} (${catalog.reference}) has no olm.bundle in a file-based catalog; its operator bundles were not checked.`,
    });
  const seen = new Set(checked.map((image) => image.reference));
  const results: ImageCheck[] = [];
  for (const bundle of bundles)
    for (const image of [bundle.image, ...bundle.relatedImages]) {
      // Bundles of one package repeat their related images: check each spelling only once.
      if (seen.has(image)) continue;
      const role = image === bundle.image ? 'bundle' : 'related-image';
      const result = await checkImage(
        lookup,
        conf,
        image,
        role,
        `${bundle.package} ${bundle.name}`,
        architectures,
      );
      // A new spelling of an image already checked is not reported twice.
      const duplicate = seen.has(result.reference);
      seen.add(image).add(result.reference);
      if (!duplicate) results.push(result);
    }
  return results;
}

/** Each CatalogSource image, then every bundle and related image its catalog lists. */
export async function checkCatalogs(
  lookup: ArchiveLookup,
  conf: RegistriesConf,
  resources: ClusterResources,
  architectures: readonly string[],
  images: ImageCheck[],
  warnings: CheckWarning[],
): Promise<void> {
  for (const catalog of resources.catalogSources) {
    if (catalog.image === '') continue;
    const pullSpec = catalogPullSpec(lookup, catalog.image);
    const name = `CatalogSource ${catalog.name}`;
    const catalogCheck = await checkImage(lookup, conf, pullSpec, 'catalog', name, architectures);
    images.push(catalogCheck);
    images.push(
      ...(await checkCatalogBundles(lookup, conf, catalogCheck, architectures, images, warnings)),
    );
  }
}
