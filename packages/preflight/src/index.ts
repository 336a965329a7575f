// @hostmirror/preflight: `mirror check`, before anything boots: does the archive hold every image
// the cluster will pull, reachable through the given registries.conf the way CRI-O resolves it
// (the release payload, operator catalogs, signatures, additional images)? Builds on
// @hostmirror/oc-mirror-archive and @hostmirror/host-config.

export {
  type CheckableArchive,
  type CheckMirrorOptions,
  checkMirror,
  DEFAULT_ARCHITECTURE,
  DEFAULT_CHECK_MIRROR_HOST,
  sigstoreTag,
} from './checker.ts';
export { MirrorCheckError, type MirrorCheckErrorCode } from './errors.ts';
export { ociArchitecture, selectPlatforms } from './image-manifest.ts';
export { readFilesFromLayer } from './layer-files.ts';
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
