// The mirror-mode boot sequence (DESIGN.md §6): the steps as data, their units and scripts,
// and what they become: live Ignition, the initrd overlay, MachineConfigs, a diagram.

export {
  type BootSourceFiles,
  bootRegistriesConf,
  bootRegistryConfig,
  hashArchives,
  preloadImagesFromArchive,
  prepareBootSequence,
  REGISTRY_ROOT,
  RELEASE_REPOSITORY,
  releaseInArchive,
} from './assets.ts';
export * from './constants.ts';
export { renderBootMermaid, renderBootSvg, renderBootText } from './diagram.ts';
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
export * from './types.ts';
export { execStart, renderGateDropin, renderStepUnit } from './units.ts';
