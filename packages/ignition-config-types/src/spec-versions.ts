/**
 * The Ignition config spec versions and which Ignition releases accept them
 * (docs/ignition.md#versions, from upstream
 * https://github.com/coreos/ignition/blob/a5d574a8d2ad42a6f5702c6982d7c5f67ec05107/docs/specs.md
 * and the release notes).
 * A release accepts every stable 3.x spec up to its newest one plus exactly one experimental
 * spec (the next); it refuses older experimental strings and all 1.x/2.x configs.
 */
import { IgnitionTypesError } from './errors.ts';

/**
 * Every 3.x spec with a schema here, oldest first. `3.4.0-experimental` is the experimental spec
 * of Ignition 2.11–2.14 (Debian bookworm ships 2.14.0): only those releases accept it, so it is
 * not among `currentSpecVersions`; the last one is the current experimental spec.
 */
export const specVersions = [
  '3.0.0',
  '3.1.0',
  '3.2.0',
  '3.3.0',
  '3.4.0-experimental',
  '3.4.0',
  '3.5.0',
  '3.6.0',
  '3.7.0-experimental',
] as const;

export type SpecVersion = (typeof specVersions)[number];

/** Stable specs, oldest first. */
export const stableSpecVersions = specVersions.filter(
  (version) => !version.endsWith('-experimental'),
) as readonly Exclude<SpecVersion, `${string}-experimental`>[];

/** The newest stable spec. */
export const latestStableSpecVersion = '3.6.0' satisfies SpecVersion;

/** OpenShift's installer emits 3.2.0 (docs/design.md#ignition). */
export const openshiftSpecVersion = '3.2.0' satisfies SpecVersion;

/** The first Ignition release that accepts each stable spec, and its experimental spec. */
export const specIntroductions: ReadonlyArray<{
  spec: string;
  firstRelease: string;
  experimentalSpec: string;
}> = [
  { spec: '3.0.0', firstRelease: '2.0.0', experimentalSpec: '3.1.0-experimental' },
  { spec: '3.1.0', firstRelease: '2.3.0', experimentalSpec: '3.2.0-experimental' },
  { spec: '3.2.0', firstRelease: '2.7.0', experimentalSpec: '3.3.0-experimental' },
  { spec: '3.3.0', firstRelease: '2.11.0', experimentalSpec: '3.4.0-experimental' },
  { spec: '3.4.0', firstRelease: '2.15.0', experimentalSpec: '3.5.0-experimental' },
  { spec: '3.5.0', firstRelease: '2.20.0', experimentalSpec: '3.6.0-experimental' },
  { spec: '3.6.0', firstRelease: '2.26.0', experimentalSpec: '3.7.0-experimental' },
];

/** The newest Ignition release these specs describe (coreos/ignition a5d574a8 is v2.26.0). */
export const newestIgnitionRelease = '2.26.0';

export function isSpecVersion(value: string): value is SpecVersion {
  return (specVersions as readonly string[]).includes(value);
}

/** Compare two `MAJOR.MINOR.PATCH` release strings numerically. */
function compareReleases(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/**
 * The spec version strings an Ignition release (e.g. `2.14.0`) accepts: its stable specs and
 * its one experimental spec. Debian bookworm's 2.14.0 → 3.0.0…3.3.0 and `3.4.0-experimental`.
 */
export function specVersionsAcceptedBy(release: string): string[] {
  if (!/^\d+\.\d+\.\d+$/.test(release))
    throw new IgnitionTypesError(
      'BAD_IGNITION_RELEASE',
      `Ignition release must look like 2.14.0; got ${JSON.stringify(release)}.`,
      { subject: release },
    );
  const known = specIntroductions.filter(
    (entry) => compareReleases(release, entry.firstRelease) >= 0,
  );
  const newest = known.at(-1);
  if (newest === undefined) return [];
  return [...known.map((entry) => entry.spec), newest.experimentalSpec];
}

/** The spec versions the newest Ignition release accepts: every stable spec and 3.7.0-experimental. */
export const currentSpecVersions: readonly SpecVersion[] =
  specVersionsAcceptedBy(newestIgnitionRelease).filter(isSpecVersion);
