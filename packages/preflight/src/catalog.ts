import {
  catalogBundles as bundlesOfFiles,
  type CatalogBundle,
  catalogConfigsDir,
} from '@hostmirror/oc-mirror-archive';
import { asCheckError } from './errors.ts';

/**
 * Operator bundles as a cluster finds them: `@hostmirror/oc-mirror-archive`'s file-based catalog
 * reader (catalog.ts there, the one implementation), its `CATALOG_INVALID` relabelled as the
 * check's `MirrorCheckError`.
 */
export { type CatalogBundle, catalogConfigsDir };

/** Every `olm.bundle` in the catalog files (path → bytes), in file order. */
export function catalogBundles(files: ReadonlyMap<string, Buffer>): CatalogBundle[] {
  try {
    return bundlesOfFiles(files);
  } catch (error) {
    throw asCheckError(error) ?? error;
  }
}
