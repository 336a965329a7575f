/**
 * Where a CoreOS live ISO keeps things. Paths are coreos-installer's (src/live/mod.rs,
 * src/live/embed.rs): primary-volume 8.3 identifiers, upper-case, version suffix removed.
 */

/** `coreos/igninfo.json`: `{file, offset?, length?}` of the Ignition embed area (2023+). */
export const IGNINFO_PATH = 'COREOS/IGNINFO.JSO';
/** `coreos/kargs.json`: the kernel-argument embed areas and their default (2021-09+). */
export const KARGS_PATH = 'COREOS/KARGS.JSO';
/** `coreos/features.json`: the OS features coreos-installer gates on (2021-12+). */
export const FEATURES_PATH = 'COREOS/FEATURES.JSO';
/** `coreos/miniso.dat`: the minimal-ISO recipe; it holds absolute sectors of the full ISO. */
export const MINISO_PATH = 'COREOS/MINISO.DAT';
/** The default Ignition embed area when igninfo.json is absent: the whole file (256 KiB of zeros). */
export const IGNITION_IMG_PATH = 'IMAGES/IGNITION.IMG';
export const KERNEL_PATH = 'IMAGES/PXEBOOT/VMLINUZ';
export const INITRD_PATH = 'IMAGES/PXEBOOT/INITRD.IMG';
export const ROOTFS_PATH = 'IMAGES/PXEBOOT/ROOTFS.IMG';

/** Largest kargs area coreos-installer accepts (`COREOS_KARG_EMBED_AREA_MAX_SIZE`). */
export const KARGS_AREA_MAX_SIZE = 2048;
/** kargs.json `pad` and `end` defaults when absent (before 2023-07). */
export const DEFAULT_KARGS_PAD = '#';
export const DEFAULT_KARGS_END = '\n';

/**
 * Legacy `coreKarg` header (2021-01..2021-12 ISOs), read only when kargs.json is absent:
 * 72 bytes at 32672 = 32768 - 24 - 72, in the system area before the legacy `coreiso+` slot.
 * Magic (8), u64 LE area length, u64 LE offset of the default kargs, then up to six u64 LE
 * area offsets, 0 ending the list (docs/coreos-iso.md#kargs-areas).
 */
export const LEGACY_KARGS_HEADER_OFFSET = 32672;
export const LEGACY_KARGS_MAGIC = 'coreKarg';
export const LEGACY_KARGS_MAX_AREAS = 6;
export const LEGACY_KARGS_HEADER_SIZE = 72;

/** The karg naming the ISO's volume id; PXE boots must not carry it (docs/installer.md#pxe-artifacts). */
export const LIVE_ISO_KARG = 'coreos.liveiso';
