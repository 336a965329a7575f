/**
 * Disk each host needs for the mirror after the install (issue #15 item 1: every control-plane
 * node serves from its own disk). Two places, term by term:
 *
 * - the mirror volume (the `data` partition coreos-installer keeps): the archives, the registry
 *   storage tree unpacked beside them (read-write volume), and the registry program and TLS pair
 *   the live ISO keeps there for the installed system;
 * - the install disk: the registry program restored to `/usr/local/bin`, and, for a read-only
 *   volume, the storage tree unpacked into `/var/lib/hostmirror` at the first boot.
 *
 * A host that does not serve needs neither (its configuration is a few KiB). In mode node0 the
 * other control-plane nodes copy node0's storage tree onto their install disk after the install
 * (boot-sequence's sync step), so each needs the tree's size there, and no volume. Upstream's
 * registry-less design budgets "at least ~60Gb per release" on each control-plane node for the
 * same content (openshift/enhancements
 * enhancements/agent-installer/simplified-registry-less-cluster-operations.md, "Storage
 * requirements", at 019ed2a8); here the figure is the build's own archives.
 */
import { tmpfsPageBytes } from './constants.ts';
import { tmpfsFileBytes } from './footprint.ts';
import { formatBytes, requireBytes } from './sizes.ts';

/**
 * What the unpacked registry storage tree takes (in 4 KiB pages or ext4 blocks, the same unit):
 * every blob, and a page for each other member (links, small JSON files). Members outside
 * docker/registry/v2 are not unpacked, so this is an upper bound. The one figure for the live
 * RAM of a read-only volume, the disk table, and the free space the control-plane copy checks.
 */
export function registryTreeBytes(archive: {
  blobs(): readonly { size: number }[];
  chunks: readonly { members: number }[];
}): number {
  const blobs = archive.blobs();
  const members = archive.chunks.reduce((sum, chunk) => sum + chunk.members, 0);
  return (
    blobs.reduce((sum, blob) => sum + tmpfsFileBytes(blob.size), 0) +
    Math.max(0, members - blobs.length) * tmpfsPageBytes
  );
}

/** ext4's allocation unit: each file takes whole 4 KiB blocks. */
export const diskBlockBytes = 4096;
/** The TLS pair and its folder on the volume and the install disk: a few blocks. */
const tlsPairBytes = 3 * diskBlockBytes;

export interface DiskNeedInputs {
  /** Which host, for the report (`node0 (the rendezvous host)`, `masters (×2)`). */
  host: string;
  /** Whether this host serves the mirror after the install (it carries the volume, or a copy). */
  serves: boolean;
  /**
   * Mode node0's control-plane copy: this host has no volume and copies node0's storage tree
   * onto its install disk (`/var/lib/hostmirror`) after the install, with the registry program.
   */
  copiesFromNode0?: boolean;
  /** `read-write` (default): the tree is unpacked onto the volume; `read-only`: onto the install disk. */
  volumeAccess?: 'read-write' | 'read-only';
  /** The archives' total size (they sit on the volume). */
  archiveBytes: number;
  /** The unpacked registry storage tree (blobs and small files, in whole blocks). */
  registryTreeBytes: number;
  /** The registry program's size. */
  registryProgramBytes: number;
}

export interface DiskTerm {
  label: string;
  bytes: number;
}

export interface DiskPlace {
  /** `mirror volume` or `install disk`. */
  label: string;
  terms: DiskTerm[];
  totalBytes: number;
}

export interface DiskNeed {
  host: string;
  serves: boolean;
  /** Serves its copy of node0's storage, from its install disk (mode node0). */
  copiesFromNode0: boolean;
  volume: DiskPlace;
  installDisk: DiskPlace;
}

function place(label: string, terms: DiskTerm[]): DiskPlace {
  return { label, terms, totalBytes: terms.reduce((sum, term) => sum + term.bytes, 0) };
}

/** A file's size on ext4: whole blocks. */
export function diskFileBytes(size: number): number {
  return Math.ceil(requireBytes(size, 'file size') / diskBlockBytes) * diskBlockBytes;
}

/** What one kind of host needs on its volume and its install disk for the mirror. */
export function computeDiskNeed(inputs: DiskNeedInputs): DiskNeed {
  const archives = requireBytes(inputs.archiveBytes, 'archiveBytes');
  const tree = requireBytes(inputs.registryTreeBytes, 'registryTreeBytes');
  const program = diskFileBytes(inputs.registryProgramBytes);
  const readOnly = inputs.volumeAccess === 'read-only';
  if (!inputs.serves)
    return {
      host: inputs.host,
      serves: false,
      copiesFromNode0: false,
      volume: place('mirror volume', []),
      installDisk: place('install disk', []),
    };
  if (inputs.copiesFromNode0 === true)
    return {
      host: inputs.host,
      serves: true,
      copiesFromNode0: true,
      volume: place('mirror volume', []),
      installDisk: place('install disk', [
        {
          label: 'registry program (/usr/local/bin/hostmirror-registry, from node0) and TLS pair',
          bytes: program + tlsPairBytes,
        },
        { label: "copy of node0's registry storage tree (/var/lib/hostmirror)", bytes: tree },
      ]),
    };
  return {
    host: inputs.host,
    serves: true,
    copiesFromNode0: false,
    volume: place('mirror volume', [
      { label: 'the archives', bytes: archives },
      ...(readOnly
        ? []
        : [
            { label: 'registry storage tree (hostmirror/registry)', bytes: tree },
            {
              label: 'registry program and TLS pair (hostmirror/bin, tls)',
              bytes: program + tlsPairBytes,
            },
          ]),
    ]),
    installDisk: place('install disk', [
      {
        label: 'registry program (/usr/local/bin/hostmirror-registry) and TLS pair',
        bytes: program + tlsPairBytes,
      },
      ...(readOnly ? [{ label: 'registry storage tree (/var/lib/hostmirror)', bytes: tree }] : []),
    ]),
  };
}

/** The disk needs as a table, one block per kind of host. */
export function formatDiskNeeds(needs: readonly DiskNeed[]): string {
  const lines = ['Disk for the mirror after the install (per host):'];
  for (const need of needs) {
    if (!need.serves) {
      lines.push(`  ${need.host}: does not serve the mirror; no disk beyond its configuration`);
      continue;
    }
    lines.push(
      need.copiesFromNode0
        ? `  ${need.host}: copies node0's storage after the install and serves it from its install disk`
        : `  ${need.host}: serves the mirror from its own disk`,
    );
    for (const where of [need.volume, need.installDisk]) {
      lines.push(`    ${where.label}: ${formatBytes(where.totalBytes)}`);
      for (const term of where.terms)
        lines.push(`      ${formatBytes(term.bytes).padStart(12)}  ${term.label}`);
    }
  }
  return lines.join('\n');
}
