import { parseArgs } from 'node:util';
import type { ErrorJson } from '@hostmirror/errors';
import {
  type CliIo,
  type Command,
  type CommandContext,
  commonOptions,
  parseArgsOptions,
  UsageError,
} from './command.ts';
import { failureText, isBrokenPipe, userFailure } from './failure.ts';
import { topHelp, verbHelp } from './help.ts';
import { createProgress } from './progress.ts';
import { verbGroups } from './verbs.ts';
import { withToolFields } from './version.ts';

/** Exit codes; a broken pipe ends as a process killed by SIGPIPE would (128 + 13), quietly. */
export const exitCodes = { ok: 0, userError: 1, usage: 2, brokenPipe: 141 } as const;

function topUsage(workflows = false): string {
  return topHelp(verbGroups, { workflows }).trimEnd();
}

function groupUsage(groupName: string, commands: Record<string, Command>): string {
  const lines = [`usage: hostmirror ${groupName} <verb> [options]`, '', 'verbs:'];
  for (const command of Object.values(commands))
    lines.push(`  ${command.name.padEnd(18)} ${command.summary}`);
  return lines.join('\n');
}

async function resolveCommand(
  argv: string[],
  io: CliIo,
): Promise<{ command: Command; rest: string[]; verb: string } | number> {
  const [first, ...afterGroup] = argv;
  // `--version` and `-V` are `hostmirror version` (git, npm and coreos-installer take both).
  const groupName = first === '--version' || first === '-V' ? 'version' : first;
  if (
    groupName === undefined ||
    groupName === '--help' ||
    groupName === '-h' ||
    groupName === 'help'
  ) {
    if (groupName === undefined) io.stderr.write(`${topUsage()}\n`);
    else io.stdout.write(`${topUsage(true)}\n`);
    return groupName === undefined ? exitCodes.usage : exitCodes.ok;
  }
  const group = verbGroups[groupName];
  if (group === undefined) {
    io.stderr.write(`hostmirror: unknown verb '${groupName}'.\n\n${topUsage()}\n`);
    return exitCodes.usage;
  }
  const { commands } = await group.load();
  const single = commands[''];
  if (single !== undefined) return { command: single, rest: afterGroup, verb: groupName };
  const [verbName, ...rest] = afterGroup;
  if (verbName === undefined || verbName === '--help' || verbName === '-h') {
    (verbName === undefined ? io.stderr : io.stdout).write(`${groupUsage(groupName, commands)}\n`);
    return verbName === undefined ? exitCodes.usage : exitCodes.ok;
  }
  // Two-word verbs (coreos-installer's `iso ignition embed`, `iso kargs show`) come first.
  const [second, ...afterSecond] = rest;
  const twoWords = second === undefined ? undefined : commands[`${verbName} ${second}`];
  if (twoWords !== undefined)
    return { command: twoWords, rest: afterSecond, verb: `${groupName} ${verbName} ${second}` };
  const command = commands[verbName];
  if (command === undefined) {
    io.stderr.write(
      `hostmirror: unknown verb '${groupName} ${verbName}'.\n\n${groupUsage(groupName, commands)}\n`,
    );
    return exitCodes.usage;
  }
  return { command, rest, verb: `${groupName} ${verbName}` };
}

function parseCommandArgs(command: Command, rest: string[]) {
  const { values, positionals } = parseArgs({
    args: rest,
    options: parseArgsOptions({ ...commonOptions, ...command.options }),
    allowPositionals: true,
    strict: true,
  });
  return { values, positionals };
}

/** A failure as the `--json` form prints it: the tool fields, `ok: false` and the error. */
function printJsonFailure(io: CliIo, verb: string, error: ErrorJson): void {
  io.stdout.write(
    `${JSON.stringify(withToolFields(`hostmirror ${verb}`, { ok: false, error }), null, 2)}\n`,
  );
}

/** Bad usage: the message and the usage on stderr (and the JSON error with `--json`), exit 2. */
function usageFailure(io: CliIo, verb: string, usage: string, message: string, json: boolean) {
  io.stderr.write(`hostmirror: ${message}\n\nusage: ${usage}\n`);
  if (json)
    printJsonFailure(io, verb, {
      name: 'UsageError',
      code: 'USAGE',
      message,
      fix: `hostmirror ${verb} --help`,
    });
  return exitCodes.usage;
}

/** Run `hostmirror` with `argv` (without the node and script paths); returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const resolved = await resolveCommand(argv, io);
  if (typeof resolved === 'number') return resolved;
  const { command, rest, verb } = resolved;
  let parsed: ReturnType<typeof parseCommandArgs>;
  try {
    parsed = parseCommandArgs(command, rest);
  } catch (error) {
    return usageFailure(io, verb, command.usage, (error as Error).message, rest.includes('--json'));
  }
  const json = parsed.values.json === true;
  if (parsed.values.help === true) {
    io.stdout.write(verbHelp(command));
    return exitCodes.ok;
  }
  const [min, max] = command.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max)
    return usageFailure(io, verb, command.usage, 'wrong number of arguments.', json);
  const quiet = parsed.values.quiet === true;
  const context: CommandContext = {
    io,
    values: parsed.values,
    positionals: parsed.positionals,
    progress: createProgress(io.stderr, !json && !quiet),
    print: (text) => io.stdout.write(`${text}\n`),
    printJson: (value) =>
      io.stdout.write(`${JSON.stringify(withToolFields(`hostmirror ${verb}`, value), null, 2)}\n`),
    note: (text) => {
      if (!quiet) io.stderr.write(`${text}\n`);
    },
  };
  try {
    return (await command.run(context)) ?? exitCodes.ok;
  } catch (error) {
    if (error instanceof UsageError)
      return usageFailure(io, verb, command.usage, error.message, json);
    // The reader of stdout has gone (`| head -c 1`): nothing to say, to no one.
    if (isBrokenPipe(error)) return exitCodes.brokenPipe;
    const failure = userFailure(error, verb);
    if (failure === undefined) throw error;
    io.stderr.write(failureText(failure));
    if (json && !(error as { reportPrinted?: boolean }).reportPrinted)
      printJsonFailure(io, verb, failure);
    return exitCodes.userError;
  }
}
