/**
 * System Use Sharing Protocol (SUSP 1.12) and the Rock Ridge entries (RRIP 1.12) the reader
 * needs: `NM` names (with CONTINUE), `CE` continuation areas, `SP` (the skip length), `RE`/`CL`
 * (relocated deep directories), and `ZF`/`SF`, which mean the file's bytes are not its extent.
 */
import { IsoError } from './errors.ts';
import { SECTOR_SIZE } from './iso9660.ts';
import type { ByteSource } from './source.ts';

/** SUSP entry header: signature (2), length (1), version (1) (SUSP §4.1). */
const ENTRY_HEADER_SIZE = 4;
/** `SP` check bytes BE EF at bytes 4–5; skip length at byte 6 (SUSP §5.3). */
const SP_CHECK = [0xbe, 0xef] as const;
const SP_SKIP_OFFSET = 6;
/** `CE` fields, both-endian u32: block at 4, offset at 12, length at 20 (SUSP §5.1). */
const CE_BLOCK = 4;
const CE_OFFSET = 12;
const CE_LENGTH = 20;
/** `NM` flags at byte 4, name from byte 5 (RRIP §4.1.4). */
const NM_FLAGS = 4;
const NM_NAME = 5;
const NM_CONTINUE = 0x01;
/** `CL` child link: both-endian u32 location at byte 4 (RRIP §4.1.5.1). */
const CL_LOCATION = 4;
/** Continuation areas followed per record before we call it a loop. */
const MAX_CONTINUATIONS = 32;

export interface SystemUse {
  /** `SP` seen (only in the root's `.` record): SUSP is in use with this skip length. */
  susp?: { skip: number };
  /** The Rock Ridge name, when `NM` entries are present. */
  name?: string;
  /** `RE`: a relocated directory, listed again through a `CL` link; hide it here. */
  relocated: boolean;
  /** `CL`: this file record stands for the directory at this sector. */
  childLink?: number;
  /** `ZF` (zisofs) or `SF` (sparse): the recorded data length is not the file's size. */
  transformed?: 'ZF' | 'SF';
}

interface Continuation {
  lba: number;
  offset: number;
  length: number;
}

function badEntry(where: number, detail: string): IsoError {
  return new IsoError(
    'BAD_SYSTEM_USE',
    `Malformed Rock Ridge/SUSP entry at byte ${where}: ${detail}; the ISO is corrupt.`,
    { offset: where },
  );
}

/** Parse one system use area (a record's tail, or a continuation area). */
function parseArea(
  area: Buffer,
  areaOffset: number,
  result: SystemUse,
  nameParts: Buffer[],
): Continuation | undefined {
  let continuation: Continuation | undefined;
  let position = 0;
  while (position + ENTRY_HEADER_SIZE <= area.length) {
    const signature = area.toString('latin1', position, position + 2);
    const length = area[position + 2] ?? 0;
    if (length === 0 && signature === '\0\0') break; // zero padding ends the area
    if (length < ENTRY_HEADER_SIZE || position + length > area.length)
      throw badEntry(areaOffset + position, `'${signature}' has length ${length}`);
    const entry = area.subarray(position, position + length);
    switch (signature) {
      case 'SP':
        if (entry[4] === SP_CHECK[0] && entry[5] === SP_CHECK[1])
          result.susp = { skip: entry[SP_SKIP_OFFSET] ?? 0 };
        break;
      case 'CE':
        if (length < CE_LENGTH + 8) throw badEntry(areaOffset + position, 'CE is too short');
        continuation = {
          lba: entry.readUInt32LE(CE_BLOCK),
          offset: entry.readUInt32LE(CE_OFFSET),
          length: entry.readUInt32LE(CE_LENGTH),
        };
        break;
      case 'NM':
        if ((entry[NM_FLAGS] ?? 0) & ~NM_CONTINUE) break; // CURRENT/PARENT: '.' and '..'
        nameParts.push(entry.subarray(NM_NAME));
        break;
      case 'RE':
        result.relocated = true;
        break;
      case 'CL':
        result.childLink = entry.readUInt32LE(CL_LOCATION);
        break;
      case 'ZF':
      case 'SF':
        result.transformed = signature;
        break;
      case 'ST':
        return continuation; // SUSP terminator
    }
    position += length;
  }
  return continuation;
}

/**
 * Read the system use entries of one directory record, following `CE` continuation areas.
 * `area` is the record's system use field, `areaOffset` its byte offset in the image.
 */
export async function readSystemUse(
  source: ByteSource,
  area: Buffer,
  areaOffset: number,
): Promise<SystemUse> {
  const result: SystemUse = { relocated: false };
  const nameParts: Buffer[] = [];
  let next = parseArea(area, areaOffset, result, nameParts);
  const seen = new Set<number>();
  while (next !== undefined) {
    const offset = next.lba * SECTOR_SIZE + next.offset;
    if (seen.has(offset) || seen.size >= MAX_CONTINUATIONS)
      throw badEntry(areaOffset, `continuation areas loop (CE to byte ${offset})`);
    seen.add(offset);
    if (offset + next.length > source.size)
      throw new IsoError(
        'EXTENT_PAST_END',
        `A Rock Ridge continuation area (CE at byte ${areaOffset}) points at bytes ${offset}..${offset + next.length}, past the end of the image (${source.size} bytes); the ISO is truncated or corrupt.`,
        { offset: areaOffset },
      );
    const continued = await source.read(offset, next.length);
    next = parseArea(continued, offset, result, nameParts);
  }
  if (nameParts.length > 0) result.name = Buffer.concat(nameParts).toString('utf8');
  return result;
}
