/**
 * Does the image agree with itself? An edit that stops half-way (or a broken tool) leaves
 * structures that disagree: volume descriptors with different volume sizes, a primary and a
 * Joliet record of the same file pointing at different extents, files past the volume end, an
 * MBR or GPT sized for another image. `checkLayout` lists every disagreement; `iso inspect`
 * reports them. `protectedRegions` lists the bytes that hold structures (system area, volume
 * descriptors, path tables, directories, boot catalog, GPT copies): an Ignition or kargs area
 * that overlaps one is refused (`UNSAFE_AREA`) instead of written over it.
 */
import { crc32 } from '@hostmirror/codecs';
import { IsoError } from './errors.ts';
import type { IsoEntry, IsoImage } from './image.ts';
import { FIRST_DESCRIPTOR_SECTOR, SECTOR_SIZE } from './iso9660.ts';
import { DISK_SECTOR, isGptHeader, parseGptHeader, readMbr } from './partition-table.ts';

/** Path table fields of a primary/supplementary descriptor (ECMA-119 §8.4.14–8.4.17). */
const PATH_TABLE_SIZE = 132;
const PATH_TABLE_POINTERS = [
  { at: 140, littleEndian: true },
  { at: 144, littleEndian: true },
  { at: 148, littleEndian: false },
  { at: 152, littleEndian: false },
] as const;
/** GPT header: entries CRC at 88, current LBA at 24 (UEFI 2.10 §5.3.2). */
const GPT_ENTRIES_CRC = 88;
const GPT_CURRENT_LBA = 24;

export interface Region {
  start: number;
  end: number;
  what: string;
}

async function pathTables(image: IsoImage): Promise<Region[]> {
  const regions: Region[] = [];
  for (const descriptor of image.descriptors) {
    if (descriptor.root === undefined) continue;
    const bytes = await image.source.read(descriptor.sector * SECTOR_SIZE, SECTOR_SIZE);
    const size = bytes.readUInt32LE(PATH_TABLE_SIZE);
    for (const pointer of PATH_TABLE_POINTERS) {
      const lba = pointer.littleEndian
        ? bytes.readUInt32LE(pointer.at)
        : bytes.readUInt32BE(pointer.at);
      if (lba !== 0 && size > 0)
        regions.push({
          start: lba * SECTOR_SIZE,
          end: lba * SECTOR_SIZE + size,
          what: `the ${descriptor.kind} path table at sector ${lba}`,
        });
    }
  }
  return regions;
}

/** Regions of the image that hold ISO 9660, El Torito and partition-table structures. */
export async function protectedRegions(image: IsoImage): Promise<Region[]> {
  const lastDescriptor = Math.max(...image.descriptors.map((descriptor) => descriptor.sector));
  const regions: Region[] = [
    { start: 0, end: FIRST_DESCRIPTOR_SECTOR * SECTOR_SIZE, what: 'the system area (MBR, GPT)' },
    {
      start: FIRST_DESCRIPTOR_SECTOR * SECTOR_SIZE,
      // the terminator follows the last descriptor we keep
      end: (lastDescriptor + 2) * SECTOR_SIZE,
      what: 'the volume descriptors',
    },
    ...(await pathTables(image)),
  ];
  const trees =
    image.joliet === undefined ? (['primary'] as const) : (['primary', 'joliet'] as const);
  for (const tree of trees)
    for (const entry of await image.entries(tree))
      if (entry.isDirectory)
        for (const extent of entry.extents)
          regions.push({
            start: extent.lba * SECTOR_SIZE,
            end: extent.lba * SECTOR_SIZE + Math.max(extent.length, 1),
            what: `the ${tree} directory ${entry.path}`,
          });
  for (const descriptor of image.descriptors)
    if (descriptor.root !== undefined)
      regions.push({
        start: descriptor.root.lba * SECTOR_SIZE,
        end: descriptor.root.lba * SECTOR_SIZE + Math.max(descriptor.root.length, 1),
        what: `the ${descriptor.kind} root directory`,
      });
  const catalog = await image.bootCatalog().catch(() => undefined);
  if (catalog !== undefined)
    regions.push({
      start: catalog.lba * SECTOR_SIZE,
      end: (catalog.lba + 1) * SECTOR_SIZE,
      what: 'the El Torito boot catalog',
    });
  const gpt = await readGpt(image).catch(() => undefined);
  if (gpt !== undefined) {
    regions.push({
      start: gpt.entriesLba * DISK_SECTOR,
      end: gpt.entriesLba * DISK_SECTOR + gpt.entriesBytes,
      what: 'the GPT partition entries',
    });
    regions.push({
      start: Math.min(gpt.alternateLba * DISK_SECTOR, image.size),
      end: image.size,
      what: 'the backup GPT',
    });
  }
  return regions;
}

/** Refuse to write `length` bytes at `offset` for `what` if that overlaps a structure. */
export async function checkPlacement(
  image: IsoImage,
  areas: { offset: number; length: number; what: string }[],
): Promise<void> {
  const regions = await protectedRegions(image);
  for (const area of areas) {
    const end = area.offset + area.length;
    const hit = regions.find((region) => area.offset < region.end && region.start < end);
    if (hit !== undefined)
      throw new IsoError(
        'UNSAFE_AREA',
        `The ${area.what} (bytes ${area.offset}–${end}) overlaps ${hit.what} (bytes ${hit.start}–${hit.end}); writing it would corrupt the ISO, so nothing was written. The ISO's CoreOS metadata is corrupt: use a fresh copy of the live ISO.`,
        { offset: area.offset },
      );
  }
}

async function readGpt(image: IsoImage) {
  if (image.size < 2 * DISK_SECTOR) return undefined;
  const sector1 = await image.source.read(DISK_SECTOR, DISK_SECTOR);
  if (!isGptHeader(sector1)) return undefined;
  return { ...parseGptHeader(sector1), header: sector1 };
}

function fileKey(entry: IsoEntry): string {
  return entry.extents.map((extent) => `${extent.lba}+${extent.length}`).join(',');
}

async function treeProblems(image: IsoImage, volumeBytes: number): Promise<string[]> {
  const problems: string[] = [];
  const primary = new Map<string, IsoEntry>();
  for (const entry of await image.entries('primary')) primary.set(entry.path, entry);
  const trees = image.joliet === undefined ? [] : await image.entries('joliet');
  for (const entry of [...primary.values(), ...trees]) {
    for (const extent of entry.extents)
      if (extent.length > 0 && extent.lba * SECTOR_SIZE + extent.length > volumeBytes)
        problems.push(
          `${entry.tree} ${entry.path}: its extent (sector ${extent.lba}, ${extent.length} bytes) ends at byte ${extent.lba * SECTOR_SIZE + extent.length}, past the volume end (${volumeBytes})`,
        );
  }
  for (const entry of trees) {
    const twin = primary.get(entry.path);
    if (twin === undefined || twin.isDirectory !== entry.isDirectory || entry.isDirectory) continue;
    if (fileKey(twin) !== fileKey(entry))
      problems.push(
        `${entry.path}: the primary tree says sector ${twin.extents[0]?.lba}, ${twin.size} bytes; the Joliet tree says sector ${entry.extents[0]?.lba}, ${entry.size} bytes`,
      );
  }
  return problems;
}

/** How the backup GPT header disagrees with the primary one, if it does. */
function backupGptDisagreement(
  backup: Buffer,
  gpt: NonNullable<Awaited<ReturnType<typeof readGpt>>>,
): string | undefined {
  if (!isGptHeader(backup)) return 'no "EFI PART" signature';
  let parsed: ReturnType<typeof parseGptHeader>;
  try {
    parsed = parseGptHeader(backup);
  } catch (error) {
    if (!(error instanceof IsoError)) throw error;
    return error.message;
  }
  if (
    Number(backup.readBigUInt64LE(GPT_CURRENT_LBA)) !== gpt.alternateLba ||
    parsed.alternateLba !== 1
  )
    return `it says it is at sector ${backup.readBigUInt64LE(GPT_CURRENT_LBA)} with its twin at ${parsed.alternateLba}`;
  if (backup.readUInt32LE(GPT_ENTRIES_CRC) !== gpt.header.readUInt32LE(GPT_ENTRIES_CRC))
    return 'its partition entries differ from the primary ones';
  if (parsed.lastUsable !== gpt.lastUsable)
    return `its last usable sector ${parsed.lastUsable} differs from ${gpt.lastUsable}`;
  return undefined;
}

async function partitionProblems(image: IsoImage, volumeBytes: number): Promise<string[]> {
  const problems: string[] = [];
  const size = image.size;
  for (const partition of readMbr(await image.source.read(0, DISK_SECTOR))) {
    const end = (partition.start + partition.size) * DISK_SECTOR;
    if (end > size)
      problems.push(
        `MBR partition ${partition.index + 1} ends at byte ${end}, past the end of the image (${size})`,
      );
    else if (partition.start === 0 && end !== size && end !== volumeBytes)
      problems.push(
        `MBR partition ${partition.index + 1} covers ${end} bytes: neither the image (${size}) nor the volume (${volumeBytes})`,
      );
  }
  let gpt: Awaited<ReturnType<typeof readGpt>>;
  try {
    gpt = await readGpt(image);
  } catch (error) {
    if (!(error instanceof IsoError)) throw error;
    return [...problems, error.message];
  }
  if (gpt === undefined) return problems;
  const entries = await image.source.read(gpt.entriesLba * DISK_SECTOR, gpt.entriesBytes);
  if (crc32(entries) !== gpt.header.readUInt32LE(GPT_ENTRIES_CRC))
    problems.push('the GPT partition entries do not match the CRC32 in the primary GPT header');
  const lastSector = Math.floor(size / DISK_SECTOR) - 1;
  if (gpt.alternateLba !== lastSector) {
    problems.push(
      `the primary GPT puts its backup at sector ${gpt.alternateLba}, but the image's last sector is ${lastSector}`,
    );
    return problems;
  }
  const backup = await image.source.read(gpt.alternateLba * DISK_SECTOR, DISK_SECTOR);
  const disagreement = backupGptDisagreement(backup, gpt);
  if (disagreement !== undefined)
    problems.push(`the backup GPT header at sector ${gpt.alternateLba} disagrees: ${disagreement}`);
  for (let offset = 0; offset + gpt.entrySize <= entries.length; offset += gpt.entrySize) {
    const last = Number(entries.readBigUInt64LE(offset + 40));
    if (last !== 0 && last > gpt.lastUsable)
      problems.push(
        `GPT partition ${offset / gpt.entrySize + 1} ends at sector ${last}, past the last usable sector ${gpt.lastUsable}`,
      );
  }
  return problems;
}

/** Every way the image's structures disagree with each other (empty when consistent). */
export async function checkLayout(image: IsoImage): Promise<string[]> {
  const volumes = image.descriptors.filter((descriptor) => descriptor.root !== undefined);
  const volumeBytes = image.primary.volumeSpaceSize * SECTOR_SIZE;
  const problems = volumes
    .filter((descriptor) => descriptor.volumeSpaceSize !== image.primary.volumeSpaceSize)
    .map(
      (descriptor) =>
        `the ${descriptor.kind} volume descriptor (sector ${descriptor.sector}) says ${descriptor.volumeSpaceSize} sectors, the primary ${image.primary.volumeSpaceSize}`,
    );
  problems.push(...(await treeProblems(image, volumeBytes)));
  problems.push(...(await partitionProblems(image, volumeBytes)));
  return problems;
}
