export { IgnitionTypesError, type IgnitionTypesErrorCode } from './errors.ts';
export {
  fieldTrees,
  shapeValidators,
  type V3_0,
  type V3_1,
  type V3_2,
  type V3_3,
  type V3_4,
  type V3_4_experimental,
  type V3_5,
  type V3_6,
  type V3_7_experimental,
} from './generated/index.ts';
export {
  currentSpecVersions,
  isSpecVersion,
  latestStableSpecVersion,
  newestIgnitionRelease,
  openshiftSpecVersion,
  type SpecVersion,
  specIntroductions,
  specVersions,
  specVersionsAcceptedBy,
  stableSpecVersions,
} from './spec-versions.ts';
export type { FieldTree, ShapeError, ValidateFunction } from './validator-types.ts';
