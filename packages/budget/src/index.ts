export {
  type BudgetCheck,
  type BudgetCheckId,
  type BudgetInputs,
  type BudgetReport,
  type BudgetTerm,
  computeBudget,
  type InitrdFootprint,
  type LiveCopy,
} from './budget.ts';
export {
  type BootKind,
  bootKinds,
  type HostRole,
  hostRoles,
  ignitionEmbedAreaBytes,
  initramfsTmpfsShare,
  liveTmpfsShare,
  minimumRamBytes,
  node0LivePullReserveBytes,
  tmpfsPageBytes,
} from './constants.ts';
export {
  computeDiskNeed,
  type DiskNeed,
  type DiskNeedInputs,
  type DiskPlace,
  type DiskTerm,
  diskBlockBytes,
  diskFileBytes,
  formatDiskNeeds,
  registryTreeBytes,
} from './disk.ts';
export {
  type BudgetErrorCode,
  BudgetExceededError,
  BudgetInputError,
  type ExceededLimit,
} from './errors.ts';
export {
  type InputFiles,
  type MeasuredInputs,
  measureInitrdFile,
  measureInitrdSource,
  measureInputFiles,
  measureRootfs,
  tmpfsFileBytes,
  unpackedTmpfsBytes,
} from './footprint.ts';
export { assertWithinBudget, describeExceeded, formatBudgetTable } from './report.ts';
export { formatBytes, parseSize } from './sizes.ts';
