/**
 * The partition tables an isohybrid ISO carries in its system area, so it also boots from a
 * disk: an MBR (partition 1 from sector 0 over the image) and, with EFI, a GPT whose backup
 * sits at the end of the image. Extending the image moves those ends (docs/iso-relocation.md#fields).
 */
import { crc32 } from '@hostmirror/codecs';
import type { IsoPatch } from './edit.ts';
import { IsoError } from './errors.ts';

/** Disk sector size of MBR and GPT fields (UEFI 2.10 §5.1, §5.3). */
export const DISK_SECTOR = 512;
/** MBR partition entries: four of 16 bytes at 446; boot signature 55 AA at 510 (UEFI §5.2.1). */
const MBR_ENTRIES_OFFSET = 446;
const MBR_ENTRY_SIZE = 16;
const MBR_SIGNATURE_OFFSET = 510;
const MBR_SIGNATURE = 0xaa55;
/** Entry fields: end CHS at 5–7, start LBA at 8, size in sectors at 12. */
const MBR_END_CHS = 5;
const MBR_START = 8;
const MBR_SIZE = 12;
/**
 * CHS geometry isohybrid and xorriso write: 64 heads × 32 sectors, so one cylinder is 1 MiB
 * (syslinux isohybrid defaults; xorriso `-partition_hd_cyl 64`, `-partition_sec_hd 32`).
 */
export const HYBRID_HEADS = 64;
export const HYBRID_SECTORS = 32;
export const HYBRID_CYLINDER_BYTES = HYBRID_HEADS * HYBRID_SECTORS * DISK_SECTOR;
const MAX_CYLINDER = 1023;
/** GPT header at LBA 1: signature "EFI PART" (UEFI §5.3.2, table 5-5). */
const GPT_SIGNATURE = 'EFI PART';
const GptField = {
  headerSize: 12,
  headerCrc: 16,
  currentLba: 24,
  alternateLba: 32,
  firstUsable: 40,
  lastUsable: 48,
  entriesLba: 72,
  entryCount: 80,
  entrySize: 84,
  entriesCrc: 88,
} as const;
/** Partition entry: first LBA at 32, last LBA (inclusive) at 40 (UEFI §5.3.3). */
const ENTRY_FIRST = 32;
const ENTRY_LAST = 40;
const MAX_GPT_ENTRIES_BYTES = 1024 * 1024;
/** The ISO volume descriptors start at byte 32768 = disk sector 64: a partition starting at or
 * before it covers the ISO volume. */
const ISO_DESCRIPTORS_DISK_SECTOR = 64;

export interface MbrPartition {
  index: number;
  start: number;
  size: number;
  type: number;
}

export interface Gpt {
  header: Buffer;
  entries: Buffer;
  entriesLba: number;
  entrySize: number;
  lastUsable: number;
  alternateLba: number;
}

export interface PartitionTables {
  mbr: MbrPartition[];
  gpt?: Gpt;
}

/** MBR partitions with a non-zero size, if the image has an MBR boot signature. */
export function readMbr(sector0: Buffer): MbrPartition[] {
  if (sector0.readUInt16LE(MBR_SIGNATURE_OFFSET) !== MBR_SIGNATURE) return [];
  const partitions: MbrPartition[] = [];
  for (let index = 0; index < 4; index++) {
    const entry = MBR_ENTRIES_OFFSET + index * MBR_ENTRY_SIZE;
    const size = sector0.readUInt32LE(entry + MBR_SIZE);
    if (size === 0) continue;
    partitions.push({
      index,
      start: sector0.readUInt32LE(entry + MBR_START),
      size,
      type: sector0[entry + 4] ?? 0,
    });
  }
  return partitions;
}

function badGpt(detail: string): IsoError {
  return new IsoError(
    'BAD_PARTITION_TABLE',
    `The ISO's GPT is inconsistent: ${detail}; rebuild the ISO or remove its GPT.`,
    { offset: DISK_SECTOR },
  );
}

/** Parse a primary GPT (header at LBA 1, `entries` read from its entries LBA). */
export function parseGptHeader(header: Buffer): Omit<Gpt, 'entries'> & { entriesBytes: number } {
  const headerSize = header.readUInt32LE(GptField.headerSize);
  if (headerSize < 92 || headerSize > DISK_SECTOR) throw badGpt(`header size ${headerSize}`);
  const copy = Buffer.from(header.subarray(0, headerSize));
  copy.writeUInt32LE(0, GptField.headerCrc);
  if (crc32(copy) !== header.readUInt32LE(GptField.headerCrc))
    throw badGpt('header CRC32 mismatch');
  const entryCount = header.readUInt32LE(GptField.entryCount);
  const entrySize = header.readUInt32LE(GptField.entrySize);
  const entriesBytes = entryCount * entrySize;
  if (entrySize < 128 || entriesBytes > MAX_GPT_ENTRIES_BYTES)
    throw badGpt(`${entryCount} entries of ${entrySize} bytes`);
  return {
    header: Buffer.from(header.subarray(0, DISK_SECTOR)),
    entriesLba: Number(header.readBigUInt64LE(GptField.entriesLba)),
    entrySize,
    lastUsable: Number(header.readBigUInt64LE(GptField.lastUsable)),
    alternateLba: Number(header.readBigUInt64LE(GptField.alternateLba)),
    entriesBytes,
  };
}

export function isGptHeader(sector1: Buffer): boolean {
  return sector1.toString('latin1', 0, 8) === GPT_SIGNATURE;
}

/** How the image's end is laid out after growing: sizes in bytes, ends in disk sectors. */
export interface GrownLayout {
  oldSize: number;
  newSize: number;
  /** ISO volume end (bytes) before and after. */
  oldVolumeBytes: number;
  newVolumeBytes: number;
  /** Last byte (exclusive) of the data our new extent occupies. */
  dataEnd: number;
}

/** Bytes the backup GPT needs at the end of the image: entries, then the header sector. */
export function backupGptBytes(gpt: Gpt): number {
  return Math.ceil(gpt.entries.length / DISK_SECTOR) * DISK_SECTOR + DISK_SECTOR;
}

function chs(lba: number): Buffer {
  let cylinder = Math.floor(lba / (HYBRID_HEADS * HYBRID_SECTORS));
  let head = Math.floor(lba / HYBRID_SECTORS) % HYBRID_HEADS;
  let sector = (lba % HYBRID_SECTORS) + 1;
  if (cylinder > MAX_CYLINDER) {
    cylinder = MAX_CYLINDER;
    head = HYBRID_HEADS - 1;
    sector = HYBRID_SECTORS;
  }
  return Buffer.from([head, sector | ((cylinder >> 2) & 0xc0), cylinder & 0xff]);
}

/** The MBR entry running from sector 0 to the image end (or the volume end) grows with it. */
export function mbrPatches(partitions: MbrPartition[], layout: GrownLayout): IsoPatch[] {
  const patches: IsoPatch[] = [];
  for (const partition of partitions) {
    if (partition.start !== 0) continue;
    const end = (partition.start + partition.size) * DISK_SECTOR;
    let newEnd: number | undefined;
    if (end === layout.oldSize) newEnd = layout.newSize;
    else if (end === layout.oldVolumeBytes) newEnd = layout.newVolumeBytes;
    if (newEnd === undefined) continue;
    const size = newEnd / DISK_SECTOR;
    patches.push({
      offset: MBR_ENTRIES_OFFSET + partition.index * MBR_ENTRY_SIZE + MBR_END_CHS,
      bytes: mbrTail(size),
      what: `MBR partition ${partition.index + 1}`,
    });
  }
  return patches;
}

/** End CHS (3 bytes), start LBA 0 (4 bytes), size (4 bytes): bytes 5..15 of an entry. */
function mbrTail(size: number): Buffer {
  const bytes = Buffer.alloc(11);
  chs(size - 1).copy(bytes, 0);
  bytes.writeUInt32LE(0, 3);
  bytes.writeUInt32LE(size, 7);
  return bytes;
}

function sealHeader(header: Buffer): void {
  const size = header.readUInt32LE(GptField.headerSize);
  header.writeUInt32LE(0, GptField.headerCrc);
  header.writeUInt32LE(crc32(header.subarray(0, size)), GptField.headerCrc);
}

/**
 * The grown GPT: the partition covering the ISO gets its new end, the primary header its new
 * alternate and last-usable LBAs, and a new backup (entries, then header) goes at the new end.
 */
export function grownGpt(
  gpt: Gpt,
  layout: GrownLayout,
): { patches: IsoPatch[]; backup: Buffer; backupOffset: number } {
  const oldVolumeEnd = layout.oldVolumeBytes / DISK_SECTOR;
  const newVolumeEnd = layout.newVolumeBytes / DISK_SECTOR;
  const totalSectors = layout.newSize / DISK_SECTOR;
  const backupHeaderLba = totalSectors - 1;
  const entrySectors = Math.ceil(gpt.entries.length / DISK_SECTOR);
  const backupEntriesLba = backupHeaderLba - entrySectors;
  const newLastUsable = backupEntriesLba - 1;
  const entries = Buffer.from(gpt.entries);
  for (let offset = 0; offset + gpt.entrySize <= entries.length; offset += gpt.entrySize) {
    const first = Number(entries.readBigUInt64LE(offset + ENTRY_FIRST));
    const last = Number(entries.readBigUInt64LE(offset + ENTRY_LAST));
    if (first * DISK_SECTOR > layout.oldSize || last === 0) continue;
    // The partition over the ISO: it starts before the volume descriptors and reaches the
    // volume end (isohybrid) or the last usable sector (xorriso's whole-image partition).
    let newLast: number | undefined;
    if (first <= ISO_DESCRIPTORS_DISK_SECTOR && last + 1 === oldVolumeEnd)
      newLast = newVolumeEnd - 1;
    else if (
      first <= ISO_DESCRIPTORS_DISK_SECTOR &&
      last >= gpt.lastUsable - 1 &&
      last <= gpt.lastUsable
    )
      newLast = newLastUsable - (gpt.lastUsable - last);
    if (newLast !== undefined) entries.writeBigUInt64LE(BigInt(newLast), offset + ENTRY_LAST);
  }
  const entriesCrc = crc32(entries);
  const primary = Buffer.from(gpt.header);
  primary.writeBigUInt64LE(BigInt(backupHeaderLba), GptField.alternateLba);
  primary.writeBigUInt64LE(BigInt(newLastUsable), GptField.lastUsable);
  primary.writeUInt32LE(entriesCrc, GptField.entriesCrc);
  sealHeader(primary);
  const backupHeader = Buffer.from(primary);
  backupHeader.writeBigUInt64LE(BigInt(backupHeaderLba), GptField.currentLba);
  backupHeader.writeBigUInt64LE(1n, GptField.alternateLba);
  backupHeader.writeBigUInt64LE(BigInt(backupEntriesLba), GptField.entriesLba);
  sealHeader(backupHeader);
  const backup = Buffer.alloc(backupGptBytes(gpt));
  entries.copy(backup, 0);
  backupHeader.copy(backup, entrySectors * DISK_SECTOR);
  return {
    patches: [
      { offset: DISK_SECTOR, bytes: primary, what: 'GPT primary header' },
      { offset: gpt.entriesLba * DISK_SECTOR, bytes: entries, what: 'GPT partition entries' },
    ],
    backup,
    backupOffset: backupEntriesLba * DISK_SECTOR,
  };
}
