/**
 * @hostmirror/build-iso: the build-iso pipeline, from a CoreOS live ISO, install-config.yaml +
 * agent-config.yaml and oc-mirror archives to a mirror-mode ISO. The demo's inputs are made by the private @hostmirror/fixtures. See README.md.
 */

export {
  AGENT_CA_BUNDLE,
  AGENT_CLUSTER_IMAGE_SET,
  AGENT_EXTRA_MANIFESTS_DIR,
  AGENT_INSTALLER_ENV,
  type AgentRelease,
  agentReleaseImage,
  agentTagRepositories,
  chooseAgentRelease,
  isAgentConfig,
  MAIN_REGISTRIES_CONF,
} from './agent-iso.ts';
export { composeLiveIgnition, type ExtraIgnition, overlaySpec } from './boot-artifacts.ts';
export {
  type ClusterConfig,
  DEFAULT_ARCHITECTURE,
  type DigestMirrorSource,
  parseYaml11,
  readClusterConfig,
  type Topology,
} from './cluster-config.ts';
export { BuildIsoError, type BuildIsoErrorCode } from './errors.ts';
export {
  DEFAULT_REGISTRY_BINARY,
  kernelArchitecture,
  resolveArchives,
  sha256File,
} from './inputs.ts';
export {
  checkDigestSources,
  DEFAULT_MIRROR_HOST,
  digestSourcesFor,
  installConfigWithMirror,
  type WriteInstallConfigOptions,
  type WrittenInstallConfig,
  writeInstallConfig,
} from './install-config.ts';
export {
  composeLiveConfig,
  type LiveConfig,
  type LiveConfigInput,
  readEmbeddedConfig,
} from './live-config.ts';
export {
  clusterManifests,
  imageSetConfigText,
  type ManifestFile,
} from './manifests.ts';
export { type MirrorDiskOptions, mirrorDiskNeeds } from './mirror-disk.ts';
export { DEFAULT_KERNEL_CODEC } from './overlay-codec.ts';
export {
  type BuildMirrorIsoOptions,
  type BuildProgress,
  type BuildReport,
  type BuildResult,
  buildMirrorIso,
  DEFAULT_MODE,
  errorAsJson,
  type FailedBuildReport,
  type FileDigest,
  type IgnitionBytes,
  sourceDateEpoch,
} from './pipeline.ts';
export {
  chooseRelease,
  RELEASE_IMAGES_REPOSITORY,
  RELEASE_OVERRIDE_VARIABLE,
  type ReleaseChoice,
} from './release.ts';
export {
  TEARDOWN_SCRIPT_FILE,
  type TeardownOptions,
  type WrittenTeardown,
  writeTeardownManifests,
} from './teardown.ts';
export { buildIsoVersion, REPORT_SCHEMA_VERSION } from './version.ts';
export { type PreparedVolume, type PrepareVolumeOptions, prepareVolumeImage } from './volume.ts';
export {
  checkVolumeDiskHints,
  DISK_NAMING_HINTS,
  type DiskNamingHint,
  parseVolumeDiskHint,
  type VolumeDiskHints,
} from './volume-disk.ts';
