// @hostmirror/boot-sequence: the mirror-mode boot sequence (docs/design.md#mirror-mode): the steps as data, their units and scripts,
// and what they become: live Ignition, the initrd overlay, MachineConfigs, a diagram.

export {
  assembleBootAssets,
  BOOT_MIRROR_POLICY,
  type BootAssetParts,
  type BootMirror,
  type BootSourceFiles,
  bootRegistriesConf,
  bootRegistryConfig,
  hashArchives,
  preloadImagesFromArchive,
  prepareBootSequence,
  REGISTRY_ROOT,
  RELEASE_REPOSITORY,
  volumeArchiveNames,
} from './assets.ts';
export {
  CA_ANCHOR_FILE,
  CA_FILE,
  CERTS_D,
  CONSOLE_UNITS,
  DEFAULT_IGNITION_SPEC,
  DEFAULT_READY_TIMEOUT_SECONDS,
  DEFAULT_REGISTRY_NAME,
  DEFAULT_REGISTRY_PORT,
  DEFAULT_VOLUME_LABEL,
  ENV_FILE,
  GATE_DROPIN,
  HOSTS_TAG,
  INITRD_REGISTRY_BINARY,
  INSTALLED_GATED_UNITS,
  LIVE_GATED_UNITS,
  MACHINE_CONFIG_API_VERSION,
  MACHINE_CONFIG_ROLE_LABEL,
  MANIFEST_FILE,
  PRE_PIVOT_HOOK,
  PRELOAD_LIST_FILE,
  READ_ONLY_DATA_DIR,
  READINESS_PROBE,
  REGISTRIES_CONF_DROP_IN,
  REGISTRY_BINARY,
  REGISTRY_CONFIG_FILE,
  SCRIPT_DIR,
  SCRIPT_LIBRARY,
  STAGED_REGISTRIES_CONF,
  STATE_DIR,
  TEARDOWN_DIR,
  TEARDOWN_SCRIPT,
  TEARDOWN_UNIT,
  TLS_CERTIFICATE_FILE,
  TLS_KEY_FILE,
  VOLUME_MOUNT,
  VOLUME_WAIT_SECONDS,
} from './constants.ts';
export { renderBootMermaid, renderBootSvg, renderBootText } from './diagram.ts';
export {
  controlPlaneNameFor,
  type MirrorEndpoint,
  mirrorEndpoints,
  mirrorTlsHosts,
  registryEndpoint,
  registryListensOnEveryAddress,
} from './endpoints.ts';
export { BootSequenceError, type BootSequenceErrorCode } from './errors.ts';
export {
  bootFileSet,
  renderEnvFile,
  renderManifest,
  renderPreloadList,
} from './files.ts';
export { type BootIgnitionOptions, fileSetToIgnition, renderLiveIgnition } from './ignition.ts';
export {
  type MachineConfigDocument,
  type RenderedMachineConfig,
  renderMachineConfigs,
} from './machine-config.ts';
export {
  type ClusterManifest,
  type ClusterManifestReport,
  renderClusterManifests,
  renderTrustedCaManifests,
  TRUSTED_CA_CONFIGMAP,
  TRUSTED_CA_NAMESPACE,
} from './manifests.ts';
export { type BootOverlayOptions, renderInitrdOverlay } from './overlay.ts';
export {
  canonicalAddress,
  planBootSequence,
  resolveBootSettings,
  stepsRunning,
  unitOf,
} from './plan.ts';
export { PRE_PIVOT_HOOK_SCRIPT, type ScriptName, STEP_SCRIPTS, scriptText } from './scripts.ts';
export {
  renderTeardown,
  type Teardown,
  type TeardownObject,
  type TeardownSource,
} from './teardown.ts';
export {
  type ArchiveDigest,
  type BootAssets,
  type BootDropin,
  type BootFile,
  type BootFileSet,
  type BootGate,
  type BootOrdering,
  type BootPhase,
  type BootPlan,
  type BootSettings,
  type BootSettingsInput,
  type BootStep,
  type BootUnit,
  type HostPart,
  MIRROR_MODES,
  type MirrorMode,
  type PhasePlan,
  type PreloadImage,
  type RolePlan,
  type StepCondition,
  type StepId,
  TOPOLOGIES,
  type Topology,
  VOLUME_ACCESS,
  type VolumeAccess,
} from './types.ts';
export {
  execStart,
  REGISTRY_REFUSAL_STATUS,
  REGISTRY_RESTART_SECONDS,
  renderConsoleDropin,
  renderGateDropin,
  renderStepUnit,
} from './units.ts';
