/**
 * Real tools for system tests: find a command or fail naming the Debian package that provides
 * it, and run a command with a hard timeout, capturing its output.
 *
 * Real-tool tests FAIL (they never skip) when a tool is missing: CI installs every package in
 * `tools/install-system-deps.sh`, so a missing tool is a broken environment, not an optional one.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * The Debian package (bookworm) that provides each command the tests use
 * (`dpkg -S` on the test machine; docs/design.md#testing lists the set).
 */
export const debianPackageOf = {
  'qemu-system-x86_64': 'qemu-system-x86',
  busybox: 'busybox-static',
  cpio: 'cpio',
  bsdtar: 'libarchive-tools',
  gzip: 'gzip',
  pigz: 'pigz',
  xz: 'xz-utils',
  zstd: 'zstd',
  xorriso: 'xorriso',
  isoinfo: 'genisoimage',
  'grub-mkstandalone': 'grub-efi-amd64-bin',
  mcopy: 'mtools',
  'mkfs.vfat': 'dosfstools',
  'ignition-validate': 'ignition',
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  'systemd-analyze': 'systemd',
  unshare: 'util-linux',
  ip: 'iproute2',
  openssl: 'openssl',
  find: 'findutils',
  sort: 'coreutils',
  cmp: 'diffutils',
  time: 'time',
  timeout: 'coreutils',
  flock: 'util-linux',
  strace: 'strace',
  'dpkg-query': 'dpkg',
  gawk: 'gawk',
  tar: 'tar',
  bash: 'bash',
  objdump: 'binutils',
} as const satisfies Record<string, string>;

export type KnownTool = keyof typeof debianPackageOf;

/** Folders searched after `$PATH`: test runners often start without the sbin folders. */
const extraSearchPath = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
];

/** A tool a real-system test needs is not installed. */
export class MissingToolError extends Error {
  readonly code = 'MISSING_TOOL';
  readonly command: string;
  readonly debianPackage: string;
  constructor(command: string, debianPackage: string) {
    super(
      `'${command}' is not installed; install the Debian package ${debianPackage} ` +
        `(apt-get install -y --no-install-recommends ${debianPackage}, or run tools/install-system-deps.sh as root).`,
    );
    this.name = 'MissingToolError';
    this.command = command;
    this.debianPackage = debianPackage;
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The absolute path of `command` (searched in `$PATH`, then the usual system folders), or a
 * `MissingToolError` naming the Debian package to install. A file path is checked as is.
 */
export async function requireTool(command: KnownTool): Promise<string>;
export async function requireTool(command: string, debianPackage: string): Promise<string>;
export async function requireTool(command: string, debianPackage?: string): Promise<string> {
  const packageName =
    debianPackage ?? (debianPackageOf as Record<string, string>)[command] ?? command;
  if (isAbsolute(command)) {
    if (await isExecutable(command)) return command;
    throw new MissingToolError(command, packageName);
  }
  const folders = [...(process.env.PATH ?? '').split(delimiter), ...extraSearchPath];
  for (const folder of folders) {
    if (folder === '') continue;
    const candidate = join(folder, command);
    if (await isExecutable(candidate)) return candidate;
  }
  throw new MissingToolError(command, packageName);
}

/** A regular file a test needs (a kernel, firmware) is missing. Same code as a missing tool. */
export async function requireFile(path: string, debianPackage: string): Promise<string> {
  try {
    await access(path, constants.R_OK);
    return path;
  } catch {
    throw new MissingToolError(path, debianPackage);
  }
}

export interface RunOptions {
  /** Kill the process (SIGKILL, whole process group) after this many milliseconds. */
  timeoutMs: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Bytes written to the command's stdin (stdin is closed afterwards; empty when absent). */
  input?: string | Uint8Array;
  /** Kill the process early (SIGKILL, whole process group) when this aborts. */
  signal?: AbortSignal;
}

export interface RunResult {
  command: string;
  args: readonly string[];
  /** Exit status, or null when a signal ended the process. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  timedOut: boolean;
  durationMs: number;
}

/** A command that `runOk` ran did not exit 0 (or timed out). */
export class CommandFailedError extends Error {
  readonly code = 'COMMAND_FAILED';
  readonly result: RunResult;
  constructor(result: RunResult) {
    const how = result.timedOut
      ? `timed out after ${Math.round(result.durationMs)} ms`
      : result.signal !== null
        ? `was killed by ${result.signal}`
        : `exited with ${result.exitCode}`;
    const stderr = result.stderr.toString('utf8').trim().slice(-2000);
    super(
      `${[result.command, ...result.args].join(' ')} ${how}${stderr === '' ? '' : `:\n${stderr}`}`,
    );
    this.name = 'CommandFailedError';
    this.result = result;
  }
}

/** Process groups of the commands still running: killed when this process exits. */
const liveGroups = new Set<number>();
process.on('exit', () => {
  for (const pid of liveGroups) killProcessGroup(pid);
});

function killProcessGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/**
 * Run `command args…` with a hard timeout and return its exit status and output. The command
 * runs in its own process group so that a timeout kills its children too (`sh -c` pipelines).
 */
export function runTool(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const killGroup = () => killProcessGroup(child.pid);
    if (child.pid !== undefined) liveGroups.add(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', killGroup, { once: true });
    const settle = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', killGroup);
      if (child.pid !== undefined) liveGroups.delete(child.pid);
    };
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => {
      // The command may exit without reading its input (EPIPE): its exit status tells.
    });
    child.stdin.end(options.input ?? '');
    child.on('error', (error) => {
      settle();
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      settle();
      resolve({
        command,
        args,
        exitCode,
        signal,
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr),
        timedOut,
        durationMs: performance.now() - started,
      });
    });
  });
}

/** `runTool`, but a non-zero exit, a signal or a timeout throws `CommandFailedError`. */
export async function runOk(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const result = await runTool(command, args, options);
  if (result.exitCode !== 0 || result.timedOut) throw new CommandFailedError(result);
  return result;
}

/** Run a shell pipeline (`sh -c`), e.g. `find . | cpio -o -H newc`. */
export function runShell(script: string, options: RunOptions): Promise<RunResult> {
  return runTool('/bin/sh', ['-c', script], options);
}

/**
 * Feed `input` to a real tool and return its stdout, synchronously: for quick cross-checks in
 * unit tests. Fails (never skips) naming the Debian package when the tool is missing, and
 * fails with the tool's stderr when it exits non-zero.
 */
export function filterThroughTool(
  command: string,
  args: string[],
  input: Uint8Array,
  debianPackage: string,
): Buffer {
  const result = spawnSync(command, args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (result.error)
    assert.fail(`${command} is missing: install the Debian package ${debianPackage}`);
  assert.equal(result.status, 0, `${command} ${args.join(' ')}: ${result.stderr.toString()}`);
  return result.stdout;
}
