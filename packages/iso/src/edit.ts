/**
 * An edit of an image: byte ranges overwritten inside it (patches) and byte ranges added after
 * its end (appendices, streamed). One edit is written in three ways with identical results
 * (docs/coreos-iso.md#writing-modes): in place, to a new file (atomically), or to a stream. Memory stays
 * bounded by the chunk size whatever the image size.
 */
import { constants } from 'node:fs';
import { copyFile, open, realpath } from 'node:fs/promises';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openAtomicOutput, writeStreamAtomic } from '@hostmirror/atomic-file';
import { IsoError } from './errors.ts';
import { READ_CHUNK_SIZE } from './image.ts';
import { applyEdit } from './in-place.ts';
import type { ByteSource } from './source.ts';

export interface IsoPatch {
  /** Byte offset in the image; the patch lies wholly inside the original image. */
  offset: number;
  bytes: Buffer;
  /** What the bytes are, for reports (`ignition area`, `kargs area in isolinux/isolinux.cfg`). */
  what: string;
}

export interface IsoAppendix {
  /** Byte offset at or after the original end; gaps before it are zero-filled. */
  offset: number;
  length: number;
  what: string;
  /** Exactly `length` bytes, in bounded chunks. */
  chunks(): AsyncIterable<Buffer>;
}

export interface IsoEdit {
  /** Size of the image the edit applies to. */
  originalSize: number;
  /** Size of the edited image. */
  size: number;
  patches: IsoPatch[];
  appendices: IsoAppendix[];
  /**
   * Checks that must pass before any byte is written (an appended archive against the kernel's
   * rules). Writers run them first, or, for a new file, while the input is being copied.
   */
  checks?: (() => Promise<void>)[];
}

/** Run an edit's checks; any failure stops the write before it starts. */
export async function runChecks(edit: IsoEdit): Promise<void> {
  await Promise.all((edit.checks ?? []).map((check) => check()));
}

export interface WriteProgress {
  /** Called with the bytes written so far and the total to write. */
  onProgress?: (written: number, total: number) => void;
}

/**
 * Taps on a write: every byte of the input image and every byte of the edited image, each
 * exactly once and in order, as the writer handles them (the bytes under a patch are read for
 * the input tap only). A caller hashes both images without reading either again.
 */
export interface WriteTaps {
  /** The input image's bytes `[0, originalSize)`, chunk after chunk. */
  onInputChunk?: (chunk: Buffer) => void;
  /** The edited image's bytes `[0, size)`, chunk after chunk. */
  onOutputChunk?: (chunk: Buffer) => void;
}

export type WriteOptions = WriteProgress & WriteTaps;

/** Combine edits of the same image (patches from one, appendices from another…). */
export function combineEdits(originalSize: number, edits: IsoEdit[]): IsoEdit {
  const combined: IsoEdit = { originalSize, size: originalSize, patches: [], appendices: [] };
  for (const edit of edits) {
    if (edit.originalSize !== originalSize)
      throw new IsoError(
        'BAD_EDIT',
        `An edit of a ${edit.originalSize}-byte image cannot be combined into one of ${originalSize} bytes; plan every edit on the same image.`,
        { subject: String(edit.originalSize) },
      );
    combined.size = Math.max(combined.size, edit.size);
    combined.patches.push(...edit.patches);
    combined.appendices.push(...edit.appendices);
    if (edit.checks !== undefined) combined.checks = [...(combined.checks ?? []), ...edit.checks];
  }
  return validateEdit(combined);
}

/** Sort an edit's parts and refuse overlaps or parts outside their region. */
export function validateEdit(edit: IsoEdit): IsoEdit {
  const patches = [...edit.patches].sort((a, b) => a.offset - b.offset);
  const appendices = [...edit.appendices].sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const patch of patches) {
    if (patch.offset < end || patch.offset + patch.bytes.length > edit.originalSize)
      throw new IsoError(
        'BAD_EDIT',
        `The patch '${patch.what}' at byte ${patch.offset} (${patch.bytes.length} bytes) overlaps another patch or leaves the ${edit.originalSize}-byte image.`,
        { subject: patch.what, offset: patch.offset },
      );
    end = patch.offset + patch.bytes.length;
  }
  end = edit.originalSize;
  for (const appendix of appendices) {
    if (appendix.offset < end || appendix.offset + appendix.length > edit.size)
      throw new IsoError(
        'BAD_EDIT',
        `The appendix '${appendix.what}' at byte ${appendix.offset} (${appendix.length} bytes) starts before byte ${end} (the image's end or the previous appendix) or ends past the edited size ${edit.size}.`,
        { subject: appendix.what, offset: appendix.offset },
      );
    end = appendix.offset + appendix.length;
  }
  return { ...edit, patches, appendices };
}

async function* zeros(length: number): AsyncGenerator<Buffer> {
  for (let done = 0; done < length; done += READ_CHUNK_SIZE)
    yield Buffer.alloc(Math.min(READ_CHUNK_SIZE, length - done));
}

/** An appendix's chunks, checked to add up to its declared length. */
async function* checkedAppendix(appendix: IsoAppendix): AsyncGenerator<Buffer> {
  let produced = 0;
  for await (const chunk of appendix.chunks()) {
    produced += chunk.length;
    if (produced > appendix.length) break;
    yield chunk;
  }
  if (produced !== appendix.length)
    throw new IsoError(
      'BAD_ARCHIVE',
      `${appendix.what} produced ${produced} bytes where ${appendix.length} were planned; did the file change while it was being read?`,
    );
}

function checkSourceSize(source: ByteSource, edit: IsoEdit): void {
  if (source.size !== edit.originalSize)
    throw new IsoError(
      'ISO_CHANGED',
      `The image is ${source.size} bytes but the edit was planned for ${edit.originalSize}; it changed meanwhile.`,
    );
}

/**
 * The original region `[0, originalSize)` of the edited image (source bytes with the patches in
 * place), fed to the taps on the way: the input tap also gets the bytes a patch replaces.
 * `read` gives the bytes outside the patches (by default `source.read`).
 */
export async function* originalRegion(
  source: ByteSource,
  edit: IsoEdit,
  taps: WriteTaps = {},
  read: (offset: number, length: number) => Promise<Buffer> = (offset, length) =>
    source.read(offset, length),
): AsyncGenerator<Buffer> {
  let position = 0;
  for (const patch of [...edit.patches, undefined]) {
    const stop = patch?.offset ?? edit.originalSize;
    while (position < stop) {
      const length = Math.min(READ_CHUNK_SIZE, stop - position);
      const bytes = await read(position, length);
      taps.onInputChunk?.(bytes);
      taps.onOutputChunk?.(bytes);
      yield bytes;
      position += length;
    }
    if (patch !== undefined) {
      if (taps.onInputChunk !== undefined)
        taps.onInputChunk(await source.read(patch.offset, patch.bytes.length));
      taps.onOutputChunk?.(patch.bytes);
      yield patch.bytes;
      position += patch.bytes.length;
    }
  }
}

/** Feed `length` zero bytes to a tap, in bounded chunks (gaps the writer leaves to truncate). */
export function tapZeros(tap: ((chunk: Buffer) => void) | undefined, length: number): void {
  if (tap === undefined) return;
  const zero = Buffer.alloc(Math.min(READ_CHUNK_SIZE, length));
  for (let done = 0; done < length; done += zero.length)
    tap(zero.subarray(0, Math.min(zero.length, length - done)));
}

/** The edited image's bytes, start to end; `taps` see the input and these bytes as they pass. */
export async function* editedBytes(
  source: ByteSource,
  edit: IsoEdit,
  taps: WriteTaps = {},
): AsyncGenerator<Buffer> {
  const valid = validateEdit(edit);
  await runChecks(edit);
  checkSourceSize(source, valid);
  yield* originalRegion(source, valid, taps);
  let position = valid.originalSize;
  const tapped = async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      taps.onOutputChunk?.(chunk);
      yield chunk;
    }
  };
  for (const appendix of valid.appendices) {
    yield* tapped(zeros(appendix.offset - position));
    yield* tapped(checkedAppendix(appendix));
    position = appendix.offset + appendix.length;
  }
  yield* tapped(zeros(valid.size - position));
}

async function* counted(
  chunks: AsyncIterable<Buffer>,
  total: number,
  progress: WriteProgress,
): AsyncGenerator<Buffer> {
  let written = 0;
  for await (const chunk of chunks) {
    yield chunk;
    written += chunk.length;
    progress.onProgress?.(written, total);
  }
}

/**
 * The kernel copy of an input image to the temporary name of a new file, started before the
 * edit is known (`startIsoCopy`): a caller that plans its edit for a while (build-iso checks the
 * mirror and builds the overlay) overlaps the copy with that work. `writeIso` with
 * `{ kind: 'file', copy }` then applies the edit to the copy and renames it.
 */
export interface IsoCopy {
  /** The input's real path and the output path the copy was started for. */
  readonly input: string;
  readonly outputPath: string;
  /** Settles when the copy is made and on its way to disk (copy + fdatasync). */
  readonly done: Promise<void>;
  /** Remove the temporary file (the caller wrote nothing after all); no-op once committed. */
  abort(): Promise<void>;
}

interface StartedCopy extends IsoCopy {
  readonly atomic: Awaited<ReturnType<typeof openAtomicOutput>>;
}

/** Refuse an output that is the input (use in-place mode for that). */
async function distinctPaths(inputPath: string, outputPath: string): Promise<string> {
  const input = await realpath(inputPath);
  const output = await realpath(outputPath).catch(() => undefined);
  if (output === input)
    throw new IsoError(
      'OUTPUT_IS_INPUT',
      `The output ${outputPath} is the input ISO; use in-place mode to modify it.`,
    );
  return input;
}

/**
 * Copy a whole file in the kernel: Node's `copyFile` is libuv's uv_fs_copyfile, which with
 * `COPYFILE_FICLONE` first asks for a reflink (`ioctl(dst, FICLONE, src)`: shared extents, no
 * bytes moved, on btrfs, XFS with reflink, bcachefs…) and, where the filesystem refuses one
 * (ext4, tmpfs, across filesystems), falls back to its sendfile loop, whose Linux path tries
 * copy_file_range(2) first and plain sendfile(2) after — the data never enters this process
 * (libuv src/unix/fs.c, uv__fs_copyfile and uv__fs_try_copy_file_range, v1.46 as in Node 20:
 * https://github.com/libuv/libuv/blob/v1.46.0/src/unix/fs.c). Without the flag the reflink is
 * never tried. Same bytes either way; a reflinked copy is fsynced like any other.
 */
function kernelCopy(input: string, output: string): Promise<void> {
  return copyFile(input, output, constants.COPYFILE_FICLONE);
}

/**
 * Start copying the image at `inputPath` to a temporary file beside `outputPath` (kernel copy:
 * a reflink where the filesystem has them, else copy_file_range: `kernelCopy`). Nothing appears at
 * `outputPath` until a write with this copy commits; an existing output is refused here
 * unless `overwrite`.
 */
export async function startIsoCopy(
  inputPath: string,
  outputPath: string,
  options: { overwrite?: boolean } = {},
): Promise<IsoCopy> {
  const input = await distinctPaths(inputPath, outputPath);
  const atomic = await openAtomicOutput(outputPath, { overwrite: options.overwrite ?? false });
  const done = new Promise<void>((resolve) => atomic.stream.end(resolve)).then(() =>
    kernelCopy(input, atomic.temporaryPath).then(() => flushToDisk(atomic.temporaryPath)),
  );
  done.catch(() => {}); // awaited by the write; the caller aborts if it never writes
  const copy: StartedCopy = {
    input,
    outputPath,
    done,
    atomic,
    async abort() {
      await done.catch(() => {});
      await atomic.abort();
    },
  };
  return copy;
}

/**
 * Write the edited image to a new file (temporary name, then rename; never the input). The
 * input is copied in the kernel (`kernelCopy`: a reflink where the filesystem has them, else
 * copy_file_range) — or was, by `startIsoCopy`, given as `copy` — then the edit is applied to the copy:
 * the same bytes as the stream, at `cp` speed.
 */
export async function writeEditedFile(
  source: ByteSource & { path?: string },
  edit: IsoEdit,
  outputPath: string,
  options: WriteOptions & { overwrite?: boolean; copy?: IsoCopy } = {},
): Promise<void> {
  const { copy, ...writeOptions } = options;
  if (source.path === undefined) {
    if (copy !== undefined) await copy.abort();
    await writeStreamAtomic(
      outputPath,
      Readable.from(counted(editedBytes(source, edit, writeOptions), edit.size, writeOptions)),
      { overwrite: options.overwrite ?? false },
    );
    return;
  }
  const input = await distinctPaths(source.path, outputPath);
  if (copy !== undefined && (copy.input !== input || copy.outputPath !== outputPath))
    throw new IsoError(
      'OUTPUT_IS_INPUT',
      `The copy was started from ${copy.input} to ${copy.outputPath}, not from ${input} to ${outputPath}; start it for the write that uses it.`,
    );
  const started =
    copy === undefined
      ? ((await startIsoCopy(source.path, outputPath, {
          overwrite: options.overwrite ?? false,
        })) as StartedCopy)
      : (copy as StartedCopy);
  const { atomic } = started;
  try {
    // The taps see the original region from the input while the kernel copies it (or after:
    // from the page cache); the appended bytes are tapped as they are written to the copy.
    await Promise.all([
      started.done,
      runChecks(edit),
      tapOriginalRegion(source, edit, writeOptions),
    ]);
    const { onInputChunk: _input, ...tailOptions } = writeOptions;
    await applyEdit(atomic.temporaryPath, { ...edit, checks: [] }, tailOptions, 'tail');
    await atomic.commit();
  } catch (error) {
    await atomic.abort();
    throw error;
  }
}

/**
 * Start the copy's way to disk while the taps still hash: the writer's final fsync then has
 * little left to wait for (the copy's writeback and the hashing overlap instead of adding up).
 */
async function flushToDisk(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Drive the original region through the taps alone (nothing is written, nothing kept), read
 * into one reused buffer: a fresh 1 MiB buffer per chunk costs more in garbage collection
 * than the read itself.
 */
export async function tapOriginalRegion(
  source: ByteSource,
  edit: IsoEdit,
  taps: WriteTaps,
): Promise<void> {
  if (taps.onInputChunk === undefined && taps.onOutputChunk === undefined) return;
  const valid = validateEdit(edit);
  checkSourceSize(source, valid);
  const buffer = Buffer.allocUnsafe(READ_CHUNK_SIZE); // each use is filled by readInto first
  const read = (offset: number, length: number) =>
    readInto(source, buffer.subarray(0, length), offset);
  for await (const _chunk of originalRegion(source, valid, taps, read));
}

/** Fill `buffer` from `offset`: positionally from a file source, else by `source.read`. */
async function readInto(source: ByteSource, buffer: Buffer, offset: number): Promise<Buffer> {
  if (source.readInto !== undefined) return source.readInto(buffer, offset);
  (await source.read(offset, buffer.length)).copy(buffer);
  return buffer;
}

/** Write the edited image to a stream (`-o -`). */
export async function writeEditedStream(
  source: ByteSource,
  edit: IsoEdit,
  destination: Writable,
  options: WriteOptions = {},
): Promise<void> {
  await pipeline(
    Readable.from(counted(editedBytes(source, edit, options), edit.size, options)),
    destination,
  );
}
