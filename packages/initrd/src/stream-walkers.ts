/**
 * Find where one compressed stream ends without decompressing it, by walking its structure,
 * and hand on exactly its bytes. The kernel decompresses one stream per segment and continues
 * after it (docs/coreos-iso.md#kernel-initramfs-rules); decoders given trailing bytes either drop or loop on
 * them, so the reader feeds each decoder exactly one stream.
 * - xz: stream header, blocks (LZMA2 chunks when the block header has no compressed size),
 *   index, footer (https://tukaani.org/xz/xz-file-format.txt, lzma-file-format LZMA2 chunks).
 * - zstd: frame header, blocks, optional checksum (RFC 8878 §3.1.1).
 */
import {
  parseXzStreamFooter,
  parseXzStreamHeader,
  parseZstdFrameHeader,
  XZ_STREAM_HEADER_SIZE,
} from '@hostmirror/codecs';
import type { ByteReader } from '@hostmirror/cpio-stream';
import { InitrdError } from './errors.ts';

/** Largest piece handed on at once. */
const FEED_CHUNK = 256 * 1024;

async function exact(reader: ByteReader, length: number, what: string): Promise<Uint8Array> {
  const offset = reader.offset;
  const bytes = await reader.read(length);
  if (bytes.length < length) {
    throw new InitrdError(
      'TRUNCATED',
      `The file ends inside ${what} at byte ${offset}: ${length} bytes needed, ${bytes.length} left.`,
      {
        offset,
      },
    );
  }
  return bytes;
}

async function* pass(reader: ByteReader, length: number, what: string): AsyncGenerator<Uint8Array> {
  let left = length;
  while (left > 0) {
    const offset = reader.offset;
    const chunk = await reader.readChunk(Math.min(left, FEED_CHUNK));
    if (chunk === null) {
      throw new InitrdError(
        'TRUNCATED',
        `The file ends inside ${what} at byte ${offset}: ${left} more bytes needed.`,
        { offset },
      );
    }
    left -= chunk.length;
    yield chunk;
  }
}

function xzCorrupt(offset: number, message: string): InitrdError {
  return new InitrdError('XZ_CORRUPT', `Broken xz stream at byte ${offset}: ${message}.`, {
    offset,
  });
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

async function* lzma2Chunks(reader: ByteReader): AsyncGenerator<Uint8Array, number> {
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
export async function* xzStreamBytes(reader: ByteReader): AsyncGenerator<Uint8Array, XzStreamInfo> {
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
  reader: ByteReader,
): AsyncGenerator<Uint8Array, ZstdFrameInfo> {
  const start = reader.offset;
  const head = await reader.peek(ZSTD_MAX_FRAME_HEADER);
  const header = parseZstdFrameHeader(head);
  if (header === undefined) {
    throw new InitrdError(
      'TRUNCATED',
      `The file ends inside a zstd frame header at byte ${start}.`,
      { offset: start },
    );
  }
  yield await exact(reader, header.headerLength, 'a zstd frame header');
  for (;;) {
    const offset = reader.offset;
    const blockHeader = await exact(reader, 3, 'a zstd block header');
    yield blockHeader;
    const value =
      (blockHeader[0] as number) |
      ((blockHeader[1] as number) << 8) |
      ((blockHeader[2] as number) << 16);
    const last = (value & 1) === 1;
    const type = (value >> 1) & 3;
    const size = value >>> 3;
    if (type === ZSTD_BLOCK_RAW || type === ZSTD_BLOCK_COMPRESSED)
      yield* pass(reader, size, 'a zstd block');
    else if (type === ZSTD_BLOCK_RLE) yield* pass(reader, 1, 'a zstd block');
    else {
      throw new InitrdError(
        'ZSTD_CORRUPT',
        `Broken zstd frame at byte ${offset}: block type 3 is reserved.`,
        { offset },
      );
    }
    if (last) break;
  }
  if (header.hasChecksum) yield* pass(reader, ZSTD_CHECKSUM_SIZE, 'a zstd checksum');
  return { windowSize: header.windowSize, hasChecksum: header.hasChecksum };
}
