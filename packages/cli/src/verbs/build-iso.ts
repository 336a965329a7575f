/**
 * `hostmirror build-iso`: the job users run (docs/design.md#command). Parses options and calls
 * `buildMirrorIso` (or the private @hostmirror/fixtures' `runDemo` for `--demo -o DIR`); prints the budget table, the boot
 * diagram and where the outputs went, or only the report with `--json`.
 */
import { resolve } from 'node:path';
import {
  DEFAULT_VOLUME_LABEL,
  MIRROR_MODES,
  type MirrorMode,
  VOLUME_ACCESS,
  type VolumeAccess,
} from '@hostmirror/boot-sequence';
import { parseSize } from '@hostmirror/budget';
import {
  type BuildMirrorIsoOptions,
  type BuildResult,
  buildMirrorIso,
  DEFAULT_KERNEL_CODEC,
  DEFAULT_MODE,
  type IgnitionBytes,
  parseVolumeDiskHint,
  RELEASE_OVERRIDE_VARIABLE,
  type VolumeDiskHints,
} from '@hostmirror/build-iso';
import { CODECS, type Codec } from '@hostmirror/codecs';
import { DEFAULT_VALIDITY_DAYS } from '@hostmirror/host-config';
import {
  type Command,
  type CommandContext,
  choice,
  flag,
  optionalString,
  readInput,
  requireString,
  stdinAtMostOnce,
  stringList,
  UsageError,
} from '../command.ts';
import { controlPlaneCopyGiven, controlPlaneCopyOption } from './control-plane-copy.ts';

const usage = [
  'hostmirror build-iso --iso BASE.iso --install-config F --agent-config F --mirror PATH... -o OUT.iso',
  '                     [--registry-binary PATH] [--mode node0|every-node|preload] [--release-image SPEC]',
  '                     [--ignition EXTRA.ign|-]... [--network-keyfile F]... [--kargs-append K]... [--compress gzip|xz|zstd|none]',
  '                     [--pxe-dir DIR [--pxe-base-url URL]] [--manifests-dir DIR] [--image-set-config F]',
  '                     [--report F.json] [--ram SIZE] [--skip-live-pull-reserve] [--ignore-mirror-check]',
  '                     [--volume-label data] [--volume-access read-write|read-only] [--control-plane-copy on|off]',
  '                     [--volume-disk-hint KEY=VALUE]... [--tls-dir DIR] [--tls-seed-file F] [--tls-validity-days N]',
  '                     [-f] [--json]',
  '       hostmirror build-iso --demo -o OUT-DIR [--registry-binary PATH] [--tls-dir DIR | --tls-seed-file F] [-f] [--json]',
].join('\n');

/** A path the user gave, against the command's working folder. */
function relative(cwd: string, path: string | undefined): string | undefined {
  return path === undefined ? undefined : resolve(cwd, path);
}

/** Why each output of build-iso needs a real path, not `-` (stdout). */
const NOT_STDOUT: Record<string, string> = {
  output:
    'build-iso writes the ISO to a file and reads it back to check it, so -o needs a file; stream it afterwards with cat',
  report: 'the report goes to stdout with --json',
  'pxe-dir': 'the PXE files are several files: give a folder',
  'manifests-dir': 'the manifests are several files: give a folder',
  'image-set-config': 'give a file (or: hostmirror mirror image-set-config -o -)',
};

/** `--ignition` paths against the working folder; `-` (once) is the config read from stdin. */
async function extraIgnition(context: CommandContext): Promise<Array<string | IgnitionBytes>> {
  stdinAtMostOnce(context.values, ['ignition']);
  const given = stringList(context.values, 'ignition');
  return Promise.all(
    given.map(async (path) =>
      path === '-'
        ? { name: '-', bytes: await readInput(context, '-') }
        : resolve(context.io.cwd, path),
    ),
  );
}

async function buildOptions(context: CommandContext): Promise<BuildMirrorIsoOptions> {
  const { values, io } = context;
  for (const [name, why] of Object.entries(NOT_STDOUT))
    if (values[name] === '-') throw new UsageError(`--${name} -: ${why}.`);
  const at = (path: string) => relative(io.cwd, path) as string;
  const optional = (name: string) => relative(io.cwd, optionalString(values, name));
  const mirror = stringList(values, 'mirror').map(at);
  if (mirror.length === 0)
    throw new UsageError('--mirror is required (the oc-mirror archive or its folder).');
  const ram = optionalString(values, 'ram');
  const options: BuildMirrorIsoOptions = {
    iso: at(requireString(values, 'iso')),
    installConfig: at(requireString(values, 'install-config')),
    agentConfig: at(requireString(values, 'agent-config')),
    mirror,
    output: at(requireString(values, 'output')),
    mode: choice<MirrorMode>(values, 'mode', MIRROR_MODES, DEFAULT_MODE),
    volumeAccess: choice<VolumeAccess>(values, 'volume-access', VOLUME_ACCESS, 'read-write'),
    ...controlPlaneCopyGiven(values),
    // Left out: build-iso takes gzip, the codec every kernel unpacks (overlay-codec.ts).
    ...(values.compress === undefined
      ? {}
      : { compress: choice<Codec>(values, 'compress', CODECS, DEFAULT_KERNEL_CODEC) }),
    ignition: await extraIgnition(context),
    networkKeyfiles: stringList(values, 'network-keyfile').map(at),
    kargsAppend: [...stringList(values, 'kargs-append'), ...stringList(values, 'live-karg-append')],
    ignoreMirrorCheck: flag(values, 'ignore-mirror-check'),
    // node0's day-1 bootstrap in its live /var is counted unless left out on purpose.
    reserveLivePulls: !flag(values, 'skip-live-pull-reserve'),
    overwrite: flag(values, 'force'),
    env: io.env,
  };
  const extras: Partial<BuildMirrorIsoOptions> = {
    registryBinary: optional('registry-binary'),
    releaseImage: optionalString(values, 'release-image'),
    volumeLabel: optionalString(values, 'volume-label'),
    pxeDir: optional('pxe-dir'),
    pxeBaseUrl: optionalString(values, 'pxe-base-url'),
    manifestsDir: optional('manifests-dir'),
    imageSetConfig: optional('image-set-config'),
    report: optional('report'),
    ramBytes: ram === undefined ? undefined : parseSize(ram, '--ram'),
  };
  for (const [key, value] of Object.entries(extras))
    if (value !== undefined) (options as unknown as Record<string, unknown>)[key] = value;
  // The volume's disk, named as agent-config names install disks (same-disk layouts refused).
  const volumeDisk = stringList(values, 'volume-disk-hint').reduce<VolumeDiskHints>(
    (into, text) => parseVolumeDiskHint(text, into),
    {},
  );
  if (Object.keys(volumeDisk).length > 0) options.volumeDisk = volumeDisk;
  // The cluster's CA folder; a secret seed for the TLS keys, from a file (never on the command line).
  const tlsDir = optional('tls-dir');
  if (tlsDir !== undefined) options.tlsDir = tlsDir;
  const seedFile = optional('tls-seed-file');
  if (seedFile !== undefined) options.tlsSeedFile = seedFile;
  const validity = optionalString(values, 'tls-validity-days');
  if (validity !== undefined) {
    if (!/^[1-9]\d*$/.test(validity))
      throw new UsageError(`--tls-validity-days ${validity} is not a whole number of days.`);
    options.tlsValidityDays = Number(validity);
  }
  if (options.pxeBaseUrl !== undefined && options.pxeDir === undefined)
    throw new UsageError('--pxe-base-url needs --pxe-dir.');
  return options;
}

function printResult(context: CommandContext, result: BuildResult, demo: boolean): void {
  const { report } = result;
  if (flag(context.values, 'json')) {
    context.printJson(report);
    return;
  }
  context.print(result.budgetTable);
  context.print('');
  context.print(result.diagram);
  context.print('');
  context.print(
    `release ${report.release.version ?? '?'}: ${report.release.reference} (${report.release.origin})`,
  );
  context.print(
    `mirror check: ${report.mirrorCheck.images - report.mirrorCheck.failed} of ${report.mirrorCheck.images} images served by the archive${report.mirrorCheck.overridden ? ' (FAILED, overridden)' : ''}`,
  );
  context.print(
    report.registry.canServe
      ? `registry program: ${report.registry.program} (${report.inputs.registryProgram?.size} bytes) in the initrd overlay`
      : 'registry program: NONE - this ISO carries the boot sequence but cannot serve the mirror (pass --registry-binary)',
  );
  context.print(`kargs: ${report.kargs.result ?? '(the ISO has no kargs areas)'}`);
  if (report.ignition.carrier === 'initrd')
    context.print(
      `ignition: ${report.ignition.size} bytes, too large for the embed area: carried as /config.ign in the initrd overlay`,
    );
  if (report.agent !== null) {
    context.print(
      `agent ISO: installs ${report.agent.release ?? '(no release named)'}; written into its Ignition:`,
    );
    for (const change of report.agent.changes) context.print(`  ${change}`);
  }
  context.print('outputs:');
  const outputs = Object.entries(report.outputs);
  const nameWidth = Math.max(...outputs.map(([name]) => name.length));
  for (const [name, file] of outputs)
    context.print(
      `  ${name.padEnd(nameWidth)}  ${file.sha256.slice(0, 16)}…  ${String(file.size).padStart(11)}  ${file.path}`,
    );
  for (const warning of report.warnings) context.print(`warning: ${warning}`);
  if (demo) context.print(`report: ${report.outputs.iso?.path.replace(/[^/]+$/, 'report.json')}`);
}

export const command: Command = {
  name: 'build-iso',
  summary:
    'build a mirror-mode ISO from a CoreOS live ISO, install-config/agent-config and oc-mirror archives (--demo: on generated inputs)',
  usage,
  options: {
    demo: {
      type: 'boolean',
      description:
        'build on generated inputs (a CoreOS-layout ISO, a tiny v2 archive, SNO configs) into the folder -o',
    },
    iso: {
      type: 'string',
      description:
        'the CoreOS live ISO to start from: a plain one or the agent ISO of `openshift-install agent create image` (only read)',
      value: 'BASE.iso',
    },
    'install-config': {
      type: 'string',
      description: "the cluster's install-config.yaml, read as openshift-install reads it",
      value: 'PATH',
    },
    'agent-config': {
      type: 'string',
      description: "the cluster's agent-config.yaml (rendezvousIP, hosts)",
      value: 'PATH',
    },
    mirror: {
      type: 'string',
      multiple: true,
      description:
        "oc-mirror's archive: its folder or its mirror_00000N.tar chunks (v2; a v1 archive is refused)",
      value: 'PATH',
    },
    output: {
      type: 'string',
      short: 'o',
      description: 'the ISO to write (whole or not at all; refused if it exists, unless -f)',
      value: 'OUT.iso',
    },
    'registry-binary': {
      type: 'string',
      description:
        "the registry program the hosts run to serve the mirror (ELF, static or glibc the ISO's OS ships); without it the ISO cannot serve",
      value: 'PATH',
    },
    mode: {
      type: 'string',
      description:
        'who serves the mirror: node0 (the rendezvous host, from its volume), every-node (each host, from its own volume), preload (each host loads the images, nobody serves)',
      value: 'MODE',
      default: DEFAULT_MODE,
      choices: MIRROR_MODES,
    },
    'release-image': {
      type: 'string',
      description:
        "the release the cluster installs, by tag or digest; must be in the archive (default: the one release in the archive, or the agent ISO's)",
      value: 'PULLSPEC',
      env: [RELEASE_OVERRIDE_VARIABLE],
    },
    ignition: {
      type: 'string',
      multiple: true,
      description:
        'another Ignition config to merge into the live config (after ours); - reads it from stdin',
      value: 'EXTRA.ign',
    },
    'network-keyfile': {
      type: 'string',
      multiple: true,
      description:
        'a NetworkManager keyfile for the live system, beside the live config (coreos-installer --network-keyfile); keyfiles the ISO embeds are kept',
      value: 'FILE.nmconnection',
    },
    'kargs-append': {
      type: 'string',
      multiple: true,
      description: 'a kernel argument to append to the live kargs',
      value: 'KARG',
    },
    'live-karg-append': {
      type: 'string',
      multiple: true,
      description: "the same as --kargs-append, by coreos-installer iso customize's name",
      value: 'KARG',
    },
    compress: {
      type: 'string',
      description:
        "codec of the initrd overlay with the registry program; xz or zstd only when the ISO's kernel provably unpacks it (else refused)",
      value: 'CODEC',
      default: DEFAULT_KERNEL_CODEC,
      choices: CODECS,
    },
    'pxe-dir': {
      type: 'string',
      description:
        'also write the PXE files (<stem>-vmlinuz, -initrd.img, -rootfs.img) here; created if missing (its parent must exist)',
      value: 'DIR',
    },
    'pxe-base-url': {
      type: 'string',
      description:
        'absolute URL the PXE files will be served from: also writes <stem>.ipxe (needs --pxe-dir)',
      value: 'URL',
    },
    'manifests-dir': {
      type: 'string',
      description:
        "write the cluster manifests for openshift-install's openshift/ folder here (MachineConfigs, IDMS/ITMS, release signatures); created if missing",
      value: 'DIR',
    },
    'image-set-config': {
      type: 'string',
      description:
        'write the ImageSetConfiguration that mirrors this release again (oc-mirror --v2)',
      value: 'PATH',
    },
    report: {
      type: 'string',
      description:
        'write the JSON report (what was read, decided and written; schema @hostmirror/build-iso/report.schema.json); also written, with ok: false and the error, when the build fails',
      value: 'F.json',
    },
    ram: {
      type: 'string',
      description: 'RAM of the smallest host, for the budget (e.g. 16GiB)',
      value: 'SIZE',
      default: 'the agent minimum for the role',
    },
    'skip-live-pull-reserve': {
      type: 'boolean',
      description:
        "leave node0's day-1 bootstrap (4.4 GiB in its live /var: OCPBUGS-62790, installer PR #10133) out of the budget; the report then says it was not counted",
    },
    'ignore-mirror-check': {
      type: 'boolean',
      description:
        'build even when the mirror check finds images the archive does not serve (the report says overridden)',
    },
    'tls-seed-file': {
      type: 'string',
      description:
        "a file with a secret seed (at least 16 bytes) for the registry's TLS keys: the same seed and inputs give the same bytes (never on the command line)",
      value: 'PATH',
      default: 'random keys',
    },
    'tls-dir': {
      type: 'string',
      description:
        "the cluster's CA folder: its ca.crt + ca.key are used when present (one CA across rebuilds), else this build's CA is written there",
      value: 'DIR',
    },
    'tls-validity-days': {
      type: 'string',
      description: 'validity of the CA and the registry certificate, in days',
      value: 'N',
      default: String(DEFAULT_VALIDITY_DAYS),
    },
    'volume-label': {
      type: 'string',
      description: 'label of the mirror volume the hosts serve from (GPT partition and ext4)',
      value: 'LABEL',
      default: DEFAULT_VOLUME_LABEL,
    },
    'volume-access': {
      type: 'string',
      description:
        "read-write: unpack the registry storage onto the volume; read-only: mount it ro and never write it, unpacking into the host's /var (RAM on the live ISO, counted in the budget)",
      value: 'ACCESS',
      default: 'read-write',
      choices: VOLUME_ACCESS,
    },
    'volume-disk-hint': {
      type: 'string',
      multiple: true,
      description:
        'the disk holding the volume as rootDeviceHints name one (deviceName=, hctl=, serialNumber=, wwn=): a host with the volume whose rootDeviceHints name that disk is refused',
      value: 'KEY=VALUE',
    },
    force: { type: 'boolean', short: 'f', description: 'replace existing outputs' },
    ...controlPlaneCopyOption,
  },
  environment: {
    SOURCE_DATE_EPOCH:
      'seconds since 1970: the file times in the overlay and the ISO, so the same inputs (and --tls-seed-file) give the same bytes (reproducible-builds.org)',
    [RELEASE_OVERRIDE_VARIABLE]:
      'the release the cluster installs, as openshift-install reads it (--release-image wins)',
  },
  notes: [
    'Nothing is written before every check has passed (configs, archive, mirror check, registry program, budget); each output is written whole or not at all, and the input ISO is only read.',
    'Example: hostmirror build-iso --iso agent.x86_64.iso --install-config install-config.yaml --agent-config agent-config.yaml --mirror oc-mirror-out -o agent-mirror.iso --report report.json',
  ],
  positionals: [0, 0],
  async run(context) {
    const { values, io } = context;
    if (flag(values, 'demo')) {
      const folder = relative(io.cwd, requireString(values, 'output')) as string;
      const registryBinary = relative(io.cwd, optionalString(values, 'registry-binary'));
      const runDemo = await loadDemo();
      const result = await runDemo(
        {
          folder,
          overwrite: flag(values, 'force'),
          env: io.env,
          ...(registryBinary === undefined ? {} : { registryBinary }),
          // The demo's CA is random like any build's; a secret makes two runs byte-identical.
          extra: {
            ...(optionalString(values, 'tls-dir') === undefined
              ? {}
              : { tlsDir: relative(io.cwd, optionalString(values, 'tls-dir')) as string }),
            ...(optionalString(values, 'tls-seed-file') === undefined
              ? {}
              : {
                  tlsSeedFile: relative(io.cwd, optionalString(values, 'tls-seed-file')) as string,
                }),
          },
        },
        context.progress,
      );
      printResult(context, result, true);
      return 0;
    }
    const result = await buildMirrorIso(await buildOptions(context), context.progress);
    printResult(context, result, false);
    return 0;
  },
};

export const commands: Record<string, Command> = { '': command };

/**
 * The demo's input generators are the workspace's private `@hostmirror/fixtures` (a development
 * dependency, never published as a package): the `hostmirror` command's bundle carries them in a
 * chunk of their own, loaded only for `--demo` (tools/bundle-cli.ts), and a clone of the
 * repository has them; the @hostmirror/cli library's `runCli` from an installed package does not.
 */
async function loadDemo() {
  try {
    return (await import('@hostmirror/fixtures/demo')).runDemo;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new UsageError(
      '--demo generates its inputs with @hostmirror/fixtures, which the `hostmirror` command carries but the @hostmirror/cli library does not; run the `hostmirror` command (or `bash tools/demo.sh` in a clone), or give real inputs (--iso, --install-config, --agent-config, --mirror).',
    );
  }
}
