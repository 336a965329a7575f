export type BuildIsoErrorCode =
  | 'CONFIG_PARSE'
  | 'CONFIG_INVALID'
  | 'TOPOLOGY_UNSUPPORTED'
  | 'RELEASE_NOT_IN_ARCHIVE'
  | 'RELEASE_IMAGE_UNKNOWN'
  | 'REGISTRY_BINARY_MISSING'
  | 'MIRROR_CHECK_FAILED'
  | 'INPUT_MISSING';

/** A typed build error: callers branch on `code`; the message says what, where and the fix. */
export class BuildIsoError extends Error {
  readonly code: BuildIsoErrorCode;

  constructor(code: BuildIsoErrorCode, message: string) {
    super(message);
    this.name = 'BuildIsoError';
    this.code = code;
  }
}
