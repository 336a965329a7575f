/**
 * Every failure of the mirror formats has a stable `code` (tests and callers branch on it)
 * and a message that names the offending value, where it is, and what to do.
 */
import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';
export type MirrorFormatErrorCode =
  // tar reader (tar-reader.ts)
  | 'TAR_TRUNCATED'
  | 'TAR_BAD_CHECKSUM'
  | 'TAR_COMPRESSED'
  | 'TAR_BAD_HEADER'
  | 'TAR_ABSURD_SIZE'
  // tar header encoder (tar-header.ts)
  | 'TAR_FIELD_TOO_LARGE'
  // archive index (archive-index.ts) and the member rule (archive-member.ts)
  | 'ARCHIVE_UNSAFE_MEMBER'
  | 'ARCHIVE_V1'
  | 'ARCHIVE_NOT_OC_MIRROR'
  | 'ARCHIVE_NONE'
  | 'ARCHIVE_DUPLICATE_CHUNK'
  | 'BLOB_NOT_IN_ARCHIVE'
  | 'BLOB_TOO_LARGE'
  | 'BLOB_DIGEST_MISMATCH'
  | 'BAD_DIGEST'
  | 'MANIFEST_INVALID'
  | 'RESOURCE_NOT_IN_ARCHIVE'
  // cluster resources, image set config, registries.conf, certificates
  | 'BAD_CLUSTER_RESOURCE'
  | 'BAD_IMAGE_SET_OPTIONS'
  | 'BAD_IMAGE_SET_CONFIG'
  // the release an archive holds (archive-release.ts)
  | 'RELEASE_NOT_IN_ARCHIVE'
  | 'RELEASE_AMBIGUOUS'
  | 'BAD_RELEASE_INFO'
  | 'BAD_IMAGE_REFERENCE'
  | 'BAD_MIRROR_RULE'
  | 'MIRROR_NOT_IN_ARCHIVE'
  | 'REGISTRIES_CONF_INVALID'
  | 'REGISTRIES_CONF_CONFLICT'
  | 'BAD_TLS_OPTIONS'
  | 'YAML_INVALID'
  | 'YAML_ALIAS_REFUSED'
  | 'TLS_CA_INVALID'
  | 'TLS_CA_MISMATCH'
  | 'BAD_REGISTRY_OPTIONS'
  // image layers (layer-files.ts) and operator catalogs (catalog.ts, catalog-image.ts)
  | 'LAYER_UNREADABLE'
  | 'CATALOG_INVALID';

/** What the user can do about each code (the `fix` of a throw that gives none). */
const MIRRORFORMATERROR_FIXES: Readonly<Record<MirrorFormatErrorCode, string>> = {
  TAR_TRUNCATED:
    'The archive was cut short: copy it again from where oc-mirror wrote it and compare sizes.',
  TAR_BAD_CHECKSUM: 'The archive is damaged: copy it again from where oc-mirror wrote it.',
  TAR_COMPRESSED: 'Decompress the chunk first (oc-mirror writes plain tar chunks).',
  TAR_BAD_HEADER: 'The archive is damaged: copy it again from where oc-mirror wrote it.',
  TAR_ABSURD_SIZE: 'The archive is damaged: copy it again from where oc-mirror wrote it.',
  TAR_FIELD_TOO_LARGE:
    'Write the value in a PAX record (the pax format) instead of the ustar header.',
  ARCHIVE_UNSAFE_MEMBER:
    'Use the archive oc-mirror wrote: this member is absolute, climbs with .. or goes through a link.',
  ARCHIVE_V1: 'Mirror again with oc-mirror --v2 (hostmirror reads v2 archives only).',
  ARCHIVE_NOT_OC_MIRROR: 'Give the mirror_00000N.tar chunks oc-mirror --v2 wrote (file://DIR).',
  ARCHIVE_NONE: 'Name one or more mirror_00000N.tar files, or the folder that holds them.',
  ARCHIVE_DUPLICATE_CHUNK: 'Give each archive chunk once.',
  BLOB_NOT_IN_ARCHIVE:
    'Give the earlier archives too (a differential run holds only new blobs), or mirror again.',
  BLOB_TOO_LARGE: 'Stream the blob (openBlob) instead of reading it whole.',
  BLOB_DIGEST_MISMATCH: 'The archive is damaged: copy it again from where oc-mirror wrote it.',
  BAD_DIGEST:
    'Give a digest as sha256:<64 lower-case hex>; a damaged working-dir record means mirroring again.',
  MANIFEST_INVALID:
    'Mirror the image again with oc-mirror: its manifest in the archive is not valid.',
  RESOURCE_NOT_IN_ARCHIVE:
    "Name a file of the archive's working-dir/cluster-resources (hostmirror mirror inspect lists them).",
  BAD_CLUSTER_RESOURCE:
    "Correct the cluster resource the message names, or use the archive's own oc-mirror output.",
  BAD_IMAGE_SET_OPTIONS:
    'Give a release version like 4.14.3 and architectures amd64, arm64, ppc64le or s390x.',
  BAD_IMAGE_SET_CONFIG:
    'Give the ImageSetConfiguration file oc-mirror ran with (kind: ImageSetConfiguration).',
  RELEASE_NOT_IN_ARCHIVE:
    'Mirror the release with oc-mirror (hostmirror mirror image-set-config --release VERSION), or name a release the archive holds.',
  RELEASE_AMBIGUOUS: 'Choose the release by its tag or pull spec (--release-image).',
  BAD_RELEASE_INFO:
    "Give the output of oc adm release info -o json; when the archive's own record is damaged, mirror the release again with oc-mirror.",
  BAD_IMAGE_REFERENCE: 'Write the image as host/path:tag or host/path@sha256:<64 hex>.',
  BAD_MIRROR_RULE:
    'Give sources and mirrors as host[:port][/path] with no tag, digest or wildcard (--mirror SOURCE=MIRROR pairs).',
  MIRROR_NOT_IN_ARCHIVE:
    'Use the archive the mirror set was made with, or remove the mirror the message names.',
  REGISTRIES_CONF_INVALID:
    'Correct the registries.conf entries the message lists (containers-registries.conf(5)).',
  REGISTRIES_CONF_CONFLICT:
    'Define each registry prefix once, or give its entries the same settings.',
  BAD_TLS_OPTIONS:
    'Give host names as DNS names or IP addresses without ports (host[:port] for a certs.d folder), and a validity of at least 1 day.',
  YAML_INVALID:
    'Correct the YAML the message names, writing repeated values out instead of aliases.',
  YAML_ALIAS_REFUSED: 'Write the values out instead of YAML aliases.',
  TLS_CA_INVALID:
    'Give a PEM CA certificate and its PEM private key (ca.crt and ca.key of an earlier build).',
  TLS_CA_MISMATCH: 'Give the CA certificate together with its own key.',
  BAD_REGISTRY_OPTIONS:
    'Give the registry address as host:port or :port with a port from 1 to 65535.',
  LAYER_UNREADABLE:
    'Mirror the image again with oc-mirror: its layer in the archive is not a readable tar (or is damaged).',
  CATALOG_INVALID:
    'Mirror the catalog again with oc-mirror: it rebuilds a file-based catalog of the mirrored bundles.',
};

/**
 * `path` is the file (or other place) the error is about, `offset` a byte offset in it; `value`
 * (the same as `subject`) the offending value, such as an archive member's name; `fix` what to do
 * about it, also at the end of the message.
 */
export class MirrorFormatError extends HostmirrorError<MirrorFormatErrorCode> {
  static override readonly fixes = MIRRORFORMATERROR_FIXES;

  constructor(
    code: MirrorFormatErrorCode,
    message: string,
    details: ErrorDetails & { value?: string | undefined } = {},
  ) {
    super(code, message, { ...details, subject: details.subject ?? details.value });
  }

  /** The offending value (an archive member's name), when the message names one. */
  get value(): string | undefined {
    return this.subject;
  }
}
