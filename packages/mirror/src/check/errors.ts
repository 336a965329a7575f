/**
 * Every failure of the mirror check has a stable `code`: callers and tests branch on it, never on
 * the wording. Messages name the object (reference, digest, file, JSON path) and the fix.
 * The same codes label the failing references inside a check report.
 */
export type MirrorCheckErrorCode =
  // image references (image-reference.ts)
  | 'BAD_REFERENCE'
  // registries.conf read with containers/image's rules (containers-registries.ts)
  | 'REGISTRIES_CONF_INVALID'
  | 'REGISTRIES_CONF_CONFLICT'
  // the release payload (release-payload.ts)
  | 'RELEASE_NOT_FOUND'
  | 'RELEASE_AMBIGUOUS'
  | 'IMAGE_REFERENCES_MISSING'
  | 'IMAGE_REFERENCES_INVALID'
  | 'RELEASE_METADATA_INVALID'
  | 'LAYER_UNREADABLE'
  // images in the archive (image-manifest.ts, checker.ts)
  | 'MANIFEST_INVALID'
  | 'MANIFEST_MISSING'
  | 'BLOB_MISSING'
  | 'PLATFORM_MISSING'
  // resolution (resolve.ts, checker.ts)
  | 'SOURCE_BLOCKED'
  | 'NO_MIRROR_FOR_REFERENCE'
  | 'MIRROR_POLICY_SKIPS_REFERENCE'
  | 'MIRROR_REPOSITORY_MISSING'
  // operator catalogs (catalog.ts)
  | 'CATALOG_INVALID'
  // signatures (signatures.ts)
  | 'RELEASE_SIGNATURE_MISSING'
  | 'SIGNATURE_CONFIGMAP_INVALID';

export class MirrorCheckError extends Error {
  readonly code: MirrorCheckErrorCode;
  /** The object the error is about: an image reference, a digest, a file or a JSON path. */
  readonly subject: string | undefined;

  constructor(code: MirrorCheckErrorCode, message: string, subject?: string) {
    super(message);
    this.name = 'MirrorCheckError';
    this.code = code;
    this.subject = subject;
  }
}
