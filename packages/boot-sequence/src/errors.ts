import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';
/** Stable codes of the boot-sequence errors; tests and callers branch on these. */
export type BootSequenceErrorCode =
  | 'BOOT_BAD_MODE'
  | 'BOOT_BAD_TOPOLOGY'
  | 'BOOT_RENDEZVOUS_IP_REQUIRED'
  | 'BOOT_BAD_ADDRESS'
  | 'BOOT_BAD_NAME'
  | 'BOOT_BAD_PORT'
  | 'BOOT_BAD_LABEL'
  | 'BOOT_BAD_VOLUME_ACCESS'
  | 'BOOT_BAD_ARCHIVE'
  | 'BOOT_BAD_DIGEST'
  | 'BOOT_PRELOAD_LIST_REQUIRED'
  | 'BOOT_BAD_SPEC'
  | 'BOOT_ARCHIVE_INCOMPLETE'
  | 'BOOT_BAD_TEARDOWN_INPUT'
  | 'BOOT_RESERVED_REPOSITORY'
  | 'BOOT_SYNC_INPUTS_MISSING';

/** What the user can do about each code (the `fix` of a throw that gives none). */
const BOOTSEQUENCEERROR_FIXES: Readonly<Record<BootSequenceErrorCode, string>> = {
  BOOT_BAD_MODE: 'Give --mode node0, every-node or preload.',
  BOOT_BAD_TOPOLOGY:
    'Give --topology sno (1 control plane), compact (3, no workers) or ha (3 control planes and workers), matching install-config.yaml.',
  BOOT_RENDEZVOUS_IP_REQUIRED:
    'Set rendezvousIP in agent-config.yaml (or --rendezvous-ip), the address of the host that serves the mirror.',
  BOOT_BAD_ADDRESS:
    'Give the rendezvous IP as a plain IPv4 or IPv6 address, without a zone index or port.',
  BOOT_BAD_NAME:
    'Give a repository as host/path (quay.io/openshift-release-dev/ocp-release) and a registry name as a DNS name.',
  BOOT_BAD_PORT: 'Give a registry port from 1 to 65535.',
  BOOT_BAD_LABEL:
    "Give a volume label of 1 to 36 letters, digits, '.', '_' or '-' (the default is data).",
  BOOT_BAD_VOLUME_ACCESS: 'Give --volume-access read-write or read-only.',
  BOOT_BAD_ARCHIVE:
    'Give each archive once by its file name (mirror_00000N.tar), and PEM text as made at build time where the message names one.',
  BOOT_BAD_DIGEST:
    'Give the sha256 of each archive as 64 lower-case hex digits (sha256sum mirror_000001.tar).',
  BOOT_PRELOAD_LIST_REQUIRED:
    'Give the images to preload (assets.preload), or choose mode node0 or every-node.',
  BOOT_BAD_SPEC: 'Correct the boot-sequence setting the message names.',
  BOOT_ARCHIVE_INCOMPLETE:
    'Mirror again with oc-mirror so the archives hold every blob the message names, or give the earlier archives of a differential run too.',
  BOOT_BAD_TEARDOWN_INPUT:
    'Give the manifests folder the build that installed the cluster wrote (build-iso --manifests-dir), its 99-<pool>-hostmirror MachineConfigs unchanged.',
  BOOT_RESERVED_REPOSITORY:
    'Mirror that content under another repository name (hostmirror-internal/ is reserved for the control-plane copy), or build with the control-plane copy off.',
  BOOT_SYNC_INPUTS_MISSING:
    'Give the registry program (build-iso --registry-binary) so the control-plane copy can name its digest, or turn the copy off (controlPlaneCopy: false).',
};

/** A setting or asset of the boot sequence is wrong; the message names it and the fix. */
export class BootSequenceError extends HostmirrorError<BootSequenceErrorCode> {
  static override readonly fixes = BOOTSEQUENCEERROR_FIXES;

  constructor(code: BootSequenceErrorCode, message: string, details: ErrorDetails = {}) {
    super(code, message, details);
  }
}
