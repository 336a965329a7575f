import { compareVersions, ElfError, type ElfProgram, readElfProgram } from './elf.ts';
import { BuildIsoError } from './errors.ts';

/**
 * Will the registry program run on the live ISO's hosts? The live system is the ISO's own
 * CoreOS; the program rides in the initrd overlay and runs there as it is, so it must be an ELF
 * program for the ISO's architecture, and either static or dynamic against nothing but glibc at
 * versions that CoreOS's glibc provides. The OS is read from the ISO's volume id, which is the
 * `coreos.liveiso=` value every CoreOS live ISO boots with (coreos-installer `src/live`): cheap
 * (it is in the primary volume descriptor) and exact for RHCOS.
 */

/** What the ISO's volume id says about its OS. */
export interface TargetOs {
  volumeId: string;
  /** `RHEL CoreOS 9.4`, `Fedora CoreOS 38`, or null when the volume id is not one we read. */
  name: string | null;
  /** The glibc version that OS ships (a lower bound for Fedora), or null when unknown. */
  glibc: string | null;
}

/**
 * glibc of each RHEL major release: RHEL 8 ships glibc 2.28, RHEL 9 glibc 2.34, RHEL 10 glibc
 * 2.39 (Red Hat's release notes for each; the versions never change within a major release).
 */
const RHEL_GLIBC: Record<string, string> = { '8': '2.28', '9': '2.34', '10': '2.39' };

/**
 * The OS of a CoreOS live ISO from its volume id:
 * - RHCOS before 4.19: `rhcos-<OCP 4XY>.<RHEL major><minor>.<timestamp>-<n>`, e.g.
 *   `rhcos-418.94.202501221327-0` is RHEL 9.4 (the build streams are named `4.18-9.4`);
 *   `rhcos-412.86.…` is RHEL 8.6.
 * - RHCOS from 4.19: `rhcos-<RHEL major>.<minor>.<date>-<n>`, e.g. `rhcos-9.6.20250701-0`.
 * - SCOS: `scos-<OCP>.<CentOS Stream major>.…`: CentOS Stream ships its RHEL's glibc.
 * - Fedora CoreOS: `fedora-coreos-<Fedora>.<date>.…`; Fedora N ships glibc 2.(N-1) from 28 on.
 */
export function targetOsFromVolumeId(volumeId: string): TargetOs {
  const old = /^rhcos-4\d{1,2}\.(\d)(\d+)\.\d{8,14}-\d+$/.exec(volumeId);
  const aligned = /^rhcos-(\d{1,2})\.(\d+)\.\d{8}-\d+$/.exec(volumeId);
  const rhel = old ?? aligned;
  if (rhel?.[1] !== undefined)
    return {
      volumeId,
      name: `RHEL CoreOS ${rhel[1]}.${rhel[2]}`,
      glibc: RHEL_GLIBC[rhel[1]] ?? null,
    };
  const scos = /^scos-4\d{1,2}\.(\d{1,2})\./.exec(volumeId);
  if (scos?.[1] !== undefined)
    return {
      volumeId,
      name: `CentOS Stream CoreOS ${scos[1]}`,
      glibc: RHEL_GLIBC[scos[1]] ?? null,
    };
  const fedora = /^fedora-coreos-(\d{2})\.\d{8}\./.exec(volumeId);
  if (fedora?.[1] !== undefined) {
    const release = Number(fedora[1]);
    return {
      volumeId,
      name: `Fedora CoreOS ${release}`,
      glibc: release >= 28 ? `2.${release - 1}` : null,
    };
  }
  return { volumeId, name: null, glibc: null };
}

/** glibc's own shared objects: on every CoreOS host, in the same package as libc.so.6. */
const GLIBC_LIBRARIES = new Set([
  'libc.so.6',
  'libpthread.so.0',
  'libdl.so.2',
  'libm.so.6',
  'librt.so.1',
  'libresolv.so.2',
  'ld-linux-x86-64.so.2',
  'ld-linux-aarch64.so.1',
  'ld64.so.2',
  'ld64.so.1',
]);

/** What was checked, for the report. */
export interface RegistryVetting {
  architecture: string;
  linkage: 'static' | 'dynamic';
  /** Highest GLIBC_x.y the program needs, or null (static, or no versioned glibc symbols). */
  glibcNeeded: string | null;
  os: TargetOs;
  /** False when the ISO's OS could not be told from its volume id: glibc was not checked. */
  glibcChecked: boolean;
}

const FIX =
  'Pass --registry-binary with a static distribution registry (for example `CGO_ENABLED=0 go build ./cmd/registry` from github.com/distribution/distribution), or build from an archive whose release carries the docker-registry image (OpenShift 4.21 and later) and leave --registry-binary out.';

function highestGlibc(program: ElfProgram): string | null {
  let highest: string | null = null;
  for (const names of Object.values(program.versions))
    for (const name of names) {
      const match = /^GLIBC_(\d+(?:\.\d+)*)$/.exec(name);
      if (match?.[1] !== undefined && (highest === null || compareVersions(match[1], highest) > 0))
        highest = match[1];
    }
  return highest;
}

/**
 * Refuse a program that cannot run on the ISO's hosts (`REGISTRY_BINARY_UNFIT`, naming the
 * program, what it needs, what the ISO has, and the fix); return what was checked.
 */
export async function vetRegistryProgram(
  path: string,
  architecture: string,
  os: TargetOs,
): Promise<RegistryVetting> {
  let program: ElfProgram;
  try {
    program = await readElfProgram(path);
  } catch (error) {
    if (error instanceof ElfError)
      throw new BuildIsoError('REGISTRY_BINARY_UNFIT', `${error.message} ${FIX}`, {
        fix: FIX,
        path: error.path,
        offset: error.offset,
        cause: error,
      });
    throw error;
  }
  const programArchitecture =
    program.machine === 21 && !program.littleEndian ? 'ppc64 (big-endian)' : program.architecture;
  if (program.bits !== 64 || programArchitecture !== architecture)
    throw new BuildIsoError(
      'REGISTRY_BINARY_UNFIT',
      `The registry program ${path} is a ${program.bits}-bit ${programArchitecture ?? `ELF machine ${program.machine}`} program, but the ISO's hosts are ${architecture}. ${FIX}`,
      { path, fix: FIX },
    );
  const linkage =
    program.interpreter === null && program.needed.length === 0 ? 'static' : 'dynamic';
  const glibcNeeded = highestGlibc(program);
  const vetting = { architecture, linkage, glibcNeeded, os, glibcChecked: false } as const;
  if (linkage === 'static') return { ...vetting, glibcChecked: true };
  const foreign = program.needed.filter((library) => !GLIBC_LIBRARIES.has(library));
  if (foreign.length > 0)
    throw new BuildIsoError(
      'REGISTRY_BINARY_UNFIT',
      `The registry program ${path} needs ${foreign.join(', ')}, which only the program is carried without: the live ISO has nothing but its own libraries, and glibc's are the only ones it surely has. ${FIX}`,
      { path, fix: FIX },
    );
  if (os.glibc === null) return vetting;
  if (glibcNeeded !== null && compareVersions(glibcNeeded, os.glibc) > 0)
    throw new BuildIsoError(
      'REGISTRY_BINARY_UNFIT',
      `The registry program ${path} is dynamically linked and needs GLIBC_${glibcNeeded}, but the ISO (volume id ${os.volumeId}: ${os.name}) has glibc ${os.glibc}: it would not start on the hosts ("version \`GLIBC_${glibcNeeded}' not found"). ${FIX}`,
      { path, fix: FIX },
    );
  return { ...vetting, glibcChecked: true };
}
