/**
 * Decode exactly one compressed stream — a gzip member, an xz stream, a zstd frame — from a
 * reader that holds more bytes after it, and leave the reader right after the stream's last
 * byte. The kernel decompresses one stream per initramfs segment and continues after it
 * (docs/coreos-iso.md#kernel-initramfs-rules); decoders given trailing bytes either drop or loop
 * on them, so each decoder is fed exactly one stream:
 * - gzip: deflate has no length field, so the member's bytes are fed in pieces and what the
 *   inflater did not consume (the 8-byte trailer and whatever follows) is put back into the
 *   reader; the trailer's CRC-32 and size are compared with the decoded bytes (RFC 1952 §2.3.1).
 * - xz: stream header, blocks (LZMA2 chunks when the block header has no compressed size),
 *   index, footer (https://tukaani.org/xz/xz-file-format.txt, lzma-file-format LZMA2 chunks).
 * - zstd: frame header, blocks, optional checksum (RFC 8878 §3.1.1).
 * This is the one place that knows where a compressed stream ends; `@hostmirror/initrd`'s
 * walker calls it for every compressed segment.
 */
import { Readable, type Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import {
  type CodecOptions,
  decompressorFor,
  resolveBackend,
  ZLIB_CHUNK_BYTES,
} from './backends.ts';
import { GZIP_METHOD_DEFLATE, GZIP_TRAILER_SIZE, XZ_STREAM_HEADER_SIZE } from './constants.ts';
import { crc32 } from './crc32.ts';
import { CodecError } from './errors.ts';
import {
  type GzipHeader,
  parseGzipHeader,
  parseXzStreamFooter,
  parseXzStreamHeader,
  parseZstdFrameHeader,
} from './headers.ts';

/**
 * What the stream is read from: a byte reader with look-ahead and push-back, as
 * `@hostmirror/cpio-stream`'s `ByteReader` is (structurally; codecs does not depend on it).
 */
export interface PushbackReader {
  /** Bytes consumed so far from the start of the source. */
  readonly offset: number;
  /** Up to `length` bytes without consuming them (fewer at the end). */
  peek(length: number): Promise<Uint8Array>;
  /** Up to `length` bytes, consumed (fewer at the end). */
  read(length: number): Promise<Uint8Array>;
  /** The next piece of at most `max` bytes, or null at the end. */
  readChunk(max: number): Promise<Uint8Array | null>;
  /** Put bytes back in front of the reader (offset goes back by their length). */
  unshift(chunk: Uint8Array): void;
}

/** Largest piece handed on at once. */
const FEED_CHUNK = 256 * 1024;

async function exact(reader: PushbackReader, length: number, what: string): Promise<Uint8Array> {
  const offset = reader.offset;
  const bytes = await reader.read(length);
  if (bytes.length < length) {
    throw truncated(
      `The file ends inside ${what} at byte ${offset}: ${length} bytes needed, ${bytes.length} left.`,
      offset,
      what,
    );
  }
  return bytes;
}

async function* pass(
  reader: PushbackReader,
  length: number,
  what: string,
): AsyncGenerator<Uint8Array> {
  let left = length;
  while (left > 0) {
    const offset = reader.offset;
    const chunk = await reader.readChunk(Math.min(left, FEED_CHUNK));
    if (chunk === null) {
      throw truncated(
        `The file ends inside ${what} at byte ${offset}: ${left} more bytes needed.`,
        offset,
        what,
      );
    }
    left -= chunk.length;
    yield chunk;
  }
}

/** The codec a structure name belongs to (`an xz block` → xz), for the error's subject. */
function codecOf(what: string): string {
  return what.includes('zstd') ? 'zstd' : what.includes('gzip') ? 'gzip' : 'xz';
}

function truncated(message: string, offset: number, what: string): CodecError {
  return new CodecError('TRUNCATED', message, {
    codec: codecOf(what),
    offset,
    fix: 'The file was cut short (an interrupted copy or download): copy it again from its source.',
  });
}

function corrupt(codec: string, offset: number, message: string): CodecError {
  return new CodecError('CORRUPT', message, {
    codec,
    offset,
    fix: `The ${codec} data is damaged: make the file again, or copy it again from its source.`,
  });
}

function xzCorrupt(offset: number, message: string): CodecError {
  return corrupt('xz', offset, `Broken xz stream at byte ${offset}: ${message}.`);
}

/** Read an xz variable-length integer (xz-file-format §1.2) from `bytes` at `at`. */
function varint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let index = 0; index < 9; index++) {
    const byte = bytes[at + index];
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * 2 ** (7 * index);
    if ((byte & 0x80) === 0) return { value, next: at + index + 1 };
  }
  return undefined;
}

/** LZMA2 control bytes (liblzma lzma2_decoder.c): 0 end, 1/2 stored chunk, ≥0x80 LZMA chunk. */
const LZMA2_END = 0x00;
const LZMA2_STORED_RESET = 0x01;
const LZMA2_STORED = 0x02;
const LZMA2_LZMA_MIN = 0x80;
const LZMA2_PROPS_RESET_MIN = 0xc0;

async function* lzma2Chunks(reader: PushbackReader): AsyncGenerator<Uint8Array, number> {
  let length = 0;
  for (;;) {
    const offset = reader.offset;
    const control = (await exact(reader, 1, 'an LZMA2 chunk'))[0] as number;
    yield Uint8Array.of(control);
    length += 1;
    if (control === LZMA2_END) return length;
    let packed: number;
    if (control === LZMA2_STORED_RESET || control === LZMA2_STORED) {
      const size = await exact(reader, 2, 'an LZMA2 chunk header');
      yield size;
      length += 2;
      packed = (((size[0] as number) << 8) | (size[1] as number)) + 1;
    } else if (control >= LZMA2_LZMA_MIN) {
      const headerLength = control >= LZMA2_PROPS_RESET_MIN ? 5 : 4;
      const header = await exact(reader, headerLength, 'an LZMA2 chunk header');
      yield header;
      length += headerLength;
      packed = (((header[2] as number) << 8) | (header[3] as number)) + 1;
    } else {
      throw xzCorrupt(offset, `LZMA2 control byte 0x${control.toString(16)} is invalid`);
    }
    yield* pass(reader, packed, 'an LZMA2 chunk');
    length += packed;
  }
}

export interface XzStreamInfo {
  check: number;
  checkName: string;
  blocks: number;
}

/** Hand on the bytes of one xz stream starting at the reader's offset; returns its facts. */
export async function* xzStreamBytes(
  reader: PushbackReader,
): AsyncGenerator<Uint8Array, XzStreamInfo> {
  const start = reader.offset;
  const header = await exact(reader, XZ_STREAM_HEADER_SIZE, 'an xz stream header');
  const flags = parseXzStreamHeader(header);
  if (flags === undefined || !flags.crcValid)
    throw xzCorrupt(start, 'the stream header is invalid');
  yield header;
  let blocks = 0;
  for (;;) {
    const blockOffset = reader.offset;
    const first = (await exact(reader, 1, 'an xz block header'))[0] as number;
    if (first === 0) {
      yield Uint8Array.of(0);
      break;
    }
    const headerSize = (first + 1) * 4;
    const rest = await exact(reader, headerSize - 1, 'an xz block header');
    yield Uint8Array.of(first);
    yield rest;
    const blockFlags = rest[0] as number;
    let compressed: number;
    if (blockFlags & 0x40) {
      const size = varint(rest, 1);
      if (size === undefined) throw xzCorrupt(blockOffset, 'the block header holds a bad size');
      yield* pass(reader, size.value, 'an xz block');
      compressed = size.value;
    } else {
      compressed = yield* lzma2Chunks(reader);
    }
    const padding = (4 - ((headerSize + compressed) % 4)) % 4;
    yield await exact(reader, padding + flags.checkSize, 'an xz block check');
    blocks++;
  }
  // Index: indicator (already passed), record count, records, padding, CRC32.
  const indexStart = reader.offset - 1;
  const indexHead = await reader.peek(18);
  const count = varint(indexHead, 0);
  if (count === undefined) throw xzCorrupt(indexStart, 'the index record count is invalid');
  if (count.value !== blocks)
    throw xzCorrupt(indexStart, `the index lists ${count.value} blocks, the stream has ${blocks}`);
  let indexLength = 1 + count.next;
  yield await exact(reader, count.next, 'an xz index');
  for (let record = 0; record < count.value; record++) {
    const bytes = await reader.peek(18);
    const unpadded = varint(bytes, 0);
    const uncompressed = unpadded && varint(bytes, unpadded.next);
    if (uncompressed === undefined) throw xzCorrupt(reader.offset, 'an index record is invalid');
    yield await exact(reader, uncompressed.next, 'an xz index');
    indexLength += uncompressed.next;
  }
  const indexPadding = (4 - (indexLength % 4)) % 4;
  yield await exact(reader, indexPadding + 4, 'an xz index');
  indexLength += indexPadding + 4;
  const footerOffset = reader.offset;
  const footer = await exact(reader, XZ_STREAM_HEADER_SIZE, 'an xz stream footer');
  const parsed = parseXzStreamFooter(footer);
  if (
    parsed === undefined ||
    !parsed.crcValid ||
    parsed.check !== flags.check ||
    parsed.indexSize !== indexLength
  ) {
    throw xzCorrupt(footerOffset, 'the stream footer does not match the header and index');
  }
  yield footer;
  return { check: flags.check, checkName: flags.checkName, blocks };
}

export interface ZstdFrameInfo {
  windowSize: number;
  hasChecksum: boolean;
}

/** zstd block types (RFC 8878 §3.1.1.2.2). */
const ZSTD_BLOCK_RAW = 0;
const ZSTD_BLOCK_RLE = 1;
const ZSTD_BLOCK_COMPRESSED = 2;
const ZSTD_MAX_FRAME_HEADER = 18;
const ZSTD_CHECKSUM_SIZE = 4;

/** Hand on the bytes of one zstd frame starting at the reader's offset; returns its facts. */
export async function* zstdFrameBytes(
  reader: PushbackReader,
): AsyncGenerator<Uint8Array, ZstdFrameInfo> {
  const start = reader.offset;
  const head = await reader.peek(ZSTD_MAX_FRAME_HEADER);
  const header = parseZstdFrameHeader(head);
  if (header === undefined) {
    throw truncated(`The file ends inside a zstd frame header at byte ${start}.`, start, 'zstd');
  }
  yield await exact(reader, header.headerLength, 'a zstd frame header');
  for (;;) {
    const offset = reader.offset;
    const blockHeader = await exact(reader, 3, 'a zstd block header');
    const value =
      (blockHeader[0] as number) |
      ((blockHeader[1] as number) << 8) |
      ((blockHeader[2] as number) << 16);
    const last = (value & 1) === 1;
    const type = (value >> 1) & 3;
    const size = value >>> 3;
    // Judged before the decoder sees it, so the error names the structure, not the decoder's words.
    if (type !== ZSTD_BLOCK_RAW && type !== ZSTD_BLOCK_COMPRESSED && type !== ZSTD_BLOCK_RLE)
      throw corrupt(
        'zstd',
        offset,
        `Broken zstd frame at byte ${offset}: block type 3 is reserved.`,
      );
    yield blockHeader;
    yield* pass(reader, type === ZSTD_BLOCK_RLE ? 1 : size, 'a zstd block');
    if (last) break;
  }
  if (header.hasChecksum) yield* pass(reader, ZSTD_CHECKSUM_SIZE, 'a zstd checksum');
  return { windowSize: header.windowSize, hasChecksum: header.hasChecksum };
}

/** Enough for a gzip header with a file name (the kernel needs no more either). */
const GZIP_HEADER_PEEK = 64 * 1024;
const GZIP_FEED_CHUNK = 256 * 1024;
/** node:zlib's error code when the input ends inside a deflate stream ("unexpected end of file"). */
const ZLIB_UNEXPECTED_END = 'Z_BUF_ERROR';

/**
 * Feeds a gzip member's deflate data to the inflater without knowing where it ends, then puts
 * the bytes the inflater did not consume back into the reader (the gzip trailer and whatever
 * follows).
 */
class PushbackFeeder {
  private readonly reader: PushbackReader;
  private readonly start: number;
  private kept: { chunk: Uint8Array; at: number }[] = [];
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(reader: PushbackReader) {
    this.reader = reader;
    this.start = reader.offset;
  }

  async *feed(consumed: () => number): AsyncGenerator<Uint8Array> {
    while (!this.stopped) {
      let release = () => {};
      this.idle = new Promise((resolve) => {
        release = resolve;
      });
      const at = this.reader.offset;
      const chunk = await this.reader.readChunk(GZIP_FEED_CHUNK);
      if (chunk !== null) this.kept.push({ chunk, at });
      release();
      if (chunk === null || this.stopped) return;
      const done = this.start + consumed();
      this.kept = this.kept.filter((piece) => piece.at + piece.chunk.length > done);
      yield chunk;
    }
  }

  async stopAndPushBack(consumed: number): Promise<void> {
    this.stopped = true;
    await this.idle;
    const from = this.start + consumed;
    const pieces = this.kept
      .filter((piece) => piece.at + piece.chunk.length > from)
      .map((piece) => (piece.at < from ? piece.chunk.subarray(from - piece.at) : piece.chunk));
    this.kept = [];
    if (pieces.length > 0) this.reader.unshift(Buffer.concat(pieces));
  }
}

export type StreamCodec = 'gzip' | 'xz' | 'zstd';

/** One compressed stream, decoded. */
export interface DecodedStream {
  codec: StreamCodec;
  /** Byte offset of the stream's first byte in the reader. */
  offset: number;
  /** Bytes the stream occupies (header to trailer). */
  length: number;
  /** Bytes it decoded to. */
  decodedBytes: number;
  /** gzip: the member's header. */
  gzipHeader?: GzipHeader;
  /** gzip: the trailer's offset, and whether its CRC-32 and size match the decoded bytes. */
  gzipTrailer?: { offset: number; matches: boolean };
  /** xz: the stream's check and block count. */
  xz?: XzStreamInfo;
  /** zstd: the frame's window and checksum flag. */
  zstd?: ZstdFrameInfo;
}

/** Pipe `feed` into `decoder` and hand the decoded bytes to `consume`; count (and CRC) them. */
async function decodeInto(
  codec: StreamCodec,
  start: number,
  reader: PushbackReader,
  feed: AsyncIterable<Uint8Array>,
  decoder: Transform,
  consume: (content: AsyncIterable<Uint8Array>) => Promise<void>,
): Promise<{ crc: number; length: number }> {
  const input = Readable.from(feed, { objectMode: false });
  let decoderFailure: unknown;
  decoder.on('error', (error) => {
    decoderFailure ??= error;
  });
  input.on('error', (error) => decoder.destroy(error));
  input.pipe(decoder);
  let crc = 0;
  let length = 0;
  const tapped = async function* (): AsyncGenerator<Uint8Array> {
    for await (const chunk of decoder as AsyncIterable<Buffer>) {
      if (codec === 'gzip') crc = crc32(chunk, crc);
      length += chunk.length;
      yield chunk;
    }
  };
  try {
    await consume(tapped());
  } catch (error) {
    if (error instanceof CodecError || error !== decoderFailure) throw error;
    if ((error as { code?: unknown }).code === ZLIB_UNEXPECTED_END)
      throw truncated(
        `The file ends inside the ${codec} stream that starts at byte ${start}.`,
        reader.offset,
        codec,
      );
    const message = error instanceof Error ? error.message : String(error);
    throw new CodecError(
      'CODEC_FAILED',
      `The ${codec} stream at byte ${start} cannot be decompressed: ${message}.`,
      {
        codec,
        offset: start,
        cause: error,
        fix: `The ${codec} data is damaged: make the file again, or copy it again from its source.`,
      },
    );
  } finally {
    input.unpipe(decoder);
    input.destroy();
    // Free the decoder's native state (inflate window, xz dictionary, zstd window) now, not
    // when the garbage collector finalizes it: a reader that stopped early never ended it. The
    // gzip caller still reads `bytesWritten`, which destroy leaves as it was.
    decoder.destroy();
  }
  return { crc, length };
}

/**
 * Decode the one gzip member, xz stream or zstd frame that starts at the reader's offset:
 * `consume` gets its decoded bytes (and must read them to the end), and the reader is left
 * right after the stream. Throws `CodecError` `TRUNCATED` when the source ends inside it,
 * `CORRUPT` when its structure is broken, `CODEC_FAILED` when the decoder refuses its data.
 * A gzip trailer that does not match is reported (`gzipTrailer.matches`), not thrown: the
 * kernel does not check it.
 */
export async function decodeOneStream(
  codec: StreamCodec,
  reader: PushbackReader,
  consume: (content: AsyncIterable<Uint8Array>) => Promise<void>,
  options: Pick<CodecOptions, 'backend'> = {},
): Promise<DecodedStream> {
  const start = reader.offset;
  if (codec === 'gzip') {
    const header = parseGzipHeader(await reader.peek(GZIP_HEADER_PEEK));
    if (header === undefined)
      throw truncated(`The gzip header at byte ${start} is cut short.`, start, 'gzip');
    if (header.method !== GZIP_METHOD_DEFLATE)
      throw corrupt(
        'gzip',
        start,
        `gzip member at byte ${start} uses method ${header.method}, not deflate (8).`,
      );
    await reader.read(header.headerLength);
    const feeder = new PushbackFeeder(reader);
    const inflater = zlib.createInflateRaw({ chunkSize: ZLIB_CHUNK_BYTES });
    const decoded = await decodeInto(
      codec,
      start,
      reader,
      feeder.feed(() => inflater.bytesWritten),
      inflater,
      consume,
    );
    await feeder.stopAndPushBack(inflater.bytesWritten);
    const trailerOffset = reader.offset;
    const trailer = await reader.read(GZIP_TRAILER_SIZE);
    if (trailer.length < GZIP_TRAILER_SIZE)
      throw truncated(
        `The file ends inside the gzip trailer at byte ${trailerOffset}.`,
        trailerOffset,
        'gzip',
      );
    const view = new DataView(trailer.buffer, trailer.byteOffset, trailer.length);
    return {
      codec,
      offset: start,
      length: reader.offset - start,
      decodedBytes: decoded.length,
      gzipHeader: header,
      gzipTrailer: {
        offset: trailerOffset,
        matches:
          view.getUint32(0, true) === decoded.crc &&
          view.getUint32(4, true) === decoded.length % 2 ** 32,
      },
    };
  }
  const decoder = await decompressorFor(codec, await resolveBackend(codec, options.backend));
  const result: DecodedStream = { codec, offset: start, length: 0, decodedBytes: 0 };
  const structure = async function* (): AsyncGenerator<Uint8Array> {
    if (codec === 'xz') result.xz = yield* xzStreamBytes(reader);
    else result.zstd = yield* zstdFrameBytes(reader);
  };
  const decoded = await decodeInto(codec, start, reader, structure(), decoder, consume);
  result.length = reader.offset - start;
  result.decodedBytes = decoded.length;
  return result;
}
