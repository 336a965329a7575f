/**
 * `buildMirrorIso`: from a CoreOS live ISO, install-config.yaml + agent-config.yaml, oc-mirror
 * archive(s) and a registry program to a mirror-mode ISO (docs/design.md#command, docs/design.md#mirror-mode, docs/design.md#budget). Everything is
 * read, composed and checked first (configs, archive index, release, mirror check, manifest,
 * live Ignition, overlay, budget); only then are outputs written, each whole or not at all,
 * the report last. The input ISO is only read.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWorkFolder, writeFileAtomic } from '@hostmirror/atomic-file';
import {
  assembleBootAssets,
  type BootAssets,
  type BootPlan,
  bootFileSet,
  bootRegistriesConf,
  type MirrorMode,
  mirrorTlsHosts,
  planBootSequence,
  READ_ONLY_DATA_DIR,
  registryEndpoint,
  renderBootText,
  renderManifest,
  unitOf,
  type VolumeAccess,
  volumeArchiveNames,
} from '@hostmirror/boot-sequence';
import {
  assertWithinBudget,
  type BudgetInputs,
  type BudgetReport,
  computeBudget,
  computeDiskNeed,
  type DiskNeed,
  formatBudgetTable,
  formatBytes,
  formatDiskNeeds,
  type HostRole,
  measureInitrdSource,
  measureRootfs,
  minimumRamBytes,
  node0LivePullReserveBytes,
  registryTreeBytes,
  unpackedTmpfsBytes,
} from '@hostmirror/budget';
import type { Codec } from '@hostmirror/codecs';
import { type ErrorJson, isHostmirrorError } from '@hostmirror/errors';
import type { MirrorKeys, MirrorRule } from '@hostmirror/host-config';
import type { IgnitionConfig } from '@hostmirror/ignition';
import {
  buildOverlay,
  type InitrdListing,
  readInitrd,
  type VerifyReport,
  verifyInitrd,
} from '@hostmirror/initrd';
import {
  CoreosIso,
  customizeLiveInitrd,
  encodeEmbedArea,
  IGNITION_MEMBER,
  INITRD_NETWORK_DIR,
  type IsoCopy,
  type IsoEdit,
  IsoImage,
  ignitionAreaPatch,
  startIsoCopy,
} from '@hostmirror/iso';
import {
  type ClusterResources,
  describeMissing,
  describeStale,
  judgeCompleteness,
  type MirrorArchive,
  MirrorArchive as MirrorArchiveClass,
} from '@hostmirror/oc-mirror-archive';
import { checkMirror, type MirrorCheckReport } from '@hostmirror/preflight';
import {
  AGENT_EXTRA_MANIFESTS_DIR,
  type AgentRelease,
  agentReleaseImage,
  agentTagRepositories,
  chooseAgentRelease,
  ignitionFile,
  isAgentConfig,
} from './agent-iso.ts';
import { type ExtraIgnition, overlaySpec } from './boot-artifacts.ts';
import { type ClusterConfig, checkClusterForRelease, readClusterConfig } from './cluster-config.ts';
import { BuildIsoError } from './errors.ts';
import { digestFileOffThread, type FileDigestResult } from './file-digest-worker.ts';
import {
  findRegistryBinary,
  kernelArchitecture,
  resolveArchives,
  sha256Bytes,
  sha256File,
} from './inputs.ts';
import { checkDigestSources, hostMirrorRules } from './install-config.ts';
import { composeLiveConfig, readEmbeddedConfig } from './live-config.ts';
import { imageSetConfigText, type ManifestFile } from './manifests.ts';
import {
  type PxeArtifacts,
  pxeArtifactPaths,
  refuseExisting,
  refuseOutputIsInput,
  writeFolderAtomic,
  writeIsoHashed,
  writePxeArtifacts,
} from './outputs.ts';
import {
  chooseOverlayCodec,
  KERNEL_VERSION_MAX_BYTES,
  kernelReleaseOf,
  kernelVersionOffset,
} from './overlay-codec.ts';
import { extractPayloadRegistry, type PayloadRegistry } from './payload-registry.ts';
import {
  type RegistryVetting,
  targetOsFromVolumeId,
  vetRegistryProgram,
} from './registry-program.ts';
import { chooseRelease, RELEASE_OVERRIDE_VARIABLE, type ReleaseChoice } from './release.ts';
import {
  chooseMirrorTls,
  drawKeysAhead,
  refuseOtherCa,
  type TlsChoice,
  type TlsSource,
  tlsDirCaRefuses,
  writeTlsDir,
} from './tls-source.ts';
import { buildIsoVersion, REPORT_SCHEMA_VERSION } from './version.ts';
import { checkVolumeDiskHints, type VolumeDiskHints } from './volume-disk.ts';

/**
 * What each step of `buildMirrorIso` hands to the next: named so a reader sees a step's
 * contract without reading its body, and so a change to one breaks the steps that use it.
 */

/** Step 1: install-config.yaml and agent-config.yaml, read once. */
export interface ConfigsStep {
  installText: string;
  agentText: string;
  cluster: ClusterConfig;
  /** sha256 of the files' bytes (not of re-encoded text), for the report. */
  configDigests: { installConfig: FileDigest; agentConfig: FileDigest };
}

/** Step 2: what the input ISO's kernel says about its architecture, and its live initrd. */
export interface IsoStep {
  /** From the kernel's boot header; undefined when the ISO's kernel does not say. */
  kernelArch: string | undefined;
  /** The kernel's release from its x86 boot header (`kernel_version`); null when it does not say. */
  kernelRelease: string | null;
  initrd: NonNullable<CoreosIso['metadata']['initrd']>;
}

/** Steps 3–4: the archives indexed, the release chosen and the mirror proven to serve the cluster. */
export interface MirrorStep {
  /** The chunks, in the order they are read and unpacked. */
  archivePaths: string[];
  archive: MirrorArchive;
  resources: ClusterResources;
  release: ReleaseChoice;
  /** `name:port` the hosts serve the mirror at. */
  host: string;
  /** The hosts' mirror rules: one decision for registries.conf, the manifests and the agent ISO. */
  rules: MirrorRule[];
  /** The registries.conf drop-in the hosts get (rendered from `rules`). */
  registriesConf: string;
  /** The mirror check over `registriesConf` (failures only pass with --ignore-mirror-check). */
  check: MirrorCheckReport;
  /** Stale cache repositories (the completeness rule) the boot's unpack step leaves out. */
  skipRepositories: string[];
}

/** Step 5: digests of what goes onto the hosts, and the registry program (vetted) if any. */
/** Where the registry program came from; null when there is none (the demo without one). */
export type RegistrySource = 'payload' | 'given' | 'default' | null;

export interface InputsStep {
  /** sha256 of each archive chunk: the volume's manifest, checked at boot. */
  archives: FileDigest[];
  registryBinary: string | undefined;
  registryDigest: FileDigest | null;
  /** Where the program came from: the release's docker-registry image, --registry-binary, or the default path. */
  registrySource: RegistrySource;
  /** The release image it was streamed out of, when `registrySource` is `payload`. */
  payload: PayloadRegistry | null;
  vetting: RegistryVetting | null;
  /** `--ignition` configs, merged into the live config in order. */
  extras: ExtraIgnition[];
  extraDigests: FileDigest[];
  /** `--network-keyfile` files (name and bytes), and their digests for the report. */
  keyfiles: IgnitionBytes[];
  keyfileDigests: FileDigest[];
}

/** Step 6: the boot plan, its assets and the live Ignition, and where that config rides. */
export interface BootStep {
  plan: BootPlan;
  assets: BootAssets;
  /** The mirror's CA and server pair, and where they came from (tls-source.ts). */
  tlsChoice: TlsChoice;
  /** The input ISO's own config (an agent ISO's) with this build's agent changes, if any. */
  base: IgnitionConfig | undefined;
  live: { config: IgnitionConfig; text: string };
  /** The xz newc archive for the Ignition embed area; empty when the config rides in the initrd. */
  embedArchive: Buffer;
  /**
   * NetworkManager keyfiles for the live initramfs (`etc/coreos-firstboot-network/NAME`): those
   * the input ISO embeds, then `--network-keyfile` ones; beside config.ign wherever it rides.
   */
  network: Map<string, Buffer>;
  carrier: 'embed-area' | 'initrd';
  manifests: readonly ManifestFile[];
  /** What this build wrote into an agent ISO's config (for the report). */
  agentChanges: string[];
}

/** Step 7: the initrd overlay in the work folder, verified with the kernel's rules. */
export interface OverlayStep {
  path: string;
  digest: FileDigest;
  verdict: VerifyReport;
}

/** Step 9: the ISO written in one pass; both digests from the writer's taps. */
export interface IsoWriteStep {
  output: FileDigest;
  inputSha256: string;
  /** `--kargs-append`, plus `fips=1` when install-config sets `fips`. */
  kargsAppend: string[];
  /** The written ISO's kargs, read back from it (null when it has no kargs areas). */
  resultKargs: string | null;
}

/** Progress of the long steps; the CLI's progress bar has this shape. */
export interface BuildProgress {
  start(step: string, totalBytes?: number): void;
  advance(bytes: number): void;
  done(): void;
}

/** Enough of the kernel to read its boot header magic. */
const KERNEL_HEAD_BYTES = 4096;

/** The mirror mode when none is given (docs/design.md#mirror-mode: node0 serves, the others pull from it). */
export const DEFAULT_MODE: MirrorMode = 'node0';

const silentProgress: BuildProgress = { start() {}, advance() {}, done() {} };

export interface BuildMirrorIsoOptions {
  /** The CoreOS live ISO (only read). */
  iso: string;
  installConfig: string;
  agentConfig: string;
  /** oc-mirror v2 archive chunks, or folders holding them. */
  mirror: string[];
  /** The ISO to write. */
  output: string;
  /** The registry program; default `defaultRegistryBinary` when installed. */
  registryBinary?: string;
  /** Where to look when `registryBinary` is not given (default /usr/bin/docker-registry). */
  defaultRegistryBinary?: string;
  /**
   * Build even when no registry program is found (the demo on a bare machine): the ISO then
   * carries the boot sequence but cannot serve, and the report says so.
   */
  allowMissingRegistry?: boolean;
  mode?: MirrorMode;
  /** The volume's GPT partition name / filesystem label (default `data`, as volume prepare writes it). */
  volumeLabel?: string;
  /**
   * `read-write` (default): the hosts unpack the registry storage onto the volume.
   * `read-only`: the volume is mounted `-o ro` and never written; each serving host unpacks
   * into `/var/lib/hostmirror`, which on the live ISO is RAM (the budget counts it).
   */
  volumeAccess?: VolumeAccess;
  /**
   * Mode node0: copy node0's registry storage to the other control-plane nodes after the install
   * (boot-sequence's sync step). Default on where there is another control-plane node; it needs
   * the registry program (its digest goes into the master MachineConfig).
   */
  controlPlaneCopy?: boolean;
  /**
   * The disk that holds the volume, named by the rootDeviceHints kinds that name one disk
   * (`deviceName`, `hctl`, `serialNumber`, `wwn`): a host with the volume whose hints name the
   * same disk is refused (`VOLUME_SAME_DISK`); build-iso cannot see the hosts' disks otherwise.
   */
  volumeDisk?: VolumeDiskHints;
  /**
   * NetworkManager keyfiles for the live system (coreos-installer's `--network-keyfile`): put
   * beside the live config as `etc/coreos-firstboot-network/<file name>`; needs the ISO's
   * `live-initrd-network` feature. Keyfiles the input ISO embeds already are kept.
   */
  networkKeyfiles?: readonly string[];
  /**
   * Extra Ignition configs merged on top of the mirror's, in order: a path, or bytes already read
   * (the CLI's `--ignition -` from stdin) with the name messages and the report give them.
   */
  ignition?: ReadonlyArray<string | IgnitionBytes>;
  kargsAppend?: string[];
  compress?: Codec;
  /** Release pull spec; default OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE, else the archive's only release. */
  releaseImage?: string;
  /** Build although the mirror check fails (recorded in the report). */
  ignoreMirrorCheck?: boolean;
  /** RAM of the smallest host, for the budget; default the agent flow's minimum for the role. */
  ramBytes?: number;
  /**
   * Count node0's day-1 bootstrap in its live /var (OCPBUGS-62790: 9.4 GiB of tmpfs at peak, of
   * which installer PR #10133 keeps the ostree checkout in its own 5 GiB tmpfs). Default true;
   * false leaves it out, and the report then says it was not counted.
   */
  reserveLivePulls?: boolean;
  pxeDir?: string;
  /** Absolute base URL where the PXE files will be served (for the iPXE script). */
  pxeBaseUrl?: string;
  manifestsDir?: string;
  imageSetConfig?: string;
  report?: string;
  /** Replace existing outputs (the CLI's `-f`). */
  overwrite?: boolean;
  /** The environment (SOURCE_DATE_EPOCH, the release override); default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * A secret seed for the TLS keys (the CLI reads it from `--tls-seed-file`): the same seed
   * and inputs give the same bytes. Default: random keys, even with SOURCE_DATE_EPOCH (a key
   * derived from the inputs would be anyone's who has them).
   */
  tlsSeed?: string;
  /** A file holding that secret seed (at least 16 bytes; `head -c 32 /dev/urandom | base64`). */
  tlsSeedFile?: string;
  /**
   * A folder for the cluster's CA: import `ca.crt` + `ca.key` from it when present (one CA
   * per cluster across rebuilds), else write the CA this build makes there.
   */
  tlsDir?: string;
  /** Validity of the CA and the registry's certificate, in days (default host-config's, 365). */
  tlsValidityDays?: number;
}

export interface FileDigest {
  path: string;
  size: number;
  sha256: string;
}

export interface BuildReport {
  tool: 'hostmirror build-iso';
  /** The version of hostmirror that built it. */
  toolVersion: string;
  /** The report's shape: `report.schema.json` of this package (REPORT_SCHEMA_VERSION). */
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  ok: true;
  sourceDateEpoch: number | null;
  inputs: {
    iso: FileDigest & { volumeId: string; architecture: string | null };
    installConfig: FileDigest;
    agentConfig: FileDigest;
    archives: FileDigest[];
    registryProgram: FileDigest | null;
    extraIgnition: FileDigest[];
    /** `--network-keyfile` files (keyfiles the input ISO embedded are kept, not listed). */
    networkKeyfiles: FileDigest[];
    embeddedIgnition: 'none' | 'merged';
  };
  /**
   * An agent ISO (openshift-install agent create image): the release its Ignition names, and
   * what this build wrote into that Ignition (extra manifests, registries.conf, CA, units).
   */
  agent: { release: string | null; places: string[]; changes: string[] } | null;
  cluster: Pick<ClusterConfig, 'clusterName' | 'baseDomain' | 'topology' | 'rendezvousIP'> & {
    architecture: string;
  };
  release: ReleaseChoice & { version: string | null };
  mirrorCheck: {
    ok: boolean;
    overridden: boolean;
    images: number;
    failed: number;
    failures: string[];
    warnings: string[];
  };
  registry: {
    canServe: boolean;
    host: string;
    program: string | null;
    /** Where the program came from (`payload`: the release's docker-registry image). */
    source: RegistrySource;
    /** The release image and layer it was streamed out of, for `payload`. */
    payload: Omit<PayloadRegistry, 'path'> | null;
    /** What was checked of the program: architecture, linkage, glibc against the ISO's OS. */
    vetting: RegistryVetting | null;
    reason: string | null;
    tlsReproducible: boolean;
  };
  /** The mirror's CA: where it came from, its fingerprint, until when it is valid. */
  tls: {
    source: TlsSource;
    caFingerprint: string;
    notAfter: string;
    dir: string | null;
    wroteDir: boolean;
  };
  kargs: { appended: string[]; result: string | null };
  overlay: {
    codec: Codec;
    /** Why this codec: the default, or what proves the ISO's kernel unpacks it. */
    codecReason: string;
    /** The ISO kernel's release from its boot header, or null when the image does not say. */
    kernelRelease: string | null;
    size: number;
    sha256: string;
    entries: string[];
  };
  ignition: {
    size: number;
    sha256: string;
    embedArchiveBytes: number;
    embedAreaBytes: number;
    /**
     * Where the live config rides: the ISO's Ignition embed area, or (too large for it)
     * `/config.ign` in the initrd overlay, with the embed area left empty.
     */
    carrier: 'embed-area' | 'initrd';
  };
  budget: BudgetReport[];
  /** Disk each kind of host needs for the mirror after the install (volume and install disk). */
  disk: DiskNeed[];
  bootPlan: BootPlan;
  /** The ISO, and the companions asked for (`report`, `pxe/…`, `manifests/…`, `imageSetConfig`). */
  outputs: { iso: FileDigest } & Record<string, FileDigest>;
  warnings: string[];
  timingsMs: Record<string, number>;
}

export interface BuildResult {
  report: BuildReport;
  budgetTable: string;
  diagram: string;
}

/** SOURCE_DATE_EPOCH as a number, or undefined when unset (reproducible-builds.org spec). */
export function sourceDateEpoch(env: NodeJS.ProcessEnv): number | undefined {
  const value = env.SOURCE_DATE_EPOCH;
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value))
    throw new BuildIsoError(
      'CONFIG_INVALID',
      `SOURCE_DATE_EPOCH=${value} is not a whole number of seconds; unset it or give seconds since 1970.`,
    );
  return Number(value);
}

class Timer {
  readonly timings: Record<string, number> = {};
  #last = performance.now();

  lap(step: string): void {
    const now = performance.now();
    this.timings[step] = Math.round(now - this.#last);
    this.#last = now;
  }
}

async function digestOf(
  path: string,
  progress?: BuildProgress,
  label?: string,
): Promise<FileDigest> {
  const { size } = await stat(path);
  progress?.start(label ?? `sha256 ${basename(path)}`, size);
  const sha256 = await sha256File(path, (bytes) => progress?.advance(bytes));
  progress?.done();
  return { path, size, sha256 };
}

/** An input the caller has read already: its bytes and the name to report (`-` for stdin). */
export interface IgnitionBytes {
  name: string;
  bytes: Uint8Array;
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new BuildIsoError(
      'INPUT_MISSING',
      `Cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code}); check the path.`,
    );
  }
}

function checkArchitecture(
  iso: string,
  kernelArch: string | undefined,
  cluster: string,
  release: string | undefined,
): void {
  for (const [what, value] of [
    ['install-config.yaml controlPlane.architecture', cluster],
    ['the release image', release],
  ] as const) {
    if (
      kernelArch !== undefined &&
      value !== undefined &&
      value !== kernelArch &&
      value !== 'multi'
    )
      throw new BuildIsoError(
        'WRONG_ARCH',
        `The ISO ${iso} boots a ${kernelArch} kernel but ${what} is ${value}; use the CoreOS live ISO for ${value}.`,
      );
  }
}

function stemOf(output: string): string {
  const name = basename(output);
  return extname(name) === '.iso' ? name.slice(0, -4) : name;
}

/** What the build knows once its inputs are read (steps 1–3). */
interface BuildContext {
  options: BuildMirrorIsoOptions;
  env: NodeJS.ProcessEnv;
  epoch: number | undefined;
  overwrite: boolean;
  progress: BuildProgress;
  warnings: string[];
  installText: string;
  agentText: string;
  cluster: ClusterConfig;
  iso: CoreosIso;
  kernelArch: string | undefined;
  work: string;
  /** The Ignition config the input ISO embeds (an agent ISO's), if any. */
  embedded: IgnitionConfig | undefined;
  /** Set when `embedded` is an agent ISO's: the release it installs (if it names one). */
  agent: { release: AgentRelease | undefined } | undefined;
  /** The TLS keys, being drawn on the thread pool since the build started (`drawKeysAhead`). */
  keysAhead: Promise<MirrorKeys> | undefined;
  /** The input ISO's sha256, being computed on a worker thread since the ISO was opened. */
  isoDigest: Promise<FileDigestResult>;
  /** The kernel copy of the input ISO to the output, started when the ISO was opened. */
  isoCopy: IsoCopy;
}

async function readConfigs(
  options: BuildMirrorIsoOptions,
  progress: BuildProgress,
): Promise<ConfigsStep> {
  progress.start('reading install-config.yaml and agent-config.yaml');
  const installBytes = await readInput(options.installConfig, 'install-config');
  const agentBytes = await readInput(options.agentConfig, 'agent-config');
  const installText = installBytes.toString('utf8');
  const agentText = agentBytes.toString('utf8');
  const cluster = readClusterConfig(
    { text: installText, file: options.installConfig },
    { text: agentText, file: options.agentConfig },
  );
  progress.done();
  // The report's digests are of the files' bytes, not of the decoded text.
  const configDigests = {
    installConfig: contentDigest(options.installConfig, installBytes),
    agentConfig: contentDigest(options.agentConfig, agentBytes),
  };
  return { installText, agentText, cluster, configDigests };
}

/** The kernel's architecture, and refusal of an ISO without a live initrd. */
async function inspectIso(iso: CoreosIso, path: string, cluster: ClusterConfig): Promise<IsoStep> {
  const { kernel } = iso.metadata;
  const head =
    kernel === undefined
      ? undefined
      : await iso.image.source.read(
          IsoImage.offsetOf(kernel),
          Math.min(KERNEL_HEAD_BYTES, kernel.size),
        );
  const kernelArch = head === undefined ? undefined : kernelArchitecture(head);
  checkArchitecture(path, kernelArch, cluster.architecture, undefined);
  const versionAt = head === undefined ? undefined : kernelVersionOffset(head);
  const kernelRelease =
    kernel === undefined || versionAt === undefined || versionAt >= kernel.size
      ? undefined
      : kernelReleaseOf(
          await iso.image.source.read(
            IsoImage.offsetOf(kernel) + versionAt,
            Math.min(KERNEL_VERSION_MAX_BYTES, kernel.size - versionAt),
          ),
        );
  if (iso.metadata.initrd === undefined)
    throw new BuildIsoError(
      'INPUT_MISSING',
      `The ISO ${path} has no images/pxeboot/initrd.img; pass a CoreOS live ISO (not a minimal ISO).`,
    );
  return { kernelArch, kernelRelease: kernelRelease ?? null, initrd: iso.metadata.initrd };
}

/** Steps 3–4: index the archives, choose the release, prove the mirror serves the cluster. */
async function checkTheMirror(context: BuildContext): Promise<MirrorStep> {
  const { options, progress, cluster, warnings } = context;
  progress.start('indexing the mirror archives');
  const archivePaths = await resolveArchives(options.mirror);
  const archive = await MirrorArchiveClass.open(archivePaths);
  const { settings } = planBootSequence({
    mode: options.mode ?? DEFAULT_MODE,
    topology: cluster.topology,
    controlPlaneReplicas: cluster.controlPlaneReplicas,
    computeReplicas: cluster.computeReplicas,
    rendezvousIP: cluster.rendezvousIP,
  });
  const host = registryEndpoint(settings);
  // The archive's own mirror sets, or those oc-mirror's disk-to-mirror would write, made from
  // its records; the hosts never contact the sources (they are offline). An agent ISO naming
  // its release by tag pulls it by that tag: the release mirror serves tags.
  const agentRelease = context.agent?.release;
  const tagRepositories = agentTagRepositories(agentRelease);
  const mirrored = await hostMirrorRules(archive, host, { tagRepositories });
  const { rules } = mirrored;
  const { resources } = mirrored.mirror;
  warnings.push(...mirrored.mirror.warnings);
  // The completeness rule (oc-mirror-archive's judgeCompleteness), the one the boot's unpack
  // step follows.
  const completeness = await judgeCompleteness(archive, mirrored.needs);
  progress.done();
  if (!completeness.complete)
    throw new BuildIsoError(
      'MIRROR_INCOMPLETE',
      `The archives lack what the cluster pulls: ${describeMissing(completeness.missing)}`,
    );
  warnings.push(...completeness.stale.map(describeStale));
  // An agent ISO installs the release its Ignition names, whatever else is asked for; a
  // --release-image or OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE must then name the same one.
  const asked =
    (options.releaseImage ?? context.env[RELEASE_OVERRIDE_VARIABLE] ?? '') === ''
      ? undefined
      : chooseRelease(archive, options.releaseImage, context.env, mirrored.sourceOf);
  const release =
    agentRelease === undefined
      ? (asked ?? chooseRelease(archive, undefined, context.env, mirrored.sourceOf))
      : chooseAgentRelease(archive, agentRelease, options.iso, asked);
  // The drop-in the boot sequence renders from these rules (the same text boot-sequence prints).
  const registriesConf = bootRegistriesConf(settings, rules);
  progress.start('checking the mirror (every image the cluster pulls is in the archive)');
  const check = await checkMirror({
    archive,
    registriesConf,
    registriesConfOrigin: 'the registries.conf hostmirror writes for the hosts',
    release: release.reference,
    architectures: [cluster.architecture],
  });
  progress.done();
  checkArchitecture(
    options.iso,
    context.kernelArch,
    cluster.architecture,
    check.release.architecture,
  );
  // The release's own openshift-install decides which control-plane sizes it takes.
  checkClusterForRelease(cluster, check.release.version, options.installConfig);
  if (!check.ok && options.ignoreMirrorCheck !== true)
    throw new BuildIsoError(
      'MIRROR_CHECK_FAILED',
      `The archive does not serve every image the cluster pulls (${check.counts.failed} of ${check.counts.images} fail): ${check.failures
        .slice(0, 3)
        .map((failure) => `${failure.reference}: ${failure.reason ?? failure.code}`)
        .join(
          '; ',
        )}. Mirror again with oc-mirror, or pass --ignore-mirror-check to build anyway (recorded in the report).`,
    );
  if (!check.ok)
    warnings.push(
      `The mirror check failed for ${check.counts.failed} images and was overridden (--ignore-mirror-check).`,
    );
  warnings.push(...check.warnings.map((warning) => warning.message));
  warnings.push(
    ...checkDigestSources(cluster.imageDigestSources, {
      host,
      repositories: archive.repositories(),
      rules,
      file: options.installConfig,
      archive: archivePaths.join(' '),
    }),
  );
  return {
    archivePaths,
    archive,
    resources,
    release,
    host,
    rules,
    registriesConf,
    check,
    skipRepositories: completeness.stale.map((stale) => stale.repository),
  };
}

/** Step 5: the archives' sha256 (the volume's manifest), the registry program, extra configs. */
async function fingerprintInputs(context: BuildContext, mirror: MirrorStep): Promise<InputsStep> {
  const { options, progress, warnings } = context;
  const archives: FileDigest[] = [];
  for (const path of mirror.archivePaths) archives.push(await digestOf(path, progress));
  // The registry program: the one given; else the release's own (4.21+: docker-registry's
  // /usr/bin/distribution); else the default path (Debian's docker-registry).
  let registryBinary: string | undefined;
  let payload: PayloadRegistry | null = null;
  if (options.registryBinary !== undefined)
    registryBinary = await findRegistryBinary(
      options.registryBinary,
      options.defaultRegistryBinary,
    );
  else {
    progress.start('looking for the registry program in the release (docker-registry)');
    const fromRelease = await extractPayloadRegistry(
      mirror.archive,
      mirror.check,
      context.kernelArch ?? context.cluster.architecture,
      context.work,
    );
    progress.done();
    if ('found' in fromRelease) {
      payload = fromRelease.found;
      registryBinary = payload.path;
    } else {
      registryBinary = await findRegistryBinary(undefined, options.defaultRegistryBinary);
      if (registryBinary !== undefined)
        warnings.push(
          `The release's own registry program was not used (${fromRelease.reason}); the ISO carries ${registryBinary} instead.`,
        );
    }
  }
  const registrySource: RegistrySource =
    registryBinary === undefined
      ? null
      : payload !== null
        ? 'payload'
        : options.registryBinary !== undefined
          ? 'given'
          : 'default';
  if (registryBinary === undefined && options.allowMissingRegistry !== true)
    throw new BuildIsoError(
      'REGISTRY_BINARY_MISSING',
      'No registry program: the release carries no docker-registry image with /usr/bin/distribution (OpenShift 4.21 and later do), /usr/bin/docker-registry is not installed and --registry-binary was not given. Pass --registry-binary PATH to a static distribution registry binary.',
    );
  const vetting = registryBinary === undefined ? null : await vetRegistry(context, registryBinary);
  const registryDigest = registryBinary === undefined ? null : await digestOf(registryBinary);
  if (registryBinary === undefined)
    warnings.push(
      'No registry program was found (no --registry-binary, no /usr/bin/docker-registry): this ISO carries the boot sequence but NO registry program, so its hosts cannot serve the mirror. Build again with --registry-binary.',
    );
  const extras: ExtraIgnition[] = [];
  const extraDigests: FileDigest[] = [];
  for (const given of options.ignition ?? []) {
    // Read once: the digest is of the very bytes that are merged.
    const path = typeof given === 'string' ? given : given.name;
    const bytes =
      typeof given === 'string'
        ? await readInput(given, 'Ignition config')
        : Buffer.from(given.bytes);
    extras.push({ origin: path, text: bytes.toString('utf8') });
    extraDigests.push({ path, size: bytes.length, sha256: sha256Bytes(bytes) });
  }
  const keyfiles: IgnitionBytes[] = [];
  const keyfileDigests: FileDigest[] = [];
  for (const path of options.networkKeyfiles ?? []) {
    const bytes = await readInput(path, 'network keyfile');
    keyfiles.push({ name: path, bytes });
    keyfileDigests.push({ path, size: bytes.length, sha256: sha256Bytes(bytes) });
  }
  return {
    keyfiles,
    keyfileDigests,
    archives,
    registryBinary,
    registryDigest,
    registrySource,
    payload,
    vetting,
    extras,
    extraDigests,
  };
}

/** The registry program must run on the ISO's hosts: refused here, before anything is written. */
async function vetRegistry(context: BuildContext, path: string): Promise<RegistryVetting> {
  const os = targetOsFromVolumeId(context.iso.metadata.volumeId);
  const architecture = context.kernelArch ?? context.cluster.architecture;
  const vetting = await vetRegistryProgram(path, architecture, os);
  if (!vetting.glibcChecked)
    context.warnings.push(
      `The registry program ${path} is dynamically linked (glibc ${vetting.glibcNeeded ?? 'unversioned'}), and the ISO's volume id ${os.volumeId} names no CoreOS release whose glibc is known: whether it starts on the hosts was not checked. A static registry program runs on any of them.`,
    );
  return vetting;
}

/**
 * The manifests this build is given that may carry an earlier build's CA: the agent ISO's
 * extra manifests (from openshift-install's openshift/ folder) and what `--manifests-dir`
 * already holds.
 */
async function givenManifests(context: BuildContext): Promise<{ where: string; text: string }[]> {
  const given: { where: string; text: string }[] = [];
  const embedded = context.embedded;
  for (const file of embedded?.storage?.files ?? []) {
    if (embedded === undefined || !file.path.startsWith(`${AGENT_EXTRA_MANIFESTS_DIR}/`)) continue;
    const bytes = ignitionFile(embedded, file.path);
    if (bytes !== undefined)
      given.push({ where: `${file.path} in ${context.options.iso}`, text: bytes.toString('utf8') });
  }
  const folder = context.options.manifestsDir;
  if (folder !== undefined) {
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const name of names.filter((entry) => /\.ya?ml$/.test(entry)).sort()) {
      const text = await readFile(join(folder, name), 'utf8').catch(() => undefined);
      if (text !== undefined) given.push({ where: join(folder, name), text });
    }
  }
  return given;
}

/** Step 6: the boot plan, its assets (TLS, configs, manifest) and the live Ignition. */
async function composeBoot(
  context: BuildContext,
  mirror: MirrorStep,
  inputs: InputsStep,
): Promise<BootStep> {
  const { options, cluster, epoch, iso } = context;
  const planFor = (clusterDomain: string | undefined) =>
    planBootSequence({
      mode: options.mode ?? DEFAULT_MODE,
      topology: cluster.topology,
      controlPlaneReplicas: cluster.controlPlaneReplicas,
      computeReplicas: cluster.computeReplicas,
      rendezvousIP: cluster.rendezvousIP,
      // The installed hosts' second mirror is api-int.<cluster domain>: any control-plane node.
      ...(clusterDomain === undefined ? {} : { clusterDomain }),
      release: { repository: mirror.release.repository, digest: mirror.release.digest },
      ...(options.volumeLabel === undefined ? {} : { volumeLabel: options.volumeLabel }),
      ...(options.volumeAccess === undefined ? {} : { volumeAccess: options.volumeAccess }),
      // No registry program, nothing the other control-plane nodes could run: no copy.
      ...(options.controlPlaneCopy === false || inputs.registryDigest === null
        ? { controlPlaneCopy: false }
        : {}),
    });
  let plan = planFor(`${cluster.clusterName}.${cluster.baseDomain}`);
  const controlPlaneName = plan.settings.controlPlaneName;
  if (
    controlPlaneName !== null &&
    options.tlsDir !== undefined &&
    (await tlsDirCaRefuses(options.tlsDir, controlPlaneName))
  ) {
    // One cluster keeps one CA; a CA made before the control-plane mirror name cannot vouch
    // for it, so this build keeps the single mirror name rather than change the CA.
    context.warnings.push(
      `The CA in --tls-dir ${options.tlsDir} does not permit ${controlPlaneName} (it was made before hostmirror served from every control-plane node), so the installed hosts get one mirror name, ${plan.settings.registryName}, and pull from node0 or their own registry only. For pulls that survive node0 being down, build with a new, empty --tls-dir (a new CA for a new cluster).`,
    );
    plan = planFor(undefined);
  }
  const tlsChoice = await chooseMirrorTls({
    hosts: mirrorTlsHosts(plan.settings),
    ...(options.tlsDir === undefined ? {} : { tlsDir: options.tlsDir }),
    ...(options.tlsSeed === undefined ? {} : { seed: options.tlsSeed }),
    ...(options.tlsSeedFile === undefined ? {} : { seedFile: options.tlsSeedFile }),
    ...(options.tlsValidityDays === undefined ? {} : { validityDays: options.tlsValidityDays }),
    // Passed explicitly: the options' env, not process.env, carries SOURCE_DATE_EPOCH.
    ...(epoch === undefined ? {} : { notBefore: new Date(epoch * 1000) }),
    ...(context.keysAhead === undefined ? {} : { keysAhead: context.keysAhead }),
  });
  refuseOtherCa(await givenManifests(context), tlsChoice);
  const { tls } = tlsChoice;
  const daysLeft = Math.floor((tls.notAfter.getTime() - Date.now()) / 86_400_000);
  if (daysLeft < 30)
    context.warnings.push(
      `The mirror's certificates ${daysLeft < 0 ? 'expired' : 'expire'} on ${tls.notAfter.toISOString()} (${daysLeft} days from now; they start at SOURCE_DATE_EPOCH or now): hosts will refuse the registry${daysLeft < 0 ? '' : ' from then on'}. Build with a later SOURCE_DATE_EPOCH or a longer --tls-validity-days.`,
    );
  // The one boot-asset assembly (boot-sequence's, as `boot-sequence --format ignition` uses).
  const assets = assembleBootAssets(plan.settings, {
    // Named as the volume holds them (a base and its differential runs get run numbers).
    archives: ((names) =>
      inputs.archives.map((file, index) => ({
        name: names[index] as string,
        sha256: file.sha256,
      })))(volumeArchiveNames(inputs.archives.map((file) => file.path))),
    rules: mirror.rules,
    registriesConf: mirror.registriesConf,
    tls: {
      caCertificate: tls.caCertificatePem,
      certificate: tls.serverCertificatePem,
      key: tls.serverKeyPem,
    },
    archive: mirror.archive,
    resources: mirror.resources,
    skipRepositories: mirror.skipRepositories,
    // The control-plane copy names the program node0 publishes (the master MachineConfig).
    ...(inputs.registryDigest === null
      ? {}
      : { registryProgramSha256: inputs.registryDigest.sha256 }),
  });
  renderManifest(assets);
  // One list of manifests for the agent ISO's extra-manifests and for --manifests-dir, and the
  // live config, composed as `boot-sequence --format ignition` composes it (live-config.ts).
  const composed = composeLiveConfig({
    plan,
    assets,
    archive: mirror.archive,
    resources: mirror.resources,
    rules: mirror.rules,
    release: mirror.release,
    embedded: context.embedded,
    iso: options.iso,
    extras: inputs.extras,
  });
  const { manifests, base, live } = composed;
  const agentChanges = composed.agent?.changes ?? [];
  context.warnings.push(...composed.warnings);
  // Network keyfiles the ISO embeds already (coreos-installer `iso network embed` or `iso
  // customize --network-keyfile` put them beside config.ign) are kept; --network-keyfile ones are
  // laid out as coreos-installer's customize does (@hostmirror/iso customizeLiveInitrd: the
  // live-initrd-network feature, file names), a same name replacing the embedded one.
  const network = new Map(
    [...(await iso.embeddedMembers())].filter(([path]) =>
      path.startsWith(`${INITRD_NETWORK_DIR}/`),
    ),
  );
  for (const [path, bytes] of customizeLiveInitrd(
    { networkKeyfiles: inputs.keyfiles },
    iso.metadata.features,
  ).members)
    network.set(path, bytes);
  let embedArchive = await encodeEmbedArea(
    new Map([[IGNITION_MEMBER, Buffer.from(live.text)], ...network]),
  );
  // Too large for the embed area (agent installs with many manifests get there,
  // fedora-coreos-tracker#1595, OCPBUGS-20177): carry config.ign in the initrd overlay instead.
  // On a live boot coreos/fedora-coreos-config overlay.d/05core/usr/lib/dracut/modules.d/
  // 35coreos-ignition/coreos-ignition-setup-user.sh (@04146467) copies `/config.ign` of the
  // initramfs to /usr/lib/ignition/user.ign ("a config.ign via an appended initrd"). The embed
  // area (images/ignition.img, loaded after initrd.img, so its config.ign would win) is left
  // all zeros, as `coreos-installer iso ignition remove` leaves it.
  let carrier: 'embed-area' | 'initrd' = 'embed-area';
  if (embedArchive.length > iso.metadata.ignition.length) {
    context.warnings.push(
      `The live Ignition config (${embedArchive.length} bytes compressed) does not fit the ISO's ${iso.metadata.ignition.length}-byte Ignition embed area: it is carried as /config.ign in the initrd overlay (read by the live initramfs as an appended config) and the embed area is left empty.`,
    );
    embedArchive = Buffer.alloc(0);
    carrier = 'initrd';
  }
  return {
    plan,
    assets,
    tlsChoice,
    base,
    live,
    embedArchive,
    network,
    carrier,
    manifests,
    agentChanges,
  };
}

/** Step 7: the initrd overlay, written to the work folder and verified with the kernel's rules. */
async function buildVerifiedOverlay(
  context: BuildContext,
  registryBinary: string | undefined,
  compress: Codec,
  live: { config: string; network: ReadonlyMap<string, Buffer> } | undefined,
  inventory: string | undefined,
): Promise<OverlayStep> {
  const path = join(context.work, 'hostmirror-overlay.img');
  context.progress.start(`building the initrd overlay (${compress})`);
  // Hashed as it is written, so the overlay is read back once (to verify), not twice.
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    buildOverlay(overlaySpec(registryBinary, compress, live, inventory), {
      baseDir: context.work,
      mtime: context.epoch ?? 0,
    }),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(path),
  );
  const verdict = await verifyInitrd(path);
  const [fault] = verdict.faults;
  if (fault !== undefined)
    throw new BuildIsoError(
      'OVERLAY_INVALID',
      `The initrd overlay breaks a kernel rule at byte ${fault.offset}: ${fault.message}`,
    );
  const digest: FileDigest = { path, size, sha256: hash.digest('hex') };
  context.progress.done();
  return { path, digest, verdict };
}

/**
 * Mode preload copies every archived image into node0's live /var, beside its day-1 bootstrap:
 * when that alone cannot fit, refuse now, from the archive's index, before hours of hashing
 * and building (the full budget, step 8, counts everything else too).
 */
function refuseUnfitPreload(
  context: BuildContext,
  archiveBlobBytes: number,
  registryTree: LiveCopy | null,
): void {
  const { options, cluster } = context;
  if ((options.mode ?? DEFAULT_MODE) !== 'preload') return;
  const role: HostRole = cluster.topology === 'sno' ? 'sno' : 'master';
  assertWithinBudget(
    computeBudget({
      host: 'node0 (the rendezvous host)',
      ramBytes: options.ramBytes ?? minimumRamBytes[role],
      role,
      liveCopies: [
        {
          label: "preload: the archive's images in /var/lib/containers (compressed)",
          bytes: archiveBlobBytes,
        },
        ...(registryTree === null ? [] : [registryTree]),
      ],
      livePullReserveBytes: options.reserveLivePulls !== false ? node0LivePullReserveBytes : 0,
    }),
  );
}

interface LiveCopy {
  label: string;
  bytes: number;
}

/**
 * Disk each kind of host needs for the mirror after the install (budget's computeDiskNeed): a
 * host that carries the volume serves from it (in mode node0 that is node0; in the other modes
 * every host); in mode node0 the other control-plane nodes copy node0's storage onto their
 * install disk (the plan's sync step runs on them); the others need nothing.
 */
export function diskNeeds(
  plan: BootPlan,
  archive: Parameters<typeof registryTreeBytes>[0],
  archiveBytes: number,
  registryProgramBytes: number,
): DiskNeed[] {
  const tree = registryTreeBytes(archive);
  return plan.roles.map((host) =>
    computeDiskNeed({
      host:
        host.role === 'node0' ? 'node0 (the rendezvous host)' : `${host.role}s (×${host.count})`,
      // Mode node0's control-plane copy: the other masters serve node0's storage from their disk.
      serves: host.part === 'server' || host.units.installed.includes(unitOf('sync')),
      copiesFromNode0: host.part !== 'server' && host.units.installed.includes(unitOf('sync')),
      volumeAccess: plan.settings.volumeAccess,
      archiveBytes,
      registryTreeBytes: tree,
      registryProgramBytes,
    }),
  );
}

/**
 * With `--volume-access read-only` each serving host unpacks the registry tree into
 * `/var/lib/hostmirror`, on the live ISO the RAM-backed `/var`: every blob's data file (a tmpfs
 * file takes whole pages) and, at most, a page for every other member of the archives (link
 * files; members outside docker/registry/v2 are not unpacked, so this is an upper bound).
 * null in read-write mode (the tree is on the volume).
 */
export function readOnlyRegistryTree(
  access: VolumeAccess,
  archive: { blobs(): readonly { size: number }[]; chunks: readonly { members: number }[] },
): LiveCopy | null {
  if (access !== 'read-only') return null;
  return {
    label: `read-only volume: registry tree in ${READ_ONLY_DATA_DIR}`,
    bytes: registryTreeBytes(archive),
  };
}

/** Step 8: the budget for an ISO boot (and a PXE boot when PXE files are asked for). */
async function checkBudgets(
  context: BuildContext,
  initrd: NonNullable<CoreosIso['metadata']['initrd']>,
  baseListing: InitrdListing,
  boot: BootStep,
  overlay: OverlayStep,
  registryDigest: FileDigest | null,
  archiveBlobBytes: number,
  registryTree: LiveCopy | null,
): Promise<BudgetReport[]> {
  const { options, iso } = context;
  const liveFiles = bootFileSet(boot.plan, 'live', boot.assets).files.reduce(
    (sum, file) => sum + Buffer.byteLength(file.contents),
    0,
  );
  const preload = boot.plan.settings.mode === 'preload';
  const budgets: BudgetReport[] = [];
  const { rootfs } = iso.metadata;
  // The rootfs measured by budget's one rule (its members unpacked; `hostmirror budget --rootfs`
  // calls the same function), read from the ISO only when PXE files are asked for.
  const pxe =
    options.pxeDir === undefined || rootfs === undefined
      ? undefined
      : {
          rootfs: await measureRootfs(
            iso.image.fileChunks(rootfs),
            'images/pxeboot/rootfs.img',
            rootfs.size,
          ),
          // Empty when the config rides in the overlay instead (too large for the embed area).
          ignition:
            boot.embedArchive.length === 0
              ? []
              : [
                  await measureInitrdSource(
                    Readable.from([boot.embedArchive]),
                    'Ignition archive (PXE initrd segment)',
                    boot.embedArchive.length,
                  ),
                ],
        };
  // One budget per kind of host: the ISO is the same, what each holds is not.
  for (const host of boot.plan.roles) {
    const role: HostRole =
      host.role === 'worker' ? 'worker' : boot.plan.settings.topology === 'sno' ? 'sno' : 'master';
    const node0 = host.role === 'node0';
    // In mode node0 only node0 carries the volume and serves; in the other modes every host.
    const serves = node0 || boot.plan.settings.mode !== 'node0';
    const inputs: BudgetInputs = {
      host: node0 ? 'node0 (the rendezvous host)' : `${host.role}s (×${host.count})`,
      ramBytes: options.ramBytes ?? minimumRamBytes[role],
      role,
      boot: 'iso',
      baseInitrd: {
        name: 'images/pxeboot/initrd.img',
        fileBytes: initrd.size,
        unpackedBytes: unpackedTmpfsBytes(baseListing),
      },
      archives: [
        {
          name: 'hostmirror overlay',
          fileBytes: overlay.digest.size,
          unpackedBytes: unpackedTmpfsBytes(overlay.verdict),
        },
      ],
      liveCopies: [
        ...(registryDigest === null
          ? []
          : [
              {
                label: 'registry program copied to /usr/local/bin by the pre-pivot hook',
                bytes: registryDigest.size,
              },
            ]),
        { label: 'boot-sequence files written by Ignition', bytes: liveFiles },
        // Mode preload copies every archived image into container storage under the live /var.
        ...(preload
          ? [
              {
                label: "preload: the archive's images in /var/lib/containers (compressed)",
                bytes: archiveBlobBytes,
              },
            ]
          : []),
        ...(serves && registryTree !== null ? [registryTree] : []),
      ],
      // node0 bootstraps the cluster on the live ISO on day 1 (OCPBUGS-62790, installer PR #10133).
      livePullReserveBytes:
        node0 && options.reserveLivePulls !== false ? node0LivePullReserveBytes : 0,
      notCounted: [
        ...(preload
          ? [
              'the preloaded layers beyond their compressed size (container storage keeps them unpacked)',
            ]
          : []),
        ...(node0 && options.reserveLivePulls === false
          ? ["node0's day-1 bootstrap in /var (left out with reserveLivePulls: false)"]
          : []),
      ],
      ignitionArchiveBytes: boot.embedArchive.length,
      embedAreaBytes: iso.metadata.ignition.length,
    };
    budgets.push(assertWithinBudget(computeBudget(inputs)));
    if (pxe !== undefined) {
      // PXE: the rootfs is a second initrd, and the Ignition archive is a segment of the PXE
      // initrd (iso's writePxeArtifacts appends it), not the ISO's embed area.
      const { ignitionArchiveBytes: _embedded, embedAreaBytes: _area, ...pxeInputs } = inputs;
      budgets.push(
        assertWithinBudget(
          computeBudget({
            ...pxeInputs,
            boot: 'pxe',
            rootfs: pxe.rootfs,
            archives: [...(inputs.archives ?? []), ...pxe.ignition],
          }),
        ),
      );
    }
  }
  return budgets;
}

/** Step 9: one edit (Ignition area, kargs areas, initrd extension) written and hashed in one pass. */
async function writeTheIso(
  context: BuildContext,
  embedArchive: Buffer,
  overlayPath: string,
): Promise<IsoWriteStep> {
  const { options, iso, progress, cluster } = context;
  const kargsAppend = [...(options.kargsAppend ?? []), ...(cluster.fips ? ['fips=1'] : [])];
  const edits: IsoEdit[] = [
    {
      originalSize: iso.size,
      size: iso.size,
      patches: [ignitionAreaPatch(iso.metadata.ignition, embedArchive)],
      appendices: [],
    },
  ];
  if (kargsAppend.length > 0) edits.push(await iso.planKargs({ append: kargsAppend }));
  edits.push((await iso.planAppendInitrd([overlayPath])).edit);
  const edit = iso.combine(...edits);
  progress.start(`writing ${options.output}`, edit.size);
  let bytesWritten = 0;
  const written = await writeIsoHashed(
    iso,
    edit,
    options.output,
    context.overwrite,
    (done) => {
      progress.advance(done - bytesWritten);
      bytesWritten = done;
    },
    context.isoDigest,
    context.isoCopy,
  );
  progress.done();
  const out = await CoreosIso.open(options.output);
  const resultKargs = await out.currentKargs().finally(() => out.close());
  return { ...written, kargsAppend, resultKargs: resultKargs ?? null };
}

/** Step 10: PXE files, the manifests folder and the ImageSetConfiguration, when asked for. */
async function writeCompanions(
  context: BuildContext,
  mirror: MirrorStep,
  boot: BootStep,
  overlay: OverlayStep,
  resultKargs: string | null,
): Promise<Record<string, FileDigest>> {
  const { options, iso, progress, overwrite } = context;
  const outputs: Record<string, FileDigest> = {};
  if (options.pxeDir !== undefined) {
    await mkdir(options.pxeDir, { recursive: true });
    progress.start('writing the PXE artifacts');
    const pxe: PxeArtifacts = await writePxeArtifacts({
      iso,
      folder: options.pxeDir,
      stem: stemOf(options.output),
      overlayPath: overlay.path,
      ignitionArchive: boot.embedArchive,
      kargs: resultKargs ?? '',
      baseUrl: options.pxeBaseUrl,
      overwrite,
    });
    progress.done();
    for (const name of ['kernel', 'initrd', 'rootfs', 'ipxe'] as const) {
      const file = pxe[name];
      if (file !== undefined) outputs[`pxe-${name}`] = file;
    }
  }
  if (options.manifestsDir !== undefined) {
    const files: readonly ManifestFile[] = boot.manifests;
    await writeFolderAtomic(options.manifestsDir, files, overwrite);
    for (const file of files)
      outputs[`manifests/${file.name}`] = contentDigest(
        join(options.manifestsDir, file.name),
        file.text,
      );
  }
  if (options.imageSetConfig !== undefined) {
    const text = imageSetConfigText(mirror.check.release.version, context.cluster.architecture);
    if (text === undefined)
      throw new BuildIsoError(
        'RELEASE_IMAGE_UNKNOWN',
        `The release ${mirror.release.reference} has no version in its release-metadata, so no ImageSetConfiguration can name it; build without --image-set-config.`,
      );
    await writeFileAtomic(options.imageSetConfig, text, { overwrite });
    outputs.imageSetConfig = contentDigest(options.imageSetConfig, text);
  }
  return outputs;
}

/** The PXE files a build will write (`<stem>-vmlinuz`…), to refuse existing ones up front. */
function pxePaths(options: BuildMirrorIsoOptions): (string | undefined)[] {
  if (options.pxeDir === undefined) return [];
  return Object.values(
    pxeArtifactPaths(options.pxeDir, stemOf(options.output), options.pxeBaseUrl),
  );
}

function contentDigest(path: string, content: string | Uint8Array): FileDigest {
  return { path, size: Buffer.byteLength(content), sha256: sha256Bytes(content) };
}

/** Build the mirror-mode ISO and its companions; returns the report (also written when asked). */
export async function buildMirrorIso(
  options: BuildMirrorIsoOptions,
  progress: BuildProgress = silentProgress,
): Promise<BuildResult> {
  const overwrite = options.overwrite ?? false;
  await refuseExisting(
    [options.output, options.report, options.imageSetConfig, options.manifestsDir],
    overwrite,
  );
  // --pxe-dir is created like --manifests-dir (its parent must exist); files already in it are
  // refused as any other output.
  await refuseExisting([options.pxeDir], true);
  if (options.pxeDir !== undefined && (await stat(options.pxeDir).catch(() => undefined)))
    await refuseExisting(pxePaths(options), overwrite);
  const timer = new Timer();
  try {
    return await buildChecked(options, progress, timer);
  } catch (error) {
    // The outputs were free to write, so the report is too: what failed, and how far it got.
    if (options.report !== undefined)
      await writeFailedReport(options.report, error, timer).catch(() => undefined);
    throw error;
  }
}

/** A build that stopped: `ok: false`, the error as data and the steps it finished. */
export interface FailedBuildReport {
  tool: 'hostmirror build-iso';
  toolVersion: string;
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  ok: false;
  error: ErrorJson;
  timingsMs: Record<string, number>;
}

/** Any thrown value as the report's `error`: a HostmirrorError as its toJSON, else name/code/message. */
export function errorAsJson(error: unknown): ErrorJson {
  if (isHostmirrorError(error)) return error.toJSON();
  const { name = 'Error', message = String(error) } = error instanceof Error ? error : {};
  const code = (error as { code?: unknown } | undefined)?.code;
  const path = (error as { path?: unknown } | undefined)?.path;
  return {
    name,
    code: typeof code === 'string' ? code : 'INTERNAL',
    message,
    ...(typeof path === 'string' ? { path } : {}),
  };
}

async function writeFailedReport(path: string, error: unknown, timer: Timer): Promise<void> {
  const report: FailedBuildReport = {
    tool: 'hostmirror build-iso',
    toolVersion: buildIsoVersion,
    schemaVersion: REPORT_SCHEMA_VERSION,
    ok: false,
    error: errorAsJson(error),
    timingsMs: timer.timings,
  };
  await writeFileAtomic(path, `${JSON.stringify(report, null, 2)}\n`, { overwrite: true });
}

/** The build after its outputs were found free to write. */
async function buildChecked(
  options: BuildMirrorIsoOptions,
  progress: BuildProgress,
  timer: Timer,
): Promise<BuildResult> {
  const env = options.env ?? process.env;
  const epoch = sourceDateEpoch(env);
  const overwrite = options.overwrite ?? false;
  const { installText, agentText, cluster, configDigests } = await readConfigs(options, progress);
  // The RSA key search (~0.3 s of CPU) runs on the thread pool while the steps below read,
  // index and hash the inputs; composeBoot signs with the keys when it gets there.
  const keysAhead = drawKeysAhead({
    ...(options.tlsDir === undefined ? {} : { tlsDir: options.tlsDir }),
    ...(options.tlsSeed === undefined ? {} : { seed: options.tlsSeed }),
    ...(options.tlsSeedFile === undefined ? {} : { seedFile: options.tlsSeedFile }),
  });
  timer.lap('configs');
  const iso = await CoreosIso.open(options.iso);
  // Removed in the finally below, on SIGINT/SIGTERM/SIGHUP, or by the next build if killed.
  const workFolder = await createWorkFolder(tmpdir(), 'hostmirror-build-');
  const work = workFolder.path;
  // The input ISO's sha256 for the report, on a worker thread from now on: it overlaps the
  // checks, the TLS and the overlay, and the write below only hashes its output. Stopped in
  // the finally below if the build ends without it.
  const isoDigest = digestFileOffThread(options.iso);
  // The kernel copy of the input to the output's temporary name, from now on too: the steps
  // below (mirror check, TLS, overlay) overlap it, and the write step applies the edit to the
  // copy. Nothing appears at the output path before every check has passed and the write
  // commits; a build that fails first removes the copy (finally below).
  let isoCopy: IsoCopy | undefined;
  try {
    await refuseOutputIsInput(options.iso, options.output);
    isoCopy = await startIsoCopy(options.iso, options.output, { overwrite });
    const { kernelArch, kernelRelease, initrd } = await inspectIso(iso, options.iso, cluster);
    progress.start('reading the live initrd (its codecs, and its size for the budget)');
    const baseListing = await readInitrd(iso.image.fileChunks(initrd));
    progress.done();
    // Before anything is built or written: the overlay codec the ISO's kernel unpacks.
    const codec = chooseOverlayCodec(
      options.compress,
      {
        release: kernelRelease,
        initrdCodecs: baseListing.segments.map((segment) => segment.codec),
        embedArea: iso.metadata.ignition.length > 0,
      },
      options.iso,
    );
    const compress = codec.codec;
    const embedded = await readEmbeddedConfig(iso);
    const agent =
      embedded !== undefined && isAgentConfig(embedded)
        ? { release: agentReleaseImage(embedded, options.iso) }
        : undefined;
    const context: BuildContext = {
      options,
      env,
      epoch,
      overwrite,
      progress,
      warnings: [],
      installText,
      agentText,
      cluster,
      iso,
      kernelArch,
      work,
      embedded,
      agent,
      keysAhead,
      isoDigest: isoDigest.result,
      isoCopy,
    };
    timer.lap('iso');
    // A host with the mirror volume must not be able to install CoreOS over it.
    context.warnings.push(
      ...checkVolumeDiskHints(
        cluster,
        options.mode ?? DEFAULT_MODE,
        options.agentConfig,
        options.volumeDisk,
      ),
    );
    const mirror = await checkTheMirror(context);
    timer.lap('archive index and mirror check');
    const archiveBlobBytes = mirror.archive.blobs().reduce((sum, blob) => sum + blob.size, 0);
    const volumeAccess = options.volumeAccess ?? 'read-write';
    const registryTree = readOnlyRegistryTree(volumeAccess, mirror.archive);
    if (registryTree !== null)
      context.warnings.push(
        `--volume-access read-only: the volume is mounted read-only and never written; each host that serves the mirror unpacks the registry tree into ${READ_ONLY_DATA_DIR}, which on the live ISO is RAM (${formatBytes(registryTree.bytes)} at most, counted in the budget) and on the installed system its disk (unpacked again after the reboot). The installed system serves again only if the volume already carries hostmirror/bin/registry and hostmirror/tls/.`,
      );
    refuseUnfitPreload(context, archiveBlobBytes, registryTree);
    const inputs = await fingerprintInputs(context, mirror);
    timer.lap('input digests');
    const boot = await composeBoot(context, mirror, inputs);
    timer.lap('ignition');
    const overlay = await buildVerifiedOverlay(
      context,
      inputs.registryBinary,
      compress,
      boot.carrier === 'initrd' ? { config: boot.live.text, network: boot.network } : undefined,
      boot.assets.sync?.inventory,
    );
    timer.lap('overlay');
    const budgets = await checkBudgets(
      context,
      initrd,
      baseListing,
      boot,
      overlay,
      inputs.registryDigest,
      archiveBlobBytes,
      registryTree,
    );
    const disk = diskNeeds(
      boot.plan,
      mirror.archive,
      inputs.archives.reduce((sum, file) => sum + file.size, 0),
      inputs.registryDigest?.size ?? 0,
    );
    timer.lap('budget');
    // Nothing appeared at an output path before this point (the ISO's copy is at a temporary
    // name, removed if a check above failed).
    const written = await writeTheIso(context, boot.embedArchive, overlay.path);
    timer.lap('write iso');
    const companions = await writeCompanions(context, mirror, boot, overlay, written.resultKargs);
    await writeTlsDir(boot.tlsChoice);
    timer.lap('companions');
    const report: BuildReport = {
      tool: 'hostmirror build-iso',
      toolVersion: buildIsoVersion,
      schemaVersion: REPORT_SCHEMA_VERSION,
      ok: true,
      sourceDateEpoch: epoch ?? null,
      inputs: {
        iso: {
          path: options.iso,
          size: iso.size,
          sha256: written.inputSha256,
          volumeId: iso.metadata.volumeId,
          architecture: kernelArch ?? null,
        },
        ...configDigests,
        archives: inputs.archives,
        registryProgram: inputs.registryDigest,
        extraIgnition: inputs.extraDigests,
        networkKeyfiles: inputs.keyfileDigests,
        embeddedIgnition: boot.base === undefined ? 'none' : 'merged',
      },
      agent:
        context.agent === undefined
          ? null
          : {
              release: context.agent.release?.reference ?? null,
              places: context.agent.release?.places ?? [],
              changes: boot.agentChanges,
            },
      cluster: {
        clusterName: cluster.clusterName,
        baseDomain: cluster.baseDomain,
        topology: cluster.topology,
        rendezvousIP: cluster.rendezvousIP,
        architecture: cluster.architecture,
      },
      release: { ...mirror.release, version: mirror.check.release.version ?? null },
      mirrorCheck: {
        ok: mirror.check.ok,
        overridden: !mirror.check.ok,
        images: mirror.check.counts.images,
        failed: mirror.check.counts.failed,
        failures: mirror.check.failures.map(
          (failure) => `${failure.reference}: ${failure.reason ?? failure.code}`,
        ),
        warnings: mirror.check.warnings.map((warning) => warning.message),
      },
      registry: {
        canServe: inputs.registryDigest !== null,
        host: mirror.host,
        program: inputs.registryBinary ?? null,
        source: inputs.registrySource,
        payload:
          inputs.payload === null
            ? null
            : {
                component: inputs.payload.component,
                reference: inputs.payload.reference,
                repository: inputs.payload.repository,
                digest: inputs.payload.digest,
                layer: inputs.payload.layer,
                file: inputs.payload.file,
              },
        vetting: inputs.vetting,
        reason:
          inputs.registryDigest === null
            ? 'no registry program was given or found; the hosts cannot serve the mirror'
            : null,
        tlsReproducible: boot.tlsChoice.source !== 'generated-random',
      },
      tls: {
        source: boot.tlsChoice.source,
        caFingerprint: boot.tlsChoice.tls.caFingerprint,
        notAfter: boot.tlsChoice.tls.notAfter.toISOString(),
        dir: boot.tlsChoice.dir,
        wroteDir: boot.tlsChoice.writesDir,
      },
      kargs: { appended: written.kargsAppend, result: written.resultKargs },
      overlay: {
        codec: compress,
        codecReason: codec.reason,
        kernelRelease,
        size: overlay.digest.size,
        sha256: overlay.digest.sha256,
        entries: overlay.verdict.segments.flatMap((segment) =>
          segment.entries.map((entry) => `/${entry.path}`),
        ),
      },
      ignition: {
        size: Buffer.byteLength(boot.live.text),
        sha256: sha256Bytes(boot.live.text),
        embedArchiveBytes: boot.embedArchive.length,
        embedAreaBytes: iso.metadata.ignition.length,
        carrier: boot.carrier,
      },
      budget: budgets,
      disk,
      bootPlan: boot.plan,
      outputs: { iso: written.output, ...companions },
      warnings: context.warnings,
      timingsMs: timer.timings,
    };
    if (options.report !== undefined)
      await writeFileAtomic(options.report, `${JSON.stringify(report, null, 2)}\n`, { overwrite });
    return {
      report,
      budgetTable: [...budgets.map(formatBudgetTable), formatDiskNeeds(disk)].join('\n\n'),
      diagram: renderBootText(boot.plan),
    };
  } finally {
    await isoCopy?.abort();
    await isoDigest.stop();
    await iso.close();
    await workFolder.dispose();
  }
}
