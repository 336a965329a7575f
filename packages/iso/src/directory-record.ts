/** One ISO 9660 directory record (ECMA-119 §9.1), decoded. */
import { IsoError } from './errors.ts';
import { FileFlag, RECORD_FIXED_SIZE, RecordField, SECTOR_SIZE } from './iso9660.ts';

export interface DirectoryRecord {
  /** Byte offset of the record in the image (where patches go). */
  offset: number;
  length: number;
  lba: number;
  dataLength: number;
  flags: number;
  /** The raw file identifier. */
  identifier: Buffer;
  /** The system use field (Rock Ridge lives here), after any SUSP skip bytes. */
  systemUse: Buffer;
  systemUseOffset: number;
}

export function isDirectory(record: DirectoryRecord): boolean {
  return (record.flags & FileFlag.directory) !== 0;
}

/** `.` and `..` are identifiers of one byte 0x00 and 0x01 (§6.8.2.2). */
export function isSelfOrParent(record: DirectoryRecord): boolean {
  return record.identifier.length === 1 && (record.identifier[0] ?? 2) <= 1;
}

/** Decode the record starting at `position` of `sector` (a directory's bytes). */
export function decodeRecord(
  bytes: Buffer,
  position: number,
  imageOffset: number,
  suspSkip: number,
): DirectoryRecord {
  const length = bytes[position + RecordField.length] ?? 0;
  const where = imageOffset + position;
  if (length < RECORD_FIXED_SIZE + 1)
    throw new IsoError(
      'BAD_DIRECTORY_RECORD',
      `The directory record at byte ${where} is ${length} bytes long, shorter than the ${RECORD_FIXED_SIZE + 1}-byte minimum; the ISO is corrupt.`,
      { offset: where },
    );
  const sectorEnd = (Math.floor(position / SECTOR_SIZE) + 1) * SECTOR_SIZE;
  if (position + length > Math.min(sectorEnd, bytes.length))
    throw new IsoError(
      'RECORD_CROSSES_SECTOR',
      `The directory record at byte ${where} (${length} bytes) crosses a sector boundary, which ECMA-119 §6.8.1.1 forbids; the ISO is corrupt.`,
      { offset: where },
    );
  const record = bytes.subarray(position, position + length);
  const nameLength = record[RecordField.nameLength] ?? 0;
  if (RECORD_FIXED_SIZE + nameLength > length)
    throw new IsoError(
      'BAD_DIRECTORY_RECORD',
      `The directory record at byte ${where} has a ${nameLength}-byte name that does not fit in its ${length} bytes; the ISO is corrupt.`,
      { offset: where },
    );
  // The name is followed by a pad byte when its length is even (§9.1.12).
  const systemUseStart = RECORD_FIXED_SIZE + nameLength + (nameLength % 2 === 0 ? 1 : 0);
  const skipped = Math.min(length, systemUseStart + suspSkip);
  return {
    offset: where,
    length,
    lba: record.readUInt32LE(RecordField.extent),
    dataLength: record.readUInt32LE(RecordField.dataLength),
    flags: record[RecordField.flags] ?? 0,
    identifier: record.subarray(RecordField.name, RecordField.name + nameLength),
    systemUse: record.subarray(skipped),
    systemUseOffset: where + skipped,
  };
}

/** Every record of a directory's bytes; a zero length byte means "next sector" (§6.8.1.1). */
export function* recordsOf(
  bytes: Buffer,
  imageOffset: number,
  suspSkip: number,
): Generator<DirectoryRecord> {
  let position = 0;
  while (position < bytes.length) {
    if ((bytes[position] ?? 0) === 0) {
      position = (Math.floor(position / SECTOR_SIZE) + 1) * SECTOR_SIZE;
      continue;
    }
    const record = decodeRecord(bytes, position, imageOffset, suspSkip);
    yield record;
    position += record.length;
  }
}

/** A primary identifier as coreos-installer compares it: `;1` and then a trailing `.` removed. */
export function primaryName(identifier: Buffer): string {
  return identifier.toString('latin1').replace(/;\d*$/, '').replace(/\.$/, '');
}

/** A Joliet identifier: UCS-2 big-endian, version suffix removed. */
export function jolietName(identifier: Buffer): string {
  const swapped = Buffer.from(identifier.subarray(0, identifier.length & ~1));
  swapped.swap16();
  return swapped.toString('utf16le').replace(/;\d*$/, '');
}
