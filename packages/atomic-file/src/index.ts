export {
  type AtomicOutput,
  type AtomicOutputOptions,
  openAtomicOutput,
  writeFileAtomic,
  writeStreamAtomic,
} from './atomic-output.ts';
export { AtomicFileError, type AtomicFileErrorCode } from './errors.ts';
export {
  createWorkFolder,
  reclaimStale,
  scratchName,
  track,
  type WorkFolder,
} from './scratch.ts';
