/**
 * Operator catalogs: each CatalogSource image (moved to the archive host as IDMS mirrors are),
 * then every bundle image and related image its file-based catalog lists.
 */
import { type RegistriesConf, relocateMirror } from '@hostmirror/host-config';
import {
  type ClusterResources,
  formatImageReference,
  type ImageReference,
  parseImageReference,
  referenceName,
} from '@hostmirror/oc-mirror-archive';
import type { ArchiveLookup } from './archive-lookup.ts';
import { type CatalogBundle, catalogBundles, catalogConfigsDir } from './catalog.ts';
import { parseManifestForCheck, REMIRROR_FIX, readRequiredBlob } from './content.ts';
import { MirrorCheckError } from './errors.ts';
import { checkImage } from './image-check.ts';
import { selectPlatforms } from './image-manifest.ts';
import { readMatchingFilesFromLayer } from './layer-files.ts';
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

/** Read the bundles of a served catalog image (its file-based catalog layer, streamed). */
export async function readCatalogBundles(
  lookup: ArchiveLookup,
  repository: string,
  digest: string,
  architectures: readonly string[],
): Promise<CatalogBundle[]> {
  const where = `catalog image ${repository}@${digest}`;
  let manifest = parseManifestForCheck(await readRequiredBlob(lookup, digest, where), where);
  if (manifest.kind === 'index') {
    const child = selectPlatforms(manifest.children, architectures).selected[0];
    if (child === undefined) return [];
    manifest = parseManifestForCheck(await readRequiredBlob(lookup, child.digest, where), where);
  }
  if (manifest.kind !== 'image') return [];
  const configBytes = await readRequiredBlob(lookup, manifest.config.digest, `config of ${where}`);
  let config: unknown;
  try {
    config = JSON.parse(configBytes.toString('utf8'));
  } catch (error) {
    throw new MirrorCheckError(
      'CATALOG_INVALID',
      `The config ${manifest.config.digest} of ${where} is not JSON (${(error as Error).message}); the archive is damaged: mirror the catalog again.`,
      { subject: `${repository}@${digest}` },
    );
  }
  const configsDir = `${catalogConfigsDir(config)}/`;
  for (const layer of [...manifest.layers].reverse()) {
    const label = `layer ${layer.digest} of ${where}`;
    if (!lookup.archive.hasBlob(layer.digest))
      throw new MirrorCheckError(
        'BLOB_MISSING',
        `The ${label} is in no archive chunk; ${REMIRROR_FIX}`,
        { subject: layer.digest },
      );
    const files = await readMatchingFilesFromLayer(
      lookup.archive.openBlob(layer.digest),
      (path) => path.startsWith(configsDir),
      label,
    );
    if (files.size > 0) return catalogBundles(files);
  }
  return [];
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
