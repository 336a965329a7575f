// @hostmirror/host-config: the configuration a host needs to pull from a mirror: registries.conf
// (reader with containers/image's rules, strict validator, writer, pull-source resolution),
// storage.conf, the registry's config.yml, certs.d and the mirror's TLS certificate and CA.
// Builds on @hostmirror/oc-mirror-archive (image references, the archive's repositories); knows
// nothing of mirror modes or the boot sequence.

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
  type ContainersImageRules,
  type ContainersImageVersion,
  containersImageRules,
  containersImageRulesForOpenShift,
  DEFAULT_CONTAINERS_IMAGE,
  type HostContainersImage,
  hostContainersImage,
  OLDEST_SUPPORTED_OPENSHIFT,
  OPENSHIFT_CONTAINERS_IMAGE,
} from './containers-image-version.ts';
export {
  attemptedReferences,
  findRegistry,
  type PullSource,
  type PullSourceStatus,
  resolvePullSources,
} from './pull-sources.ts';
export {
  foldTomlKeys,
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
  type ArchiveMirrorRules,
  type MirrorPolicy,
  type MirrorRule,
  type MirrorRuleEndpoint,
  mirrorRulesFor,
  mirrorRulesFromArchive,
  mirrorRulesFromPairs,
  type RegistriesConfWriteOptions,
  type RulesFromArchiveOptions,
  relocateMirror,
  renderRegistriesConf,
  sourceServedBy,
  type TagPolicy,
} from './registries-conf-writer.ts';
export {
  DEFAULT_REGISTRY_ROOT,
  type RegistryConfigOptions,
  registryConfigDocument,
  renderRegistryConfig,
} from './registry-config.ts';
export { aliasProblems, aliasValueProblem, shortNameProblem } from './short-names.ts';
export { renderStorageConf, STORAGE_CONF_PATH, type StorageConfOptions } from './storage-conf.ts';
export {
  certificateFingerprint,
  createMirrorTls,
  DEFAULT_VALIDITY_DAYS,
  drawMirrorKeys,
  type MirrorCa,
  type MirrorKeys,
  type MirrorTls,
  type MirrorTlsOptions,
  namesRefusedByCa,
  RSA_KEY_BITS,
  requireMirrorOnlyCa,
} from './tls.ts';
