/**
 * A minimal ISO 9660 writer for the demo's CoreOS-layout fixture, so `build-iso --demo` runs
 * where xorriso is not installed. It writes what the CoreOS readers use and nothing more
 * (ECMA-119): the system area (16 zero sectors), a primary volume descriptor, the set
 * terminator, L and M path tables, one sector per directory, and each file in one extent.
 * Identifiers are upper-case `NAME.EXT;1` (level 1 style: coreos-installer looks files up by
 * these, docs/coreos-iso.md#iso-lookup). No Rock Ridge, Joliet or El Torito: the fixture is
 * for the pipeline, not for booting (`tools/make-coreos-iso.ts` makes bootable ones).
 */

/** Logical sector and block size (ECMA-119 §6.1.2). */
export const ISO_SECTOR = 2048;
/** The system area: sectors 0–15 (ECMA-119 §6.2.1). */
const SYSTEM_AREA_SECTORS = 16;
/** Volume descriptor types (ECMA-119 §8.1.1). */
const PRIMARY_DESCRIPTOR = 1;
const TERMINATOR_DESCRIPTOR = 255;
const STANDARD_ID = 'CD001';
/** Directory record flag: a directory (ECMA-119 §9.1.6). */
const DIRECTORY_FLAG = 0x02;
/** Fixed part of a directory record before the identifier (ECMA-119 §9.1). */
const RECORD_FIXED_BYTES = 33;
/** The volume id field holds 32 characters (ECMA-119 §8.4.6). */
const VOLUME_ID_BYTES = 32;

export interface IsoFileInput {
  /** Path with upper-case 8.3 components, e.g. `IMAGES/PXEBOOT/INITRD.IMG`. */
  path: string;
  data: Uint8Array;
}

export interface IsoWriteOptions {
  volumeId: string;
  files: readonly IsoFileInput[];
  /** Recording time, seconds since the epoch (SOURCE_DATE_EPOCH). */
  time: number;
}

interface DirectoryNode {
  name: string;
  parent: DirectoryNode | undefined;
  children: Map<string, DirectoryNode>;
  files: Map<string, IsoFileInput>;
  sector: number;
  number: number;
}

const sectorsFor = (bytes: number) => Math.max(1, Math.ceil(bytes / ISO_SECTOR));

function both16(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt16LE(value, 0);
  bytes.writeUInt16BE(value, 2);
  return bytes;
}

function both32(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt32LE(value, 0);
  bytes.writeUInt32BE(value, 4);
  return bytes;
}

/** The 7-byte recording date of a directory record (ECMA-119 §9.1.5), UTC. */
function recordDate(time: number): Buffer {
  const date = new Date(time * 1000);
  return Buffer.from([
    date.getUTCFullYear() - 1900,
    date.getUTCMonth() + 1,
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds(),
    0,
  ]);
}

/** The 17-byte volume date (ECMA-119 §8.4.26.1), UTC. */
function volumeDate(time: number): string {
  const iso = new Date(time * 1000).toISOString();
  return `${iso.replace(/[-:T]/g, '').slice(0, 14)}00\0`;
}

function checkComponent(name: string, path: string): void {
  if (!/^[A-Z0-9_]{1,8}(\.[A-Z0-9_]{0,3})?$/.test(name))
    throw new Error(`internal: ISO identifier ${name} in ${path} is not upper-case 8.3`);
}

function buildTree(files: readonly IsoFileInput[]): DirectoryNode {
  const root: DirectoryNode = {
    name: '',
    parent: undefined,
    children: new Map(),
    files: new Map(),
    sector: 0,
    number: 1,
  };
  for (const file of files) {
    const parts = file.path.split('/');
    const leaf = parts.pop() as string;
    let folder = root;
    for (const part of parts) {
      checkComponent(part, file.path);
      let child = folder.children.get(part);
      if (child === undefined) {
        child = {
          name: part,
          parent: folder,
          children: new Map(),
          files: new Map(),
          sector: 0,
          number: 0,
        };
        folder.children.set(part, child);
      }
      folder = child;
    }
    checkComponent(leaf, file.path);
    folder.files.set(`${leaf};1`, file);
  }
  return root;
}

/** Directories breadth-first, children by name: the path table order (ECMA-119 §9.4). */
function directoriesInOrder(root: DirectoryNode): DirectoryNode[] {
  const order = [root];
  for (let index = 0; index < order.length; index++) {
    const folder = order[index] as DirectoryNode;
    const names = [...folder.children.keys()].sort();
    for (const name of names) order.push(folder.children.get(name) as DirectoryNode);
  }
  order.forEach((folder, index) => {
    folder.number = index + 1;
  });
  return order;
}

function directoryRecord(
  identifier: Buffer,
  sector: number,
  length: number,
  directory: boolean,
  time: number,
): Buffer {
  const size = RECORD_FIXED_BYTES + identifier.length + (identifier.length % 2 === 0 ? 1 : 0);
  const record = Buffer.alloc(size);
  record[0] = size;
  both32(sector).copy(record, 2);
  both32(length).copy(record, 10);
  recordDate(time).copy(record, 18);
  record[25] = directory ? DIRECTORY_FLAG : 0;
  both16(1).copy(record, 28);
  record[32] = identifier.length;
  identifier.copy(record, 33);
  return record;
}

function pathTable(order: DirectoryNode[], bigEndian: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const folder of order) {
    const name = folder.parent === undefined ? Buffer.from([0]) : Buffer.from(folder.name, 'ascii');
    const entry = Buffer.alloc(8 + name.length + (name.length % 2));
    entry[0] = name.length;
    if (bigEndian) {
      entry.writeUInt32BE(folder.sector, 2);
      entry.writeUInt16BE(folder.parent?.number ?? 1, 6);
    } else {
      entry.writeUInt32LE(folder.sector, 2);
      entry.writeUInt16LE(folder.parent?.number ?? 1, 6);
    }
    name.copy(entry, 8);
    parts.push(entry);
  }
  return Buffer.concat(parts);
}

function padded(text: string, width: number): string {
  return text.slice(0, width).padEnd(width, ' ');
}

function primaryDescriptor(options: {
  volumeId: string;
  volumeSectors: number;
  pathTableBytes: number;
  lPathSector: number;
  mPathSector: number;
  root: Buffer;
  time: number;
}): Buffer {
  const block = Buffer.alloc(ISO_SECTOR);
  block[0] = PRIMARY_DESCRIPTOR;
  block.write(STANDARD_ID, 1, 'ascii');
  block[6] = 1;
  block.write(padded('LINUX', 32), 8, 'ascii');
  block.write(padded(options.volumeId, VOLUME_ID_BYTES), 40, 'ascii');
  both32(options.volumeSectors).copy(block, 80);
  both16(1).copy(block, 120);
  both16(1).copy(block, 124);
  both16(ISO_SECTOR).copy(block, 128);
  both32(options.pathTableBytes).copy(block, 132);
  block.writeUInt32LE(options.lPathSector, 140);
  block.writeUInt32BE(options.mPathSector, 148);
  options.root.copy(block, 156);
  for (const [offset, width] of [
    [190, 128],
    [318, 128],
    [446, 128],
    [574, 128],
    [702, 37],
    [739, 37],
    [776, 37],
  ] as const)
    block.write(' '.repeat(width), offset, 'ascii');
  block.write(padded('HOSTMIRROR DEMO', 128), 574, 'ascii');
  const date = volumeDate(options.time);
  block.write(date.slice(0, 16), 813, 'ascii');
  block.write(date.slice(0, 16), 830, 'ascii');
  block.write('0000000000000000', 847, 'ascii');
  block.write(date.slice(0, 16), 864, 'ascii');
  block[881] = 1;
  return block;
}

/** Lay out and write the image; returns its bytes (the demo's inputs are small). */
export function writeIso9660(options: IsoWriteOptions): Buffer {
  if (Buffer.byteLength(options.volumeId) > VOLUME_ID_BYTES)
    throw new Error(`internal: volume id longer than ${VOLUME_ID_BYTES} bytes`);
  const root = buildTree(options.files);
  const order = directoriesInOrder(root);
  const lTable = pathTable(order, false);
  const pathSectors = sectorsFor(lTable.length);
  const lPathSector = SYSTEM_AREA_SECTORS + 2;
  const mPathSector = lPathSector + pathSectors;
  let next = mPathSector + pathSectors;
  for (const folder of order) {
    folder.sector = next;
    next += 1;
  }
  const fileSectors = new Map<IsoFileInput, number>();
  for (const folder of order)
    for (const name of [...folder.files.keys()].sort()) {
      const file = folder.files.get(name) as IsoFileInput;
      fileSectors.set(file, next);
      next += sectorsFor(file.data.length);
    }
  const volumeSectors = next;
  const image = Buffer.alloc(volumeSectors * ISO_SECTOR);

  for (const folder of order) {
    const records: Buffer[] = [
      directoryRecord(Buffer.from([0]), folder.sector, ISO_SECTOR, true, options.time),
      directoryRecord(
        Buffer.from([1]),
        (folder.parent ?? folder).sector,
        ISO_SECTOR,
        true,
        options.time,
      ),
    ];
    const entries: [string, Buffer][] = [];
    for (const [name, child] of folder.children)
      entries.push([
        name,
        directoryRecord(Buffer.from(name, 'ascii'), child.sector, ISO_SECTOR, true, options.time),
      ]);
    for (const [name, file] of folder.files)
      entries.push([
        name,
        directoryRecord(
          Buffer.from(name, 'ascii'),
          fileSectors.get(file) as number,
          file.data.length,
          false,
          options.time,
        ),
      ]);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const body = Buffer.concat([...records, ...entries.map(([, record]) => record)]);
    if (body.length > ISO_SECTOR)
      throw new Error(`internal: directory ${folder.name || '/'} needs more than one sector`);
    body.copy(image, folder.sector * ISO_SECTOR);
  }
  for (const [file, sector] of fileSectors) Buffer.from(file.data).copy(image, sector * ISO_SECTOR);

  const rootRecord = directoryRecord(Buffer.from([0]), root.sector, ISO_SECTOR, true, options.time);
  primaryDescriptor({
    volumeId: options.volumeId,
    volumeSectors,
    pathTableBytes: lTable.length,
    lPathSector,
    mPathSector,
    root: rootRecord,
    time: options.time,
  }).copy(image, SYSTEM_AREA_SECTORS * ISO_SECTOR);
  const terminator = Buffer.alloc(ISO_SECTOR);
  terminator[0] = TERMINATOR_DESCRIPTOR;
  terminator.write(STANDARD_ID, 1, 'ascii');
  terminator[6] = 1;
  terminator.copy(image, (SYSTEM_AREA_SECTORS + 1) * ISO_SECTOR);
  lTable.copy(image, lPathSector * ISO_SECTOR);
  pathTable(order, true).copy(image, mPathSector * ISO_SECTOR);
  return image;
}
