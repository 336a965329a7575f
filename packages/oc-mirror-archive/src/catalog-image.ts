import type { MirrorArchive } from './archive-index.ts';
import { type CatalogBundle, catalogConfigsDir, catalogFileBundles } from './catalog.ts';
import { MirrorFormatError } from './errors.ts';
import { forEachLayerFile } from './layer-files.ts';
import { type ImageManifest, parseImageManifest } from './manifest.ts';

/**
 * The operator bundles of a catalog image the archive holds, read as OLM reads them: its
 * file-based catalog, the files under the folder the image's config label
 * `operators.operatorframework.io.index.configs.v1` names (default `/configs`), in the top layer
 * that has any (oc-mirror's rebuilt catalog deletes `/configs` with a `.wh.configs` layer, then
 * adds the filtered one last: openshift/oc-mirror `internal/pkg/imagebuilder/catalog_builder.go`
 * RebuildCatalog at commit 855b64a3). The layer is streamed and each catalog file parsed as it
 * arrives, then dropped: memory holds one file and the bundles' image names, never the layer or
 * the whole catalog. Bounded against hostile input: a catalog file over 64 MiB, more than
 * `MAX_CATALOG_BUNDLES` bundles, a bundle with more than `MAX_RELATED_IMAGES` related images or
 * an image name over `MAX_IMAGE_NAME_LENGTH` is `CATALOG_INVALID`; a layer that is not a tar is
 * `LAYER_UNREADABLE`; a blob the catalog needs that no chunk holds is `BLOB_NOT_IN_ARCHIVE`; each
 * names the catalog image, and the fix.
 */

/** redhat-operator-index has a few thousand bundles; community catalogs some ten thousand. */
export const MAX_CATALOG_BUNDLES = 200_000;
/** An operator bundle names its operands: tens, a few hundred at most. */
export const MAX_RELATED_IMAGES = 10_000;
/** A pull spec is a host, a path of at most 255 characters and a digest or tag. */
export const MAX_IMAGE_NAME_LENGTH = 1024;

const REMIRROR_CATALOG =
  'mirror the catalog again with oc-mirror (it rebuilds a file-based catalog of the mirrored bundles)';

export type CatalogArchive = Pick<MirrorArchive, 'readBlob' | 'openBlob' | 'hasBlob'>;

export interface CatalogImageContents {
  /** The image manifest read (the platform child of a manifest list). */
  manifest: string;
  /** The layer the catalog files came from, when any held them. */
  layer: string | undefined;
  bundles: CatalogBundle[];
}

function missing(digest: string, what: string, where: string): MirrorFormatError {
  return new MirrorFormatError(
    'BLOB_NOT_IN_ARCHIVE',
    `The ${what} ${digest} of ${where} is in no archive chunk; ${REMIRROR_CATALOG}.`,
    { subject: digest },
  );
}

async function readManifest(
  archive: CatalogArchive,
  digest: string,
  where: string,
): Promise<ImageManifest> {
  if (!archive.hasBlob(digest)) throw missing(digest, 'manifest', where);
  return parseImageManifest(await archive.readBlob(digest), where);
}

/** Read the bundles of the catalog image `repository@digest` from the archive. */
export async function readCatalogImage(
  archive: CatalogArchive,
  repository: string,
  digest: string,
  options: { architectures?: readonly string[] } = {},
): Promise<CatalogImageContents> {
  const where = `catalog image ${repository}@${digest}`;
  let manifestDigest = digest;
  let manifest = await readManifest(archive, digest, where);
  if (manifest.kind === 'index') {
    // Every platform of a catalog carries the same configs: the cluster's, else any held.
    const wanted = options.architectures ?? [];
    const child =
      manifest.children.find(
        (entry) =>
          entry.platform !== undefined &&
          wanted.includes(entry.platform.architecture) &&
          archive.hasBlob(entry.digest),
      ) ?? manifest.children.find((entry) => archive.hasBlob(entry.digest));
    if (child === undefined)
      throw new MirrorFormatError(
        'BLOB_NOT_IN_ARCHIVE',
        `None of the ${manifest.children.length} platform manifests of the ${where} is in the archive; ${REMIRROR_CATALOG}.`,
        { subject: `${repository}@${digest}` },
      );
    manifestDigest = child.digest;
    manifest = await readManifest(archive, child.digest, where);
  }
  if (manifest.kind !== 'image')
    throw new MirrorFormatError(
      'CATALOG_INVALID',
      `The ${where} is a ${manifest.kind} manifest, not an image with a file-based catalog; ${REMIRROR_CATALOG}.`,
      { subject: `${repository}@${digest}` },
    );
  if (!archive.hasBlob(manifest.config.digest))
    throw missing(manifest.config.digest, 'config', where);
  let config: unknown;
  try {
    config = JSON.parse((await archive.readBlob(manifest.config.digest)).toString('utf8'));
  } catch (error) {
    if (error instanceof MirrorFormatError) throw error;
    throw new MirrorFormatError(
      'CATALOG_INVALID',
      `The config ${manifest.config.digest} of ${where} is not JSON (${(error as Error).message}); ${REMIRROR_CATALOG}.`,
      { subject: `${repository}@${digest}` },
    );
  }
  const configsDir = `${catalogConfigsDir(config)}/`;
  const bundles: CatalogBundle[] = [];
  for (const layer of [...manifest.layers].reverse()) {
    if (!archive.hasBlob(layer.digest)) throw missing(layer.digest, 'layer', where);
    const label = `layer ${layer.digest} of ${where}`;
    const files = await forEachLayerFile(
      archive.openBlob(layer.digest),
      (path) => path.startsWith(configsDir),
      label,
      (file, bytes) => {
        for (const bundle of catalogFileBundles(file, bytes)) {
          if (bundles.length >= MAX_CATALOG_BUNDLES)
            throw bound(label, `it has more than ${MAX_CATALOG_BUNDLES} olm.bundle entries`);
          if (bundle.relatedImages.length > MAX_RELATED_IMAGES)
            throw bound(
              label,
              `the olm.bundle ${bundle.name} in ${file} names ${bundle.relatedImages.length} related images, more than ${MAX_RELATED_IMAGES}`,
            );
          for (const image of [bundle.image, ...bundle.relatedImages])
            if (image.length > MAX_IMAGE_NAME_LENGTH)
              throw bound(
                label,
                `the olm.bundle ${bundle.name} in ${file} names an image of ${image.length} characters, more than ${MAX_IMAGE_NAME_LENGTH}`,
              );
          bundles.push(bundle);
        }
      },
    );
    if (files > 0) return { manifest: manifestDigest, layer: layer.digest, bundles };
  }
  return { manifest: manifestDigest, layer: undefined, bundles };
}

function bound(label: string, problem: string): MirrorFormatError {
  return new MirrorFormatError(
    'CATALOG_INVALID',
    `The file-based catalog in ${label} is not one oc-mirror writes: ${problem}; ${REMIRROR_CATALOG}.`,
    { subject: label },
  );
}
