/**
 * Ignition's messages, one named vocabulary shared by the rules: the `errors.New` values of
 * coreos/ignition `config/shared/errors/errors.go` at a5d574a8 (v2.26.0), under their Go names
 * (https://github.com/coreos/ignition/blob/a5d574a8d2ad42a6f5702c6982d7c5f67ec05107/config/shared/errors/errors.go).
 * The rules report these exact texts, as `ignition-validate` prints them (docs/ignition.md#rules);
 * to follow a new Ignition release, diff that file and update this one.
 */
export const ignitionMessages = {
  // Parsing / general errors
  ErrInvalid: 'config is not valid',
  ErrEmpty: 'not a config (empty)',
  ErrDuplicate: 'duplicate entry defined',

  // Ignition section errors
  ErrInvalidVersion: "invalid config version (couldn't parse)",
  ErrUnknownVersion: 'unsupported config version',

  ErrDeprecated: 'config format deprecated',
  ErrCompressionInvalid: 'invalid compression method',

  // Storage section errors
  ErrFileUsedSymlink: 'file path includes link in config',
  ErrDirectoryUsedSymlink: 'directory path includes link in config',
  ErrLinkUsedSymlink: 'link path includes link in config',
  ErrLinkTargetRequired: 'link target is required',
  ErrHardLinkToDirectory: 'hard link target is a directory',
  ErrHardLinkSpecifiesOwner: 'user/group ignored for hard link',
  ErrDiskDeviceRequired: 'disk device is required',
  ErrPartitionNumbersCollide: 'partition numbers collide',
  ErrPartitionsOverlap: 'partitions overlap',
  ErrPartitionsMisaligned: 'partitions misaligned',
  ErrOverwriteAndNilSource: 'overwrite must be false if source is unspecified',
  ErrVerificationAndNilSource: 'source must be specified if verification is specified',
  ErrFilesystemInvalidFormat: 'invalid filesystem format',
  ErrLabelNeedsFormat: 'filesystem must specify format if label is specified',
  ErrFormatNilWithOthers:
    'format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified',
  ErrExt4LabelTooLong: 'filesystem labels cannot be longer than 16 characters when using ext4',
  ErrBtrfsLabelTooLong: 'filesystem labels cannot be longer than 256 characters when using btrfs',
  ErrXfsLabelTooLong: 'filesystem labels cannot be longer than 12 characters when using xfs',
  ErrSwapLabelTooLong: 'filesystem labels cannot be longer than 15 characters when using swap',
  ErrVfatLabelTooLong: 'filesystem labels cannot be longer than 11 characters when using vfat',
  ErrVirtiofsCannotHaveLabel: 'filesystem labels cannot be set when using virtiofs',
  ErrVirtiofsDeviceTagTooLong: 'virtiofs device tag cannot be longer than 36 bytes',
  ErrUUIDNotSupportedForFormat: 'filesystem uuid cannot be set for non-block-device filesystems',
  ErrWipeNotSupportedForFormat: 'wipeFilesystem cannot be set for non-block-device filesystems',
  ErrMkfsOptionsNotSupportedForFormat:
    'filesystem options (mkfs) cannot be set for non-block-device filesystems',
  ErrLuksLabelTooLong: 'luks device labels cannot be longer than 47 characters',
  ErrLuksNameContainsSlash: 'device names cannot contain slashes',
  ErrInvalidLuksKeyFile: 'invalid key-file source',
  ErrClevisPinRequired: 'missing required custom clevis pin',
  ErrUnknownClevisPin: 'unsupported clevis pin',
  ErrClevisConfigRequired: 'missing required custom clevis config',
  ErrClevisCustomWithOthers: 'cannot use custom clevis config with tpm2, tang, or threshold',
  ErrTangThumbprintRequired: 'thumbprint is required',
  ErrInvalidTangAdvertisement: 'advertisement is not valid JSON',
  ErrFileIllegalMode: 'illegal file mode',
  ErrModeSpecialBits:
    'setuid/setgid/sticky bits are not supported or functional in spec versions older than 3.6.0',
  ErrBothIDAndNameSet: 'cannot set both id and name',
  ErrLabelTooLong: 'partition labels may not exceed 36 characters',
  ErrDoesntMatchGUIDRegex: 'doesn\'t match the form "01234567-89AB-CDEF-EDCB-A98765432101"',
  ErrLabelContainsColon: 'partition label will be truncated to text before the colon',
  ErrNoPath: 'path not specified',
  ErrPathRelative: 'path not absolute',
  ErrDirtyPath: 'path is not fully simplified',
  ErrNoDevice: 'device not specified',
  ErrPartitionsOverwritten: 'filesystem overwrites partitioned device',
  ErrFilesystemImplicitWipe: 'device matches disk with wipeTable enabled; filesystem will be wiped',
  ErrRaidLevelRequired: 'raid level is required',
  ErrSparesUnsupportedForLevel: 'spares unsupported for linear and raid0 arrays',
  ErrUnrecognizedRaidLevel: 'unrecognized raid level',
  ErrRaidDevicesRequired: 'raid devices required',
  ErrShouldNotExistWithOthers: 'shouldExist specified false with other options also specified',
  ErrNeedLabelOrNumber: 'a partition number >= 1 or a label must be specified',
  ErrDuplicateLabels: 'cannot use the same partition label twice',
  ErrInvalidProxy: 'proxies must be http(s)',
  ErrInsecureProxy: 'insecure plaintext HTTP proxy specified for HTTPS resources',
  ErrPathConflictsSystemd: 'path conflicts with systemd unit or dropin',
  ErrCexWithClevis: 'cannot use cex with clevis',
  ErrCexWithKeyFile: 'cannot use key file with cex',

  // Systemd section errors
  ErrInvalidSystemdExt: 'invalid systemd unit extension',
  ErrInvalidSystemdDropinExt: 'invalid systemd drop-in extension',
  ErrNoSystemdExt: 'no systemd unit extension',
  ErrInvalidInstantiatedUnit: 'invalid systemd instantiated unit',

  // Misc errors
  ErrSourceRequired: 'source is required',
  ErrInvalidScheme: 'invalid url scheme',
  ErrInvalidUrl: 'unable to parse url',
  ErrInvalidHTTPHeader: 'unable to parse HTTP header',
  ErrEmptyHTTPHeaderName: "HTTP header name can't be empty",
  ErrUnsupportedSchemeForHTTPHeaders: 'cannot use HTTP headers with this source scheme',
  ErrHashMalformed: 'malformed hash specifier',
  ErrHashWrongSize: 'incorrect size for hash sum',
  ErrHashUnrecognized: 'unrecognized hash function',
  ErrEngineConfiguration: 'engine incorrectly configured',

  // AWS S3 specific errors
  ErrInvalidS3ARN: 'invalid S3 ARN format',
  ErrInvalidS3ObjectVersionId: 'invalid S3 object VersionId',

  // Obsolete errors, left here for ABI compatibility
  ErrFilePermissionsUnset: 'permissions unset, defaulting to 0644',
  ErrDirectoryPermissionsUnset: 'permissions unset, defaulting to 0755',
} as const;

export type IgnitionMessageName = keyof typeof ignitionMessages;

/** `NewNoInstallSectionError` in the same file: an enabled unit without `[Install]` (a warning). */
export function noInstallSectionMessage(unit: string): string {
  return `unit ${JSON.stringify(unit)} is enabled, but has no install section so enable does nothing`;
}

/** `NewNoInstallSectionForInstantiableUnitError`: an enabled instance whose template has no `[Install]`. */
export function noInstallSectionForInstantiableUnitMessage(
  template: string,
  instance: string,
): string {
  return `template unit ${JSON.stringify(template)} for ${JSON.stringify(instance)} doesn't have Install section`;
}

/** `config/shared/parse/unit.go`: go-systemd's parse error on a unit's or drop-in's contents. */
export function invalidUnitContentMessage(problem: string): string {
  return `invalid unit content: ${problem}`;
}

/** `config/validate/validate.go`: a key the spec does not define (a warning). */
export function unusedKeyMessage(key: string): string {
  return `unused key ${key}`;
}
