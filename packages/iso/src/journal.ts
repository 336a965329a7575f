/**
 * The undo journal of an in-place edit (`ISO.hostmirror-journal`, beside the ISO). Before the
 * first byte of the ISO changes, the journal records the ISO's identity, its original size and
 * the original bytes under every patch, durably (written, fsynced, renamed, folder fsynced).
 * It is removed, durably, only after the edited ISO is synced. So at any kill point either no
 * journal exists and the ISO is the old or the new one, or the journal exists and rolling it
 * back (original bytes put back, file truncated to its original size) gives the old ISO
 * exactly; the interrupted command then runs again from the start and appends once.
 * Rolling back is idempotent, so a kill during a roll-back is rolled back again.
 */
import { type FileHandle, open, readFile, rename, rm, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { IsoError } from './errors.ts';

export const JOURNAL_FORMAT = 'hostmirror-iso-journal/1';

export interface JournalPatch {
  offset: number;
  what: string;
  /** The original bytes, base64. */
  original: string;
}

export interface Journal {
  format: typeof JOURNAL_FORMAT;
  /** The interrupted command (`iso append-initrd`), for messages. */
  command: string;
  pid: number;
  started: string;
  device: number;
  inode: number;
  originalSize: number;
  size: number;
  patches: JournalPatch[];
}

export function journalPath(isoPath: string): string {
  return `${isoPath}.hostmirror-journal`;
}

const temporaryJournalPath = (isoPath: string) => `${journalPath(isoPath)}.tmp`;

async function syncFolder(path: string): Promise<void> {
  const folder = await open(dirname(path), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

export async function writeJournal(isoPath: string, journal: Journal): Promise<void> {
  const temporary = temporaryJournalPath(isoPath);
  // Never through a link someone planted beside the ISO: unlink what is there (rm does not
  // follow a symlink), then create exclusively (O_EXCL does not follow one either).
  await rm(temporary, { force: true });
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(JSON.stringify(journal));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, journalPath(isoPath));
  await syncFolder(isoPath);
}

export async function removeJournal(isoPath: string): Promise<void> {
  await unlink(journalPath(isoPath));
  await syncFolder(isoPath);
}

function corrupt(isoPath: string, detail: string): IsoError {
  return new IsoError(
    'JOURNAL_MISMATCH',
    `The in-place edit journal ${journalPath(isoPath)} is unusable (${detail}). If ${isoPath} was replaced since the interrupted edit, remove the journal; otherwise restore the ISO from a copy.`,
    { path: journalPath(isoPath) },
  );
}

/** The journal left by an interrupted edit of `isoPath`, if any (a half-written one is dropped). */
export async function readJournal(
  isoPath: string,
  options: { cleanup: boolean },
): Promise<Journal | undefined> {
  // A journal killed before its rename never took effect: the ISO was not touched yet. Only
  // the lock holder removes it (a reader could see one being written).
  if (options.cleanup) await rm(temporaryJournalPath(isoPath), { force: true });
  let text: string;
  try {
    text = await readFile(journalPath(isoPath), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let value: Partial<Journal>;
  try {
    value = JSON.parse(text) as Partial<Journal>;
  } catch (error) {
    throw corrupt(isoPath, (error as Error).message);
  }
  const numbers = ['pid', 'device', 'inode', 'originalSize', 'size'] as const;
  if (
    value.format !== JOURNAL_FORMAT ||
    numbers.some((key) => typeof value[key] !== 'number') ||
    !Array.isArray(value.patches) ||
    value.patches.some(
      (patch) => typeof patch?.offset !== 'number' || typeof patch.original !== 'string',
    )
  )
    throw corrupt(isoPath, `not a ${JOURNAL_FORMAT} journal`);
  return value as Journal;
}

export async function writeAll(handle: FileHandle, bytes: Buffer, offset: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, offset + done);
    done += bytesWritten;
  }
}

/**
 * Put the original bytes back through `handle` (the ISO opened read-write), cut the file to
 * its original size, sync, and remove the journal.
 */
export async function rollBackWith(
  handle: FileHandle,
  isoPath: string,
  journal: Journal,
): Promise<void> {
  const stat = await handle.stat();
  if (stat.ino !== journal.inode || stat.dev !== journal.device)
    throw corrupt(
      isoPath,
      `it was written for inode ${journal.inode}, the ISO is inode ${stat.ino}`,
    );
  if (stat.size < journal.originalSize)
    throw corrupt(
      isoPath,
      `the ISO is ${stat.size} bytes, shorter than the ${journal.originalSize} it had`,
    );
  for (const patch of journal.patches)
    await writeAll(handle, Buffer.from(patch.original, 'base64'), patch.offset);
  await handle.truncate(journal.originalSize);
  await handle.sync();
  await removeJournal(isoPath);
}

/** Roll back the interrupted edit `journal` describes (the caller holds the lock). */
export async function rollBack(isoPath: string, journal: Journal): Promise<void> {
  const handle = await open(isoPath, 'r+');
  try {
    await rollBackWith(handle, isoPath, journal);
  } finally {
    await handle.close();
  }
}
