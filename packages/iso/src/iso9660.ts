/**
 * ISO 9660 (ECMA-119, 4th edition) layout constants. Section numbers are ECMA-119's.
 */

/** Logical sector and block size: 2048 bytes (§6.1.2; every CoreOS ISO uses it). */
export const SECTOR_SIZE = 2048;
/** The volume descriptor set starts at logical sector 16, after the system area (§6.2.1). */
export const FIRST_DESCRIPTOR_SECTOR = 16;
/** The system area: sectors 0–15, where isohybrid MBRs and GPTs live (§6.2.1). */
export const SYSTEM_AREA_SIZE = FIRST_DESCRIPTOR_SECTOR * SECTOR_SIZE;
/** Standard identifier `CD001` at bytes 1–5 of every volume descriptor (§8.1.2). */
export const STANDARD_IDENTIFIER = 'CD001';
/** A guard against a descriptor set without a terminator. */
export const MAX_DESCRIPTORS = 64;

/** Volume descriptor types (§8.1.1). */
export const DescriptorType = {
  bootRecord: 0,
  primary: 1,
  supplementary: 2,
  partition: 3,
  terminator: 255,
} as const;

/** Byte offsets inside a primary or supplementary volume descriptor (§8.4, §8.5). */
export const VolumeDescriptorField = {
  type: 0,
  identifier: 1,
  volumeId: 40,
  volumeIdLength: 32,
  /** Volume space size, both-endian u32: LE at 80, BE at 84 (§8.4.8). */
  volumeSpaceSize: 80,
  /** Escape sequences of a supplementary descriptor; Joliet puts `%/@`, `%/C` or `%/E` here. */
  escapeSequences: 88,
  logicalBlockSize: 128,
  rootDirectoryRecord: 156,
} as const;

/** Joliet escape sequences for UCS-2 levels 1–3 (Joliet specification, 1995). */
export const JOLIET_ESCAPES = ['%/@', '%/C', '%/E'] as const;

/** Byte offsets inside a directory record (§9.1). */
export const RecordField = {
  length: 0,
  extendedAttributeLength: 1,
  /** Extent location, both-endian u32: LE at 2, BE at 6 (§9.1.3). */
  extent: 2,
  /** Data length, both-endian u32: LE at 10, BE at 14 (§9.1.4). */
  dataLength: 10,
  flags: 25,
  nameLength: 32,
  name: 33,
} as const;

/** The fixed part of a directory record before its name (§9.1). */
export const RECORD_FIXED_SIZE = 33;
/** A root directory record is always 34 bytes (§8.4.18). */
export const ROOT_RECORD_SIZE = 34;

/** File flags (§9.1.6). */
export const FileFlag = {
  hidden: 0x01,
  directory: 0x02,
  /** Not the final directory record of a file with several extents. */
  multiExtent: 0x80,
} as const;

/** Write a both-endian u32 (LE then BE, §7.3.3). */
export function writeBothEndian32(target: Buffer, offset: number, value: number): void {
  target.writeUInt32LE(value, offset);
  target.writeUInt32BE(value, offset + 4);
}

/** A both-endian u32 as 8 bytes. */
export function bothEndian32(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  writeBothEndian32(bytes, 0, value);
  return bytes;
}

export function sectorsFor(bytes: number): number {
  return Math.ceil(bytes / SECTOR_SIZE);
}
