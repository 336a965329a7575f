/**
 * What every benchmark here shares: time one process tree under `/usr/bin/time`, summarize
 * rounds as median and range, and say how busy the machine was. The machine these run on is
 * shared (2 cores, load average 5–20 from other sessions), so a figure means something only
 * beside its reference measured in the same round: each benchmark runs the reference and ours
 * one after the other in every round and reports the ratios of the rounds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runOk } from '@hostmirror/fixtures';

export const MiB = 1024 * 1024;

export interface Measure {
  /** Wall-clock seconds, spawn to exit. */
  seconds: number;
  /** User + system CPU seconds of the process and its waited-for children. */
  cpuSeconds: number;
  /** Peak RSS of the largest process of the tree (`%M`), MiB. */
  rssMiB: number;
}

export interface TimedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** Run `command args` under `/usr/bin/time` (its figures go to a file, not the command's stderr). */
export async function timed(
  command: string,
  args: readonly string[],
  options: TimedOptions = {},
): Promise<Measure> {
  const dir = await mkdtemp(join(tmpdir(), 'hm-time-'));
  const file = join(dir, 'time');
  try {
    await runOk('/usr/bin/time', ['-f', '%e %M %U %S', '-o', file, command, ...args], {
      timeoutMs: options.timeoutMs ?? 900_000,
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
    });
    const last = (await readFile(file, 'utf8')).trim().split('\n').at(-1) ?? '';
    const [seconds, kib, user, system] = last.split(' ').map(Number);
    return {
      seconds: seconds ?? Number.NaN,
      cpuSeconds: (user ?? Number.NaN) + (system ?? Number.NaN),
      rssMiB: (kib ?? Number.NaN) / 1024,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Time a shell script (`sh -ec SCRIPT sh ARGS…`). */
export function timedShell(
  script: string,
  args: readonly string[] = [],
  options: TimedOptions = {},
): Promise<Measure> {
  return timed('/bin/sh', ['-ec', script, 'sh', ...args], options);
}

/** Median (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** "median (min–max)" with `digits` decimals. */
export function medianRange(values: readonly number[], digits = 2): string {
  if (values.length === 0) return '–';
  return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
}

/** The 1, 5 and 15 minute load averages, e.g. "6.1 5.4 4.9". */
export function loadNow(): string {
  return loadavg()
    .map((load) => load.toFixed(1))
    .join(' ');
}

/** The commit benchmarked, with "+dirty" when the work tree differs from it. */
export function commitNow(): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  try {
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? head : `${head}+dirty`;
  } catch {
    return 'unknown';
  }
}
