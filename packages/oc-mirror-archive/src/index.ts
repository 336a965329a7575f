// @hostmirror/oc-mirror-archive: the oc-mirror v2 archive and the formats inside it: tar chunks
// (reader and header codec), the archive index, layout and extraction, image manifests, image
// references, ImageSetConfiguration and the cluster resources oc-mirror writes. Knows nothing of
// mirror modes, host configuration or the boot sequence.

export {
  type ExtractOptions,
  type ExtractReport,
  extractMirrorArchive,
} from './archive-extract.ts';
export type { CatalogFilterRecord, ReleaseGraphRecord, ReleaseRecord } from './archive-index.ts';
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
  RELEASE_GRAPH_PREFIX,
  SIGNATURES_PREFIX,
  V1_CHUNK_NAME,
  V2_CHUNK_NAME,
  WORKING_DIR_PREFIX,
} from './archive-layout.ts';
export {
  parseRecordedImageSetConfig,
  type RecordedCatalog,
  type RecordedComponent,
  type RecordedImage,
  type RecordedImageSetConfig,
  type RecordedPayload,
  readRecordedImageSetConfigs,
  readReleaseGraphPayloads,
  readReleaseRecordComponents,
} from './archive-records.ts';
export {
  type ArchiveRelease,
  isAttachedArtifactTag,
  isReleaseComponentsRepository,
  isReleaseRepository,
  RELEASE_COMPONENTS_REPOSITORY,
  RELEASE_IMAGES_REPOSITORY,
  type ResolveReleaseOptions,
  resolveArchiveRelease,
} from './archive-release.ts';
export {
  type ArchiveSources,
  type CatalogRecord,
  type MirrorCategory,
  mapArchiveSources,
  OCP_RELEASE_REPOSITORY,
  type RepositorySource,
  sourceOfRepository,
  type UnmappedRepository,
} from './archive-sources.ts';
export {
  type CatalogBundle,
  catalogBundles,
  catalogConfigsDir,
  catalogFileBundles,
  isCatalogFile,
} from './catalog.ts';
export {
  type CatalogArchive,
  type CatalogImageContents,
  MAX_CATALOG_BUNDLES,
  MAX_IMAGE_NAME_LENGTH,
  MAX_RELATED_IMAGES,
  readCatalogImage,
} from './catalog-image.ts';
export {
  type ClusterResourceDocument,
  type ClusterResources,
  collectClusterResources,
  dedupeConfigMaps,
  type ImageMirrorSetEntry,
  type MirrorSourcePolicy,
  parseClusterResourceFile,
  SIGNATURE_CONFIGMAP_LABEL,
} from './cluster-resources.ts';
export {
  type CompletenessVerdict,
  describeMissing,
  describeStale,
  judgeCompleteness,
  MISSING_BLOB_FIX,
  type MissingBlob,
  type StaleRepository,
} from './completeness.ts';
export { isDigest } from './digest.ts';
export { MirrorFormatError, type MirrorFormatErrorCode } from './errors.ts';
export {
  type ArchiveMirrorResources,
  archiveMirrorResources,
  type GeneratedFile,
  generateClusterResourceFiles,
  IDMS_FILE,
  ITMS_FILE,
  type RecordsArchive,
  SIGNATURE_CONFIGMAP_FILE,
  SIGNATURE_CONFIGMAP_NAME,
} from './generated-resources.ts';
export {
  DEFAULT_TAG,
  formatImageReference,
  type ImageReference,
  isSha256Digest,
  isValidHost,
  isValidRepositoryPath,
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
  forEachLayerFile,
  type LayerFileLimits,
  readFilesFromLayer,
  readMatchingFilesFromLayer,
} from './layer-files.ts';
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
export {
  decodeHeader,
  encodeHeader,
  isZeroBlock,
  paddedSize,
  parsePaxRecords,
  TAR_BLOCK_SIZE,
  type TarEntryKind,
  type TarHeader,
  type TarHeaderFields,
  type TarHeaderFormat,
  typeflags,
} from './tar-header.ts';
export {
  type ReadTarOptions,
  readTarEntries,
  readTarEntriesSync,
  type TarEntry,
} from './tar-reader.ts';
export {
  parseYamlDocuments,
  readYaml,
  readYamlAll,
  YAML_MAX_ALIAS_COUNT,
  type YamlAliases,
  type YamlReadOptions,
  yamlDocumentToJs,
} from './yaml-input.ts';
