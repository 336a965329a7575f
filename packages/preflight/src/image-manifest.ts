import type { ChildManifest, Platform } from '@hostmirror/oc-mirror-archive';

/**
 * Which children of a manifest list a cluster pulls: architecture names as the cluster's
 * install-config and release tags spell them, mapped to the OCI/Go names manifests use.
 * Manifests themselves are parsed by formats' `parseImageManifest`.
 */

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
