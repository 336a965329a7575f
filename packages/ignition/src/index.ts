export {
  currentSpecVersions,
  IgnitionTypesError,
  type IgnitionTypesErrorCode,
  isSpecVersion,
  openshiftSpecVersion,
  type SpecVersion,
  specVersions,
  specVersionsAcceptedBy,
} from '@hostmirror/ignition-config-types';
export {
  type BuilderOptions,
  ConfigBuilder,
  type DirectoryOptions,
  defaultDirectoryMode,
  defaultExecutableMode,
  defaultFileMode,
  type FileOptions,
  type LinkOptions,
  type NodeOptions,
  type UnitOptions,
  type UserOptions,
} from './builder.ts';
export type {
  DirectoryNode,
  FileNode,
  IgnitionConfig,
  LinkNode,
  Owner,
  Resource,
  Storage,
  Unit,
  User,
} from './config.ts';
export {
  type DataUrlEncoding,
  decodeDataUrl,
  type EncodeDataUrlOptions,
  encodeDataUrl,
  percentEncode,
} from './data-url.ts';
export { IgnitionError, type IgnitionErrorCode } from './errors.ts';
export { loadConfigFile, type WriteConfigOptions, writeConfigFile } from './files.ts';
export { mergeConfigs, mergeSameSpec } from './merge.ts';
export { renderConfig } from './render.ts';
export {
  type Finding,
  formatFinding,
  formatReport,
  type ParseFailure,
  type Severity,
  type ValidationReport,
} from './report.ts';
export { DATA_RESOURCE_MAX_BYTES, readDataResource, sha512Hash } from './resource-data.ts';
export { type SerializeOptions, serializeConfig } from './serialize.ts';
export { type SpecRules, specRules } from './spec.ts';
export { requireSpecVersion, translateConfig } from './translate.ts';
export { parseUnitText, type UnitOption } from './unit-file.ts';
export { type ValidateOptions, validateConfig } from './validate.ts';
