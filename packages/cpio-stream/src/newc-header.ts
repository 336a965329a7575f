/**
 * Encode and decode the 110-byte newc header: `070701` then 13 fields of 8 hex digits
 * (ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
 * namesize, check). We write lower-case hex like coreos-installer; we read either case like the
 * kernel's `hex2bin`.
 */
import {
  NEWC_CRC_MAGIC,
  NEWC_FIELD_COUNT,
  NEWC_FIELD_MAX,
  NEWC_FIELD_WIDTH,
  NEWC_FIELDS,
  NEWC_HEADER_SIZE,
  NEWC_MAGIC,
  type NewcFieldName,
  ODC_MAGIC,
} from './constants.ts';
import { NewcError } from './errors.ts';

export type NewcHeaderFields = Record<NewcFieldName, number>;

export interface DecodedHeader {
  magic: typeof NEWC_MAGIC | typeof NEWC_CRC_MAGIC;
  fields: NewcHeaderFields;
}

const MAGIC_LENGTH = 6;

/** Encode a header; every field is range-checked (a value over 0xFFFFFFFF throws, never clamps). */
export function encodeNewcHeader(fields: NewcHeaderFields, path = ''): Uint8Array {
  let text = NEWC_MAGIC;
  for (const name of NEWC_FIELDS) {
    const value = fields[name];
    if (!Number.isInteger(value) || value < 0 || value > NEWC_FIELD_MAX) {
      throw new NewcError(
        'FIELD_TOO_LARGE',
        `newc field ${name} of ${path || 'an entry'} is ${value}, outside 0..${NEWC_FIELD_MAX}` +
          (name === 'filesize' ? '; newc cannot hold files of 4 GiB or more.' : '.'),
        { path },
      );
    }
    text += value.toString(16).padStart(NEWC_FIELD_WIDTH, '0');
  }
  return Buffer.from(text, 'latin1');
}

function isHexDigit(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x46) ||
    (code >= 0x61 && code <= 0x66)
  );
}

/**
 * Decode a header from `bytes` (at least NEWC_HEADER_SIZE long). `offset` is the header's
 * position in the stream, used only in error reports.
 */
export function decodeNewcHeader(bytes: Uint8Array, offset: number): DecodedHeader {
  const magic = Buffer.from(bytes.subarray(0, MAGIC_LENGTH)).toString('latin1');
  if (magic === ODC_MAGIC) {
    throw new NewcError(
      'ODC_FORMAT',
      `cpio archive at byte ${offset} is in the old portable format (070707); the kernel reads only newc: write it with cpio -H newc.`,
      { offset },
    );
  }
  if (magic !== NEWC_MAGIC && magic !== NEWC_CRC_MAGIC) {
    throw new NewcError(
      'BAD_MAGIC',
      `No newc cpio magic at byte ${offset}: found ${JSON.stringify(magic)} (hex ${Buffer.from(bytes.subarray(0, MAGIC_LENGTH)).toString('hex')}), expected "070701".`,
      { offset },
    );
  }
  const fields = {} as NewcHeaderFields;
  for (let index = 0; index < NEWC_FIELD_COUNT; index++) {
    const start = MAGIC_LENGTH + index * NEWC_FIELD_WIDTH;
    let value = 0;
    for (let digit = 0; digit < NEWC_FIELD_WIDTH; digit++) {
      const code = bytes[start + digit] ?? 0;
      if (!isHexDigit(code)) {
        const name = NEWC_FIELDS[index] as NewcFieldName;
        const raw = Buffer.from(bytes.subarray(start, start + NEWC_FIELD_WIDTH)).toString('latin1');
        throw new NewcError(
          'BAD_HEX',
          `newc header at byte ${offset}: field ${name} at byte ${offset + start} is ${JSON.stringify(raw)}, not 8 hex digits.`,
          { offset: offset + start },
        );
      }
      value = value * 16 + Number.parseInt(String.fromCharCode(code), 16);
    }
    fields[NEWC_FIELDS[index] as NewcFieldName] = value;
  }
  return { magic: magic as DecodedHeader['magic'], fields };
}

export { NEWC_HEADER_SIZE };
