/**
 * Translate a config between specs (docs/ignition.md#translate). Upward is what Ignition does
 * step by step: every step copies the fields and sets `ignition.version`, except two: 3.4→3.5
 * drops `storage.luks[].clevis.tang[].advertisement` (its `translateTang` copies only `thumbprint`
 * and `url`: coreos/ignition config/v3_5/translate/translate.go at a5d574a8), and 3.5→3.6
 * strips setuid/setgid/sticky bits (`mode &^ 07000`) from files and directories, because
 * Ignition before 3.6 ignored them. Ignition has no downward translation:
 * ours refuses to drop or change anything and names each field that is in the way.
 */
import {
  isSpecVersion,
  type SpecVersion,
  shapeValidators,
  specVersions,
} from '@hostmirror/ignition-config-types';
import type { IgnitionConfig } from './config.ts';
import { IgnitionError } from './errors.ts';
import { formatJsonPath } from './findings.ts';
import { copyKnownFields } from './json-depth.ts';
import { compareSpecVersions } from './spec.ts';
import { validateConfig } from './validate.ts';

const specialModeBits = 0o7000;
/** The first spec that honours special mode bits. */
const specialBitsSpec: SpecVersion = '3.6.0';
/** The first spec Ignition translates to without `tang[].advertisement`. */
const tangAdvertisementDroppedSpec: SpecVersion = '3.5.0';

/** The spec of `version`, or a typed error naming it. */
export function requireSpecVersion(version: string): SpecVersion {
  if (isSpecVersion(version)) return version;
  throw new IgnitionError(
    'UNKNOWN_SPEC_VERSION',
    `Unknown Ignition spec version ${JSON.stringify(version)}; use one of ${specVersions.join(', ')}.`,
  );
}

function stripSpecialBits(config: IgnitionConfig): void {
  for (const node of [...(config.storage?.files ?? []), ...(config.storage?.directories ?? [])]) {
    if (typeof node.mode === 'number') node.mode &= ~specialModeBits;
  }
}

function dropTangAdvertisements(config: IgnitionConfig): void {
  for (const luks of config.storage?.luks ?? [])
    for (const tang of luks.clevis?.tang ?? []) delete tang.advertisement;
}

/** Where a config still has special bits a spec before 3.6 would not honour. */
function specialBitPaths(config: IgnitionConfig): string[] {
  const paths: string[] = [];
  for (const list of ['files', 'directories'] as const) {
    config.storage?.[list]?.forEach((node, index) => {
      if (typeof node.mode === 'number' && (node.mode & specialModeBits) !== 0)
        paths.push(`${formatJsonPath(['storage', list, index, 'mode'])} (special mode bits)`);
    });
  }
  return paths;
}

/** Fields of `config` that the spec `to` does not define. */
function fieldsUnknownTo(config: IgnitionConfig, to: SpecVersion): string[] {
  const validate = shapeValidators[to];
  if (validate === undefined || validate(config)) return [];
  const paths: string[] = [];
  for (const error of validate.errors ?? []) {
    const key = error.params.additionalProperty ?? error.params.unevaluatedProperty;
    if (typeof key === 'string')
      paths.push(`$${error.instancePath.replace(/\//g, '.')}.${key} (not in spec ${to})`);
  }
  return paths;
}

/**
 * The config in spec `to`. Upward: Ignition's translation. Downward: the same fields with the
 * older version, only when nothing would be dropped or change meaning; otherwise throws
 * `TRANSLATE_DROPS_FIELDS` naming every field in the way (fields the older spec lacks, special
 * mode bits below 3.6, and anything the older spec's rules reject, such as a `gs://` source
 * below 3.2 or `sha256` below 3.1).
 */
export function translateConfig(config: IgnitionConfig, to: SpecVersion | string): IgnitionConfig {
  const target = requireSpecVersion(to);
  const from = requireSpecVersion(config.ignition.version);
  // Keys no spec defines are dropped, as Ignition's typed unmarshal drops them (it warns
  // "unused key"); what remains is as deep as the spec, so nothing below recurses over a
  // hostile config's depth (json-depth.ts).
  const result = copyKnownFields(config, from);
  result.ignition.version = target;
  const order = compareSpecVersions(from, target);
  if (order <= 0) {
    const crosses = (spec: SpecVersion) =>
      compareSpecVersions(from, spec) < 0 && compareSpecVersions(target, spec) >= 0;
    if (crosses(tangAdvertisementDroppedSpec)) dropTangAdvertisements(result);
    if (crosses(specialBitsSpec)) stripSpecialBits(result);
    return result;
  }
  const blockers = [...fieldsUnknownTo(result, target)];
  if (
    compareSpecVersions(from, specialBitsSpec) >= 0 &&
    compareSpecVersions(target, specialBitsSpec) < 0
  )
    blockers.push(...specialBitPaths(result));
  if (blockers.length === 0) {
    const report = validateConfig(result);
    for (const error of report.errors)
      blockers.push(`${error.path} (${error.message} in spec ${target})`);
  }
  if (blockers.length > 0) {
    throw new IgnitionError(
      'TRANSLATE_DROPS_FIELDS',
      `Cannot translate this ${from} config down to ${target} without losing or changing ${blockers.join(', ')}; remove them or target ${from}.`,
    );
  }
  return result;
}
