import { isDigest } from './digest.ts';
import { MirrorFormatError } from './errors.ts';

/**
 * Image manifests as a pull reads them: OCI image manifest and index (image-spec
 * `manifest.md`, `image-index.md`), Docker schema 2 manifest and manifest list, and Docker
 * schema 1 (`fsLayers[].blobSum`). Only what a pull needs is kept: the config, the layers that
 * come from the registry (layers with `urls` are fetched from those URLs instead) and, for an
 * index, each child manifest with its platform. The one manifest parser of the package: the
 * archive index, the size estimate and the preflight check use it.
 */

/** distribution rejects manifests larger than this (4 MiB, `maxManifestBodySize`). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Platform {
  architecture: string;
  os: string;
  variant: string | undefined;
}

export interface ChildManifest {
  digest: string;
  mediaType: string | undefined;
  platform: Platform | undefined;
}

export interface BlobDescriptor {
  digest: string;
  mediaType: string | undefined;
  size: number | undefined;
}

export type ImageManifest =
  | { kind: 'index'; mediaType: string | undefined; children: ChildManifest[] }
  | {
      kind: 'image';
      mediaType: string | undefined;
      config: BlobDescriptor;
      /** Layers the registry must serve (foreign layers with `urls` are left out). */
      layers: BlobDescriptor[];
    }
  | { kind: 'schema1'; mediaType: string | undefined; layers: BlobDescriptor[] };

export type ManifestKind = ImageManifest['kind'];

export interface ManifestReference {
  digest: string;
  role: 'config' | 'layer' | 'child-manifest';
}

export interface ParsedManifest {
  kind: ManifestKind;
  mediaType: string | undefined;
  /** Blobs and child manifests it needs; layers with `urls` (foreign/non-distributable) excluded. */
  references: ManifestReference[];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function invalid(where: string, problem: string): MirrorFormatError {
  return new MirrorFormatError('MANIFEST_INVALID', `Manifest ${where} ${problem}`, { path: where });
}

function descriptor(value: unknown, where: string, path: string): BlobDescriptor {
  const entry = record(value);
  const digest = entry?.digest;
  if (typeof digest !== 'string' || !isDigest(digest))
    throw invalid(where, `has no valid digest at ${path}.digest.`);
  return {
    digest,
    mediaType: typeof entry?.mediaType === 'string' ? entry.mediaType : undefined,
    size: typeof entry?.size === 'number' ? entry.size : undefined,
  };
}

function platformOf(value: unknown): Platform | undefined {
  const platform = record(value);
  if (platform === undefined || typeof platform.architecture !== 'string') return undefined;
  return {
    architecture: platform.architecture,
    os: typeof platform.os === 'string' ? platform.os : '',
    variant: typeof platform.variant === 'string' ? platform.variant : undefined,
  };
}

/** Parse manifest bytes; `where` (for example `openshift/release@sha256:…`) names it in errors. */
export function parseImageManifest(bytes: Uint8Array, where: string): ImageManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw invalid(where, `is not JSON: ${(error as Error).message}`);
  }
  const root = record(json);
  if (root === undefined) throw invalid(where, 'is not a JSON object.');
  const mediaType = typeof root.mediaType === 'string' ? root.mediaType : undefined;
  if (Array.isArray(root.manifests)) {
    const children = root.manifests.map((child, index) => {
      const base = descriptor(child, where, `$.manifests[${index}]`);
      return {
        digest: base.digest,
        mediaType: base.mediaType,
        platform: platformOf(record(child)?.platform),
      };
    });
    return { kind: 'index', mediaType, children };
  }
  if (root.config !== undefined) {
    const layers = Array.isArray(root.layers) ? root.layers : [];
    return {
      kind: 'image',
      mediaType,
      config: descriptor(root.config, where, '$.config'),
      layers: layers
        .map((layer, index) => ({ layer, index }))
        .filter(({ layer }) => {
          const urls = record(layer)?.urls;
          return !(Array.isArray(urls) && urls.length > 0);
        })
        .map(({ layer, index }) => descriptor(layer, where, `$.layers[${index}]`)),
    };
  }
  if (Array.isArray(root.fsLayers)) {
    const layers = root.fsLayers.map((layer, index) => {
      const blobSum = record(layer)?.blobSum;
      if (typeof blobSum !== 'string' || !isDigest(blobSum))
        throw invalid(where, `has no valid digest at $.fsLayers[${index}].blobSum.`);
      return { digest: blobSum, mediaType: undefined, size: undefined };
    });
    return { kind: 'schema1', mediaType, layers };
  }
  throw invalid(where, 'is neither an image manifest (config, layers) nor an index (manifests).');
}

/** The blobs and child manifests a manifest needs from the registry, in document order. */
export function manifestReferences(manifest: ImageManifest): ManifestReference[] {
  switch (manifest.kind) {
    case 'index':
      return manifest.children.map(({ digest }) => ({ digest, role: 'child-manifest' }));
    case 'image':
      return [
        { digest: manifest.config.digest, role: 'config' },
        ...manifest.layers.map(({ digest }) => ({ digest, role: 'layer' as const })),
      ];
    case 'schema1':
      return manifest.layers.map(({ digest }) => ({ digest, role: 'layer' }));
  }
}

/** Parse manifest bytes; undefined when they are not a manifest (`parseImageManifest` says why). */
export function parseManifest(bytes: Uint8Array): ParsedManifest | undefined {
  let manifest: ImageManifest;
  try {
    manifest = parseImageManifest(bytes, 'blob');
  } catch (error) {
    if (error instanceof MirrorFormatError) return undefined;
    throw error;
  }
  return {
    kind: manifest.kind,
    mediaType: manifest.mediaType,
    references: manifestReferences(manifest),
  };
}
