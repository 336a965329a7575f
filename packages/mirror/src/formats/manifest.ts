import { isDigest } from './digest.ts';

/**
 * What a manifest needs from the registry, read from its JSON: OCI image spec
 * (`image-manifest.md`, `image-index.md`) and Docker distribution schema 2 (manifest and
 * manifest list) and schema 1 (`fsLayers[].blobSum`).
 */

/** distribution rejects manifests larger than this (4 MiB, `maxManifestBodySize`). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export type ManifestKind = 'index' | 'image' | 'schema1';

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

interface Descriptor {
  digest?: unknown;
  urls?: unknown;
}

function descriptors(value: unknown): Descriptor[] {
  return Array.isArray(value)
    ? value.filter((item) => typeof item === 'object' && item !== null)
    : [];
}

function digestOf(descriptor: Descriptor): string | undefined {
  return typeof descriptor.digest === 'string' && isDigest(descriptor.digest)
    ? descriptor.digest
    : undefined;
}

/** Foreign layers are fetched from their `urls`, never from the registry (OCI "urls" field). */
function isForeign(descriptor: Descriptor): boolean {
  return Array.isArray(descriptor.urls) && descriptor.urls.length > 0;
}

/** Parse manifest bytes; returns undefined when they are not a manifest we know. */
export function parseManifest(bytes: Uint8Array): ParsedManifest | undefined {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const manifest = json as Record<string, unknown>;
  const mediaType = typeof manifest.mediaType === 'string' ? manifest.mediaType : undefined;
  const references: ManifestReference[] = [];
  const add = (digest: string | undefined, role: ManifestReference['role']) => {
    if (digest !== undefined) references.push({ digest, role });
  };
  if (Array.isArray(manifest.manifests)) {
    for (const child of descriptors(manifest.manifests)) add(digestOf(child), 'child-manifest');
    return { kind: 'index', mediaType, references };
  }
  if (typeof manifest.config === 'object' && manifest.config !== null) {
    add(digestOf(manifest.config as Descriptor), 'config');
    for (const layer of descriptors(manifest.layers)) {
      if (!isForeign(layer)) add(digestOf(layer), 'layer');
    }
    return { kind: 'image', mediaType, references };
  }
  if (Array.isArray(manifest.fsLayers)) {
    for (const layer of descriptors(manifest.fsLayers)) {
      const blobSum = (layer as { blobSum?: unknown }).blobSum;
      if (typeof blobSum === 'string' && isDigest(blobSum)) add(blobSum, 'layer');
    }
    return { kind: 'schema1', mediaType, references };
  }
  return undefined;
}
