// @hostmirror/preflight: `mirror check`, before anything boots: does the archive hold every image
// the cluster will pull, reachable through the given registries.conf the way CRI-O resolves it
// (the release payload, operator catalogs, signatures, additional images)? Builds on
// @hostmirror/oc-mirror-archive and @hostmirror/host-config.

export type { CheckableArchive } from './archive-lookup.ts';
export { type CheckMirrorOptions, checkMirror } from './checker.ts';
export { DEFAULT_CHECK_MIRROR_HOST } from './conf.ts';
export { MirrorCheckError, type MirrorCheckErrorCode } from './errors.ts';
export { sigstoreTag } from './image-check.ts';
export { ociArchitecture, selectPlatforms } from './image-manifest.ts';
export { readFilesFromLayer } from './layer-files.ts';
export { DEFAULT_ARCHITECTURE } from './release-check.ts';
export {
  IMAGE_REFERENCES_PATH,
  parseImageReferences,
  parseReleaseMetadata,
  RELEASE_METADATA_PATH,
  type ReleaseMetadata,
  type ReleasePayload,
  type ReleasePayloadComponent,
} from './release-payload.ts';
export {
  type CheckWarning,
  formatCheckReport,
  type ImageCheck,
  type ImageRole,
  type MirrorCheckReport,
  type SourceOutcome,
  type SourceResult,
} from './report.ts';
export { findReleaseSignatures, type ReleaseSignatures } from './signatures.ts';
