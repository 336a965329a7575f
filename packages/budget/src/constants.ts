/**
 * Facts the budget rests on. Sources: docs/coreos-iso.md#live-memory,
 * docs/installer.md#memory, docs/design.md#budget.
 */

export type HostRole = 'master' | 'worker' | 'sno';
export type BootKind = 'iso' | 'pxe';

export const hostRoles: readonly HostRole[] = ['master', 'worker', 'sno'];
export const bootKinds: readonly BootKind[] = ['iso', 'pxe'];

const mebibyte = 1024 * 1024;
const gibibyte = 1024 * mebibyte;

/**
 * Minimum RAM the agent flow enforces per role: openshift/installer
 * `data/data/agent/files/usr/local/share/assisted-service/default_hw_requirements.json`
 * (master 16384 MiB, worker 8192 MiB, sno 16384 MiB).
 */
export const minimumRamBytes: Readonly<Record<HostRole, number>> = {
  master: 16384 * mebibyte,
  worker: 8192 * mebibyte,
  sno: 16384 * mebibyte,
};

/**
 * The initramfs is unpacked into a tmpfs (`init_rootfs()` sets `is_tmpfs` when there is no
 * `root=`), and a tmpfs is limited to half of RAM by default (tmpfs docs).
 */
export const initramfsTmpfsShare = 0.5;

/**
 * The live system's writable `/etc` and `/var` sit on `/run/ephemeral_base`, a tmpfs mounted
 * with `size=50%` (fedora-coreos-config `35coreos-live/live-generator`); OCPBUGS-62790 quotes the
 * same 50% for `/var`.
 */
export const liveTmpfsShare = 0.5;

/**
 * node0 (the rendezvous host) bootstraps the cluster on the live ISO on day 1, and what it
 * writes lands in RAM-backed tmpfs: "the peak tmpfs usage hits around 9.4GiB" with 16 GiB of
 * RAM, over the 8 GiB of a `/var` at 50% (OCPBUGS-62790). The fix that merged,
 * openshift/installer PR #10133 ("Use separate tmpfs for ostree checkout on live ISO"), leaves
 * `/var` at 50% of RAM and mounts "a separate 5GiB tmpfs to house /var/ostree-container"
 * (`node-image-pull.sh`'s checkout); the earlier attempt to grow `/var` to 10 GiB (PR #10055)
 * was closed. So of the 9.4 GiB, up to 5 GiB sit in that tmpfs and the rest in `/var`.
 */
export const node0BootstrapPeakBytes = Math.round(9.4 * gibibyte);
export const node0OstreeTmpfsBytes = 5 * gibibyte;
/**
 * What node0's day-1 bootstrap keeps in the live `/var` itself: the peak less what PR #10133
 * moved to its own tmpfs (9.4 − 5 = 4.4 GiB). Counted by default for node0 in build-iso.
 */
export const node0LivePullReserveBytes = node0BootstrapPeakBytes - node0OstreeTmpfsBytes;

/**
 * Capacity of the Ignition embed area of a CoreOS live ISO: `images/ignition.img`, 256 KiB of
 * zeros on x86_64 and s390x (docs/coreos-iso.md#ignition-area).
 */
export const ignitionEmbedAreaBytes = 262_144;

/**
 * tmpfs stores file data in whole pages (shmem), so a file costs its size rounded up to a page.
 * x86_64 base page size.
 */
export const tmpfsPageBytes = 4096;

/** One GiB: RAM suggestions are rounded up to whole GiB, as RAM is sold and configured. */
export const ramSuggestionStepBytes = gibibyte;
