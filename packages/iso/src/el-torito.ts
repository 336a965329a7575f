/**
 * The El Torito boot catalog ("El Torito" Bootable CD-ROM Format Specification 1.0, 1995),
 * read only: which images BIOS and UEFI firmware load. Relocating the initrd never touches it.
 */
import { IsoError } from './errors.ts';
import { SECTOR_SIZE } from './iso9660.ts';
import type { ByteSource } from './source.ts';

/** Every catalog entry is 32 bytes (§2). */
const ENTRY_SIZE = 32;
/** Validation entry: header id 1, key bytes 0x55 0xAA at 30–31 (§2.1). */
const VALIDATION_HEADER_ID = 0x01;
const VALIDATION_KEY = [0x55, 0xaa] as const;
/** Boot indicator of a bootable entry (§2.2). */
const BOOTABLE = 0x88;
/** Section header ids: 0x90 more headers follow, 0x91 final header (§2.4). */
const SECTION_HEADER = 0x90;
const FINAL_SECTION_HEADER = 0x91;
/** A section entry extension follows an entry; skip it (§2.6). */
const SECTION_EXTENSION = 0x44;
/** Platform ids (§2.1; 0xEF is EFI from UEFI 2.x §12.3.2.1). */
export const BootPlatform = { x86: 0x00, powerPc: 0x01, mac: 0x02, efi: 0xef } as const;
const MEDIA_TYPES = ['no-emulation', '1.2M floppy', '1.44M floppy', '2.88M floppy', 'hard disk'];

export interface BootEntry {
  platform: number;
  bootable: boolean;
  mediaType: string;
  /** First sector of the boot image (2048-byte sectors). */
  loadLba: number;
  /** Virtual 512-byte sectors loaded (0 means "the firmware decides"). */
  sectorCount: number;
}

export interface BootCatalog {
  lba: number;
  entries: BootEntry[];
}

function decodeEntry(entry: Buffer, platform: number): BootEntry {
  return {
    platform,
    bootable: entry[0] === BOOTABLE,
    mediaType: MEDIA_TYPES[(entry[1] ?? 0) & 0x0f] ?? 'unknown',
    sectorCount: entry.readUInt16LE(6),
    loadLba: entry.readUInt32LE(8),
  };
}

function checkValidation(validation: Buffer, lba: number): void {
  let sum = 0;
  for (let index = 0; index < ENTRY_SIZE; index += 2) sum += validation.readUInt16LE(index);
  const valid =
    validation[0] === VALIDATION_HEADER_ID &&
    validation[30] === VALIDATION_KEY[0] &&
    validation[31] === VALIDATION_KEY[1] &&
    (sum & 0xffff) === 0;
  if (!valid)
    throw new IsoError(
      'BAD_BOOT_CATALOG',
      `The El Torito validation entry at sector ${lba} (byte ${lba * SECTOR_SIZE}) has a bad header, key or checksum; the boot catalog is corrupt.`,
      { offset: lba * SECTOR_SIZE },
    );
}

/** Read the catalog at `lba`: the default entry, then every section's entries. */
export async function readBootCatalog(source: ByteSource, lba: number): Promise<BootCatalog> {
  const bytes = await source.read(lba * SECTOR_SIZE, SECTOR_SIZE);
  const validation = bytes.subarray(0, ENTRY_SIZE);
  checkValidation(validation, lba);
  const entries = [decodeEntry(bytes.subarray(ENTRY_SIZE, 2 * ENTRY_SIZE), validation[1] ?? 0)];
  let position = 2 * ENTRY_SIZE;
  let final = false;
  while (!final && position + ENTRY_SIZE <= bytes.length) {
    const header = bytes.subarray(position, position + ENTRY_SIZE);
    if (header[0] !== SECTION_HEADER && header[0] !== FINAL_SECTION_HEADER) break;
    final = header[0] === FINAL_SECTION_HEADER;
    const platform = header[1] ?? 0;
    let count = header.readUInt16LE(2);
    position += ENTRY_SIZE;
    while (count > 0 && position + ENTRY_SIZE <= bytes.length) {
      const entry = bytes.subarray(position, position + ENTRY_SIZE);
      position += ENTRY_SIZE;
      if (entry[0] === SECTION_EXTENSION) continue;
      entries.push(decodeEntry(entry, platform));
      count--;
    }
  }
  return { lba, entries };
}
