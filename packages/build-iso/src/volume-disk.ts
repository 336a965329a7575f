import { canonicalAddress } from '@hostmirror/boot-sequence';
import type { ClusterConfig, ClusterHost } from './cluster-config.ts';
import { BuildIsoError } from './errors.ts';

/**
 * The mirror volume on a second disk of a host must survive the install: the agent installer
 * writes CoreOS to the disk `rootDeviceHints` select, and without hints to the first disk that
 * meets the requirements, which can be the volume's (openshift/installer
 * `pkg/types/agent` `Host.RootDeviceHints`, the metal3 `RootDeviceHints` fields). The agent flow
 * picks the disk with assisted-service's `GetAcceptableDisksWithHints`
 * (openshift/assisted-service `internal/host/hostutil/host_utils.go` at 28f2b80b): every hint
 * set must hold (AND); `deviceName` must equal the disk's path or its by-path link, `hctl`,
 * `serialNumber` and `wwn` must be equal, `model`/`vendor` need only be contained,
 * `minSizeGigabytes` and `rotational` compare. `wwnWithExtension` and `wwnVendorExtension` are
 * not checked there (commented out), so they do not pin a disk. A hint that names one disk
 * (`deviceName`, `hctl`, `serialNumber`, `wwn`) keeps it away from the volume; the others alone
 * can match the volume's disk as well.
 */
export const DISK_NAMING_HINTS = ['deviceName', 'hctl', 'serialNumber', 'wwn'] as const;
export type DiskNamingHint = (typeof DISK_NAMING_HINTS)[number];

/** The volume's disk named by the hint kinds that name one disk (build-iso `--volume-disk-hint`). */
export type VolumeDiskHints = Partial<Record<DiskNamingHint, string>>;

/** `KEY=VALUE` (a `--volume-disk-hint`), checked against the hint kinds that name one disk. */
export function parseVolumeDiskHint(text: string, into: VolumeDiskHints = {}): VolumeDiskHints {
  const at = text.indexOf('=');
  const key = at < 0 ? text : text.slice(0, at);
  const value = at < 0 ? '' : text.slice(at + 1);
  if (!(DISK_NAMING_HINTS as readonly string[]).includes(key) || value === '')
    throw new BuildIsoError(
      'VOLUME_DISK_HINT_INVALID',
      `The volume disk hint '${text}' is not KEY=VALUE with KEY one of ${DISK_NAMING_HINTS.join(', ')} (the rootDeviceHints that name one disk).`,
      {
        fix: 'name the disk that holds the volume as agent-config would, e.g. --volume-disk-hint deviceName=/dev/disk/by-path/pci-0000:00:06.0 or serialNumber=…',
      },
    );
  return { ...into, [key]: value };
}

/** A `/dev/disk/by-path/…` name and a kernel name (`/dev/sda`) can name the same disk. */
const byPath = (name: string) => name.startsWith('/dev/disk/by-path/');

/**
 * What the host's naming hints say about the volume's disk. Every hint must hold (AND), so one
 * that cannot match the volume's disk (a different value; for `deviceName` only in the same
 * form) makes it `other`; else one equal to the volume's makes it `same`; else `unknown` (no
 * comparable kind in common).
 */
function compareDisks(
  host: Record<string, unknown>,
  volume: VolumeDiskHints,
): { verdict: 'same' | 'other' | 'unknown'; key?: DiskNamingHint } {
  let same: DiskNamingHint | undefined;
  for (const key of DISK_NAMING_HINTS) {
    const mine = host[key];
    const theirs = volume[key];
    if (typeof mine !== 'string' || mine === '' || theirs === undefined) continue;
    if (mine === theirs) same ??= key;
    else if (key !== 'deviceName' || byPath(mine) === byPath(theirs))
      return { verdict: 'other', key };
  }
  return same === undefined ? { verdict: 'unknown' } : { verdict: 'same', key: same };
}

function describe(host: ClusterHost): string {
  return host.hostname === undefined ? host.jsonPath : `${host.jsonPath} (${host.hostname})`;
}

/**
 * Refuse (`VOLUME_DISK_AMBIGUOUS`, naming the host) a host that carries the volume but whose
 * install disk is not pinned to one disk; returns warnings when agent-config lists no host to
 * check. In mode node0 only node0 (the host with the rendezvous IP) carries the volume.
 */
export function checkVolumeDiskHints(
  cluster: ClusterConfig,
  mode: 'node0' | 'every-node' | 'preload',
  file: string,
  volumeDisk?: VolumeDiskHints,
): string[] {
  if (cluster.hosts.length === 0)
    return [
      `${file} lists no hosts, so whether the installer could pick the disk that holds the mirror volume was not checked: give each host with the volume rootDeviceHints naming its install disk (${DISK_NAMING_HINTS.join(', ')}).`,
    ];
  const rendezvous = canonicalAddress(cluster.rendezvousIP);
  const carriers =
    mode === 'node0'
      ? cluster.hosts.filter((host) =>
          host.addresses.some((address) => {
            try {
              return canonicalAddress(address) === rendezvous;
            } catch {
              return false;
            }
          }),
        )
      : cluster.hosts;
  const warnings: string[] = [];
  if (carriers.length === 0)
    warnings.push(
      `No host of ${file} has the rendezvous IP ${cluster.rendezvousIP} in its networkConfig, so node0's rootDeviceHints were not checked against its mirror volume.`,
    );
  for (const host of carriers) {
    const hints = host.rootDeviceHints ?? {};
    const naming = DISK_NAMING_HINTS.filter((key) => hints[key] !== undefined && hints[key] !== '');
    if (naming.length === 0)
      throw new BuildIsoError(
        'VOLUME_DISK_AMBIGUOUS',
        `${file}: host ${describe(host)} carries the mirror volume (mode ${mode}) but its rootDeviceHints ${host.rootDeviceHints === undefined ? 'are not set' : `(${Object.keys(hints).join(', ') || 'empty'}) do not name one disk`}: the installer may write CoreOS over the volume's disk.`,
        {
          path: file,
          jsonPath: `${host.jsonPath}.rootDeviceHints`,
          fix: `set ${host.jsonPath}.rootDeviceHints.deviceName (a /dev/disk/by-path/… name) or serialNumber, wwn or hctl of the install disk, which must not be the disk holding the volume.`,
        },
      );
    if (volumeDisk === undefined || Object.keys(volumeDisk).length === 0) continue;
    const { verdict, key } = compareDisks(hints, volumeDisk);
    if (verdict === 'same' && key !== undefined)
      throw new BuildIsoError(
        'VOLUME_SAME_DISK',
        `${file}: host ${describe(host)} would install CoreOS on the disk that holds the mirror volume: its rootDeviceHints.${key} is ${String(hints[key])}, as --volume-disk-hint names the volume's disk. The volume is mounted while the agent installs (the registry serves from it), so coreos-installer refuses that disk ("found busy partitions", coreos/coreos-installer src/install.rs), and --save-partlabel, which would keep the partition, cannot be passed through agent-config.`,
        {
          path: file,
          jsonPath: `${host.jsonPath}.rootDeviceHints.${key}`,
          fix: `put the volume on another disk than ${host.jsonPath}'s install disk, or point ${host.jsonPath}.rootDeviceHints at the other disk.`,
        },
      );
    if (verdict === 'unknown')
      warnings.push(
        `${file}: host ${describe(host)} names its install disk by ${naming.join(', ')} and --volume-disk-hint names the volume's disk by ${Object.keys(volumeDisk).join(', ')}: no kind in common (or deviceName in two forms, /dev/… and /dev/disk/by-path/…), so whether they are the same disk was not checked.`,
      );
  }
  return warnings;
}
