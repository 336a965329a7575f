import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hostmirror/fixtures';
import {
  type IgnitionConfig,
  specVersionsAcceptedBy,
  type ValidateOptions,
} from '../../packages/ignition/src/index.ts';

export const conformanceDir = join(repoRoot, 'test', 'ignition', 'conformance');

export interface ValidateCase {
  name: string;
  /** A JSON value to serialise, or… */
  input?: unknown;
  /** …the exact bytes of the config. */
  text?: string;
  /** Judge as this Ignition release does (the spec versions it accepts); default the newest. */
  ignitionRelease?: string;
  expect: { valid: boolean; parseFailure?: string; findings?: string[] };
  /** Absent: Debian's ignition-validate must agree. A string: why it cannot judge this case. */
  binary?: string;
}

export function loadValidateCases(): ValidateCase[] {
  const file = JSON.parse(readFileSync(join(conformanceDir, 'validate.json'), 'utf8')) as {
    cases: ValidateCase[];
  };
  return file.cases;
}

/** The validate options a case asks for. */
export function caseOptions(testCase: ValidateCase): ValidateOptions {
  return testCase.ignitionRelease === undefined
    ? {}
    : { acceptedVersions: specVersionsAcceptedBy(testCase.ignitionRelease) };
}

/** The bytes of a case's config. */
export function caseText(testCase: ValidateCase): string {
  return testCase.text ?? JSON.stringify(testCase.input);
}

export interface MergeCase {
  name: string;
  parent: IgnitionConfig;
  child: IgnitionConfig;
  result: IgnitionConfig;
}

/** The merge cases; an empty file would make every merge test vanish, so it is refused. */
export function loadMergeCases(): MergeCase[] {
  const path = join(conformanceDir, 'merge.json');
  const file = JSON.parse(readFileSync(path, 'utf8')) as { cases?: MergeCase[] };
  if (!Array.isArray(file.cases) || file.cases.length === 0)
    throw new Error(`${path} holds no merge cases (expected a non-empty "cases" array).`);
  return file.cases;
}
