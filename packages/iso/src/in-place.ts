/**
 * Apply an edit to the image file itself. The order keeps the original bytes recoverable:
 * 1. appendices are written after the original end (nothing original is touched yet) and synced;
 * 2. the bytes under each patch are saved, then the patches are written and synced.
 * On any error the written patches are put back from the saved bytes and the file is truncated
 * to its original size, so a failed write leaves the original image. (A power cut between the
 * steps is not covered: use a new file for that, as iso-relocation.md advises.)
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { IsoEdit, WriteOptions } from './edit.ts';
import { runChecks, tapOriginalRegion, tapZeros, validateEdit } from './edit.ts';
import { IsoError } from './errors.ts';
import { FileSource } from './source.ts';

async function writeAll(handle: FileHandle, bytes: Buffer, offset: number): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, offset + done);
    done += bytesWritten;
  }
}

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
  options: WriteOptions & InPlaceHooks = {},
): Promise<void> {
  return applyEdit(path, edit, options, 'all');
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
  options: WriteOptions & InPlaceHooks,
  tapped: 'all' | 'tail',
): Promise<void> {
  const valid = validateEdit(edit);
  const { patches, appendices } = valid;
  const handle = await open(path, 'r+');
  const saved: { offset: number; bytes: Buffer }[] = [];
  let mutating = false;
  try {
    const { size } = await handle.stat();
    if (size !== edit.originalSize)
      throw new IsoError(
        'ISO_CHANGED',
        `${path} is ${size} bytes but the edit was planned for ${edit.originalSize}; it changed meanwhile.`,
      );
    await runChecks(edit);
    if (tapped === 'all') await tapOriginal(path, valid, options);
    mutating = true;
    const total = edit.size - edit.originalSize + patches.reduce((n, p) => n + p.bytes.length, 0);
    let written = 0;
    let end = edit.originalSize;
    for (const appendix of appendices) {
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
    if (edit.size !== edit.originalSize) await handle.truncate(edit.size);
    await handle.sync();
    for (const patch of patches) {
      await options.beforeWrite?.(patch.what);
      saved.push({
        offset: patch.offset,
        bytes: await readExact(handle, patch.offset, patch.bytes.length),
      });
      await writeAll(handle, patch.bytes, patch.offset);
      written += patch.bytes.length;
      options.onProgress?.(written, total);
    }
    await handle.sync();
  } catch (error) {
    if (!mutating) throw error;
    for (const original of saved.reverse()) await writeAll(handle, original.bytes, original.offset);
    await handle.truncate(edit.originalSize);
    await handle.sync();
    throw error;
  } finally {
    await handle.close();
  }
}
