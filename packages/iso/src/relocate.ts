/**
 * Extend a file inside the ISO without rebuilding it (docs/design.md#byte-formats, docs/iso-relocation.md): its
 * bytes plus our 4-aligned archives go into a new extent after everything in the image; the
 * directory records pointing at the old extent (primary and Joliet trees) get the new extent
 * and size, every volume descriptor the new volume space size, and an isohybrid MBR/GPT the
 * new end. Boot loaders read files through the directory records, so nothing else changes.
 */
import { INITRD_PATH } from './coreos-paths.ts';
import type { IsoAppendix, IsoEdit, IsoPatch } from './edit.ts';
import { IsoError } from './errors.ts';
import type { IsoEntry, IsoImage } from './image.ts';
import {
  bothEndian32,
  RecordField,
  SECTOR_SIZE,
  sectorsFor,
  VolumeDescriptorField,
} from './iso9660.ts';
import {
  backupGptBytes,
  DISK_SECTOR,
  type Gpt,
  type GrownLayout,
  grownGpt,
  HYBRID_CYLINDER_BYTES,
  isGptHeader,
  type MbrPartition,
  mbrPatches,
  parseGptHeader,
  readMbr,
} from './partition-table.ts';

/** Bytes to add after the file, streamed. */
export interface AppendSource {
  size: number;
  /** Names the source in messages (`archive overlay.cpio.zst`). */
  what: string;
  chunks(): AsyncIterable<Buffer>;
}

export interface Relocation {
  path: string;
  oldExtent: { lba: number; length: number };
  newExtent: { lba: number; length: number };
  /** Byte offsets of the directory records repointed (primary and Joliet). */
  records: number[];
  /** Where each appended source starts inside the new file. */
  archiveOffsets: number[];
  layout: GrownLayout;
}

/** ISO 9660 data lengths are u32 (ECMA-119 §9.1.4); a longer file needs several extents. */
const MAX_EXTENT_LENGTH = 0xffff_ffff;
/** Newc archives start 4-aligned from the start of the initrd (docs/coreos-iso.md#kernel-initramfs-rules). */
const ARCHIVE_ALIGNMENT = 4;

const alignUp = (value: number, unit: number) => Math.ceil(value / unit) * unit;

async function* zeros(length: number): AsyncGenerator<Buffer> {
  if (length > 0) yield Buffer.alloc(length);
}

function checkRelocatable(file: IsoEntry): void {
  if (file.extents.length !== 1 || file.transformed !== undefined)
    throw new IsoError(
      'UNSUPPORTED_FILE',
      `${file.path} is ${file.transformed ? `stored with Rock Ridge ${file.transformed}` : `split into ${file.extents.length} extents`}; only a plain single-extent file can be extended.`,
      { offset: file.recordOffsets[0] },
    );
}

async function readPartitionTables(image: IsoImage): Promise<{ mbr: MbrPartition[]; gpt?: Gpt }> {
  const head = await image.source.read(0, 2 * DISK_SECTOR);
  const mbr = readMbr(head.subarray(0, DISK_SECTOR));
  const sector1 = head.subarray(DISK_SECTOR);
  if (!isGptHeader(sector1)) return { mbr };
  const parsed = parseGptHeader(sector1);
  const entries = await image.source.read(parsed.entriesLba * DISK_SECTOR, parsed.entriesBytes);
  return { mbr, gpt: { ...parsed, entries } };
}

function recordPatches(records: number[], lba: number, length: number, path: string): IsoPatch[] {
  const bytes = Buffer.concat([bothEndian32(lba), bothEndian32(length)]);
  return records.map((offset) => ({
    offset: offset + RecordField.extent,
    bytes,
    what: `directory record of ${path} at byte ${offset}`,
  }));
}

function volumePatches(image: IsoImage, volumeBytes: number): IsoPatch[] {
  return image.descriptors
    .filter((descriptor) => ['primary', 'joliet', 'supplementary'].includes(descriptor.kind))
    .map((descriptor) => ({
      offset: descriptor.sector * SECTOR_SIZE + VolumeDescriptorField.volumeSpaceSize,
      bytes: bothEndian32(volumeBytes / SECTOR_SIZE),
      what: `volume space size in the ${descriptor.kind} volume descriptor`,
    }));
}

/** Plan the extension of `path` (default `images/pxeboot/initrd.img`) by `sources`. */
export async function planFileExtension(
  image: IsoImage,
  sources: AppendSource[],
  path = INITRD_PATH,
): Promise<{ edit: IsoEdit; relocation: Relocation }> {
  const file = await image.require(path);
  checkRelocatable(file);
  const old = file.extents[0] as { lba: number; length: number };
  const holders = (await image.entriesAt(old.lba)).filter((entry) => entry.size === file.size);
  for (const holder of holders) checkRelocatable(holder);
  const records = holders.flatMap((holder) => holder.recordOffsets);

  const archiveOffsets: number[] = [];
  let length = alignUp(file.size, ARCHIVE_ALIGNMENT);
  for (const source of sources) {
    archiveOffsets.push(length);
    length += alignUp(source.size, ARCHIVE_ALIGNMENT);
  }
  if (length > MAX_EXTENT_LENGTH)
    throw new IsoError(
      'FILE_TOO_LARGE',
      `${file.path} would grow to ${length} bytes, more than the ${MAX_EXTENT_LENGTH} an ISO 9660 extent holds; make the archives smaller.`,
    );

  const oldSize = image.size;
  const lba = sectorsFor(oldSize);
  const dataEnd = (lba + sectorsFor(length)) * SECTOR_SIZE;
  const tables = await readPartitionTables(image);
  let newSize = dataEnd + (tables.gpt ? backupGptBytes(tables.gpt) : 0);
  // isohybrid images end on a cylinder; without it xorriso reports `cyl-align-off`.
  if (tables.mbr.length > 0) newSize = alignUp(newSize, HYBRID_CYLINDER_BYTES);
  newSize = alignUp(newSize, SECTOR_SIZE);
  const oldVolumeBytes = image.primary.volumeSpaceSize * SECTOR_SIZE;
  // xorriso's volume covers the whole file; genisoimage+isohybrid's only the ISO part.
  const newVolumeBytes = oldVolumeBytes === oldSize ? newSize : dataEnd;
  const layout: GrownLayout = { oldSize, newSize, oldVolumeBytes, newVolumeBytes, dataEnd };

  const patches = [
    ...recordPatches(records, lba, length, file.path),
    ...volumePatches(image, newVolumeBytes),
    ...mbrPatches(tables.mbr, layout),
  ];
  const appendices: IsoAppendix[] = [
    {
      offset: lba * SECTOR_SIZE,
      length,
      what: `new extent of ${file.path}`,
      chunks: async function* () {
        yield* image.fileChunks(file);
        yield* zeros(alignUp(file.size, ARCHIVE_ALIGNMENT) - file.size);
        for (const source of sources) {
          yield* source.chunks();
          yield* zeros(alignUp(source.size, ARCHIVE_ALIGNMENT) - source.size);
        }
      },
    },
  ];
  if (tables.gpt !== undefined) {
    const gpt = grownGpt(tables.gpt, layout);
    patches.push(...gpt.patches);
    appendices.push({
      offset: gpt.backupOffset,
      length: gpt.backup.length,
      what: 'backup GPT',
      chunks: async function* () {
        yield gpt.backup;
      },
    });
  }
  return {
    edit: { originalSize: oldSize, size: newSize, patches, appendices },
    relocation: {
      path: file.path,
      oldExtent: old,
      newExtent: { lba, length },
      records,
      archiveOffsets,
      layout,
    },
  };
}
