/**
 * `hostmirror boot-sequence`: the mirror-mode boot sequence of a mode and topology, as text,
 * Mermaid, SVG, JSON (the plan as data) or the live Ignition config itself (docs/design.md#command, docs/design.md#mirror-mode).
 * The Ignition form needs the archives: their sha256 manifest, IDMS/ITMS and release come
 * from them.
 */

import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type BootPlan,
  type BootSettingsInput,
  DEFAULT_IGNITION_SPEC,
  DEFAULT_REGISTRY_NAME,
  DEFAULT_REGISTRY_PORT,
  DEFAULT_VOLUME_LABEL,
  MIRROR_MODES,
  planBootSequence,
  prepareBootSequence,
  renderBootMermaid,
  renderBootSvg,
  renderBootText,
  renderLiveIgnition,
  TOPOLOGIES,
} from '@hostmirror/boot-sequence';
import {
  agentReleaseImage,
  agentTagRepositories,
  BuildIsoError,
  chooseAgentRelease,
  composeLiveConfig,
  type ExtraIgnition,
  isAgentConfig,
  readEmbeddedConfig,
  sha256File,
} from '@hostmirror/build-iso';
import { TLS_FILES } from '@hostmirror/host-config';
import { isSpecVersion, serializeConfig, specVersions } from '@hostmirror/ignition';
import { CoreosIso } from '@hostmirror/iso';
import type { MirrorArchive } from '@hostmirror/oc-mirror-archive';
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
import { withToolFields } from '../version.ts';
import { controlPlaneCopyGiven, controlPlaneCopyOption } from './control-plane-copy.ts';

const FORMATS = ['text', 'mermaid', 'svg', 'json', 'ignition'] as const;
type Format = (typeof FORMATS)[number];

const usage =
  'hostmirror boot-sequence --mode node0|every-node|preload --topology sno|compact|ha ' +
  '[--format text|mermaid|svg|json|ignition] [--spec 3.2.0] [--rendezvous-ip IP] [--cluster-domain DOMAIN] ' +
  '[--registry-name NAME] [--port N] [--volume-label LABEL] ' +
  '[--archive mirror_00000N.tar]... [--tls-dir DIR] [--registries-conf FILE] ' +
  '[--iso ISO] [--ignition EXTRA.ign|-]... [--registry-binary PATH] [--control-plane-copy on|off] [--json]';

function settingsFrom(values: CommandContext['values']): BootSettingsInput {
  const port = optionalString(values, 'port');
  if (port !== undefined && !/^\d+$/.test(port))
    throw new UsageError(`--port must be a number; got ${port}.`);
  const rendezvousIP = optionalString(values, 'rendezvous-ip');
  const registryName = optionalString(values, 'registry-name');
  const volumeLabel = optionalString(values, 'volume-label');
  const clusterDomain = optionalString(values, 'cluster-domain');
  return {
    mode: choice(values, 'mode', MIRROR_MODES, requireChoice(values, 'mode')),
    topology: choice(values, 'topology', TOPOLOGIES, requireChoice(values, 'topology')),
    ...(rendezvousIP === undefined ? {} : { rendezvousIP }),
    ...(registryName === undefined ? {} : { registryName }),
    ...(port === undefined ? {} : { registryPort: Number(port) }),
    ...(volumeLabel === undefined ? {} : { volumeLabel }),
    ...(clusterDomain === undefined ? {} : { clusterDomain }),
    ...controlPlaneCopyGiven(values),
  };
}

/** `choice` needs a fallback; these two options have none. */
function requireChoice<T extends string>(values: CommandContext['values'], name: string): T {
  return requireString(values, name) as T;
}

/** `ca.crt`, `tls.crt` and `tls.key` from a folder made earlier (the same CA as the rest of the build). */
/** The TLS files `--tls-dir` must hold: the names the library's `writeMirrorTls` writes. */
const TLS_DIR_FILES = [
  TLS_FILES.caCertificate,
  TLS_FILES.serverCertificate,
  TLS_FILES.serverKey,
] as const;

async function readTlsFile(dir: string, name: string): Promise<string> {
  const path = join(dir, name);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    // build-iso's code for the same fault: a user error (exit 1) naming the file and the fix.
    throw new BuildIsoError(
      'TLS_DIR_INCOMPLETE',
      `--tls-dir ${dir}: cannot read ${path} (${(error as NodeJS.ErrnoException).code}); the folder must hold ${TLS_DIR_FILES.join(', ')}, or leave out --tls-dir to make a new CA.`,
      { path, cause: error },
    );
  }
}

async function readTlsDir(dir: string) {
  const [caCertificate, certificate, key] = await Promise.all([
    readTlsFile(dir, TLS_FILES.caCertificate),
    readTlsFile(dir, TLS_FILES.serverCertificate),
    readTlsFile(dir, TLS_FILES.serverKey),
  ]);
  return { caCertificate, certificate, key };
}

/** `--ignition` configs, read as build-iso reads them (`-` once: stdin). */
async function extraConfigs(context: CommandContext): Promise<ExtraIgnition[]> {
  stdinAtMostOnce(context.values, ['ignition']);
  const given = stringList(context.values, 'ignition');
  return Promise.all(
    given.map(async (path) => ({
      origin: path,
      text: (await readInput(context, path)).toString('utf8'),
    })),
  );
}

/** The config the ISO embeds (an agent ISO's): the parent build-iso keeps. */
async function embeddedOf(context: CommandContext, path: string) {
  const iso = await CoreosIso.open(resolve(context.io.cwd, path));
  try {
    return await readEmbeddedConfig(iso);
  } finally {
    await iso.close();
  }
}

async function liveIgnitionText(context: CommandContext, input: BootSettingsInput, spec: string) {
  const { values } = context;
  const archives = stringList(values, 'archive');
  if (archives.length === 0)
    throw new UsageError(
      '--format ignition needs the archives (--archive mirror_00000N.tar…): the config carries their sha256 manifest.',
    );
  const tlsDir = optionalString(values, 'tls-dir');
  const registriesConf = optionalString(values, 'registries-conf');
  const extras = await extraConfigs(context);
  const isoPath = optionalString(values, 'iso');
  if ((extras.length > 0 || isoPath !== undefined) && spec !== DEFAULT_IGNITION_SPEC)
    throw new UsageError(
      `--spec ${spec} with --ignition or --iso: build-iso composes those at spec ${DEFAULT_IGNITION_SPEC}; leave out --spec.`,
    );
  // The ISO's embedded config, read first: an agent ISO naming its release by tag makes the
  // release mirror serve tags (agentTagRepositories), and the release it installs must be in
  // the archive (chooseAgentRelease): both as build-iso decides them.
  const embedded = isoPath === undefined ? undefined : await embeddedOf(context, isoPath);
  const agentRelease =
    embedded !== undefined && isoPath !== undefined && isAgentConfig(embedded)
      ? agentReleaseImage(embedded, isoPath)
      : undefined;
  // Mode node0's control-plane copy names the registry program's digest, as build-iso does.
  const registryBinary = optionalString(values, 'registry-binary');
  const { plan, assets, mirror } = await prepareBootSequence(input, {
    ...(registryBinary === undefined
      ? {}
      : { registryProgramSha256: await sha256File(resolve(context.io.cwd, registryBinary)) }),
    tagRepositories: agentTagRepositories(agentRelease),
    ...(agentRelease === undefined || isoPath === undefined
      ? {}
      : {
          chooseRelease: (archive: MirrorArchive) =>
            chooseAgentRelease(archive, agentRelease, isoPath, undefined),
        }),
    archives: archives.map((path) => resolve(context.io.cwd, path)),
    ...(tlsDir === undefined ? {} : { tls: await readTlsDir(resolve(context.io.cwd, tlsDir)) }),
    ...(registriesConf === undefined
      ? {}
      : { registriesConf: await readFile(resolve(context.io.cwd, registriesConf), 'utf8') }),
  });
  // The bytes build-iso embeds for the same inputs: the one boot-asset assembly, composed with
  // the ISO's embedded config (an agent ISO's, with the agent edits) and the extra configs by
  // build-iso's own composeLiveConfig.
  if (spec !== DEFAULT_IGNITION_SPEC)
    return serializeConfig(renderLiveIgnition(plan, assets, { spec }));
  return composeLiveConfig({
    plan,
    assets,
    ...mirror,
    embedded,
    iso: isoPath ?? '',
    extras,
  }).live.text;
}

function planText(plan: BootPlan, format: Exclude<Format, 'ignition'>): string {
  switch (format) {
    case 'text':
      return renderBootText(plan);
    case 'mermaid':
      return renderBootMermaid(plan);
    case 'svg':
      return renderBootSvg(plan);
    case 'json':
      return `${JSON.stringify(withToolFields('hostmirror boot-sequence', plan), null, 2)}\n`;
  }
}

async function run(context: CommandContext): Promise<number> {
  const { values } = context;
  const format: Format = flag(values, 'json') ? 'json' : choice(values, 'format', FORMATS, 'text');
  const spec = optionalString(values, 'spec') ?? '3.2.0';
  if (!isSpecVersion(spec))
    throw new UsageError(
      `--spec ${spec} is not an Ignition spec version; give one of ${specVersions.join(', ')}.`,
    );
  const input = settingsFrom(values);
  const text =
    format === 'ignition'
      ? await liveIgnitionText(context, input, spec)
      : planText(planBootSequence(input), format);
  // Printed only: redirect it to a file (build-iso writes its outputs atomically itself).
  context.io.stdout.write(text);
  return 0;
}

const command: Command = {
  name: 'boot-sequence',
  summary:
    'the mirror-mode boot sequence of a mode and topology: text, mermaid, svg, json, or the live Ignition',
  usage,
  options: {
    mode: {
      type: 'string',
      description: 'who serves the mirror (required)',
      value: 'MODE',
      choices: MIRROR_MODES,
    },
    topology: {
      type: 'string',
      description: 'the cluster topology (required)',
      value: 'TOPOLOGY',
      choices: TOPOLOGIES,
    },
    format: {
      type: 'string',
      description: 'what to print',
      value: 'FORMAT',
      default: 'text',
      choices: FORMATS,
    },
    spec: {
      type: 'string',
      description: 'Ignition spec version of --format ignition',
      value: 'VERSION',
      default: DEFAULT_IGNITION_SPEC,
    },
    'registry-binary': {
      type: 'string',
      description:
        "--format ignition, mode node0: the registry program build-iso's --registry-binary gives, whose sha256 the control-plane copy names (without it the copy is off, as build-iso without a program)",
      value: 'PATH',
    },
    'cluster-domain': {
      type: 'string',
      description:
        "install-config's <metadata.name>.<baseDomain>: the installed hosts then also pull from api-int.<domain> (any control-plane node)",
      value: 'DOMAIN',
    },
    'rendezvous-ip': {
      type: 'string',
      description: "node0's address (agent-config's rendezvousIP)",
      value: 'IP',
    },
    'registry-name': {
      type: 'string',
      description: "the registry's host name in registries.conf and its certificate",
      value: 'NAME',
      default: DEFAULT_REGISTRY_NAME,
    },
    port: {
      type: 'string',
      description: "the registry's port",
      value: 'N',
      default: String(DEFAULT_REGISTRY_PORT),
    },
    'volume-label': {
      type: 'string',
      description: 'label of the mirror volume',
      value: 'LABEL',
      default: DEFAULT_VOLUME_LABEL,
    },
    archive: {
      type: 'string',
      multiple: true,
      description:
        'an archive chunk the config lists with its sha256 (needed by --format ignition)',
      value: 'mirror_00000N.tar',
    },
    'tls-dir': {
      type: 'string',
      description: 'a folder with ca.crt, tls.crt and tls.key to use instead of a new CA',
      value: 'DIR',
    },
    'registries-conf': {
      type: 'string',
      description: 'the registries.conf to put in the config',
      value: 'FILE',
    },
    iso: {
      type: 'string',
      description:
        "the ISO build-iso is given: the config it embeds (an agent ISO's, with build-iso's agent edits) is the parent, as build-iso keeps it",
      value: 'ISO',
    },
    ignition: {
      type: 'string',
      multiple: true,
      description:
        'another Ignition config merged into the live config (after ours), as build-iso --ignition; - reads it from stdin',
      value: 'EXTRA.ign',
    },
    ...controlPlaneCopyOption,
  },
  positionals: [0, 0],
  run,
};

export const commands: Record<string, Command> = { '': command };
