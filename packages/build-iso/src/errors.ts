import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';
export type BuildIsoErrorCode =
  | 'CONFIG_PARSE'
  | 'CONFIG_INVALID'
  | 'TOPOLOGY_UNSUPPORTED'
  | 'WRONG_ARCH'
  | 'ARCHIVE_NOT_FOUND'
  | 'RELEASE_NOT_IN_ARCHIVE'
  | 'RELEASE_IMAGE_UNKNOWN'
  | 'REGISTRY_BINARY_MISSING'
  | 'REGISTRY_BINARY_UNFIT'
  | 'CODEC_UNSUPPORTED_BY_KERNEL'
  | 'VOLUME_DISK_AMBIGUOUS'
  | 'VOLUME_DISK_HINT_INVALID'
  | 'VOLUME_SAME_DISK'
  | 'MIRROR_CHECK_FAILED'
  | 'MIRROR_INCOMPLETE'
  | 'IGNITION_INVALID'
  | 'OVERLAY_INVALID'
  | 'INPUT_MISSING'
  | 'OUTPUT_EXISTS'
  | 'OUTPUT_INVALID'
  | 'VOLUME_TOOL_MISSING'
  | 'VOLUME_TOOL_FAILED'
  | 'VOLUME_TOO_SMALL'
  | 'AGENT_ISO_INVALID'
  | 'AGENT_RELEASE_NOT_IN_ARCHIVE'
  | 'INSTALL_CONFIG_MIRROR_INVALID'
  | 'TLS_DIR_INCOMPLETE'
  | 'CA_MISMATCH'
  | 'TLS_SEED_WEAK';

/** A typed build error: callers branch on `code`; the message says what, where and the fix. */
export class BuildIsoError extends HostmirrorError<BuildIsoErrorCode> {
  constructor(code: BuildIsoErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}
