/**
 * `@hostmirror/initrd/archives`: reading, walking, verifying and appending initrd archives —
 * everything of this package but the YAML overlay spec and the overlay builder. The same
 * functions as the package's main entry; a reader that imports them from here does not load
 * the spec's YAML parser (the CLI bundle's `iso` verbs: esbuild puts a package's modules in one
 * shared chunk when an entry reaches them through the main index, used or not).
 */
export { type AppendArchiveOptions, type AppendResult, appendArchive } from './append.ts';
export { InitrdError, type InitrdErrorCode } from './errors.ts';
export { KERNEL_BUILTIN_FOLDERS } from './namespace.ts';
export { extractInitrd, type InitrdListing, readInitrd, readInitrdFile } from './read.ts';
export { type VerifyOptions, type VerifyReport, verifyInitrd } from './verify.ts';
export {
  type InitrdFault,
  type InitrdFaultCode,
  type InitrdSegment,
  type InitrdSource,
  type InitrdWalk,
  type WalkOptions,
  walkInitrd,
} from './walk.ts';
