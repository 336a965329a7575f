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
 * Peak size of what `node-image-pull.sh` writes into the live `/var` on node0 (the rendezvous
 * host): "~8.5–9GB" (OCPBUGS-62790, openshift/installer PR #10055). The upper figure, in bytes.
 */
export const node0LivePullReserveBytes = 9_000_000_000;

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
