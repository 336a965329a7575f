/**
 * `hostmirror budget`: the live host's RAM / tmpfs / embed-area budget (docs/design.md#budget).
 * Parses options, measures the given files with `@hostmirror/budget`, prints the report, and
 * exits 1 with `… > limit; what to change` when a limit is exceeded.
 */
import {
  MIRROR_MODES,
  type MirrorMode,
  VOLUME_ACCESS,
  type VolumeAccess,
} from '@hostmirror/boot-sequence';
import {
  assertWithinBudget,
  type BudgetInputs,
  bootKinds,
  computeBudget,
  type DiskNeed,
  formatBudgetTable,
  formatDiskNeeds,
  hostRoles,
  type LiveCopy,
  type MeasuredInputs,
  measureInputFiles,
  node0LivePullReserveBytes,
  parseSize,
} from '@hostmirror/budget';
import { DEFAULT_MODE, mirrorDiskNeeds } from '@hostmirror/build-iso';
import {
  type Command,
  type CommandContext,
  choice,
  flag,
  optionalString,
  requireString,
  stringList,
  UsageError,
} from '../command.ts';
import { controlPlaneCopyGiven, controlPlaneCopyOption } from './control-plane-copy.ts';

const usage =
  'hostmirror budget --ram SIZE [--role master|worker|sno] [--boot iso|pxe] [--fromram] ' +
  '[--initrd BASE] [--rootfs ROOTFS] [--archive A]... [--live-copy [LABEL=]SIZE]... ' +
  '[--node0 | --pull-reserve SIZE] [--ignition-archive F] [--embed-area SIZE] ' +
  '[--mirror PATH... --install-config F --agent-config F [--mode M] [--volume-access A] ' +
  '[--control-plane-copy on|off] [--registry-binary PATH]] [--json]';

/** `registry=25MiB` or `25MiB` (labelled by its position). */
function parseLiveCopy(text: string, index: number): LiveCopy {
  const at = text.lastIndexOf('=');
  const label = at > 0 ? text.slice(0, at) : `copy ${index + 1}`;
  return { label, bytes: parseSize(at > 0 ? text.slice(at + 1) : text, `--live-copy ${text}`) };
}

function pullReserve(values: CommandContext['values']): number {
  const explicit = optionalString(values, 'pull-reserve');
  if (explicit !== undefined && flag(values, 'node0'))
    throw new UsageError('--node0 and --pull-reserve set the same reserve; give one.');
  if (explicit !== undefined) return parseSize(explicit, '--pull-reserve');
  return flag(values, 'node0') ? node0LivePullReserveBytes : 0;
}

/**
 * Inputs measured from files, in order; later sources win field by field. This is where
 * `--iso` plugs in: the ISO reader measures the base initrd, rootfs and embed area from the
 * image and its `MeasuredInputs` goes before the explicit files, which override it.
 */
async function measuredSources(values: CommandContext['values']): Promise<MeasuredInputs[]> {
  const fromFiles = await measureInputFiles({
    initrd: optionalString(values, 'initrd'),
    rootfs: optionalString(values, 'rootfs'),
    archives: stringList(values, 'archive'),
    ignitionArchive: optionalString(values, 'ignition-archive'),
  });
  return [fromFiles];
}

function merge(sources: MeasuredInputs[]): MeasuredInputs {
  const merged: MeasuredInputs = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source))
      if (value !== undefined) Object.assign(merged, { [key]: value });
  }
  return merged;
}

async function run(context: CommandContext): Promise<number> {
  const { values } = context;
  const measured = merge(await measuredSources(values));
  const embedArea = optionalString(values, 'embed-area');
  const inputs: BudgetInputs = {
    ...measured,
    ramBytes: parseSize(requireString(values, 'ram'), '--ram'),
    role: choice(values, 'role', hostRoles, 'master'),
    boot: choice(values, 'boot', bootKinds, 'iso'),
    fromRam: flag(values, 'fromram'),
    liveCopies: stringList(values, 'live-copy').map(parseLiveCopy),
    livePullReserveBytes: pullReserve(values),
    ...(embedArea === undefined ? {} : { embedAreaBytes: parseSize(embedArea, '--embed-area') }),
  };
  const report = computeBudget(inputs);
  const disk = await diskTable(values);
  if (flag(values, 'json')) context.printJson(disk === undefined ? report : { ...report, disk });
  else
    context.print(
      disk === undefined
        ? formatBudgetTable(report)
        : `${formatBudgetTable(report)}\n\n${formatDiskNeeds(disk)}`,
    );
  assertWithinBudget(report);
  return 0;
}

/**
 * With --mirror: the disk each kind of host needs after the install, as build-iso's report
 * gives it (build-iso mirrorDiskNeeds, from the cluster's configs and the archives' index).
 */
async function diskTable(values: CommandContext['values']): Promise<DiskNeed[] | undefined> {
  const mirror = stringList(values, 'mirror');
  if (mirror.length === 0) {
    for (const name of ['install-config', 'agent-config'])
      if (optionalString(values, name) !== undefined)
        throw new UsageError(`--${name} is only read with --mirror (the disk table).`);
    return undefined;
  }
  const registryBinary = optionalString(values, 'registry-binary');
  return mirrorDiskNeeds({
    mirror,
    installConfig: requireString(values, 'install-config'),
    agentConfig: requireString(values, 'agent-config'),
    mode: choice<MirrorMode>(values, 'mode', MIRROR_MODES, DEFAULT_MODE),
    volumeAccess: choice<VolumeAccess>(values, 'volume-access', VOLUME_ACCESS, 'read-write'),
    ...controlPlaneCopyGiven(values),
    ...(registryBinary === undefined ? {} : { registryBinary }),
  });
}

const command: Command = {
  name: 'budget',
  summary:
    'RAM, initramfs/live tmpfs and embed-area budget of the live host; fails with what to change',
  usage,
  options: {
    ram: { type: 'string', description: 'RAM of the host (e.g. 16GiB)', value: 'SIZE' },
    role: {
      type: 'string',
      description:
        "the host's role: its minimum RAM comes from the agent flow's hardware requirements",
      value: 'ROLE',
      default: 'master',
      choices: hostRoles,
    },
    boot: {
      type: 'string',
      description: 'how the live system boots: from the ISO or by PXE (the rootfs is then in RAM)',
      value: 'KIND',
      default: 'iso',
      choices: bootKinds,
    },
    fromram: {
      type: 'boolean',
      description: 'the ISO boot copies the rootfs into RAM (coreos.liveiso.fromram)',
    },
    initrd: {
      type: 'string',
      description: 'the base initrd, measured (compressed and unpacked size)',
      value: 'BASE',
    },
    rootfs: { type: 'string', description: 'the live rootfs image, measured', value: 'ROOTFS' },
    archive: {
      type: 'string',
      multiple: true,
      description:
        'an archive appended to the initrd, measured (unpacked into the initramfs tmpfs)',
      value: 'A',
    },
    'live-copy': {
      type: 'string',
      multiple: true,
      description: 'a copy the live system makes into RAM, with an optional label',
      value: '[LABEL=]SIZE',
    },
    node0: {
      type: 'boolean',
      description:
        "reserve node0's live pull RAM (the same as --pull-reserve with node0's reserve)",
    },
    'pull-reserve': {
      type: 'string',
      description: 'RAM reserved for images pulled by the live system',
      value: 'SIZE',
      default: '0',
    },
    'ignition-archive': {
      type: 'string',
      description: 'the Ignition archive to embed, measured against the embed area',
      value: 'F',
    },
    'embed-area': {
      type: 'string',
      description: "the size of the ISO's Ignition embed area",
      value: 'SIZE',
    },
    mirror: {
      type: 'string',
      multiple: true,
      description:
        'the oc-mirror archive (or its folder), as build-iso takes it: also print the disk each kind of host needs for the mirror after the install',
      value: 'PATH',
    },
    'install-config': {
      type: 'string',
      description: "with --mirror: the cluster's install-config.yaml (host counts)",
      value: 'F',
    },
    'agent-config': {
      type: 'string',
      description: "with --mirror: the cluster's agent-config.yaml (rendezvous IP)",
      value: 'F',
    },
    mode: {
      type: 'string',
      description: 'with --mirror: the mirror mode, as build-iso --mode',
      value: 'MODE',
      default: DEFAULT_MODE,
      choices: MIRROR_MODES,
    },
    'volume-access': {
      type: 'string',
      description: 'with --mirror: as build-iso --volume-access',
      value: 'ACCESS',
      default: 'read-write',
      choices: VOLUME_ACCESS,
    },
    'registry-binary': {
      type: 'string',
      description:
        'with --mirror: the registry program the hosts run (default /usr/bin/docker-registry when installed)',
      value: 'PATH',
    },
    ...controlPlaneCopyOption,
  },
  positionals: [0, 0],
  run,
};

export const commands: Record<string, Command> = { '': command };
