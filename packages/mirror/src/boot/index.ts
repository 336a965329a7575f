// The mirror-mode boot sequence (DESIGN.md §6): the steps as data, their units and scripts,
// and what they become: live Ignition, the initrd overlay, MachineConfigs, a diagram.
export * from './constants.ts';
export { BootSequenceError, type BootSequenceErrorCode } from './errors.ts';
export {
  bootFileSet,
  renderEnvFile,
  renderManifest,
  renderPreloadList,
} from './files.ts';
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
