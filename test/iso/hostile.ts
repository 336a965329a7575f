/**
 * Hostile ISOs from the adversarial run of issue #20, built from a fixture so tests and the
 * fuzz harness share them (never stored as binaries).
 */
import { IsoImage } from '../../packages/iso/src/image.ts';
import { SECTOR_SIZE, writeBothEndian32 } from '../../packages/iso/src/iso9660.ts';
import { BufferSource } from '../../packages/iso/src/source.ts';

const RECORD_NAME = 'IGNINFO.JSO;1';

function record(name: Buffer, lba: number, length: number, flags: number): Buffer {
  const size = 33 + name.length + (name.length % 2 === 0 ? 1 : 0);
  const bytes = Buffer.alloc(size);
  bytes[0] = size;
  writeBothEndian32(bytes, 2, lba);
  writeBothEndian32(bytes, 10, length);
  bytes[25] = flags;
  bytes.writeUInt16LE(1, 28);
  bytes.writeUInt16BE(1, 30);
  bytes[32] = name.length;
  name.copy(bytes, 33);
  return bytes;
}

/** Records packed into sectors (a record never crosses one: ECMA-119 §6.8.1.1). */
function directory(records: Buffer[]): Buffer {
  const sectors: Buffer[] = [];
  let sector = Buffer.alloc(SECTOR_SIZE);
  let used = 0;
  for (const entry of records) {
    if (used + entry.length > SECTOR_SIZE) {
      sectors.push(sector);
      sector = Buffer.alloc(SECTOR_SIZE);
      used = 0;
    }
    entry.copy(sector, used);
    used += entry.length;
  }
  sectors.push(sector);
  return Buffer.concat(sectors);
}

/**
 * Finding 5 (ISO half): `coreos/` replaced by a directory whose `igninfo.json` is `count`
 * multi-extent records, each covering the whole image. Read naively it is count × image size.
 */
export async function multiExtentIgninfoIso(base: Buffer, count = 2500): Promise<Buffer> {
  const image = await IsoImage.fromSource(new BufferSource(base));
  const coreos = (await image.entries('primary')).find(
    (entry) => entry.isDirectory && entry.identifierPath === '/COREOS',
  );
  if (coreos === undefined) throw new Error('the base ISO has no /coreos directory');
  const lba = Math.ceil(base.length / SECTOR_SIZE);
  const records = [record(Buffer.from([0]), lba, 0, 2), record(Buffer.from([1]), lba, 0, 2)];
  for (let index = 0; index < count; index++)
    records.push(
      record(Buffer.from(RECORD_NAME, 'latin1'), 0, base.length, index < count - 1 ? 0x80 : 0),
    );
  const bytes = directory(records);
  // `.` records its own extent and length.
  writeBothEndian32(bytes, 10, bytes.length);
  const padded = Buffer.alloc(lba * SECTOR_SIZE);
  base.copy(padded);
  const result = Buffer.concat([padded, bytes]);
  const at = coreos.recordOffsets[0] as number;
  writeBothEndian32(result, at + 2, lba);
  writeBothEndian32(result, at + 10, bytes.length);
  return result;
}
