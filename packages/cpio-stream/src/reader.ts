/**
 * Streaming newc reader. It accepts what coreos-installer's reader accepts
 * (docs/coreos-iso.md#initrd-format): `070701` and `070702`, upper- or lower-case hex, names
 * padded with extra NULs (dracut-cpio), zeros between entries and between archives, several
 * archives back to back.
 * Bodies are never buffered unless asked: each entry's body can be streamed, read into memory
 * or skipped, and whatever is left is skipped when the next entry is requested.
 */
import { ByteReader } from './byte-reader.ts';
import {
  NEWC_HEADER_SIZE,
  PATH_MAX,
  PERMISSION_BITS,
  padLength,
  S_IFBLK,
  S_IFCHR,
  S_IFDIR,
  S_IFIFO,
  S_IFLNK,
  S_IFMT,
  S_IFREG,
  S_IFSOCK,
  TRAILER_NAME,
} from './constants.ts';
import { NewcError } from './errors.ts';
import { decodeNewcHeader } from './newc-header.ts';

export type NewcEntryType =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'char-device'
  | 'block-device'
  | 'fifo'
  | 'socket'
  | 'unknown';

/** What a header says about an entry, plus where it sits in the stream. */
export interface NewcEntryInfo {
  path: string;
  type: NewcEntryType;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  /** The whole st_mode field, file type included. */
  rawMode: number;
  uid: number;
  gid: number;
  mtime: number;
  size: number;
  nlink: number;
  ino: number;
  devMajor: number;
  devMinor: number;
  rdevMajor: number;
  rdevMinor: number;
  /** Symlink target (read from the body). */
  target?: string;
  /** Byte offset of the header in the stream being read. */
  offset: number;
  /** Byte offset of the body. */
  dataOffset: number;
}

/** An entry being read. Its body is available until the next entry is requested. */
export interface NewcEntry extends NewcEntryInfo {
  /** Stream the body once, in the source's chunks. */
  body(): AsyncIterable<Uint8Array>;
  /** Read the body into memory; refuses bodies over `maxBytes` (default 64 MiB). */
  bytes(options?: { maxBytes?: number }): Promise<Uint8Array>;
  /** Skip the rest of the body. */
  skip(): Promise<void>;
  /** The header fields without the body accessors (for listings). */
  info(): NewcEntryInfo;
}

/** How one archive ended. */
export interface NewcArchiveEnd {
  /** True when a TRAILER!!! entry ended it; false when the input ended at an entry boundary. */
  trailer: boolean;
  /** Offset just after the trailer (with its padding) or of the end of the input. */
  end: number;
  /** Offset of the trailer's header, when there was one. */
  trailerOffset?: number;
}

export interface ReadNewcArchiveOptions {
  /**
   * Offset headers are aligned from; default the reader's offset when the call starts.
   * (coreos-installer's reader needs no alignment of an archive's start; the kernel does, and
   * the initrd verifier checks that separately.)
   */
  archiveStart?: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

function entryType(rawMode: number): NewcEntryType {
  switch (rawMode & S_IFMT) {
    case S_IFREG:
      return 'file';
    case S_IFDIR:
      return 'directory';
    case S_IFLNK:
      return 'symlink';
    case S_IFCHR:
      return 'char-device';
    case S_IFBLK:
      return 'block-device';
    case S_IFIFO:
      return 'fifo';
    case S_IFSOCK:
      return 'socket';
    default:
      return 'unknown';
  }
}

function truncated(what: string, offset: number, needed: number, got: number): NewcError {
  return new NewcError(
    'TRUNCATED',
    `cpio archive truncated in ${what} at byte ${offset}: needed ${needed} bytes, the input ended after ${got}.`,
    { offset },
  );
}

async function readExact(reader: ByteReader, length: number, what: string): Promise<Uint8Array> {
  const offset = reader.offset;
  const bytes = await reader.read(length);
  if (bytes.length < length) throw truncated(what, offset, length, bytes.length);
  return bytes;
}

/** Skip padding; at the very end of the input missing padding is tolerated, as the kernel does. */
async function skipPadding(reader: ByteReader, length: number): Promise<void> {
  if (length === 0) return;
  await reader.skip(length);
}

async function readName(
  reader: ByteReader,
  namesize: number,
  headerOffset: number,
): Promise<string> {
  if (namesize === 0) {
    throw new NewcError(
      'BAD_NAME_SIZE',
      `newc header at byte ${headerOffset} has namesize 0; every entry needs a NUL-terminated name.`,
      {
        offset: headerOffset,
      },
    );
  }
  if (namesize > PATH_MAX) {
    throw new NewcError(
      'FIELD_TOO_LARGE',
      `newc header at byte ${headerOffset} has namesize ${namesize}, over PATH_MAX ${PATH_MAX}; the kernel skips such entries.`,
      { offset: headerOffset },
    );
  }
  const nameOffset = reader.offset;
  const raw = await readExact(reader, namesize, 'a name');
  if (raw[namesize - 1] !== 0) {
    throw new NewcError(
      'NAME_NOT_TERMINATED',
      `newc name at byte ${nameOffset} (header at ${headerOffset}) is not NUL-terminated at namesize ${namesize}; the archive is corrupt.`,
      { offset: nameOffset },
    );
  }
  const end = raw.indexOf(0);
  return Buffer.from(raw.buffer, raw.byteOffset, end).toString('utf8');
}

class EntryBody {
  remaining: number;
  private started = false;
  closed = false;

  private readonly reader: ByteReader;
  private readonly path: string;

  constructor(reader: ByteReader, size: number, path: string) {
    this.reader = reader;
    this.path = path;
    this.remaining = size;
  }

  async *stream(): AsyncGenerator<Uint8Array> {
    if (this.started || this.closed) {
      throw new NewcError(
        'BODY_CONSUMED',
        `The body of ${this.path} was already read or skipped; read it before asking for the next entry.`,
        {
          path: this.path,
        },
      );
    }
    this.started = true;
    while (this.remaining > 0) {
      const offset = this.reader.offset;
      const chunk = await this.reader.readChunk(this.remaining);
      if (chunk === null) throw truncated(`the body of ${this.path}`, offset, this.remaining, 0);
      this.remaining -= chunk.length;
      yield chunk;
    }
  }

  async skipRest(): Promise<void> {
    this.closed = true;
    if (this.remaining === 0) return;
    const offset = this.reader.offset;
    const skipped = await this.reader.skip(this.remaining);
    if (skipped < this.remaining)
      throw truncated(`the body of ${this.path}`, offset, this.remaining, skipped);
    this.remaining = 0;
  }
}

async function collect(chunks: AsyncIterable<Uint8Array>, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let at = 0;
  for await (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function makeEntry(info: NewcEntryInfo, body: EntryBody, targetBytes?: Uint8Array): NewcEntry {
  return {
    ...info,
    body() {
      if (targetBytes !== undefined)
        return (async function* () {
          yield targetBytes;
        })();
      return body.stream();
    },
    async bytes(options = {}) {
      if (targetBytes !== undefined) return targetBytes;
      const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
      if (info.size > maxBytes) {
        throw new NewcError(
          'FIELD_TOO_LARGE',
          `${info.path} is ${info.size} bytes, over the ${maxBytes}-byte limit for reading into memory; stream it with body() instead.`,
          { path: info.path, offset: info.offset },
        );
      }
      return collect(body.stream(), info.size);
    },
    skip: () => body.skipRest(),
    info: () => ({ ...info }),
  };
}

/**
 * Read one archive from `reader`, up to and including its trailer (or the end of the input at
 * an entry boundary). The generator's return value says how it ended.
 */
export async function* readNewcArchive(
  reader: ByteReader,
  options: ReadNewcArchiveOptions = {},
): AsyncGenerator<NewcEntry, NewcArchiveEnd, undefined> {
  const archiveStart = options.archiveStart ?? reader.offset;
  for (;;) {
    await reader.skipZeros();
    const offset = reader.offset;
    if (await reader.atEnd()) return { trailer: false, end: offset };
    if ((offset - archiveStart) % 4 !== 0) {
      throw new NewcError(
        'BROKEN_PADDING',
        `newc header at byte ${offset} is not 4-byte aligned from the archive start at byte ${archiveStart}; the kernel reports "broken padding".`,
        { offset },
      );
    }
    const headerBytes = await readExact(reader, NEWC_HEADER_SIZE, 'a header');
    const { fields } = decodeNewcHeader(headerBytes, offset);
    const path = await readName(reader, fields.namesize, offset);
    await skipPadding(reader, padLength(NEWC_HEADER_SIZE + fields.namesize));
    if (path === TRAILER_NAME) {
      await skipPadding(reader, padLength(fields.filesize) + fields.filesize);
      return { trailer: true, end: reader.offset, trailerOffset: offset };
    }
    const info: NewcEntryInfo = {
      path,
      type: entryType(fields.mode),
      mode: fields.mode & PERMISSION_BITS,
      rawMode: fields.mode,
      uid: fields.uid,
      gid: fields.gid,
      mtime: fields.mtime,
      size: fields.filesize,
      nlink: fields.nlink,
      ino: fields.ino,
      devMajor: fields.devMajor,
      devMinor: fields.devMinor,
      rdevMajor: fields.rdevMajor,
      rdevMinor: fields.rdevMinor,
      offset,
      dataOffset: reader.offset,
    };
    const body = new EntryBody(reader, fields.filesize, path);
    let targetBytes: Uint8Array | undefined;
    if (info.type === 'symlink') {
      if (info.size > PATH_MAX) {
        throw new NewcError(
          'FIELD_TOO_LARGE',
          `Symlink ${path} at byte ${offset} has a ${info.size}-byte target, over PATH_MAX ${PATH_MAX}.`,
          { offset, path },
        );
      }
      targetBytes = await collect(body.stream(), info.size);
      info.target = Buffer.from(targetBytes).toString('utf8');
    }
    yield makeEntry(info, body, targetBytes);
    await body.skipRest();
    await skipPadding(reader, padLength(fields.filesize));
  }
}

/**
 * Read every entry of one or more newc archives from a byte stream (zeros between archives
 * are skipped). Each entry's body must be consumed before asking for the next one, or it is
 * skipped. Trailers are not yielded.
 */
export async function* readNewc(source: AsyncIterable<Uint8Array>): AsyncGenerator<NewcEntry> {
  const reader = new ByteReader(source);
  try {
    for (;;) {
      await reader.skipZeros();
      if (await reader.atEnd()) return;
      const end = yield* readNewcArchive(reader);
      if (!end.trailer) return;
    }
  } finally {
    await reader.close();
  }
}
