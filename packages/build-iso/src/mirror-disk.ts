/**
 * The disk each kind of host needs for the mirror after the install, for `hostmirror budget
 * --mirror …` before any build: the same table build-iso puts in its report (pipeline.ts
 * diskNeeds), from the same inputs — the cluster's install-config.yaml and agent-config.yaml
 * (topology, host counts, rendezvous IP, read as build-iso reads them), the archives' index (the
 * storage tree's size) and the registry program's size.
 */
import { readFile, stat } from 'node:fs/promises';
import { type MirrorMode, planBootSequence, type VolumeAccess } from '@hostmirror/boot-sequence';
import type { DiskNeed } from '@hostmirror/budget';
import { MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { readClusterConfig } from './cluster-config.ts';
import { BuildIsoError } from './errors.ts';
import { findRegistryBinary, resolveArchives } from './inputs.ts';
import { DEFAULT_MODE, diskNeeds } from './pipeline.ts';

export interface MirrorDiskOptions {
  /** The oc-mirror archives or their folders (as build-iso's --mirror). */
  mirror: readonly string[];
  installConfig: string;
  agentConfig: string;
  mode?: MirrorMode;
  volumeAccess?: VolumeAccess;
  /** Mode node0's control-plane copy (default on; off without a registry program). */
  controlPlaneCopy?: boolean;
  /** The registry program the hosts will run (its size is on each serving host's disk); default /usr/bin/docker-registry when installed. */
  registryBinary?: string;
}

async function readConfig(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new BuildIsoError(
      'INPUT_MISSING',
      `Cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code}); check the path.`,
      { path, cause: error },
    );
  }
}

/** The per-host disk table for a cluster and an archive set (see above). */
export async function mirrorDiskNeeds(options: MirrorDiskOptions): Promise<DiskNeed[]> {
  const cluster = readClusterConfig(
    {
      text: await readConfig(options.installConfig, 'install-config'),
      file: options.installConfig,
    },
    { text: await readConfig(options.agentConfig, 'agent-config'), file: options.agentConfig },
  );
  const files = await resolveArchives(options.mirror);
  // The index only (tar headers): nothing of the archive is read here.
  const archive = await MirrorArchive.open(files);
  // As build-iso finds it: the given program, else Debian's docker-registry when installed.
  const program = await findRegistryBinary(options.registryBinary);
  const programBytes = program === undefined ? undefined : (await stat(program)).size;
  const plan = planBootSequence({
    mode: options.mode ?? DEFAULT_MODE,
    topology: cluster.topology,
    controlPlaneReplicas: cluster.controlPlaneReplicas,
    computeReplicas: cluster.computeReplicas,
    rendezvousIP: cluster.rendezvousIP,
    ...(options.volumeAccess === undefined ? {} : { volumeAccess: options.volumeAccess }),
    // As build-iso decides: no program, no copy.
    ...(options.controlPlaneCopy === false || programBytes === undefined
      ? { controlPlaneCopy: false }
      : {}),
  });
  const archiveBytes = (await Promise.all(files.map((file) => stat(file)))).reduce(
    (sum, info) => sum + info.size,
    0,
  );
  return diskNeeds(plan, archive, archiveBytes, programBytes ?? 0);
}
