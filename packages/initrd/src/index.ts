/**
 * @hostmirror/initrd: compose overlay archives from a YAML spec, read multi-segment initrds
 * (like `lsinitrd`), verify them against the kernel's initramfs rules, append archives to PXE
 * initrds. Facts: docs/design.md#command, docs/design.md#byte-formats, docs/coreos-iso.md#kernel-initramfs-rules.
 */
// Reading, walking, verifying and appending: one list, the `@hostmirror/initrd/archives` entry's.
export * from './archives.ts';
export {
  type BuildOverlayFileOptions,
  type BuildOverlayOptions,
  type BuildOverlayResult,
  buildOverlay,
  buildOverlayFile,
  overlayEntries,
} from './build.ts';
export { DEFAULT_SEGMENT_BYTES } from './segments.ts';
export {
  DEFAULT_OVERLAY_CODEC,
  type OverlayDirectory,
  type OverlayFile,
  type OverlaySpec,
  type OverlaySymlink,
  parseOverlaySpec,
} from './spec.ts';
export { MAX_INITRD_ENTRIES } from './walk.ts';
