import { MirrorFormatError } from './errors.ts';

/**
 * Content digests as the OCI image spec ("Digests") and distribution use them:
 * `algorithm:hex`. Registries store sha256 (and rarely sha512) blobs.
 */
const digestPattern = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(value: string): boolean {
  return digestPattern.test(value);
}

export function parseDigest(value: string, place: string): string {
  const trimmed = value.trim();
  if (!isDigest(trimmed)) {
    throw new MirrorFormatError(
      'BAD_DIGEST',
      `${place} holds ${JSON.stringify(value.slice(0, 80))}, which is not a sha256/sha512 digest ("sha256:" and 64 lowercase hex digits).`,
      { path: place },
    );
  }
  return trimmed;
}
