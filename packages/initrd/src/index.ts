/**
 * @hostmirror/initrd: compose overlay archives from a YAML spec, read multi-segment initrds
 * (like `lsinitrd`), verify them against the kernel's initramfs rules, append archives to PXE
 * initrds. Facts: docs/design.md#command, docs/design.md#byte-formats, docs/coreos-iso.md#kernel-initramfs-rules.
 */
export { type AppendArchiveOptions, type AppendResult, appendArchive } from './append.ts';
export {
  type BuildOverlayFileOptions,
  type BuildOverlayOptions,
  type BuildOverlayResult,
  buildOverlay,
  buildOverlayFile,
  overlayEntries,
} from './build.ts';
export { InitrdError, type InitrdErrorCode } from './errors.ts';
export { KERNEL_BUILTIN_FOLDERS } from './namespace.ts';
export { extractInitrd, type InitrdListing, readInitrd, readInitrdFile } from './read.ts';
export { DEFAULT_SEGMENT_BYTES } from './segments.ts';
export {
  DEFAULT_OVERLAY_CODEC,
  type OverlayDirectory,
  type OverlayFile,
  type OverlaySpec,
  type OverlaySymlink,
  parseOverlaySpec,
} from './spec.ts';
export { type VerifyOptions, type VerifyReport, verifyInitrd } from './verify.ts';
export {
  type InitrdFault,
  type InitrdFaultCode,
  type InitrdSegment,
  type InitrdSource,
  type InitrdWalk,
  MAX_INITRD_ENTRIES,
  type WalkOptions,
  walkInitrd,
} from './walk.ts';
