import { createWriteStream, type WriteStream } from 'node:fs';
import { access, link, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AtomicFileError } from './errors.ts';
import { reclaimStale, scratchName, track } from './scratch.ts';

export interface AtomicOutputOptions {
  /** Replace an existing file at the target path (the CLI's `-f`). */
  overwrite?: boolean;
  /** File mode of the new file (default 0o644). */
  mode?: number;
}

/**
 * An output being written under a temporary name beside its target. `commit()` fsyncs and
 * renames it into place, so readers see the old file or the whole new one, never a part;
 * `abort()` removes the temporary file, and so does SIGINT/SIGTERM/SIGHUP; a process killed
 * outright leaves `.NAME.hostmirror-<pid>-*`, which the next output to NAME reclaims.
 */
export interface AtomicOutput {
  readonly path: string;
  readonly temporaryPath: string;
  readonly stream: WriteStream;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

function outputExists(path: string): AtomicFileError {
  return new AtomicFileError(
    'OUTPUT_EXISTS',
    `${path} already exists; use -f (library: overwrite: true) to replace it, or choose another output path.`,
    { path },
  );
}

async function checkTarget(path: string, overwrite: boolean): Promise<void> {
  const folder = dirname(path);
  const folderStat = await stat(folder).catch(() => undefined);
  if (!folderStat?.isDirectory()) {
    throw new AtomicFileError(
      'OUTPUT_DIR_MISSING',
      `Cannot write ${path}: the folder ${folder} does not exist; create it first.`,
      { path },
    );
  }
  if (!overwrite && (await exists(path))) {
    throw outputExists(path);
  }
}

/** Temporary files of `path` are `.NAME.hostmirror-<pid>-<random>` beside it (scratch.ts). */
const temporaryPrefix = (path: string) => `.${basename(path)}.hostmirror-`;

export async function openAtomicOutput(
  path: string,
  options: AtomicOutputOptions = {},
): Promise<AtomicOutput> {
  const overwrite = options.overwrite ?? false;
  await checkTarget(path, overwrite);
  // A killed earlier run of the same output left its temporary file: reclaim it.
  await reclaimStale(dirname(path), temporaryPrefix(path));
  const temporaryPath = scratchName(dirname(path), temporaryPrefix(path));
  const release = track(temporaryPath);
  const stream = createWriteStream(temporaryPath, { flags: 'wx', mode: options.mode ?? 0o644 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => {
      release();
      reject(error);
    });
  });
  let settled = false;
  return {
    path,
    temporaryPath,
    stream,
    async commit() {
      if (settled) return;
      settled = true;
      release();
      try {
        if (!stream.closed) await new Promise<void>((resolve) => stream.end(resolve));
        const handle = await open(temporaryPath, 'r');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        if (overwrite) await rename(temporaryPath, path);
        else {
          // link() fails when the target appeared meanwhile: never clobber without -f.
          try {
            await link(temporaryPath, path);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw outputExists(path);
            throw error;
          }
          await unlink(temporaryPath);
        }
      } catch (error) {
        // Whatever failed (sync, rename, link), the temporary file goes: no `.NAME.hostmirror-*`
        // is left behind by a failed commit.
        await unlink(temporaryPath).catch(() => undefined);
        if (error instanceof AtomicFileError) throw error;
        const cause = error as NodeJS.ErrnoException;
        throw new AtomicFileError(
          'COMMIT_FAILED',
          `Cannot put the new ${path} in place (${cause.code ?? cause.message}); nothing was replaced. Check that ${path} is not a folder and that its folder is writable.`,
          { path, cause: error },
        );
      }
    },
    async abort() {
      if (settled) return;
      settled = true;
      release();
      stream.destroy();
      await unlink(temporaryPath).catch(() => undefined);
    },
  };
}

/** Pipe a readable into `path` atomically. */
export async function writeStreamAtomic(
  path: string,
  source: Readable | AsyncIterable<Uint8Array>,
  options: AtomicOutputOptions = {},
): Promise<void> {
  const output = await openAtomicOutput(path, options);
  try {
    await pipeline(source, output.stream);
    await output.commit();
  } catch (error) {
    await output.abort();
    throw error;
  }
}

/** Write bytes or text to `path` atomically. */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicOutputOptions = {},
): Promise<void> {
  const output = await openAtomicOutput(path, options);
  try {
    await new Promise<void>((resolve, reject) => {
      output.stream.write(data, (error) => (error ? reject(error) : resolve()));
    });
    await output.commit();
  } catch (error) {
    await output.abort();
    throw error;
  }
}
