import { HostmirrorError } from '@hostmirror/errors';
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

/** What the user can do about each code (the `fix` of a throw that gives none). */
const MIRRORCHECKERROR_FIXES: Readonly<Record<MirrorCheckErrorCode, string>> = {
  BAD_REFERENCE: 'Write the image as host/path:tag or host/path@sha256:<64 hex>.',
  REGISTRIES_CONF_INVALID:
    'Correct the registries.conf entries the message lists (containers-registries.conf(5)).',
  REGISTRIES_CONF_CONFLICT:
    'Define each registry prefix once, or give its entries the same settings.',
  RELEASE_NOT_FOUND:
    "Give --release with the release's pull spec, or a registries.conf that mirrors the release's source to the archive.",
  RELEASE_AMBIGUOUS: 'Choose the release with --release (its tag or pull spec).',
  IMAGE_REFERENCES_MISSING:
    'Give an OpenShift release image (its payload holds release-manifests/image-references).',
  IMAGE_REFERENCES_INVALID:
    'Mirror the release again with oc-mirror: its release-manifests/image-references is damaged.',
  RELEASE_METADATA_INVALID:
    'Mirror the release again with oc-mirror: its release-manifests/release-metadata is damaged.',
  LAYER_UNREADABLE:
    'Mirror the release again with oc-mirror: a layer of its payload cannot be read.',
  MANIFEST_INVALID:
    'Mirror the image again with oc-mirror: its manifest in the archive is not valid.',
  MANIFEST_MISSING:
    'Mirror the image with oc-mirror (add it to the ImageSetConfiguration), or give the archive that holds it.',
  BLOB_MISSING:
    'Give the earlier archives too (a differential run holds only new blobs), or mirror again.',
  PLATFORM_MISSING:
    "Mirror the image for the cluster's architecture (architectures in the ImageSetConfiguration).",
  SOURCE_BLOCKED:
    'Add a mirror for the source to registries.conf, or unblock it if the hosts may reach it.',
  NO_MIRROR_FOR_REFERENCE:
    "Add a mirror for the image's source (an IDMS/ITMS or a [[registry.mirror]]) that points at the archive.",
  MIRROR_POLICY_SKIPS_REFERENCE:
    'Pull the image by digest, or give its mirror pull-from-mirror = "all" (an ITMS for tags).',
  MIRROR_REPOSITORY_MISSING:
    'Mirror the image with oc-mirror into the archive, or point the mirror at the repository that holds it.',
  CATALOG_INVALID:
    'Mirror the operator catalog again with oc-mirror: its file-based catalog is damaged.',
  RELEASE_SIGNATURE_MISSING:
    'Mirror with oc-mirror --v2 so the archive carries the release signature (working-dir/signatures), or give the signature ConfigMap.',
  SIGNATURE_CONFIGMAP_INVALID:
    'Give the signature ConfigMap oc-mirror wrote (binaryData keys sha256-<hex>-<n>).',
};

/** `subject` is the object the error is about: an image reference, a digest, a file or a JSON path. */
export class MirrorCheckError extends HostmirrorError<MirrorCheckErrorCode> {
  static override readonly fixes = MIRRORCHECKERROR_FIXES;
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
    : new MirrorCheckError(code, error.message, { subject: error.path ?? error.subject });
}

const FORMAT_TO_CHECK_CODE: Partial<Record<MirrorFormatErrorCode, MirrorCheckErrorCode>> = {
  BAD_IMAGE_REFERENCE: 'BAD_REFERENCE',
  REGISTRIES_CONF_INVALID: 'REGISTRIES_CONF_INVALID',
  REGISTRIES_CONF_CONFLICT: 'REGISTRIES_CONF_CONFLICT',
  MANIFEST_INVALID: 'MANIFEST_INVALID',
  LAYER_UNREADABLE: 'LAYER_UNREADABLE',
  CATALOG_INVALID: 'CATALOG_INVALID',
};
