export {
  type CheckableArchive,
  type CheckMirrorOptions,
  checkMirror,
  DEFAULT_ARCHITECTURE,
  DEFAULT_CHECK_MIRROR_HOST,
  readRegistriesConfFile,
  sigstoreTag,
} from './checker.ts';
export {
  type ContainersRegistriesConf,
  type LoadRegistriesConfOptions,
  loadRegistriesConf,
  type MirrorEndpoint as ContainersMirrorEndpoint,
  mergeRegistriesConfs as mergeContainersRegistriesConfs,
  type PullFromMirror as ContainersPullFromMirror,
  type RegistryTable as ContainersRegistryTable,
} from './containers-registries.ts';
export { MirrorCheckError, type MirrorCheckErrorCode } from './errors.ts';
export {
  type ImageManifest,
  ociArchitecture,
  parseImageManifest,
  selectPlatforms,
} from './image-manifest.ts';
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
export {
  attemptedReferences,
  findRegistry as findContainersRegistry,
  type PullSource as ContainersPullSource,
  type PullSourceStatus,
  resolvePullSources as resolveContainersPullSources,
} from './resolve.ts';
export { findReleaseSignatures, type ReleaseSignatures } from './signatures.ts';
