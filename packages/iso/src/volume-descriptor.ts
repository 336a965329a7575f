/** The volume descriptor set (ECMA-119 §8): primary, Joliet, boot record, terminator. */
import { IsoError } from './errors.ts';
import {
  DescriptorType,
  FIRST_DESCRIPTOR_SECTOR,
  JOLIET_ESCAPES,
  MAX_DESCRIPTORS,
  RecordField,
  ROOT_RECORD_SIZE,
  SECTOR_SIZE,
  STANDARD_IDENTIFIER,
  VolumeDescriptorField,
} from './iso9660.ts';
import type { ByteSource } from './source.ts';

/** El Torito boot record: system identifier at byte 7, catalog sector (u32 LE) at 71. */
const EL_TORITO_SYSTEM_ID = 'EL TORITO SPECIFICATION';
const BOOT_SYSTEM_ID_OFFSET = 7;
const BOOT_CATALOG_POINTER = 0x47;

export type DescriptorKind = 'primary' | 'joliet' | 'supplementary' | 'boot' | 'partition';

export interface VolumeDescriptor {
  kind: DescriptorKind;
  /** Sector of the descriptor; the volume space size field is at `sector*2048 + 80`. */
  sector: number;
  /** Volume space size in sectors (primary and supplementary only). */
  volumeSpaceSize: number;
  volumeId: string;
  root?: { lba: number; length: number };
  /** Boot record only: the El Torito catalog's sector. */
  bootCatalog?: number;
}

function kindOf(type: number, bytes: Buffer): DescriptorKind | undefined {
  if (type === DescriptorType.primary) return 'primary';
  if (type === DescriptorType.partition) return 'partition';
  if (type === DescriptorType.bootRecord) return 'boot';
  if (type !== DescriptorType.supplementary) return undefined;
  const escapes = bytes.toString(
    'latin1',
    VolumeDescriptorField.escapeSequences,
    VolumeDescriptorField.escapeSequences + 3,
  );
  return (JOLIET_ESCAPES as readonly string[]).includes(escapes) ? 'joliet' : 'supplementary';
}

function decodeVolumeId(bytes: Buffer, joliet: boolean): string {
  const field = bytes.subarray(
    VolumeDescriptorField.volumeId,
    VolumeDescriptorField.volumeId + VolumeDescriptorField.volumeIdLength,
  );
  if (!joliet) return field.toString('latin1').trimEnd();
  const swapped = Buffer.from(field);
  swapped.swap16();
  return swapped.toString('utf16le').replace(/\0+$/, '').trimEnd();
}

function decode(bytes: Buffer, sector: number, kind: DescriptorKind): VolumeDescriptor {
  if (kind === 'boot') {
    const system = bytes.toString('latin1', BOOT_SYSTEM_ID_OFFSET, BOOT_SYSTEM_ID_OFFSET + 32);
    const descriptor: VolumeDescriptor = { kind, sector, volumeSpaceSize: 0, volumeId: '' };
    if (system.startsWith(EL_TORITO_SYSTEM_ID))
      descriptor.bootCatalog = bytes.readUInt32LE(BOOT_CATALOG_POINTER);
    return descriptor;
  }
  if (kind === 'partition') return { kind, sector, volumeSpaceSize: 0, volumeId: '' };
  const blockSize = bytes.readUInt16LE(VolumeDescriptorField.logicalBlockSize);
  if (blockSize !== SECTOR_SIZE)
    throw new IsoError(
      'NOT_ISO9660',
      `The volume descriptor at sector ${sector} has a logical block size of ${blockSize}; only ${SECTOR_SIZE} is supported.`,
      { offset: sector * SECTOR_SIZE },
    );
  const root = bytes.subarray(
    VolumeDescriptorField.rootDirectoryRecord,
    VolumeDescriptorField.rootDirectoryRecord + ROOT_RECORD_SIZE,
  );
  return {
    kind,
    sector,
    volumeSpaceSize: bytes.readUInt32LE(VolumeDescriptorField.volumeSpaceSize),
    volumeId: decodeVolumeId(bytes, kind === 'joliet'),
    root: {
      lba: root.readUInt32LE(RecordField.extent),
      length: root.readUInt32LE(RecordField.dataLength),
    },
  };
}

/** Read the descriptor set from sector 16 up to the terminator. */
export async function readVolumeDescriptors(source: ByteSource): Promise<VolumeDescriptor[]> {
  const firstOffset = FIRST_DESCRIPTOR_SECTOR * SECTOR_SIZE;
  if (source.size < firstOffset + SECTOR_SIZE)
    throw new IsoError(
      'ISO_TRUNCATED',
      `The image is ${source.size} bytes, too short to hold the volume descriptor at byte ${firstOffset}; it is not an ISO 9660 image or it is truncated.`,
      { offset: 0 },
    );
  const descriptors: VolumeDescriptor[] = [];
  for (let index = 0; index < MAX_DESCRIPTORS; index++) {
    const sector = FIRST_DESCRIPTOR_SECTOR + index;
    const bytes = await source.read(sector * SECTOR_SIZE, SECTOR_SIZE);
    if (bytes.toString('latin1', 1, 6) !== STANDARD_IDENTIFIER)
      throw new IsoError(
        'NOT_ISO9660',
        `No ISO 9660 volume descriptor at sector ${sector} (byte ${sector * SECTOR_SIZE}): expected '${STANDARD_IDENTIFIER}'; this is not an ISO 9660 image.`,
        { offset: sector * SECTOR_SIZE },
      );
    const type = bytes[VolumeDescriptorField.type] ?? 0;
    if (type === DescriptorType.terminator) return descriptors;
    const kind = kindOf(type, bytes);
    if (kind !== undefined) descriptors.push(decode(bytes, sector, kind));
  }
  throw new IsoError(
    'NOT_ISO9660',
    `No volume descriptor set terminator in the first ${MAX_DESCRIPTORS} descriptors; the ISO is corrupt.`,
    { offset: FIRST_DESCRIPTOR_SECTOR * SECTOR_SIZE },
  );
}
