/**
 * Streaming newc writer. Output is reproducible: the same entries give the same bytes (mtime
 * from the options, SOURCE_DATE_EPOCH or 0; uid/gid 0 unless given; ino a running index;
 * nlink 1; entries sorted by their UTF-8 bytes unless `sort: false`). Missing parent
 * directories are written before their children, because the kernel silently drops a file
 * whose parent is missing (docs/coreos-iso.md#kernel-initramfs-rules). Every piece is padded to 4 bytes and
 * the trailer too, so another archive can follow directly (the npm `cpio-stream` bug,
 * docs/deps.md#cpio).
 */
import { Readable } from 'node:stream';
import {
  DEFAULT_DIRECTORY_MODE,
  DEFAULT_FILE_MODE,
  DEFAULT_SYMLINK_MODE,
  NEWC_FIELD_MAX,
  NEWC_HEADER_SIZE,
  PATH_MAX,
  PERMISSION_BITS,
  padLength,
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
  TRAILER_NAME,
} from './constants.ts';
import { NewcError } from './errors.ts';
import { encodeNewcHeader, type NewcHeaderFields } from './newc-header.ts';
import { archivePath, parentPaths } from './safe-path.ts';

export type NewcEntryInputType = 'file' | 'directory' | 'symlink';

/** One entry to write. Give a file's contents as `data`, or as `stream` plus `size`. */
export interface NewcEntryInput {
  /** Path on the target system; a leading `/` is dropped, `..` is refused. */
  path: string;
  type: NewcEntryInputType;
  /** Permission bits (e.g. 0o755); the file type bits are added from `type`. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; default: the writer's `mtime`. */
  mtime?: number;
  /** Symlink target. */
  target?: string;
  /** File contents (a string is written as UTF-8). */
  data?: Uint8Array | string;
  /** File contents as a stream, opened only when the entry is written. Needs `size`. */
  stream?: () => NodeJS.ReadableStream | AsyncIterable<Uint8Array>;
  /** Exact length of `stream`; a different actual length is an error (SIZE_MISMATCH). */
  size?: number;
}

export interface WriteNewcOptions {
  /** mtime of entries without their own; default SOURCE_DATE_EPOCH or 0. */
  mtime?: number;
  /** Write missing parent directories (mode 0755) before their children; default true. */
  addParentDirectories?: boolean;
  /**
   * Sort entries by path (UTF-8 byte order, so a folder precedes its contents); default true.
   * With false, entries are written as they arrive, and sources can be streamed lazily.
   */
  sort?: boolean;
  /** Write the `TRAILER!!!` entry at the end; default true. */
  trailer?: boolean;
  /** The environment SOURCE_DATE_EPOCH is read from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Output pieces are gathered to this size before being pushed, so small entries cost little. */
const BATCH_BYTES = 64 * 1024;
/** Streamed bodies are passed through in pieces of at most this size. */
const NUL = new Uint8Array(1);
const ZEROS = new Uint8Array(4);

/**
 * The default mtime: SOURCE_DATE_EPOCH when set (https://reproducible-builds.org/specs/source-date-epoch/),
 * else 0. A malformed value is an error rather than silently ignored.
 */
export function defaultMtime(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return 0;
  if (!/^\d+$/.test(raw) || Number(raw) > NEWC_FIELD_MAX) {
    throw new NewcError(
      'BAD_ENTRY',
      `SOURCE_DATE_EPOCH is ${JSON.stringify(raw)}; it must be a whole number of seconds up to ${NEWC_FIELD_MAX}.`,
    );
  }
  return Number(raw);
}

/** Write a newc archive of `entries` as a byte stream. Errors surface as stream errors. */
export function writeNewc(
  entries: Iterable<NewcEntryInput> | AsyncIterable<NewcEntryInput>,
  options: WriteNewcOptions = {},
): Readable {
  return Readable.from(generateNewc(entries, options), { objectMode: false });
}

interface PreparedEntry {
  name: string;
  input: NewcEntryInput;
}

function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

function typeBits(type: NewcEntryInputType): number {
  if (type === 'directory') return S_IFDIR;
  if (type === 'symlink') return S_IFLNK;
  return S_IFREG;
}

function defaultMode(type: NewcEntryInputType): number {
  if (type === 'directory') return DEFAULT_DIRECTORY_MODE;
  if (type === 'symlink') return DEFAULT_SYMLINK_MODE;
  return DEFAULT_FILE_MODE;
}

function checkInput(input: NewcEntryInput, name: string): void {
  if (input.type !== 'file' && input.type !== 'directory' && input.type !== 'symlink') {
    throw new NewcError(
      'BAD_ENTRY',
      `Entry ${name} has type ${String(input.type)}; use file, directory or symlink.`,
      { path: name },
    );
  }
  if (
    input.mode !== undefined &&
    (!Number.isInteger(input.mode) || input.mode < 0 || input.mode > PERMISSION_BITS)
  ) {
    throw new NewcError(
      'BAD_ENTRY',
      `Entry ${name} has mode ${String(input.mode)}; give permission bits 0..0o7777 such as 0o755.`,
      { path: name },
    );
  }
  if (input.type === 'symlink' && (input.target === undefined || input.target === '')) {
    throw new NewcError('BAD_ENTRY', `Symlink ${name} has no target.`, { path: name });
  }
  if (input.type !== 'file' && (input.data !== undefined || input.stream !== undefined)) {
    throw new NewcError('BAD_ENTRY', `Entry ${name} is a ${input.type} and cannot have contents.`, {
      path: name,
    });
  }
  if (input.stream !== undefined && input.data !== undefined) {
    throw new NewcError('BAD_ENTRY', `Entry ${name} has both data and stream; give one.`, {
      path: name,
    });
  }
  if (
    input.stream !== undefined &&
    (input.size === undefined || !Number.isInteger(input.size) || input.size < 0)
  ) {
    throw new NewcError(
      'BAD_ENTRY',
      `Entry ${name} is streamed but has no valid size; give size with stream.`,
      { path: name },
    );
  }
}

function compareBytes(left: PreparedEntry, right: PreparedEntry): number {
  return Buffer.compare(Buffer.from(left.name, 'utf8'), Buffer.from(right.name, 'utf8'));
}

async function* prepared(
  entries: Iterable<NewcEntryInput> | AsyncIterable<NewcEntryInput>,
  sort: boolean,
): AsyncGenerator<PreparedEntry> {
  if (!sort) {
    for await (const input of entries) {
      const name = archivePath(input.path);
      checkInput(input, name);
      yield { name, input };
    }
    return;
  }
  const all: PreparedEntry[] = [];
  const seen = new Set<string>();
  for await (const input of entries) {
    const name = archivePath(input.path);
    checkInput(input, name);
    if (seen.has(name)) {
      throw new NewcError('DUPLICATE_PATH', `Path ${name} is given twice; give each path once.`, {
        path: name,
      });
    }
    seen.add(name);
    all.push({ name, input });
  }
  all.sort(compareBytes);
  yield* all;
}

/** Gathers small output pieces into batches of about BATCH_BYTES. */
class Batcher {
  private pieces: Uint8Array[] = [];
  private length = 0;

  add(piece: Uint8Array): Uint8Array | undefined {
    if (piece.length === 0) return undefined;
    this.pieces.push(piece);
    this.length += piece.length;
    return this.length >= BATCH_BYTES ? this.take() : undefined;
  }

  take(): Uint8Array | undefined {
    if (this.length === 0) return undefined;
    const out = Buffer.concat(this.pieces, this.length);
    this.pieces = [];
    this.length = 0;
    return out;
  }
}

function headerAndName(
  fields: NewcHeaderFields,
  nameBytes: Uint8Array,
  name: string,
): Uint8Array[] {
  const header = encodeNewcHeader(fields, name);
  const padding = padLength(NEWC_HEADER_SIZE + nameBytes.length + 1);
  return [header, nameBytes, NUL, ZEROS.subarray(0, padding)];
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return utf8(chunk);
  throw new NewcError(
    'BAD_ENTRY',
    `A stream gave a ${typeof chunk} chunk; streams must give bytes.`,
  );
}

async function* streamBody(input: NewcEntryInput, name: string): AsyncGenerator<Uint8Array> {
  const expected = input.size as number;
  const source = (input.stream as () => NodeJS.ReadableStream | AsyncIterable<Uint8Array>)();
  let seen = 0;
  for await (const raw of source as AsyncIterable<unknown>) {
    const chunk = toBytes(raw);
    seen += chunk.length;
    if (seen > expected) {
      throw new NewcError(
        'SIZE_MISMATCH',
        `The stream of ${name} gave more than its declared size of ${expected} bytes; the file changed while being read or the size is wrong.`,
        { path: name },
      );
    }
    yield chunk;
  }
  if (seen !== expected) {
    throw new NewcError(
      'SIZE_MISMATCH',
      `The stream of ${name} gave ${seen} bytes, not its declared size of ${expected}; the file changed while being read or the size is wrong.`,
      { path: name },
    );
  }
}

/** The archive as an async sequence of byte chunks. */
export async function* generateNewc(
  entries: Iterable<NewcEntryInput> | AsyncIterable<NewcEntryInput>,
  options: WriteNewcOptions = {},
): AsyncGenerator<Uint8Array> {
  const mtime = options.mtime ?? defaultMtime(options.env);
  const addParents = options.addParentDirectories ?? true;
  const sort = options.sort ?? true;
  const batch = new Batcher();
  const written = new Set<string>();
  let ino = 0;

  function* emitSmall(pieces: Uint8Array[]): Generator<Uint8Array> {
    for (const piece of pieces) {
      const full = batch.add(piece);
      if (full !== undefined) yield full;
    }
  }

  function fieldsFor(
    mode: number,
    size: number,
    nameBytes: Uint8Array,
    input?: NewcEntryInput,
  ): NewcHeaderFields {
    ino += 1;
    return {
      ino,
      mode,
      uid: input?.uid ?? 0,
      gid: input?.gid ?? 0,
      nlink: 1,
      mtime: input?.mtime ?? mtime,
      filesize: size,
      devMajor: 0,
      devMinor: 0,
      rdevMajor: 0,
      rdevMinor: 0,
      namesize: nameBytes.length + 1,
      check: 0,
    };
  }

  function checkName(nameBytes: Uint8Array, name: string): void {
    if (nameBytes.length + 1 > PATH_MAX) {
      throw new NewcError(
        'FIELD_TOO_LARGE',
        `Path ${name} is ${nameBytes.length + 1} bytes with its NUL, over the kernel's PATH_MAX of ${PATH_MAX}; the kernel would skip it.`,
        { path: name },
      );
    }
  }

  for await (const { name, input } of prepared(entries, sort)) {
    if (addParents) {
      for (const parent of parentPaths(name)) {
        if (written.has(parent)) continue;
        written.add(parent);
        const parentBytes = utf8(parent);
        checkName(parentBytes, parent);
        yield* emitSmall(
          headerAndName(
            fieldsFor(S_IFDIR | DEFAULT_DIRECTORY_MODE, 0, parentBytes),
            parentBytes,
            parent,
          ),
        );
      }
    }
    written.add(name);
    const nameBytes = utf8(name);
    checkName(nameBytes, name);
    const mode = typeBits(input.type) | (input.mode ?? defaultMode(input.type));
    if (input.stream !== undefined) {
      const size = input.size as number;
      yield* emitSmall(headerAndName(fieldsFor(mode, size, nameBytes, input), nameBytes, name));
      const head = batch.take();
      if (head !== undefined) yield head;
      for await (const chunk of streamBody(input, name))
        yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      yield* emitSmall([ZEROS.subarray(0, padLength(size))]);
      continue;
    }
    let body: Uint8Array;
    if (input.type === 'symlink') body = utf8(input.target as string);
    else if (typeof input.data === 'string') body = utf8(input.data);
    else body = input.data ?? new Uint8Array(0);
    if (input.type === 'symlink' && body.length > PATH_MAX) {
      throw new NewcError(
        'FIELD_TOO_LARGE',
        `Symlink ${name} has a target of ${body.length} bytes, over PATH_MAX ${PATH_MAX}.`,
        { path: name },
      );
    }
    yield* emitSmall([
      ...headerAndName(fieldsFor(mode, body.length, nameBytes, input), nameBytes, name),
      body,
      ZEROS.subarray(0, padLength(body.length)),
    ]);
  }

  if (options.trailer ?? true) {
    const trailerBytes = utf8(TRAILER_NAME);
    const fields: NewcHeaderFields = { ...fieldsFor(0, 0, trailerBytes), ino: 0, mtime: 0 };
    yield* emitSmall(headerAndName(fields, trailerBytes, TRAILER_NAME));
  }
  const rest = batch.take();
  if (rest !== undefined) yield rest;
}
