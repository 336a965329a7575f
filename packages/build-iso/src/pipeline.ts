/**
 * `buildMirrorIso`: from a CoreOS live ISO, install-config.yaml + agent-config.yaml, oc-mirror
 * archive(s) and a registry program to a mirror-mode ISO (DESIGN.md §3, §6, §7). Everything is
 * read, composed and checked first (configs, archive index, release, mirror check, manifest,
 * live Ignition, overlay, budget); only then are outputs written, each whole or not at all,
 * the report last. The input ISO is only read.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { writeFileAtomic } from '@hostmirror/atomic-file';
import {
  assertWithinBudget,
  type BudgetInputs,
  type BudgetReport,
  computeBudget,
  formatBudgetTable,
  type HostRole,
  minimumRamBytes,
  node0LivePullReserveBytes,
  tmpfsPageBytes,
} from '@hostmirror/budget';
import type { Codec } from '@hostmirror/codecs';
import type { IgnitionConfig } from '@hostmirror/ignition';
import { validateConfig } from '@hostmirror/ignition';
import {
  buildOverlay,
  DEFAULT_OVERLAY_CODEC,
  type InitrdSegment,
  readInitrd,
  readInitrdFile,
  verifyInitrd,
} from '@hostmirror/initrd';
import {
  CoreosIso,
  encodeEmbedArea,
  IGNITION_MEMBER,
  type IsoEdit,
  IsoImage,
  ignitionAreaPatch,
  isEmptyArea,
} from '@hostmirror/iso';
import {
  type BootAssets,
  type BootPlan,
  bootFileSet,
  bootRegistryConfig,
  checkMirror,
  createMirrorTls,
  type MirrorArchive,
  MirrorArchive as MirrorArchiveClass,
  type MirrorCheckReport,
  type MirrorMode,
  type MirrorRule,
  mirrorRulesFromArchive,
  mirrorRulesFromPairs,
  planBootSequence,
  renderBootText,
  renderManifest,
  renderRegistriesConf,
} from '@hostmirror/mirror';
import { composeLiveIgnition, type ExtraIgnition, overlaySpec } from './boot-artifacts.ts';
import { type ClusterConfig, readClusterConfig } from './cluster-config.ts';
import { BuildIsoError } from './errors.ts';
import {
  findRegistryBinary,
  kernelArchitecture,
  resolveArchives,
  sha256Bytes,
  sha256File,
} from './inputs.ts';
import { clusterManifests, imageSetConfigText } from './manifests.ts';
import {
  type PxeArtifacts,
  refuseExisting,
  writeFolderAtomic,
  writeIsoHashed,
  writePxeArtifacts,
} from './outputs.ts';
import { chooseRelease, RELEASE_SOURCE, type ReleaseChoice } from './release.ts';

/** Progress of the long steps; the CLI's progress bar has this shape. */
export interface BuildProgress {
  start(step: string, totalBytes?: number): void;
  advance(bytes: number): void;
  done(): void;
}

/** Enough of the kernel to read its boot header magic. */
const KERNEL_HEAD_BYTES = 4096;

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
  /** Extra Ignition configs merged on top of the mirror's, in order. */
  ignition?: string[];
  kargsAppend?: string[];
  compress?: Codec;
  /** Release pull spec; default OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE, else the archive's only release. */
  releaseImage?: string;
  /** Build although the mirror check fails (recorded in the report). */
  ignoreMirrorCheck?: boolean;
  /** RAM of the smallest host, for the budget; default the agent flow's minimum for the role. */
  ramBytes?: number;
  /**
   * Keep room in the live /var for what node0 pulls there (~9 GB, OCPBUGS-62790, the add-nodes
   * image pull); off by default: a day-1 install does not pull that much on the live host.
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
  /** Seed for the TLS keys; default: derived from the inputs when SOURCE_DATE_EPOCH is set, else random. */
  tlsSeed?: string;
}

export interface FileDigest {
  path: string;
  size: number;
  sha256: string;
}

export interface BuildReport {
  tool: 'hostmirror build-iso';
  ok: true;
  sourceDateEpoch: number | null;
  inputs: {
    iso: FileDigest & { volumeId: string; architecture: string | null };
    installConfig: FileDigest;
    agentConfig: FileDigest;
    archives: FileDigest[];
    registryProgram: FileDigest | null;
    extraIgnition: FileDigest[];
    embeddedIgnition: 'none' | 'merged';
  };
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
    reason: string | null;
    tlsReproducible: boolean;
  };
  kargs: { appended: string[]; result: string | null };
  overlay: { codec: Codec; size: number; sha256: string; entries: string[] };
  ignition: { size: number; sha256: string; embedArchiveBytes: number; embedAreaBytes: number };
  budget: BudgetReport[];
  bootPlan: BootPlan;
  outputs: Record<string, FileDigest>;
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

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new BuildIsoError(
      'INPUT_MISSING',
      `Cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code}); check the path.`,
    );
  }
}

/** Bytes a segment's files take once unpacked into a tmpfs (each file rounded up to a page). */
function unpackedBytes(segments: readonly InitrdSegment[]): number {
  let total = 0;
  for (const segment of segments)
    for (const entry of segment.entries)
      if (entry.type === 'file') total += Math.ceil(entry.size / tmpfsPageBytes) * tmpfsPageBytes;
  return total;
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

function mirrorRules(
  archive: MirrorArchive,
  resources: Awaited<ReturnType<MirrorArchive['readClusterResources']>>,
  host: string,
): MirrorRule[] {
  if (resources.imageDigestMirrors.length + resources.imageTagMirrors.length > 0)
    return mirrorRulesFromArchive(resources, archive, { host, neverContactSource: true });
  // No IDMS/ITMS in the archive: oc-mirror's release naming (mirror.md §3.4).
  return mirrorRulesFromPairs(
    [
      { source: RELEASE_SOURCE, mirror: `${host}/openshift/release-images` },
      {
        source: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev',
        mirror: `${host}/openshift/release`,
      },
    ],
    { pullFromMirror: 'digest-only', neverContactSource: true },
  );
}

/** An Ignition config already embedded in the ISO (an agent ISO), to keep as the parent. */
async function embeddedConfig(iso: CoreosIso): Promise<IgnitionConfig | undefined> {
  const area = await iso.ignitionAreaBytes();
  if (isEmptyArea(area)) return undefined;
  const bytes = await readInitrdFile(
    (async function* () {
      yield area;
    })(),
    IGNITION_MEMBER,
  );
  if (bytes === undefined) return undefined;
  const report = validateConfig(bytes);
  if (!report.valid || report.config === undefined)
    throw new BuildIsoError(
      'IGNITION_INVALID',
      `The ISO ${iso.path} already embeds an Ignition config that is not valid; reset it first (hostmirror iso reset).`,
    );
  return report.config;
}

function stemOf(output: string): string {
  const name = basename(output);
  return extname(name) === '.iso' ? name.slice(0, -4) : name;
}

function warnAboutDigestSources(cluster: ClusterConfig, host: string, warnings: string[]): void {
  const elsewhere = cluster.imageDigestSources
    .flatMap((entry) => entry.mirrors)
    .filter((mirror) => !mirror.startsWith(`${host}/`));
  if (cluster.imageDigestSources.length === 0)
    warnings.push(
      `install-config.yaml has no imageDigestSources: openshift-install will not point the agent at the mirror; add imageDigestSources with mirrors under ${host}/ (the manifests folder's IDMS lists them).`,
    );
  else if (elsewhere.length > 0)
    warnings.push(
      `install-config.yaml imageDigestSources name mirrors not served by hostmirror (${elsewhere.join(', ')}); use ${host}/… so the agent pulls from the hosts' own mirror.`,
    );
}

/** Build the mirror-mode ISO and its companions; returns the report (also written when asked). */
export async function buildMirrorIso(
  options: BuildMirrorIsoOptions,
  progress: BuildProgress = silentProgress,
): Promise<BuildResult> {
  const env = options.env ?? process.env;
  const epoch = sourceDateEpoch(env);
  const overwrite = options.overwrite ?? false;
  const timer = new Timer();
  const warnings: string[] = [];
  const mode: MirrorMode = options.mode ?? 'node0';
  const compress = options.compress ?? DEFAULT_OVERLAY_CODEC;

  await refuseExisting(
    [options.output, options.report, options.imageSetConfig, options.manifestsDir],
    overwrite,
  );

  // 1. configs
  progress.start('reading install-config.yaml and agent-config.yaml');
  const installText = await readText(options.installConfig, 'install-config');
  const agentText = await readText(options.agentConfig, 'agent-config');
  const cluster = readClusterConfig(
    { text: installText, file: options.installConfig },
    { text: agentText, file: options.agentConfig },
  );
  const { architecture } = cluster;
  progress.done();
  timer.lap('configs');

  // 2. ISO
  const iso = await CoreosIso.open(options.iso);
  const work = await mkdtemp(join(tmpdir(), 'hostmirror-build-'));
  try {
    const kernelHead =
      iso.metadata.kernel === undefined
        ? undefined
        : await iso.image.source.read(
            IsoImage.offsetOf(iso.metadata.kernel),
            Math.min(KERNEL_HEAD_BYTES, iso.metadata.kernel.size),
          );
    const kernelArch = kernelHead === undefined ? undefined : kernelArchitecture(kernelHead);
    checkArchitecture(options.iso, kernelArch, architecture, undefined);
    if (iso.metadata.initrd === undefined)
      throw new BuildIsoError(
        'INPUT_MISSING',
        `The ISO ${options.iso} has no images/pxeboot/initrd.img; pass a CoreOS live ISO (not a minimal ISO).`,
      );
    timer.lap('iso');

    // 3. archives and release
    progress.start('indexing the mirror archives');
    const archivePaths = await resolveArchives(options.mirror);
    const archive = await MirrorArchiveClass.open(archivePaths);
    const resources = await archive.readClusterResources();
    progress.done();
    const release = chooseRelease(archive, options.releaseImage, env);
    timer.lap('archive index');

    // 4. mirror check
    const plan0 = planBootSequence({
      mode,
      topology: cluster.topology,
      rendezvousIP: cluster.rendezvousIP,
    });
    const host = `${plan0.settings.registryName}:${plan0.settings.registryPort}`;
    const rules = mirrorRules(archive, resources, host);
    const registriesConf = renderRegistriesConf({
      rules,
      comment: `hostmirror: mirror for ${release.reference}`,
    });
    progress.start('checking the mirror (every image the cluster pulls is in the archive)');
    const check: MirrorCheckReport = await checkMirror({
      archive,
      registriesConf,
      registriesConfOrigin: 'the registries.conf hostmirror writes for the hosts',
      release: release.reference,
      architectures: [architecture],
    });
    progress.done();
    checkArchitecture(options.iso, kernelArch, architecture, check.release.architecture);
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
    warnAboutDigestSources(cluster, host, warnings);
    timer.lap('mirror check');

    // 5. digests of the inputs; the volume's sha256 manifest
    const archives: FileDigest[] = [];
    for (const path of archivePaths) archives.push(await digestOf(path, progress));
    const registryBinary = await findRegistryBinary(
      options.registryBinary,
      options.defaultRegistryBinary,
    );
    if (registryBinary === undefined && options.allowMissingRegistry !== true)
      throw new BuildIsoError(
        'REGISTRY_BINARY_MISSING',
        'No registry program: /usr/bin/docker-registry is not installed and --registry-binary was not given. Install it (apt-get install docker-registry) or pass --registry-binary PATH to a distribution registry binary.',
      );
    const registryDigest = registryBinary === undefined ? null : await digestOf(registryBinary);
    if (registryBinary === undefined)
      warnings.push(
        'No registry program was found (no --registry-binary, no /usr/bin/docker-registry): this ISO carries the boot sequence but NO registry program, so its hosts cannot serve the mirror. Build again with --registry-binary.',
      );
    const extras: ExtraIgnition[] = [];
    const extraDigests: FileDigest[] = [];
    for (const path of options.ignition ?? []) {
      extras.push({ origin: path, text: await readText(path, 'Ignition config') });
      extraDigests.push(await digestOf(path));
    }
    timer.lap('input digests');

    // 6. boot sequence assets and live Ignition
    const plan = planBootSequence({
      mode,
      topology: cluster.topology,
      rendezvousIP: cluster.rendezvousIP,
      release: { repository: release.repository, digest: release.digest },
    });
    // Reproducible keys from the inputs' digests (the ISO by its volume id and size: its sha256
    // is taken in the writing pass, after the keys are needed).
    const seed =
      options.tlsSeed ??
      (epoch === undefined
        ? undefined
        : `hostmirror-build:${[...archives, ...(registryDigest === null ? [] : [registryDigest]), ...extraDigests].map((file) => file.sha256).join(':')}:${iso.metadata.volumeId}:${iso.size}:${sha256Bytes(installText + agentText)}`);
    const tls = createMirrorTls({
      hosts: [plan.settings.registryName, cluster.rendezvousIP],
      ...(seed === undefined ? {} : { seed }),
      // Passed explicitly: the options' env, not process.env, carries SOURCE_DATE_EPOCH.
      ...(epoch === undefined ? {} : { notBefore: new Date(epoch * 1000) }),
    });
    const assets: BootAssets = {
      archives: archives.map((file) => ({ name: basename(file.path), sha256: file.sha256 })),
      registriesConf,
      registryConfig: bootRegistryConfig(plan.settings),
      caCertificate: tls.caCertificatePem,
      tls: { certificate: tls.serverCertificatePem, key: tls.serverKeyPem },
    };
    renderManifest(assets);
    const base = await embeddedConfig(iso);
    const live = composeLiveIgnition(plan, assets, extras, base);
    const embedArchive = await encodeEmbedArea(
      new Map([[IGNITION_MEMBER, Buffer.from(live.text)]]),
    );
    timer.lap('ignition');

    // 7. the initrd overlay, verified with the kernel's rules
    const overlayPath = join(work, 'hostmirror-overlay.img');
    progress.start(`building the initrd overlay (${compress})`);
    await pipeline(
      buildOverlay(overlaySpec(registryBinary, compress), {
        baseDir: work,
        ...(epoch === undefined ? { mtime: 0 } : { mtime: epoch }),
      }),
      createWriteStream(overlayPath),
    );
    const overlayCheck = await verifyInitrd(overlayPath);
    const [fault] = overlayCheck.faults;
    if (fault !== undefined)
      throw new BuildIsoError(
        'OVERLAY_INVALID',
        `The initrd overlay breaks a kernel rule at byte ${fault.offset}: ${fault.message}`,
      );
    const overlayDigest = await digestOf(overlayPath);
    progress.done();
    timer.lap('overlay');

    // 8. budget, before anything is written
    progress.start('reading the live initrd for the budget');
    const initrdEntry = iso.metadata.initrd;
    const baseListing = await readInitrd(iso.image.fileChunks(initrdEntry));
    progress.done();
    const role: HostRole = cluster.topology === 'sno' ? 'sno' : 'master';
    const liveFiles = bootFileSet(plan, 'live', assets).files.reduce(
      (sum, file) => sum + Buffer.byteLength(file.contents),
      0,
    );
    const budgetInputs: BudgetInputs = {
      ramBytes: options.ramBytes ?? minimumRamBytes[role],
      role,
      boot: 'iso',
      baseInitrd: {
        name: 'images/pxeboot/initrd.img',
        fileBytes: initrdEntry.size,
        unpackedBytes: unpackedBytes(baseListing.segments),
      },
      archives: [
        {
          name: 'hostmirror overlay',
          fileBytes: overlayDigest.size,
          unpackedBytes: unpackedBytes(overlayCheck.segments),
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
      ],
      livePullReserveBytes: options.reserveLivePulls === true ? node0LivePullReserveBytes : 0,
      ignitionArchiveBytes: embedArchive.length,
      embedAreaBytes: iso.metadata.ignition.length,
    };
    const budgets = [assertWithinBudget(computeBudget(budgetInputs))];
    if (options.pxeDir !== undefined && iso.metadata.rootfs !== undefined) {
      const rootfsBytes = iso.metadata.rootfs.size;
      budgets.push(
        assertWithinBudget(
          computeBudget({
            ...budgetInputs,
            boot: 'pxe',
            rootfs: {
              name: 'images/pxeboot/rootfs.img',
              fileBytes: rootfsBytes,
              unpackedBytes: Math.ceil(rootfsBytes / tmpfsPageBytes) * tmpfsPageBytes,
            },
          }),
        ),
      );
    }
    timer.lap('budget');

    // 9. the ISO: Ignition + kargs patched, initrd extended, written atomically
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
    const { edit: extension } = await iso.planAppendInitrd([overlayPath]);
    edits.push(extension);
    const edit = iso.combine(...edits);
    progress.start(`writing ${options.output}`, edit.size);
    let bytesWritten = 0;
    const isoWrite = await writeIsoHashed(iso, edit, options.output, overwrite, (done) => {
      progress.advance(done - bytesWritten);
      bytesWritten = done;
    });
    progress.done();
    timer.lap('write iso');
    const outputs: Record<string, FileDigest> = { iso: isoWrite.output };
    const isoDigest: FileDigest = {
      path: options.iso,
      size: iso.size,
      sha256: isoWrite.inputSha256,
    };
    const resultKargs =
      (await CoreosIso.open(options.output).then(async (out) => {
        try {
          return await out.currentKargs();
        } finally {
          await out.close();
        }
      })) ?? null;

    // 10. PXE, manifests, ImageSetConfiguration
    let pxe: PxeArtifacts | undefined;
    if (options.pxeDir !== undefined) {
      progress.start('writing the PXE artifacts');
      const pxeKargs = (resultKargs ?? '')
        .split(/\s+/)
        .filter((karg) => karg !== '' && !karg.startsWith('coreos.liveiso='))
        .join(' ');
      pxe = await writePxeArtifacts({
        iso,
        folder: options.pxeDir,
        stem: stemOf(options.output),
        overlay: { path: overlayPath, size: overlayDigest.size },
        ignitionArchive: embedArchive,
        kargs: pxeKargs,
        baseUrl: options.pxeBaseUrl,
        overwrite,
      });
      progress.done();
      for (const [name, path] of Object.entries(pxe))
        if (name !== 'kargs' && typeof path === 'string')
          outputs[`pxe-${name}`] = await digestOf(path);
    }
    if (options.manifestsDir !== undefined) {
      const files = clusterManifests(plan, assets, archive, resources, rules);
      await writeFolderAtomic(options.manifestsDir, files, overwrite);
      for (const file of files)
        outputs[`manifests/${file.name}`] = {
          path: join(options.manifestsDir, file.name),
          size: Buffer.byteLength(file.text),
          sha256: sha256Bytes(file.text),
        };
    }
    if (options.imageSetConfig !== undefined) {
      const text = imageSetConfigText(check.release.version, architecture);
      if (text === undefined)
        throw new BuildIsoError(
          'RELEASE_IMAGE_UNKNOWN',
          `The release ${release.reference} has no version in its release-metadata, so no ImageSetConfiguration can name it; build without --image-set-config.`,
        );
      await writeFileAtomic(options.imageSetConfig, text, { overwrite });
      outputs.imageSetConfig = {
        path: options.imageSetConfig,
        size: Buffer.byteLength(text),
        sha256: sha256Bytes(text),
      };
    }
    timer.lap('companions');

    const report: BuildReport = {
      tool: 'hostmirror build-iso',
      ok: true,
      sourceDateEpoch: epoch ?? null,
      inputs: {
        iso: { ...isoDigest, volumeId: iso.metadata.volumeId, architecture: kernelArch ?? null },
        installConfig: {
          path: options.installConfig,
          size: Buffer.byteLength(installText),
          sha256: sha256Bytes(installText),
        },
        agentConfig: {
          path: options.agentConfig,
          size: Buffer.byteLength(agentText),
          sha256: sha256Bytes(agentText),
        },
        archives,
        registryProgram: registryDigest,
        extraIgnition: extraDigests,
        embeddedIgnition: base === undefined ? 'none' : 'merged',
      },
      cluster: {
        clusterName: cluster.clusterName,
        baseDomain: cluster.baseDomain,
        topology: cluster.topology,
        rendezvousIP: cluster.rendezvousIP,
        architecture,
      },
      release: { ...release, version: check.release.version ?? null },
      mirrorCheck: {
        ok: check.ok,
        overridden: !check.ok,
        images: check.counts.images,
        failed: check.counts.failed,
        failures: check.failures.map(
          (failure) => `${failure.reference}: ${failure.reason ?? failure.code}`,
        ),
        warnings: check.warnings.map((warning) => warning.message),
      },
      registry: {
        canServe: registryDigest !== null,
        host,
        program: registryBinary ?? null,
        reason:
          registryDigest === null
            ? 'no registry program was given or found; the hosts cannot serve the mirror'
            : null,
        tlsReproducible: seed !== undefined,
      },
      kargs: { appended: kargsAppend, result: resultKargs },
      overlay: {
        codec: compress,
        size: overlayDigest.size,
        sha256: overlayDigest.sha256,
        entries: overlayCheck.segments.flatMap((segment) =>
          segment.entries.map((entry) => `/${entry.path}`),
        ),
      },
      ignition: {
        size: Buffer.byteLength(live.text),
        sha256: sha256Bytes(live.text),
        embedArchiveBytes: embedArchive.length,
        embedAreaBytes: iso.metadata.ignition.length,
      },
      budget: budgets,
      bootPlan: plan,
      outputs,
      warnings,
      timingsMs: timer.timings,
    };
    if (options.report !== undefined)
      await writeFileAtomic(options.report, `${JSON.stringify(report, null, 2)}\n`, { overwrite });
    return {
      report,
      budgetTable: budgets.map(formatBudgetTable).join('\n\n'),
      diagram: renderBootText(plan),
    };
  } finally {
    await iso.close();
    await rm(work, { recursive: true, force: true });
  }
}
