/**
 * Parsers of the fixed headers of gzip, xz and zstd streams: what the kernel's decompressors
 * look at before they accept a stream (gzip flags, xz check type, zstd window size).
 */
import {
  GZIP_FLAG_FCOMMENT,
  GZIP_FLAG_FEXTRA,
  GZIP_FLAG_FHCRC,
  GZIP_FLAG_FNAME,
  GZIP_HEADER_SIZE,
  GZIP_MAGIC,
  XZ_CHECK_CRC32,
  XZ_CHECK_CRC64,
  XZ_CHECK_NONE,
  XZ_CHECK_SHA256,
  XZ_FOOTER_MAGIC,
  XZ_MAGIC,
  XZ_STREAM_HEADER_SIZE,
  ZSTD_MAGIC,
} from './constants.ts';
import { crc32 } from './crc32.ts';

export interface GzipHeader {
  method: number;
  flags: number;
  mtime: number;
  os: number;
  /** Bytes of the header, optional fields included; deflate data starts here. */
  headerLength: number;
}

/** Parse a gzip member header; undefined when `bytes` ends before the header does or is not gzip. */
export function parseGzipHeader(bytes: Uint8Array): GzipHeader | undefined {
  if (bytes.length < GZIP_HEADER_SIZE || bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1])
    return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const flags = bytes[3] as number;
  let at = GZIP_HEADER_SIZE;
  if (flags & GZIP_FLAG_FEXTRA) {
    if (bytes.length < at + 2) return undefined;
    at += 2 + view.getUint16(at, true);
  }
  for (const flag of [GZIP_FLAG_FNAME, GZIP_FLAG_FCOMMENT]) {
    if (!(flags & flag)) continue;
    const end = bytes.indexOf(0, at);
    if (end < 0) return undefined;
    at = end + 1;
  }
  if (flags & GZIP_FLAG_FHCRC) at += 2;
  if (bytes.length < at) return undefined;
  return {
    method: bytes[2] as number,
    flags,
    mtime: view.getUint32(4, true),
    os: bytes[9] as number,
    headerLength: at,
  };
}

export type XzCheckName = 'none' | 'crc32' | 'crc64' | 'sha256' | 'reserved';

export interface XzStreamFlags {
  /** Check ID (0 none, 1 CRC32, 4 CRC64, 10 SHA-256). */
  check: number;
  checkName: XzCheckName;
  /** Size in bytes of each block's check field. */
  checkSize: number;
  /** The CRC32 of the flags matched. */
  crcValid: boolean;
}

/** Size of the check field for a check ID (xz-file-format §3.4: 0, 4, 8, 32 by ranges). */
export function xzCheckSize(check: number): number {
  if (check === 0) return 0;
  return 4 << Math.floor((check - 1) / 3);
}

function xzCheckName(check: number): XzCheckName {
  if (check === XZ_CHECK_NONE) return 'none';
  if (check === XZ_CHECK_CRC32) return 'crc32';
  if (check === XZ_CHECK_CRC64) return 'crc64';
  if (check === XZ_CHECK_SHA256) return 'sha256';
  return 'reserved';
}

function readXzFlags(flagBytes: Uint8Array, storedCrc: number): XzStreamFlags {
  const check = (flagBytes[1] as number) & 0x0f;
  return {
    check,
    checkName: xzCheckName(check),
    checkSize: xzCheckSize(check),
    crcValid:
      crc32(flagBytes) === storedCrc &&
      flagBytes[0] === 0 &&
      ((flagBytes[1] as number) & 0xf0) === 0,
  };
}

/** Parse the 12-byte xz stream header; undefined when it is not one. */
export function parseXzStreamHeader(bytes: Uint8Array): XzStreamFlags | undefined {
  if (
    bytes.length < XZ_STREAM_HEADER_SIZE ||
    !XZ_MAGIC.every((byte, index) => bytes[index] === byte)
  )
    return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  return readXzFlags(bytes.subarray(6, 8), view.getUint32(8, true));
}

export interface XzStreamFooter extends XzStreamFlags {
  /** Size of the index in bytes. */
  indexSize: number;
}

/** Parse the 12-byte xz stream footer; undefined when the "YZ" magic is missing. */
export function parseXzStreamFooter(bytes: Uint8Array): XzStreamFooter | undefined {
  if (
    bytes.length < XZ_STREAM_HEADER_SIZE ||
    bytes[10] !== XZ_FOOTER_MAGIC[0] ||
    bytes[11] !== XZ_FOOTER_MAGIC[1]
  )
    return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const flags = readXzFlags(bytes.subarray(8, 10), 0);
  const crcValid = crc32(bytes.subarray(4, 10)) === view.getUint32(0, true);
  return { ...flags, crcValid, indexSize: (view.getUint32(4, true) + 1) * 4 };
}

export interface ZstdFrameHeader {
  /** Bytes of magic plus frame header; the first block starts here. */
  headerLength: number;
  /** Window size the decoder must allocate (RFC 8878 §3.1.1.1.2). */
  windowSize: number;
  singleSegment: boolean;
  hasChecksum: boolean;
  dictionaryId: number;
  /** Decompressed size when the frame declares it. */
  contentSize?: number;
}

const ZSTD_DICT_ID_SIZES = [0, 1, 2, 4] as const;
const ZSTD_CONTENT_SIZE_SIZES = [0, 2, 4, 8] as const;
/** Frame_Content_Size with a 2-byte field is stored minus 256 (RFC 8878 §3.1.1.1.4). */
const ZSTD_FCS_TWO_BYTE_OFFSET = 256;
/** Window_Descriptor: windowLog = 10 + Exponent (RFC 8878 §3.1.1.1.2). */
const ZSTD_WINDOW_LOG_MIN = 10;

function readLittleEndian(bytes: Uint8Array, at: number, size: number): number {
  let value = 0;
  for (let index = size - 1; index >= 0; index--)
    value = value * 256 + (bytes[at + index] as number);
  return value;
}

/** Parse a zstd frame header; undefined when `bytes` is too short or not a zstd frame. */
export function parseZstdFrameHeader(bytes: Uint8Array): ZstdFrameHeader | undefined {
  if (bytes.length < 5 || !ZSTD_MAGIC.every((byte, index) => bytes[index] === byte))
    return undefined;
  const descriptor = bytes[4] as number;
  const contentSizeFlag = descriptor >> 6;
  const singleSegment = (descriptor & 0x20) !== 0;
  const hasChecksum = (descriptor & 0x04) !== 0;
  const dictIdSize = ZSTD_DICT_ID_SIZES[descriptor & 0x03] as number;
  const contentSizeSize =
    contentSizeFlag === 0
      ? singleSegment
        ? 1
        : 0
      : (ZSTD_CONTENT_SIZE_SIZES[contentSizeFlag] as number);
  let at = 5;
  let windowSize = 0;
  if (!singleSegment) {
    if (bytes.length < at + 1) return undefined;
    const windowDescriptor = bytes[at] as number;
    const windowLog = ZSTD_WINDOW_LOG_MIN + (windowDescriptor >> 3);
    const windowBase = 2 ** windowLog;
    windowSize = windowBase + (windowBase / 8) * (windowDescriptor & 0x07);
    at += 1;
  }
  if (bytes.length < at + dictIdSize + contentSizeSize) return undefined;
  const dictionaryId = readLittleEndian(bytes, at, dictIdSize);
  at += dictIdSize;
  let contentSize: number | undefined;
  if (contentSizeSize > 0) {
    contentSize =
      readLittleEndian(bytes, at, contentSizeSize) +
      (contentSizeSize === 2 ? ZSTD_FCS_TWO_BYTE_OFFSET : 0);
    at += contentSizeSize;
  }
  if (singleSegment) windowSize = contentSize ?? 0;
  const header: ZstdFrameHeader = {
    headerLength: at,
    windowSize,
    singleSegment,
    hasChecksum,
    dictionaryId,
  };
  if (contentSize !== undefined) header.contentSize = contentSize;
  return header;
}
