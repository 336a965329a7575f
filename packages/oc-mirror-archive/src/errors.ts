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
  | 'BAD_REGISTRY_OPTIONS';

/**
 * `path` is the file (or other place) the error is about, `offset` a byte offset in it; `value`
 * (the same as `subject`) the offending value, such as an archive member's name; `fix` what to do
 * about it, also at the end of the message.
 */
export class MirrorFormatError extends HostmirrorError<MirrorFormatErrorCode> {
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
