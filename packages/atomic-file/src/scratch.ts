/**
 * Work folders and temporary files that never outlive their process. Each is named with the
 * pid that made it (`PREFIX<pid>-<random>`) and registered while it lives:
 * - a normal exit, a thrown error (the caller's `finally`) or SIGINT/SIGTERM/SIGHUP removes it
 *   (the signal is raised again afterwards, so the process still ends as it would have);
 * - a process killed outright (SIGKILL, power loss) cannot clean up: the next process that
 *   makes a folder or file with the same prefix in the same place removes those whose pid is
 *   no longer running (a reused pid keeps its folder: the safe side).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const live = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let handlersInstalled = false;

function removeLiveNow(): void {
  for (const path of live) rmSync(path, { recursive: true, force: true });
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removeLiveNow();
  for (const name of SIGNALS) process.removeListener(name, onSignal);
  process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of SIGNALS) process.on(signal, onSignal);
  process.on('exit', removeLiveNow);
}

/** Is `pid` a running process (of any user)? */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove what dead processes left under `parent` with names `PREFIX<pid>-…`; returns the names. */
export async function reclaimStale(parent: string, prefix: string): Promise<string[]> {
  const names = await readdir(parent).catch(() => [] as string[]);
  const reclaimed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
    await rm(join(parent, name), { recursive: true, force: true });
    reclaimed.push(name);
  }
  return reclaimed;
}

/** A fresh name `parent/PREFIX<pid>-<random>` for this process (nothing is created). */
export function scratchName(parent: string, prefix: string): string {
  return join(parent, `${prefix}${process.pid}-${randomBytes(6).toString('hex')}`);
}

/** Register a path to remove if the process is interrupted; returns its `release()`. */
export function track(path: string): () => void {
  installHandlers();
  live.add(path);
  return () => {
    live.delete(path);
  };
}

export interface WorkFolder {
  readonly path: string;
  /** Remove the folder (idempotent); call it in a `finally`. */
  dispose(): Promise<void>;
}

/**
 * Make a work folder `parent/PREFIX<pid>-<random>` after reclaiming the ones dead processes
 * left there; it is removed by `dispose()`, at exit, or on SIGINT/SIGTERM/SIGHUP.
 */
export async function createWorkFolder(parent: string, prefix: string): Promise<WorkFolder> {
  await reclaimStale(parent, prefix);
  const path = scratchName(parent, prefix);
  await mkdir(path, { mode: 0o700 });
  const release = track(path);
  return {
    path,
    async dispose() {
      release();
      await rm(path, { recursive: true, force: true });
    },
  };
}
