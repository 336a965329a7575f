import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';
import { MirrorFormatError, type MirrorFormatErrorCode } from '@hostmirror/oc-mirror-archive';

/**
 * Every failure of the mirror check has a stable `code`: callers and tests branch on it, never on
 * the wording. Messages name the object (reference, digest, file, JSON path) and the fix.
 * The same codes label the failing references inside a check report.
 */
export type MirrorCheckErrorCode =
  // image references (formats/image-reference.ts, pull-sources.ts), relabelled by asCheckError
  | 'BAD_REFERENCE'
  // registries.conf read with containers/image's rules (formats/registries-conf.ts)
  | 'REGISTRIES_CONF_INVALID'
  | 'REGISTRIES_CONF_CONFLICT'
  // the release payload (release-payload.ts)
  | 'RELEASE_NOT_FOUND'
  | 'RELEASE_AMBIGUOUS'
  | 'IMAGE_REFERENCES_MISSING'
  | 'IMAGE_REFERENCES_INVALID'
  | 'RELEASE_METADATA_INVALID'
  | 'LAYER_UNREADABLE'
  // images in the archive (formats/manifest.ts relabelled, checker.ts)
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

/** `subject` is the object the error is about: an image reference, a digest, a file or a JSON path. */
export class MirrorCheckError extends HostmirrorError<MirrorCheckErrorCode> {
  constructor(code: MirrorCheckErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}

/**
 * The check's view of a failure from the formats layer it builds on: a bad image reference or a
 * registries.conf c/image refuses becomes the `MirrorCheckError` callers of the check branch on
 * (same message and subject); other errors are not the check's to label (undefined).
 */
export function asCheckError(error: unknown): MirrorCheckError | undefined {
  if (error instanceof MirrorCheckError) return error;
  if (!(error instanceof MirrorFormatError)) return undefined;
  const code = FORMAT_TO_CHECK_CODE[error.code];
  return code === undefined
    ? undefined
    : new MirrorCheckError(code, error.message, { subject: error.path });
}

const FORMAT_TO_CHECK_CODE: Partial<Record<MirrorFormatErrorCode, MirrorCheckErrorCode>> = {
  BAD_IMAGE_REFERENCE: 'BAD_REFERENCE',
  REGISTRIES_CONF_INVALID: 'REGISTRIES_CONF_INVALID',
  REGISTRIES_CONF_CONFLICT: 'REGISTRIES_CONF_CONFLICT',
  MANIFEST_INVALID: 'MANIFEST_INVALID',
};
