import { MirrorFormatError } from './errors.ts';
import { readYamlAll } from './yaml-input.ts';

/**
 * Operator bundles as a cluster finds them: in the file-based catalog (FBC) inside the catalog
 * image a CatalogSource names (operator-framework `declcfg`): files under the folder the image
 * label `operators.operatorframework.io.index.configs.v1` names (default `/configs`), each a
 * stream of JSON objects or YAML documents. An `olm.bundle` object names the bundle `image`
 * and its `relatedImages` (operands, the operator itself) — every image OLM will pull for it.
 * oc-mirror rebuilds the catalog with only the mirrored bundles, so the archive's catalog lists
 * exactly what must be served.
 */
const CATALOG_CONFIGS_LABEL = 'operators.operatorframework.io.index.configs.v1';
const DEFAULT_CATALOG_CONFIGS_DIR = 'configs';
const BUNDLE_SCHEMA = 'olm.bundle';

export interface CatalogBundle {
  package: string;
  name: string;
  image: string;
  relatedImages: string[];
  /** The catalog file that declares it. */
  file: string;
}

/** The configs folder, from the catalog image's config labels. */
export function catalogConfigsDir(config: unknown): string {
  const labels = (config as { config?: { Labels?: Record<string, unknown> } } | undefined)?.config
    ?.Labels;
  const value = labels?.[CATALOG_CONFIGS_LABEL];
  const dir = typeof value === 'string' ? value.replace(/^\/+|\/+$/g, '') : '';
  return dir === '' ? DEFAULT_CATALOG_CONFIGS_DIR : dir;
}

/** Split a stream of concatenated JSON values (opm writes `{…}\n{…}`) into their texts. */
function splitJsonStream(text: string, file: string): string[] {
  const documents: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{' || char === '[') {
      if (depth === 0) start = index;
      depth++;
    } else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) documents.push(text.slice(start, index + 1));
      if (depth < 0) throw invalidCatalog(file, `an unmatched "${char}" at character ${index}`);
    } else if (depth === 0 && char !== undefined && !/\s/.test(char))
      throw invalidCatalog(
        file,
        `unexpected ${JSON.stringify(char)} between JSON objects at character ${index}`,
      );
  }
  if (depth !== 0) throw invalidCatalog(file, 'it ends inside a JSON object');
  return documents;
}

function invalidCatalog(file: string, problem: string): MirrorFormatError {
  return new MirrorFormatError(
    'CATALOG_INVALID',
    `Catalog file ${file} is not a valid file-based catalog: ${problem}.`,
    { subject: file },
  );
}

function documentsOf(file: string, text: string): unknown[] {
  if (/\.ya?ml$/.test(file)) {
    // A catalog may use anchors: aliases are expanded, within a bound (yaml-input.ts).
    try {
      return readYamlAll(text, { path: file, version: '1.2', aliases: 'bounded' });
    } catch (error) {
      if (error instanceof MirrorFormatError) throw invalidCatalog(file, error.message);
      throw error;
    }
  }
  return splitJsonStream(text, file).map((json, index) => {
    try {
      return JSON.parse(json) as unknown;
    } catch (error) {
      throw invalidCatalog(file, `JSON object ${index}: ${(error as Error).message}`);
    }
  });
}

/** Whether a catalog file is one opm reads (`.json`, `.yaml`, `.yml`). */
export function isCatalogFile(file: string): boolean {
  return /\.(json|ya?ml)$/.test(file);
}

/** The `olm.bundle`s of one catalog file, in document order. */
export function catalogFileBundles(file: string, bytes: Buffer): CatalogBundle[] {
  const bundles: CatalogBundle[] = [];
  if (!isCatalogFile(file)) return bundles;
  documentsOf(file, bytes.toString('utf8')).forEach((document, index) => {
    const object = document as Record<string, unknown> | null;
    if (object === null || typeof object !== 'object' || object.schema !== BUNDLE_SCHEMA) return;
    if (typeof object.image !== 'string' || object.image === '')
      throw invalidCatalog(
        file,
        `the olm.bundle ${JSON.stringify(object.name)} (document ${index}) has no image`,
      );
    const related = Array.isArray(object.relatedImages) ? object.relatedImages : [];
    bundles.push({
      package: typeof object.package === 'string' ? object.package : '',
      name: typeof object.name === 'string' ? object.name : '',
      image: object.image,
      relatedImages: related
        .map((entry) => (entry as { image?: unknown } | null)?.image)
        .filter((image): image is string => typeof image === 'string' && image !== ''),
      file,
    });
  });
  return bundles;
}

/** Every `olm.bundle` in the catalog files (path → bytes), in file order. */
export function catalogBundles(files: ReadonlyMap<string, Buffer>): CatalogBundle[] {
  return [...files]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .flatMap(([file, bytes]) => catalogFileBundles(file, bytes));
}
