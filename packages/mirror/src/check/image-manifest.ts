import { MirrorCheckError } from './errors.ts';

/**
 * Image manifests as a pull reads them: OCI image manifest and index (image-spec
 * `manifest.md`, `image-index.md`), Docker schema 2 manifest and manifest list, and Docker
 * schema 1 (`fsLayers[].blobSum`). Only what a pull needs is kept: the config, the layers that
 * come from the registry (layers with `urls` are fetched from those URLs instead) and, for an
 * index, each child manifest with its platform.
 */

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

/** Registries serve sha256 (sometimes sha512) digests. */
const DIGEST_PATTERN = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** Architecture spellings (uname, RPM, release tags) → the OCI/Go names manifests use. */
const ARCHITECTURE_ALIASES: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  aarch64: 'arm64',
  ppc64el: 'ppc64le',
};

/** The OCI/Go name of an architecture: `x86_64` → `amd64`, `aarch64` → `arm64`. */
export function ociArchitecture(name: string): string {
  return ARCHITECTURE_ALIASES[name] ?? name;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function invalid(where: string, problem: string): MirrorCheckError {
  return new MirrorCheckError('MANIFEST_INVALID', `Manifest ${where} ${problem}`, where);
}

function descriptor(value: unknown, where: string, path: string): BlobDescriptor {
  const entry = record(value);
  const digest = entry?.digest;
  if (typeof digest !== 'string' || !DIGEST_PATTERN.test(digest))
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
      if (typeof blobSum !== 'string' || !DIGEST_PATTERN.test(blobSum))
        throw invalid(where, `has no valid digest at $.fsLayers[${index}].blobSum.`);
      return { digest: blobSum, mediaType: undefined, size: undefined };
    });
    return { kind: 'schema1', mediaType, layers };
  }
  throw invalid(where, 'is neither an image manifest (config, layers) nor an index (manifests).');
}

/** `linux/amd64`, `linux/arm64/v8`. */
export function formatPlatform(platform: Platform | undefined): string {
  if (platform === undefined) return 'no platform';
  const variant = platform.variant === undefined ? '' : `/${platform.variant}`;
  return `${platform.os}/${platform.architecture}${variant}`;
}

/**
 * The children of an index a cluster of `architectures` pulls (OS `linux`), and the
 * architectures no child serves. Children without a platform (attestations, signatures) are
 * never selected.
 */
export function selectPlatforms(
  children: readonly ChildManifest[],
  architectures: readonly string[],
): { selected: ChildManifest[]; missing: string[] } {
  const selected: ChildManifest[] = [];
  const missing: string[] = [];
  for (const wanted of architectures.map(ociArchitecture)) {
    const child = children.find(
      (candidate) =>
        candidate.platform?.architecture === wanted &&
        (candidate.platform.os === 'linux' || candidate.platform.os === ''),
    );
    if (child === undefined) missing.push(wanted);
    else if (!selected.includes(child)) selected.push(child);
  }
  return { selected, missing };
}
