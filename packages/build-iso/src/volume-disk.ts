import { canonicalAddress } from '@hostmirror/boot-sequence';
import type { ClusterConfig, ClusterHost } from './cluster-config.ts';
import { BuildIsoError } from './errors.ts';

/**
 * The mirror volume on a second disk of a host must survive the install: the agent installer
 * writes CoreOS to the disk `rootDeviceHints` select, and without hints to the first disk that
 * meets the requirements, which can be the volume's (openshift/installer
 * `pkg/types/agent` `Host.RootDeviceHints`, the metal3 `RootDeviceHints` fields). A hint that
 * names one disk (`deviceName`, `hctl`, `serialNumber`, `wwn`, `wwnWithExtension`,
 * `wwnVendorExtension`) keeps it away from the volume; `model`, `vendor`, `minSizeGigabytes` and
 * `rotational` alone can match the volume's disk as well.
 */
export const DISK_NAMING_HINTS = [
  'deviceName',
  'hctl',
  'serialNumber',
  'wwn',
  'wwnWithExtension',
  'wwnVendorExtension',
] as const;

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
  }
  return warnings;
}
