import { parseArgs } from 'node:util';
import {
  type CliIo,
  type Command,
  type CommandContext,
  commonOptions,
  parseArgsOptions,
  UsageError,
} from './command.ts';
import { topHelp, verbHelp } from './help.ts';
import { createProgress } from './progress.ts';
import { verbGroups } from './verbs.ts';
import { withToolFields } from './version.ts';

export const exitCodes = { ok: 0, userError: 1, usage: 2 } as const;

function topUsage(workflows = false): string {
  return topHelp(verbGroups, { workflows }).trimEnd();
}

function groupUsage(groupName: string, commands: Record<string, Command>): string {
  const lines = [`usage: hostmirror ${groupName} <verb> [options]`, '', 'verbs:'];
  for (const command of Object.values(commands))
    lines.push(`  ${command.name.padEnd(18)} ${command.summary}`);
  return lines.join('\n');
}

/**
 * An error the user can fix: it has a stable string `code` and a sentence for a message.
 * Node's own system errors (ENOENT, EACCES…) count too: a path the user gave is wrong.
 */
function isUserError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
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

/** Run `hostmirror` with `argv` (without the node and script paths); returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const resolved = await resolveCommand(argv, io);
  if (typeof resolved === 'number') return resolved;
  const { command, rest, verb } = resolved;
  let parsed: ReturnType<typeof parseCommandArgs>;
  try {
    parsed = parseCommandArgs(command, rest);
  } catch (error) {
    io.stderr.write(`hostmirror: ${(error as Error).message}\n\nusage: ${command.usage}\n`);
    return exitCodes.usage;
  }
  if (parsed.values.help === true) {
    io.stdout.write(verbHelp(command));
    return exitCodes.ok;
  }
  const [min, max] = command.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    io.stderr.write(`hostmirror: wrong number of arguments.\n\nusage: ${command.usage}\n`);
    return exitCodes.usage;
  }
  const json = parsed.values.json === true;
  const context: CommandContext = {
    io,
    values: parsed.values,
    positionals: parsed.positionals,
    progress: createProgress(io.stderr, !json),
    print: (text) => io.stdout.write(`${text}\n`),
    printJson: (value) =>
      io.stdout.write(`${JSON.stringify(withToolFields(`hostmirror ${verb}`, value), null, 2)}\n`),
  };
  try {
    return (await command.run(context)) ?? exitCodes.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`hostmirror: ${error.message}\n\nusage: ${command.usage}\n`);
      return exitCodes.usage;
    }
    if (isUserError(error)) {
      io.stderr.write(`hostmirror: ${error.message}\n`);
      return exitCodes.userError;
    }
    throw error;
  }
}
