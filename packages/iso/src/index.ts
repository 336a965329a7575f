/**
 * @hostmirror/iso: read ISO 9660 images (primary, Joliet, Rock Ridge, El Torito), read and edit
 * CoreOS live ISOs (Ignition and kargs embed areas, initrd extension), PXE artifacts. See README.md.
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
  CUSTOMIZE_SPEC_VERSION,
  type CustomizedInitrd,
  customizeLiveInitrd,
  customizePxeInitrd,
  DEST_IGNITION_PATH,
  INITRD_FEATURES,
  INITRD_LIVE_STAMP,
  INITRD_NETWORK_DIR,
  INSTALLER_CONFIG_DIR,
  isCustomized,
  type LiveCustomization,
  type NamedInput,
  type PxeCustomizeResult,
} from './customize.ts';
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
