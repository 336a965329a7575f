import { type SpecVersion, specVersions } from '@hostmirror/ignition-config-types';

/**
 * What differs between spec versions beyond the schema (docs/ignition.md#rules, docs/ignition.md#spec-table).
 * A config is judged by the rules of its own version, as Ignition does before upgrading it.
 */
export interface SpecRules {
  version: SpecVersion;
  /** URL schemes a resource may use: `gs` from 3.2, `arn` from 3.4. */
  urlSchemes: readonly string[];
  /** Hash functions of `verification.hash`: `sha256` from 3.1. */
  hashFunctions: readonly string[];
  /** Filesystem formats: `none` from 3.3, `virtiofs` in 3.7.0-experimental. */
  filesystemFormats: readonly string[];
  /** 3.6+ honours setuid/setgid/sticky bits; older specs warn that they do nothing. */
  specialModeBits: boolean;
  /** 3.6+ accepts any custom clevis pin; older specs only tpm2, tang and sss. */
  anyClevisPin: boolean;
  /** 3.3+ checks `links[].target` in Go (3.0–3.2 had it in the schema, which Ignition ignores). */
  linkTargetRequired: boolean;
  /** 3.3+ makes `raid.level` nullable and requires it; before, absent decodes as `""`. */
  raidLevelRequired: boolean;
}

const minorOf = (version: SpecVersion) => Number(version.split('.')[1]);

const rulesByVersion = new Map<SpecVersion, SpecRules>();

export function specRules(version: SpecVersion): SpecRules {
  let rules = rulesByVersion.get(version);
  if (rules === undefined) {
    rules = buildSpecRules(version);
    rulesByVersion.set(version, rules);
  }
  return rules;
}

function buildSpecRules(version: SpecVersion): SpecRules {
  const minor = minorOf(version);
  return {
    version,
    urlSchemes: [
      'http',
      'https',
      'tftp',
      's3',
      'data',
      ...(minor >= 2 ? ['gs'] : []),
      ...(minor >= 4 ? ['arn'] : []),
    ],
    hashFunctions: minor >= 1 ? ['sha512', 'sha256'] : ['sha512'],
    filesystemFormats: [
      'ext4',
      'btrfs',
      'xfs',
      'swap',
      'vfat',
      ...(minor >= 3 ? ['none'] : []),
      ...(minor >= 7 ? ['virtiofs'] : []),
    ],
    // Ignition 2.14's 3.4.0-experimental honoured the bits and did not warn (v2.14.0
    // config/v3_4_experimental/types/mode.go has no validateModeSpecialBits); 2.20 moved that to 3.6.
    specialModeBits: minor >= 6 || version === '3.4.0-experimental',
    anyClevisPin: minor >= 6,
    linkTargetRequired: minor >= 3,
    raidLevelRequired: minor >= 3,
  };
}

/** A semantic version as coreos/go-semver reads it: exactly MAJOR.MINOR.PATCH[-PRE][+META]. */
interface SemVer {
  major: number;
  minor: number;
  patch: number;
  preRelease: string;
  metadata: string;
}

const semverPattern = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

export function parseSemVer(text: string): SemVer | undefined {
  const match = semverPattern.exec(text);
  if (match === null) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    preRelease: match[4] ?? '',
    metadata: match[5] ?? '',
  };
}

/**
 * The spec a version string names, or undefined. Ignition compares whole versions, so
 * pre-release and build metadata must match too: `3.3.0+build` is unsupported.
 */
export function specVersionOf(version: SemVer): SpecVersion | undefined {
  return specVersions.find((known) => {
    const parsed = parseSemVer(known);
    return (
      parsed !== undefined &&
      parsed.major === version.major &&
      parsed.minor === version.minor &&
      parsed.patch === version.patch &&
      parsed.preRelease === version.preRelease &&
      parsed.metadata === version.metadata
    );
  });
}

/** Order of two known spec versions: negative when `a` is older. */
export function compareSpecVersions(a: SpecVersion, b: SpecVersion): number {
  return specVersions.indexOf(a) - specVersions.indexOf(b);
}
