import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';
import type { Progress } from './progress.ts';

/** Where a command writes. Tests pass their own; `main.ts` passes the process's. */
export interface CliIo {
  /** Where `-` as an input path reads from (`-i -`, `ignition validate -`); default none. */
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * One option, declared once: how it parses (`type`, `short`, `multiple`, as node:util
 * parseArgs takes them) and how `--help` explains it. `src/help.test.ts` fails, naming the
 * verb and the option, when an option has no `description`.
 */
export interface OptionDeclaration {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** One sentence for `--help`: what the option does (required; see src/help.test.ts). */
  description?: string;
  /** The value's name in `--help` (`PATH`, `SIZE`, `HOST:PORT`); default `VALUE`. */
  value?: string;
  /** The default, as `--help` shows it (when leaving the option out means a value). */
  default?: string;
  /** The values it takes, when they are a fixed list (the same constant the verb checks). */
  choices?: readonly string[];
  /** Environment variables that set or change it. */
  env?: readonly string[];
}

export type OptionSpec = Record<string, OptionDeclaration>;

/** The parsing part of the declarations, as node:util parseArgs takes it. */
export function parseArgsOptions(spec: OptionSpec): NonNullable<ParseArgsConfig['options']> {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, { type, short, multiple }] of Object.entries(spec))
    options[name] = {
      type,
      ...(short === undefined ? {} : { short }),
      ...(multiple === undefined ? {} : { multiple }),
    };
  return options;
}
export type ParsedValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  io: CliIo;
  values: ParsedValues;
  positionals: string[];
  progress: Progress;
  /** Print a line on stdout. */
  print(text: string): void;
  /** Print a value as pretty JSON on stdout (the `--json` form). */
  printJson(value: unknown): void;
  /** An informational line on stderr (what was written where); silent with `--quiet`. */
  note(text: string): void;
}

/**
 * One verb: `hostmirror <group> <name>` or, for a group of one, `hostmirror <group>`.
 * `run` returns the exit code (0 success); user errors are thrown as errors with a `code`.
 */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: OptionSpec;
  /** Environment variables the verb reads, with what they do (shown by `--help`). */
  environment?: Record<string, string>;
  /** Lines shown after the options by `--help`: examples, how this relates to other tools. */
  notes?: readonly string[];
  /** Allowed number of positionals: [min, max] (max Infinity for lists). */
  positionals: [number, number];
  run(context: CommandContext): Promise<number | undefined> | number | undefined;
}

/** Bad usage: exit 2 with the usage text. */
export class UsageError extends HostmirrorError<'USAGE'> {
  static override readonly fixes: Readonly<Record<'USAGE', string>> = {
    USAGE:
      'Run hostmirror <verb> --help for its options and operands (hostmirror --help lists the verbs).',
  };

  /** The code is fixed: bad usage always exits 2 with the usage text. */
  constructor(message: string, details: ErrorDetails = {}) {
    super('USAGE', message, details);
  }
}

/**
 * The bytes of an input the user named: a path (from the command's folder), or `-` for stdin
 * (refused when stdin is a terminal, where nobody would type a config).
 */
export async function readInput(context: CommandContext, path: string): Promise<Buffer> {
  if (path !== '-') return readFile(resolve(context.io.cwd, path));
  const stdin = context.io.stdin as (NodeJS.ReadableStream & { isTTY?: boolean }) | undefined;
  if (stdin === undefined) throw new UsageError('- (stdin) is not connected here; give a file.');
  if (stdin.isTTY === true)
    throw new UsageError(
      '- reads stdin, which is a terminal here; pipe the input in or give a file.',
    );
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * The archive chunks the user named: files as given, a folder by the oc-mirror chunks in it
 * (build-iso's `resolveArchives`, loaded only when a folder is given), against the command's folder.
 */
export async function archivePaths(context: CommandContext, paths: readonly string[]) {
  const absolute = paths.map((path) => resolve(context.io.cwd, path));
  const folders = await Promise.all(
    absolute.map((path) =>
      stat(path).then(
        (info) => info.isDirectory(),
        () => false,
      ),
    ),
  );
  if (!folders.includes(true)) return absolute;
  const { resolveArchives } = await import('@hostmirror/build-iso');
  return resolveArchives(absolute);
}

/** Read a string option that must be present. */
export function requireString(values: ParsedValues, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required.`);
  return value;
}

export function optionalString(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function stringList(values: ParsedValues, name: string): string[] {
  const value = values[name];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((item): item is string => typeof item === 'string');
}

/**
 * `-` (stdin) at most once across the options `names`: stdin holds one input. The one rule for
 * every verb that reads configs from files or stdin.
 */
export function stdinAtMostOnce(values: ParsedValues, names: readonly string[]): void {
  const uses = names.flatMap((name) => stringList(values, name).filter((path) => path === '-'));
  if (uses.length > 1)
    throw new UsageError(
      `${names.map((name) => `--${name}`).join(' and ')}: - reads stdin more than once; stdin holds one config: give the others as files.`,
    );
}

export function flag(values: ParsedValues, name: string): boolean {
  return values[name] === true;
}

/** Parse a choice option against its allowed values. */
export function choice<T extends string>(
  values: ParsedValues,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const value = values[name];
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
    return value as T;
  throw new UsageError(`--${name} must be one of ${allowed.join(', ')}; got ${String(value)}.`);
}

/** The options every verb has. */
export const commonOptions: OptionSpec = {
  help: { type: 'boolean', short: 'h', description: 'show this help and exit' },
  quiet: {
    type: 'boolean',
    short: 'q',
    description: 'no progress and no informational lines on stderr (errors and warnings stay)',
  },
  json: {
    type: 'boolean',
    description:
      'print the result as one JSON object (starting with tool, toolVersion, schemaVersion) instead of text',
  },
};
