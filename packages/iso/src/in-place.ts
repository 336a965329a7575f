/**
 * Apply an edit to the image file itself, so that a kill at any point leaves the old ISO, the
 * new ISO, or a journal that rolls back to the old one (journal.ts):
 * 1. the original bytes under each patch are read and the undo journal is written durably;
 * 2. appendices are written after the original end (nothing original is touched yet), the file
 *    is cut to its new size and synced;
 * 3. the patches are written and synced; 4. the journal is removed durably.
 * On an error the writer rolls back itself; when even that fails the journal stays, `iso
 * inspect` reports the ISO torn and `iso repair` (or the same command again) restores it.
 * The caller holds the ISO's lock (lock.ts) from planning to here.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { IsoEdit, WriteOptions } from './edit.ts';
import { runChecks, tapOriginalRegion, tapZeros, validateEdit } from './edit.ts';
import { IsoError } from './errors.ts';
import {
  JOURNAL_FORMAT,
  type Journal,
  journalPath,
  removeJournal,
  rollBackWith,
  writeAll,
  writeJournal,
} from './journal.ts';
import { FileSource } from './source.ts';

async function readExact(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const bytes = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(bytes, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return bytes;
}

/** Hooks for tests that prove the rollback: called before each write. */
export interface InPlaceHooks {
  beforeWrite?: (what: string) => void | Promise<void>;
}

/**
 * Apply `edit` to the file at `path`. Taps (`onInputChunk`, `onOutputChunk`) see the original
 * image and the edited one: the original region is read once before anything is changed.
 */
export function applyEditInPlace(
  path: string,
  edit: IsoEdit,
  options: WriteOptions & InPlaceHooks & JournalOptions = {},
): Promise<void> {
  return applyEdit(path, edit, { ...options, journal: options.journal ?? true }, 'all');
}

export interface JournalOptions {
  /** Keep an undo journal beside the file (in place: yes; a private temporary copy: no). */
  journal?: boolean;
  /** The command recorded in the journal and the lock note. */
  command?: string;
  /** The file's identity and modification time when it was planned: a change is ISO_CHANGED. */
  expected?: { device: number; inode: number; mtimeMs: number };
}

/** An I/O failure while writing, as a typed error saying what was being written and where. */
function writeFailed(path: string, doing: string, error: unknown, after: string): IsoError {
  const cause = error as NodeJS.ErrnoException;
  return new IsoError(
    'WRITE_FAILED',
    `Writing ${doing} to ${path} failed (${cause.code ?? cause.message}); ${after}`,
    { path, subject: doing, cause: error },
  );
}

/** Read the file's original region once, for the taps, before it is changed. */
async function tapOriginal(path: string, edit: IsoEdit, options: WriteOptions): Promise<void> {
  if (options.onInputChunk === undefined && options.onOutputChunk === undefined) return;
  const source = await FileSource.open(path);
  try {
    await tapOriginalRegion(source, edit, options);
  } finally {
    await source.close();
  }
}

/**
 * The in-place writer. `tapped: 'tail'` leaves the original region to the caller (a new file
 * taps it from the input while the kernel copies it) and taps only the appended bytes.
 */
export async function applyEdit(
  path: string,
  edit: IsoEdit,
  options: WriteOptions & InPlaceHooks & JournalOptions,
  tapped: 'all' | 'tail',
): Promise<void> {
  const valid = validateEdit(edit);
  const { patches, appendices } = valid;
  const handle = await open(path, 'r+');
  let journal: Journal | undefined;
  let doing = 'the edit';
  try {
    const stat = await handle.stat();
    const { expected } = options;
    if (
      stat.size !== edit.originalSize ||
      (expected !== undefined &&
        (expected.inode !== stat.ino ||
          expected.device !== stat.dev ||
          expected.mtimeMs !== stat.mtimeMs))
    )
      throw new IsoError(
        'ISO_CHANGED',
        `${path} changed after the edit was planned (it is ${stat.size} bytes, planned for ${edit.originalSize}; or its inode or modification time differ); run the command again.`,
        { path },
      );
    await runChecks(edit);
    if (tapped === 'all') await tapOriginal(path, valid, options);
    if (options.journal === true) {
      const originals: Journal['patches'] = [];
      for (const patch of patches)
        originals.push({
          offset: patch.offset,
          what: patch.what,
          original: (await readExact(handle, patch.offset, patch.bytes.length)).toString('base64'),
        });
      journal = {
        format: JOURNAL_FORMAT,
        command: options.command ?? 'iso (library)',
        pid: process.pid,
        started: new Date().toISOString(),
        device: stat.dev,
        inode: stat.ino,
        originalSize: edit.originalSize,
        size: edit.size,
        patches: originals,
      };
      doing = `the undo journal ${journalPath(path)}`;
      await writeJournal(path, journal);
    }
    const total = edit.size - edit.originalSize + patches.reduce((n, p) => n + p.bytes.length, 0);
    let written = 0;
    let end = edit.originalSize;
    for (const appendix of appendices) {
      doing = appendix.what;
      tapZeros(options.onOutputChunk, appendix.offset - end);
      let position = appendix.offset;
      for await (const chunk of appendix.chunks()) {
        await options.beforeWrite?.(appendix.what);
        options.onOutputChunk?.(chunk);
        await writeAll(handle, chunk, position);
        position += chunk.length;
        written += chunk.length;
        options.onProgress?.(written, total);
      }
      if (position !== appendix.offset + appendix.length)
        throw new IsoError(
          'BAD_ARCHIVE',
          `${appendix.what} produced ${position - appendix.offset} bytes where ${appendix.length} were planned; did the file change while it was being read?`,
        );
      end = position;
    }
    tapZeros(options.onOutputChunk, edit.size - end);
    doing = 'the grown image';
    if (edit.size !== edit.originalSize) await handle.truncate(edit.size);
    await handle.sync();
    for (const patch of patches) {
      doing = patch.what;
      await options.beforeWrite?.(patch.what);
      await writeAll(handle, patch.bytes, patch.offset);
      written += patch.bytes.length;
      options.onProgress?.(written, total);
    }
    doing = 'the edited image';
    await handle.sync();
    if (journal !== undefined) {
      doing = `the removal of the undo journal ${journalPath(path)}`;
      await removeJournal(path);
    }
  } catch (error) {
    if (journal === undefined) {
      if (tapped === 'tail' || !isIoError(error)) throw error;
      throw writeFailed(path, doing, error, 'the ISO was not changed.');
    }
    try {
      await rollBackWith(handle, path, journal);
    } catch (rollBackError) {
      throw new IsoError(
        'ISO_TORN',
        `Writing ${doing} to ${path} failed (${describe(error)}) and restoring the original failed too (${describe(rollBackError)}); the undo journal ${journalPath(path)} is kept: run \`hostmirror iso repair ${path}\` or the same command again.`,
        { path: journalPath(path), cause: rollBackError },
      );
    }
    if (!isIoError(error)) throw error;
    throw writeFailed(path, doing, error, 'the ISO was restored to its state before the edit.');
  } finally {
    await handle.close();
  }
}

function isIoError(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    !(error instanceof IsoError) &&
    typeof (error as NodeJS.ErrnoException).syscall === 'string'
  );
}

function describe(error: unknown): string {
  const cause = error as NodeJS.ErrnoException;
  return cause.code ?? cause.message;
}
