/**
 * An exclusive advisory lock on an ISO being edited in place, so two editors never interleave.
 *
 * Node has no flock(2). We open the ISO read-only and hand that descriptor to util-linux's
 * `flock(1)` as its fd 3 (`flock --exclusive 3`): flock(2) locks the *open file description*,
 * which our process shares with the child, so the lock stays ours after the child exits and
 * the kernel drops it when we close the descriptor or die (even by SIGKILL: no stale lock, no
 * pid guessing). This is how shell scripts lock (`exec 9<file; flock 9`): flock(1) of
 * util-linux 2.38.1, third form `flock [options] number` ("uses an open file by its file
 * descriptor number"), and flock(2) ("Locks created by flock() are associated with an open file description").
 * Limits: advisory (only editors that lock are excluded; a `cp` over the ISO is not); needs
 * `/usr/bin/flock` (util-linux, Essential on Debian); on NFS the kernel emulates flock with
 * byte-range locks (Linux ≥ 2.6.12).
 *
 * Who holds the lock is written beside the ISO (`ISO.hostmirror-lock`: pid, command, since)
 * after it is taken, so a refused editor can name the holder; the kernel lock is the truth,
 * the note only its label.
 */
import { spawn } from 'node:child_process';
import { type FileHandle, open, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { IsoError } from './errors.ts';

export interface LockOptions {
  /** Seconds to wait for another editor to finish; 0 refuses at once. Default 10. */
  waitSeconds?: number;
  /** What this editor is doing (`iso append-initrd`), recorded for a refused editor to see. */
  command?: string;
}

export interface IsoLock {
  readonly path: string;
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  command: string;
  since: string;
}

/** The note naming the lock's holder. */
export function lockNotePath(isoPath: string): string {
  return `${isoPath}.hostmirror-lock`;
}

/** flock(1)'s exit status when the lock is held elsewhere (`--conflict-exit-code`). */
const CONFLICT = 75;
export const DEFAULT_LOCK_WAIT_SECONDS = 10;

function runFlock(handle: FileHandle, waitSeconds: number): Promise<number> {
  const wait = waitSeconds > 0 ? ['--wait', String(waitSeconds)] : ['--nonblock'];
  return new Promise((resolve, reject) => {
    const child = spawn(
      'flock',
      ['--exclusive', ...wait, '--conflict-exit-code', String(CONFLICT), '3'],
      {
        stdio: ['ignore', 'ignore', 'pipe', handle.fd],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new IsoError(
          'LOCK_UNAVAILABLE',
          `Cannot lock the ISO for an in-place edit: flock(1) could not run (${error.code ?? error.message}); install util-linux, or write to a new file with -o.`,
          { cause: error },
        ),
      ),
    );
    child.on('close', (code) => {
      if (code === 0 || code === CONFLICT) resolve(code);
      else
        reject(
          new IsoError(
            'LOCK_UNAVAILABLE',
            `Cannot lock the ISO for an in-place edit: flock(1) exited ${code} (${stderr.trim()}); write to a new file with -o instead.`,
          ),
        );
    });
  });
}

async function readHolder(isoPath: string): Promise<Holder | undefined> {
  try {
    const value = JSON.parse(await readFile(lockNotePath(isoPath), 'utf8')) as Partial<Holder>;
    if (typeof value.pid !== 'number' || typeof value.command !== 'string') return undefined;
    return { pid: value.pid, command: value.command, since: String(value.since ?? '') };
  } catch {
    return undefined;
  }
}

/** Take the lock on `isoPath` (waiting up to `waitSeconds`), or refuse naming the holder. */
export async function lockIso(isoPath: string, options: LockOptions = {}): Promise<IsoLock> {
  const waitSeconds = options.waitSeconds ?? DEFAULT_LOCK_WAIT_SECONDS;
  const handle = await open(isoPath, 'r');
  try {
    if ((await runFlock(handle, waitSeconds)) === CONFLICT) {
      const holder = await readHolder(isoPath);
      const who =
        holder === undefined
          ? 'another editor'
          : `pid ${holder.pid} (\`hostmirror ${holder.command}\`, since ${holder.since})`;
      throw new IsoError(
        'ISO_LOCKED',
        `${isoPath} is being edited in place by ${who}; waited ${waitSeconds} s. Wait for it to finish, or give --lock-wait more seconds.`,
        { path: isoPath, subject: who },
      );
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
  const note: Holder = {
    pid: process.pid,
    command: options.command ?? 'iso (library)',
    since: new Date().toISOString(),
  };
  // Best effort: a folder we cannot write leaves the holder unnamed, not the edit unlocked.
  // Replaced, never written through: a symlink planted as the note is unlinked, and the new
  // note is created exclusively (`wx`), so it cannot clobber a file elsewhere.
  await rm(lockNotePath(isoPath), { force: true })
    .then(() => writeFile(lockNotePath(isoPath), `${JSON.stringify(note)}\n`, { flag: 'wx' }))
    .catch(() => undefined);
  let released = false;
  return {
    path: isoPath,
    async release() {
      if (released) return;
      released = true;
      await unlink(lockNotePath(isoPath)).catch(() => undefined);
      await handle.close();
    },
  };
}
