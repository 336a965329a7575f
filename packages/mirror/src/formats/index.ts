// The formats part of @hostmirror/mirror: oc-mirror archives, ImageSetConfiguration,
// registries.conf, storage.conf, registry config, certs.d and TLS. Knows nothing of mirror
// modes or the boot sequence (DESIGN.md §2).

export {
  type ExtractOptions,
  type ExtractReport,
  extractMirrorArchive,
} from './archive-extract.ts';
export {
  type ArchiveChunk,
  type ArchiveKind,
  type ArchiveKindReport,
  type ArchiveSummary,
  type BlobLocation,
  type ByteRange,
  type CompletenessProblem,
  type CompletenessReport,
  detectArchiveKind,
  type ImageSetConfigCopy,
  MirrorArchive,
  type NeededBy,
  OC_MIRROR_V1_ADVICE,
  type RepositorySummary,
  type TagInfo,
} from './archive-index.ts';
export {
  CLUSTER_RESOURCES_PREFIX,
  ISC_COPY_PREFIX,
  REGISTRY_TREE_PREFIX,
  SIGNATURES_PREFIX,
  V1_CHUNK_NAME,
  V2_CHUNK_NAME,
  WORKING_DIR_PREFIX,
} from './archive-layout.ts';
export {
  CERTS_D_CA_FILE,
  CERTS_D_DIR,
  certsDPath,
  PRIVATE_KEY_MODE,
  TLS_FILES,
  writeCertsD,
  writeMirrorTls,
} from './certs-d.ts';
export {
  type ClusterResourceDocument,
  type ClusterResources,
  collectClusterResources,
  type ImageMirrorSetEntry,
  type MirrorSourcePolicy,
  parseClusterResourceFile,
  SIGNATURE_CONFIGMAP_LABEL,
} from './cluster-resources.ts';
export { isDigest } from './digest.ts';
export { MirrorFormatError, type MirrorFormatErrorCode } from './errors.ts';
export {
  DEFAULT_TAG,
  formatImageReference,
  type ImageReference,
  isSha256Digest,
  parseImageReference,
  referenceName,
} from './image-reference.ts';
export {
  BOOTSTRAP_COMPONENTS,
  bootstrapBlockedImages,
  buildImageSetConfig,
  IMAGE_SET_API_VERSIONS,
  type ImageSetApiVersion,
  type ImageSetConfig,
  type ImageSetConfigOptions,
  NOMINAL_RELEASE_BYTES,
  type OperatorSelection,
  parseReleaseInfo,
  type ReleaseComponent,
  type SizeEstimate,
} from './image-set-config.ts';
export { type ArchiveSizeEstimate, estimateSizesFromArchive } from './image-set-size.ts';
export {
  type BlobDescriptor,
  type ChildManifest,
  type ImageManifest,
  MAX_MANIFEST_BYTES,
  type ManifestKind,
  type ManifestReference,
  manifestReferences,
  type ParsedManifest,
  type Platform,
  parseImageManifest,
  parseManifest,
} from './manifest.ts';
export { writeOutputFile } from './output.ts';
export {
  attemptedReferences,
  findRegistry,
  type PullSource,
  type PullSourceStatus,
  resolvePullSources,
} from './pull-sources.ts';
export {
  type LoadRegistriesConfOptions,
  loadRegistriesConf,
  type MirrorEndpoint,
  mergeRegistriesConfs,
  PULL_FROM_MIRROR_VALUES,
  type PullFromMirror,
  REGISTRIES_CONF_DROP_IN_DIR,
  REGISTRIES_CONF_DROP_IN_NAME,
  type RegistriesConf,
  type RegistryEndpoint,
  type RegistryTable,
} from './registries-conf.ts';
export {
  parseRegistriesConf,
  type RegistriesConfIssue,
  type RegistriesConfReport,
  validateRegistriesConf,
} from './registries-conf-strict.ts';
export {
  type MirrorRule,
  type MirrorRuleEndpoint,
  mirrorRulesFromArchive,
  mirrorRulesFromPairs,
  type RegistriesConfWriteOptions,
  type RulesFromArchiveOptions,
  relocateMirror,
  renderRegistriesConf,
  type TagPolicy,
} from './registries-conf-writer.ts';
export {
  DEFAULT_REGISTRY_ROOT,
  type RegistryConfigOptions,
  registryConfigDocument,
  renderRegistryConfig,
} from './registry-config.ts';
export { renderStorageConf, STORAGE_CONF_PATH, type StorageConfOptions } from './storage-conf.ts';
export type { TarEntryKind } from './tar-header.ts';
export {
  type ReadTarOptions,
  readTarEntries,
  readTarEntriesSync,
  type TarEntry,
} from './tar-reader.ts';
export {
  createMirrorTls,
  DEFAULT_VALIDITY_DAYS,
  type MirrorTls,
  type MirrorTlsOptions,
  RSA_KEY_BITS,
} from './tls.ts';
