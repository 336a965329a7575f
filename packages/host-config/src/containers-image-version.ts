/**
 * Which containers/image reads registries.conf on an OpenShift host, and the loading rules that
 * differ between its versions. The hosts' reader is CRI-O, whose minor follows the release's
 * Kubernetes minor (OpenShift 4.N ships CRI-O 1.(N+13)); the c/image each CRI-O release series
 * vendors is its go.mod at the first and the last patch tag (cri-o/cri-o tags, read at
 * 96b722d6), e.g. https://github.com/cri-o/cri-o/blob/v1.27.0/go.mod. Where a series spans
 * versions the rules are judged as the oldest (a host may run any patch release).
 */
import { MirrorFormatError } from '@hostmirror/oc-mirror-archive';

/** `MAJOR.MINOR` of a containers/image release, e.g. `5.25`. */
export type ContainersImageVersion = `5.${number}`;

export interface HostContainersImage {
  /** The OpenShift minor, e.g. `4.14`. */
  openshift: string;
  /** The CRI-O release series of that OpenShift minor, e.g. `1.27`. */
  crio: string;
  /** The c/image versions the series' patch releases vendor (first and last tag). */
  containersImage: { oldest: ContainersImageVersion; newest: ContainersImageVersion };
}

/**
 * CRI-O go.mod `github.com/containers/image/v5` at `v1.M.0` and the last `v1.M.x` tag
 * (pseudo-versions read as their base: `v5.25.1-0.2024…` is 5.25).
 */
export const OPENSHIFT_CONTAINERS_IMAGE: readonly HostContainersImage[] = [
  { openshift: '4.12', crio: '1.25', containersImage: { oldest: '5.22', newest: '5.25' } },
  { openshift: '4.13', crio: '1.26', containersImage: { oldest: '5.23', newest: '5.24' } },
  { openshift: '4.14', crio: '1.27', containersImage: { oldest: '5.25', newest: '5.25' } },
  { openshift: '4.15', crio: '1.28', containersImage: { oldest: '5.27', newest: '5.27' } },
  { openshift: '4.16', crio: '1.29', containersImage: { oldest: '5.29', newest: '5.29' } },
  { openshift: '4.17', crio: '1.30', containersImage: { oldest: '5.29', newest: '5.29' } },
  { openshift: '4.18', crio: '1.31', containersImage: { oldest: '5.32', newest: '5.32' } },
  { openshift: '4.19', crio: '1.32', containersImage: { oldest: '5.33', newest: '5.34' } },
  { openshift: '4.20', crio: '1.33', containersImage: { oldest: '5.35', newest: '5.35' } },
  { openshift: '4.21', crio: '1.34', containersImage: { oldest: '5.36', newest: '5.36' } },
];

/** The oldest OpenShift minor hostmirror supports, and so the strictest reader it writes for. */
export const OLDEST_SUPPORTED_OPENSHIFT = '4.14';

/** The reader of an OpenShift release version (`4.14.3`, `4.16.0-rc.1`), or undefined if unknown. */
export function hostContainersImage(openshiftVersion: string): HostContainersImage | undefined {
  const minor = /^(\d+\.\d+)(?:\.|$)/.exec(openshiftVersion.trim())?.[1];
  return OPENSHIFT_CONTAINERS_IMAGE.find((entry) => entry.openshift === minor);
}

/** The loading rules of registries.conf that changed between c/image versions. */
export interface ContainersImageRules {
  version: ContainersImageVersion;
  /**
   * ≥ 5.35 trims trailing `/` from mirror locations. Before, postProcessRegistries trimmed a copy
   * (`for _, mir := range reg.Mirrors`; fixed to `mir := &reg.Mirrors[j]` between v5.34.0 and
   * v5.35.0), so `mirror.example.com/ns/` rewrites to `mirror.example.com/ns//repo`, which
   * reference.ParseNamed refuses: the whole pull fails.
   */
  trimsMirrorTrailingSlash: boolean;
  /**
   * ≥ 5.24 counts a v1 table that is present but empty (`registries = []`) as v1 content
   * (`hasSetField` replaced `Nonempty` in loadConfigFile between v5.23.0 and v5.24.0), so mixing
   * it with any v2 key is refused, and a drop-in holding it is "not in the v2 format".
   */
  emptyV1TablesCount: boolean;
}

function minorOf(version: ContainersImageVersion): number {
  return Number(version.split('.')[1]);
}

export function containersImageRules(version: ContainersImageVersion): ContainersImageRules {
  if (!/^5\.\d+$/.test(version))
    throw new MirrorFormatError(
      'REGISTRIES_CONF_INVALID',
      `containers/image version ${JSON.stringify(version)} is not 5.MINOR (for example 5.25).`,
      { subject: version },
    );
  const minor = minorOf(version);
  return { version, trimsMirrorTrailingSlash: minor >= 35, emptyV1TablesCount: minor >= 24 };
}

/** The rules a release's hosts read with: the oldest c/image of its CRI-O series. */
export function containersImageRulesForOpenShift(
  openshiftVersion: string,
): (ContainersImageRules & { host: HostContainersImage }) | undefined {
  const host = hostContainersImage(openshiftVersion);
  if (host === undefined) return undefined;
  return { ...containersImageRules(host.containersImage.oldest), host };
}

/** The reader assumed when no release is known: the oldest supported OpenShift's. */
export const DEFAULT_CONTAINERS_IMAGE: ContainersImageVersion = '5.25';
