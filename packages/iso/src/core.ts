/**
 * `@hostmirror/iso/core`: everything of @hostmirror/iso but coreos-installer's `customize`
 * (customize.ts, which validates Ignition configs and writes YAML): the same exports as the
 * main entry without it, so a caller that reads, embeds, edits kargs or extends the initrd does
 * not load the Ignition validators and yaml (the CLI bundle's `iso` verbs: esbuild puts every
 * module reachable through a package's main index into the chunks of whoever imports it).
 * `CoreosIso.planCustomize` loads customize.ts when called.
 */
export {
  type CoreosFeatures,
  type CoreosMetadata,
  type IgnitionArea,
  readCoreosMetadata,
  readCurrentKargs,
  requireKargs,
} from './coreos.ts';
export { CoreosIso, type OpenOptions } from './coreos-iso.ts';
export * from './coreos-paths.ts';
export {
  combineEdits,
  editedBytes,
  type IsoAppendix,
  type IsoCopy,
  type IsoEdit,
  type IsoPatch,
  startIsoCopy,
  type WriteOptions,
  type WriteProgress,
  type WriteTaps,
  writeEditedFile,
  writeEditedStream,
} from './edit.ts';
export { type BootCatalog, type BootEntry, BootPlatform } from './el-torito.ts';
export {
  checkKernelRules,
  decodeEmbedArea,
  encodeEmbedArea,
  IGNITION_MEMBER,
  isEmptyArea,
  MEMBER_MODE,
} from './embed-area.ts';
export { IsoError, type IsoErrorCode } from './errors.ts';
export { type IsoEntry, type IsoExtent, IsoImage, type IsoTree } from './image.ts';
export { applyEditInPlace, type InPlaceHooks, type JournalOptions } from './in-place.ts';
export { type IsoReport, inspectIso } from './inspect.ts';
export { SECTOR_SIZE } from './iso9660.ts';
export { type Journal, journalPath, readJournal } from './journal.ts';
export {
  editKargs,
  formatKargsArea,
  type KargsArea,
  type KargsAreas,
  type KargsEdits,
  parseKargsArea,
  withoutKarg,
} from './kargs.ts';
export { checkLayout, checkPlacement, protectedRegions, type Region } from './layout.ts';
export {
  DEFAULT_LOCK_WAIT_SECONDS,
  type IsoLock,
  type LockOptions,
  lockIso,
  lockNotePath,
} from './lock.ts';
export { type IsoOutput, writeIso } from './output.ts';
export { ignitionAreaPatch, kargsPatches, resetPatches } from './plans.ts';
export {
  DEFAULT_PXE_PREFIX,
  type PxeArtifacts,
  type PxeFileKind,
  type PxeOptions,
  pxeArtifactPaths,
  pxeKargs,
  writePxeArtifacts,
} from './pxe.ts';
export { type AppendSource, planFileExtension, type Relocation } from './relocate.ts';
export { BufferSource, type ByteSource, FileSource } from './source.ts';
export type { DescriptorKind, VolumeDescriptor } from './volume-descriptor.ts';
