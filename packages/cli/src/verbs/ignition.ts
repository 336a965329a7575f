/**
 * `hostmirror ignition validate | merge | translate` (docs/design.md#command). Parses options and calls
 * `@hostmirror/ignition`; nothing else.
 */
import {
  formatFinding,
  formatReport,
  type IgnitionConfig,
  IgnitionError,
  IgnitionTypesError,
  loadConfigFile,
  mergeConfigs,
  requireSpecVersion,
  serializeConfig,
  specVersionsAcceptedBy,
  translateConfig,
  validateConfig,
  writeConfigFile,
} from '@hostmirror/ignition';
import {
  type Command,
  type CommandContext,
  flag,
  optionalString,
  readInput,
  requireString,
  UsageError,
} from '../command.ts';

const outputOptions = {
  output: {
    type: 'string',
    short: 'o',
    description: 'the file to write, or - for stdout',
    value: 'OUT.ign',
    default: '-',
  },
  force: { type: 'boolean', short: 'f', description: 'replace an existing output' },
  pretty: {
    type: 'boolean',
    description: 'indent the JSON written to a file (stdout is always indented)',
  },
} as const;

/** `--ignition-release 2.14.0` → the spec versions that release accepts. */
function acceptedVersions(context: CommandContext): string[] | undefined {
  const release = optionalString(context.values, 'ignition-release');
  if (release === undefined) return undefined;
  try {
    return specVersionsAcceptedBy(release);
  } catch (error) {
    if (!(error instanceof IgnitionTypesError)) throw error;
    throw new UsageError(error.message);
  }
}

/** A config named on the command line, validated as Ignition would; `-` reads stdin. */
async function loadConfig(context: CommandContext, path: string): Promise<IgnitionConfig> {
  if (path !== '-') return loadConfigFile(path);
  const report = validateConfig(await readInput(context, path));
  if (!report.valid || report.config === undefined)
    throw new IgnitionError(
      'CONFIG_INVALID',
      `stdin is not a valid Ignition config:\n${formatReport(report)}`,
      { path: '-' },
    );
  return report.config;
}

async function emit(context: CommandContext, config: IgnitionConfig): Promise<void> {
  const output = optionalString(context.values, 'output') ?? '-';
  const pretty = flag(context.values, 'pretty');
  if (output === '-') context.io.stdout.write(serializeConfig(config, { pretty: true }));
  else await writeConfigFile(output, config, { overwrite: flag(context.values, 'force'), pretty });
}

const validate: Command = {
  name: 'validate',
  summary:
    "check a config with Ignition's rules and messages (exit 1 when Ignition would refuse it)",
  usage:
    'hostmirror ignition validate CONFIG.ign|- [--strict] [--ignition-release 2.14.0] [--json]',
  options: {
    strict: { type: 'boolean', description: 'unknown keys are errors, not warnings' },
    'ignition-release': {
      type: 'string',
      description: 'check against the spec versions this Ignition release accepts',
      value: 'RELEASE',
    },
  },
  positionals: [1, 1],
  async run(context) {
    const [path = ''] = context.positionals;
    const accepted = acceptedVersions(context);
    const report = validateConfig(await readInput(context, path), {
      strict: flag(context.values, 'strict'),
      ...(accepted === undefined ? {} : { acceptedVersions: accepted }),
    });
    if (flag(context.values, 'json')) {
      const { config: _config, ...rest } = report;
      context.printJson(rest);
    } else {
      const text = formatReport(report);
      if (text !== '') context.print(text);
      context.print(
        report.valid
          ? `${path}: valid (spec ${report.version}, ${report.warnings.length} warning(s))`
          : `${path}: invalid (${report.parseFailure === undefined ? `${report.errors.length} error(s)` : 'cannot be parsed'})`,
      );
    }
    return report.valid ? 0 : 1;
  },
};

const merge: Command = {
  name: 'merge',
  summary:
    'merge child configs into a parent as Ignition does (each child overrides what came before)',
  usage:
    'hostmirror ignition merge PARENT.ign CHILD.ign... [-o OUT.ign] [-f] [--to VERSION] [--pretty]',
  options: {
    ...outputOptions,
    to: { type: 'string', description: 'the spec version to write', value: 'VERSION' },
  },
  positionals: [2, Number.POSITIVE_INFINITY],
  async run(context) {
    const configs = await Promise.all(context.positionals.map((path) => loadConfig(context, path)));
    const to = optionalString(context.values, 'to');
    let merged = configs[0] as IgnitionConfig;
    for (const child of configs.slice(1)) merged = mergeConfigs(merged, child);
    if (to !== undefined) merged = translateConfig(merged, requireSpecVersion(to));
    const report = validateConfig(merged);
    if (!report.valid) {
      context.io.stderr.write(`${report.errors.map(formatFinding).join('\n')}\n`);
      context.io.stderr.write(
        'hostmirror: merging the configs resulted in an invalid config (as Ignition would say).\n',
      );
      return 1;
    }
    await emit(context, merged);
    return 0;
  },
};

const translate: Command = {
  name: 'translate',
  summary:
    'translate a config to another spec (upward as Ignition does; downward only when nothing is lost)',
  usage: 'hostmirror ignition translate CONFIG.ign|- --to VERSION [-o OUT.ign] [-f] [--pretty]',
  options: {
    ...outputOptions,
    to: { type: 'string', description: 'the spec version to write', value: 'VERSION' },
  },
  positionals: [1, 1],
  async run(context) {
    const to = requireSpecVersion(requireString(context.values, 'to'));
    const [path = ''] = context.positionals;
    await emit(context, translateConfig(await loadConfig(context, path), to));
    return 0;
  },
};

export const commands: Record<string, Command> = { validate, merge, translate };
