import { HostmirrorError } from '@hostmirror/errors';
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
  | 'INPUT_CHANGED'
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

/** What the user can do about each code (the `fix` of a throw that gives none). */
const BUILDISOERROR_FIXES: Readonly<Record<BuildIsoErrorCode, string>> = {
  CONFIG_PARSE:
    'Correct the YAML at the line and column the message names (openshift-install reads the same file).',
  CONFIG_INVALID: 'Correct the value the message names, at the file and path it gives.',
  TOPOLOGY_UNSUPPORTED:
    'Use 1 control plane (SNO) or 3 (compact or with workers), as the agent-based installer accepts.',
  WRONG_ARCH:
    "Use the CoreOS live ISO and the archive of the cluster's architecture (controlPlane.architecture).",
  ARCHIVE_NOT_FOUND:
    "Pass --mirror with each oc-mirror run's folder (or its mirror_00000N.tar chunks) once, the base run first.",
  RELEASE_NOT_IN_ARCHIVE:
    'Mirror the release the cluster installs with oc-mirror (hostmirror mirror image-set-config --release VERSION), or give --release-image naming one the archive holds.',
  RELEASE_IMAGE_UNKNOWN:
    "Give --release-image with the release's pull spec, or mirror a release whose payload has release-metadata.",
  REGISTRY_BINARY_MISSING:
    'Pass --registry-binary with a docker-registry (distribution) program for the hosts, e.g. /usr/bin/docker-registry from Debian.',
  REGISTRY_BINARY_UNFIT:
    "Pass --registry-binary with a static docker-registry (distribution) program for the ISO's architecture.",
  CODEC_UNSUPPORTED_BY_KERNEL: 'Build with --compress gzip, which every CoreOS kernel unpacks.',
  VOLUME_DISK_AMBIGUOUS:
    'Give the volume disk with --volume-disk KEY=VALUE, or rootDeviceHints that name the install disk exactly (deviceName, serialNumber or wwn).',
  VOLUME_DISK_HINT_INVALID:
    'Write --volume-disk as KEY=VALUE with KEY one of deviceName, hctl, serialNumber, wwn, by-path.',
  VOLUME_SAME_DISK:
    'Put the mirror volume on another disk than the one rootDeviceHints installs CoreOS on.',
  MIRROR_CHECK_FAILED:
    'Mirror again with oc-mirror so the archive serves every image the cluster pulls, or pass --ignore-mirror-check to build anyway.',
  MIRROR_INCOMPLETE:
    'Give the earlier archives of a differential run too (--mirror base/ --mirror next/), or mirror again so every blob the cluster pulls is in the archives.',
  IGNITION_INVALID:
    "Correct the Ignition config the message names (hostmirror ignition validate lists every problem), or empty an ISO's embedded config with hostmirror iso reset.",
  OVERLAY_INVALID:
    'Report this as a hostmirror bug with the message: the overlay it made breaks a kernel rule.',
  INPUT_MISSING:
    'Check the path the message names: it must exist, be readable and be what the message asks for.',
  INPUT_CHANGED:
    'Build again from an input ISO that nothing writes to while the build runs (copy it first).',
  OUTPUT_EXISTS: 'Choose another output path, or pass -f (library: overwrite: true) to replace it.',
  OUTPUT_INVALID: 'Give an output path in a folder that exists, other than any input.',
  VOLUME_TOOL_MISSING:
    'Install the Debian package the message names (apt-get install e2fsprogs gdisk), or run tools/install-system-deps.sh as root.',
  VOLUME_TOOL_FAILED:
    'Check the free space and permissions where the volume image is written, then run volume prepare again.',
  VOLUME_TOO_SMALL:
    'Give a larger volume size (--size; twice the archives, for the unpacked registry beside them).',
  AGENT_ISO_INVALID:
    'Make the agent ISO again with openshift-install agent create image (from a valid install-config) and build on that ISO.',
  AGENT_RELEASE_NOT_IN_ARCHIVE:
    "Mirror the release the agent ISO installs with oc-mirror, or make the agent ISO with the openshift-install of the archive's release.",
  INSTALL_CONFIG_MIRROR_INVALID:
    'Write imageDigestSources with hostmirror install-config ARCHIVE -i install-config.yaml -o NEW, or remove the entries the message names.',
  TLS_DIR_INCOMPLETE:
    'Give a --tls-dir holding ca.crt, tls.crt and tls.key of an earlier build, or leave out --tls-dir to make a new CA.',
  CA_MISMATCH:
    'Give either --tls-dir or --tls-seed-file, not both, or the seed file that made that CA.',
  TLS_SEED_WEAK:
    'Make a seed file of at least 32 random bytes (head -c 32 /dev/urandom > seed) and keep it secret.',
};

/** A typed build error: callers branch on `code`; the message says what, where and the fix. */
export class BuildIsoError extends HostmirrorError<BuildIsoErrorCode> {
  static override readonly fixes = BUILDISOERROR_FIXES;
}
