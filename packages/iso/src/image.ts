/**
 * A read-only ISO 9660 image: volume descriptors, the primary tree (with Rock Ridge names)
 * and the Joliet tree, file extents, and the El Torito catalog. Only directories are read
 * while walking; file bytes are read on demand, positionally, in bounded chunks.
 */
import {
  type DirectoryRecord,
  decodeRecord,
  isDirectory,
  isSelfOrParent,
  jolietName,
  primaryName,
  recordsOf,
} from './directory-record.ts';
import { type BootCatalog, readBootCatalog } from './el-torito.ts';
import { IsoError } from './errors.ts';
import { FileFlag, SECTOR_SIZE } from './iso9660.ts';
import { type ByteSource, FileSource } from './source.ts';
import { readSystemUse } from './system-use.ts';
import { readVolumeDescriptors, type VolumeDescriptor } from './volume-descriptor.ts';

export type IsoTree = 'primary' | 'joliet';

export interface IsoExtent {
  /** First sector (2048 bytes each). */
  lba: number;
  /** Length in bytes. */
  length: number;
}

export interface IsoEntry {
  tree: IsoTree;
  /** Long path: Rock Ridge names in the primary tree (identifiers where absent), Joliet names in the Joliet tree. */
  path: string;
  /** Path of ISO 9660 identifiers with `;1` and a trailing `.` removed (`/COREOS/IGNINFO.JSO`). */
  identifierPath: string;
  isDirectory: boolean;
  /** Size in bytes: the sum of the extents. */
  size: number;
  /** One extent, or several for a multi-extent file (ECMA-119 §6.5.1). */
  extents: IsoExtent[];
  /** Byte offsets of the directory records describing this entry, one per extent. */
  recordOffsets: number[];
  /** Rock Ridge `ZF`/`SF`: the stored bytes are not the file's bytes. */
  transformed?: 'ZF' | 'SF';
}

/** Directory bytes read per directory before we call it corrupt (a CoreOS ISO's are < 8 KiB). */
const MAX_DIRECTORY_BYTES = 16 * 1024 * 1024;
/** Chunk size of streamed file reads. */
export const READ_CHUNK_SIZE = 1024 * 1024;

interface PendingDirectory {
  lba: number;
  length: number;
  path: string;
  identifierPath: string;
}

export class IsoImage {
  readonly source: ByteSource;
  readonly descriptors: readonly VolumeDescriptor[];
  readonly #trees = new Map<IsoTree, Promise<IsoEntry[]>>();
  #suspSkip: number | undefined;

  private constructor(source: ByteSource, descriptors: VolumeDescriptor[]) {
    this.source = source;
    this.descriptors = descriptors;
  }

  /** Open an image file read-only. */
  static async open(path: string): Promise<IsoImage> {
    const source = await FileSource.open(path);
    try {
      return await IsoImage.fromSource(source);
    } catch (error) {
      await source.close();
      throw error;
    }
  }

  static async fromSource(source: ByteSource): Promise<IsoImage> {
    const descriptors = await readVolumeDescriptors(source);
    const primary = descriptors.find((descriptor) => descriptor.kind === 'primary');
    if (primary === undefined)
      throw new IsoError(
        'NOT_ISO9660',
        'The image has no primary volume descriptor; it is not an ISO 9660 image.',
        { offset: 16 * SECTOR_SIZE },
      );
    // coreos-installer's sanity check (src/iso9660.rs): the volume must fit in the file.
    if (primary.volumeSpaceSize * SECTOR_SIZE > source.size)
      throw new IsoError(
        'ISO_TRUNCATED',
        `The volume is ${primary.volumeSpaceSize} sectors (${primary.volumeSpaceSize * SECTOR_SIZE} bytes) but the image holds only ${source.size} bytes; the ISO is truncated.`,
        { offset: primary.sector * SECTOR_SIZE + 80 },
      );
    return new IsoImage(source, descriptors);
  }

  get size(): number {
    return this.source.size;
  }

  get primary(): VolumeDescriptor {
    return this.descriptors.find((descriptor) => descriptor.kind === 'primary') as VolumeDescriptor;
  }

  get joliet(): VolumeDescriptor | undefined {
    return this.descriptors.find((descriptor) => descriptor.kind === 'joliet');
  }

  /** The volume id: CoreOS's `coreos.liveiso=` value and the label the initrd mounts. */
  get volumeId(): string {
    return this.primary.volumeId;
  }

  /** Every file and directory of a tree, in directory order, parents first. */
  entries(tree: IsoTree = 'primary'): Promise<IsoEntry[]> {
    let entries = this.#trees.get(tree);
    if (entries === undefined) {
      entries = this.#walk(tree);
      this.#trees.set(tree, entries);
    }
    return entries;
  }

  /** Does the primary tree carry Rock Ridge (SUSP `SP` in the root's `.` record)? */
  async hasRockRidge(): Promise<boolean> {
    return (await this.#suspSkipLength()) !== undefined;
  }

  /**
   * Find a file the way coreos-installer does: each component compared upper-case with the
   * primary identifiers (`COREOS/IGNINFO.JSO`, or `coreos/kargs.json` upper-cased).
   */
  async findByIdentifier(path: string): Promise<IsoEntry | undefined> {
    const wanted = normalize(path).toUpperCase();
    return (await this.entries('primary')).find((entry) => entry.identifierPath === wanted);
  }

  /** Find by long name: Rock Ridge first, then Joliet (exact case). */
  async findByName(path: string): Promise<IsoEntry | undefined> {
    const wanted = normalize(path);
    const primary = (await this.entries('primary')).find((entry) => entry.path === wanted);
    if (primary !== undefined) return primary;
    if (this.joliet === undefined) return undefined;
    return (await this.entries('joliet')).find((entry) => entry.path === wanted);
  }

  /** Find by identifier (coreos-installer's way), then by long name. */
  async find(path: string): Promise<IsoEntry | undefined> {
    return (await this.findByIdentifier(path)) ?? (await this.findByName(path));
  }

  /** Like `find`, but a missing file is an error naming it. */
  async require(path: string): Promise<IsoEntry> {
    const entry = await this.find(path);
    if (entry === undefined)
      throw new IsoError('FILE_NOT_FOUND', `The ISO has no file ${normalize(path)}.`);
    return entry;
  }

  /** Every entry (both trees) whose data starts at `lba`: a file's names in every tree. */
  async entriesAt(lba: number): Promise<IsoEntry[]> {
    const trees: IsoTree[] = this.joliet === undefined ? ['primary'] : ['primary', 'joliet'];
    const found: IsoEntry[] = [];
    for (const tree of trees)
      for (const entry of await this.entries(tree))
        if (!entry.isDirectory && entry.extents[0]?.lba === lba) found.push(entry);
    return found;
  }

  /** Byte offset of a file's first byte in the image. */
  static offsetOf(entry: IsoEntry): number {
    return (entry.extents[0]?.lba ?? 0) * SECTOR_SIZE;
  }

  /** A small file's bytes (metadata, configs); large files go through `fileChunks`. */
  async readFile(entry: IsoEntry): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this.fileChunks(entry)) parts.push(chunk);
    return Buffer.concat(parts);
  }

  /** A file's bytes in chunks of at most `chunkSize`, extent after extent. */
  async *fileChunks(entry: IsoEntry, chunkSize = READ_CHUNK_SIZE): AsyncGenerator<Buffer> {
    for (const extent of entry.extents) {
      const start = extent.lba * SECTOR_SIZE;
      for (let done = 0; done < extent.length; done += chunkSize)
        yield await this.source.read(start + done, Math.min(chunkSize, extent.length - done));
    }
  }

  /** The El Torito boot catalog, if the image has one. */
  async bootCatalog(): Promise<BootCatalog | undefined> {
    const boot = this.descriptors.find((descriptor) => descriptor.bootCatalog !== undefined);
    if (boot?.bootCatalog === undefined) return undefined;
    return readBootCatalog(this.source, boot.bootCatalog);
  }

  close(): Promise<void> {
    return this.source.close();
  }

  async #suspSkipLength(): Promise<number | undefined> {
    if (this.#suspSkip !== undefined) return this.#suspSkip >= 0 ? this.#suspSkip : undefined;
    const root = this.primary.root;
    this.#suspSkip = -1;
    if (root === undefined || root.length === 0) return undefined;
    const bytes = await this.source.read(root.lba * SECTOR_SIZE, SECTOR_SIZE);
    if ((bytes[0] ?? 0) === 0) return undefined;
    const self = decodeRecord(bytes, 0, root.lba * SECTOR_SIZE, 0);
    const systemUse = await readSystemUse(this.source, self.systemUse, self.systemUseOffset);
    if (systemUse.susp !== undefined) this.#suspSkip = systemUse.susp.skip;
    return systemUse.susp?.skip;
  }

  async #walk(tree: IsoTree): Promise<IsoEntry[]> {
    const descriptor = tree === 'primary' ? this.primary : this.joliet;
    if (descriptor?.root === undefined) return [];
    const suspSkip = tree === 'primary' ? await this.#suspSkipLength() : undefined;
    const entries: IsoEntry[] = [];
    const visited = new Set<number>([descriptor.root.lba]);
    const pending: PendingDirectory[] = [{ ...descriptor.root, path: '', identifierPath: '' }];
    for (let directory = pending.shift(); directory; directory = pending.shift()) {
      for (const entry of await this.#readDirectory(tree, directory, suspSkip)) {
        entries.push(entry);
        if (!entry.isDirectory) continue;
        const extent = entry.extents[0] as IsoExtent;
        if (visited.has(extent.lba))
          throw new IsoError(
            'DIRECTORY_LOOP',
            `The directory ${entry.path} points back at sector ${extent.lba}, which is already on the walk (a directory loop); the ISO is corrupt.`,
            { offset: entry.recordOffsets[0] },
          );
        visited.add(extent.lba);
        pending.push({ ...extent, path: entry.path, identifierPath: entry.identifierPath });
      }
    }
    return entries;
  }

  async #readDirectory(
    tree: IsoTree,
    directory: PendingDirectory,
    suspSkip: number | undefined,
  ): Promise<IsoEntry[]> {
    const offset = directory.lba * SECTOR_SIZE;
    this.#checkExtent(directory.path || '/', { lba: directory.lba, length: directory.length });
    if (directory.length > MAX_DIRECTORY_BYTES)
      throw new IsoError(
        'BAD_DIRECTORY_RECORD',
        `The directory ${directory.path || '/'} claims ${directory.length} bytes, more than the ${MAX_DIRECTORY_BYTES}-byte limit; the ISO is corrupt.`,
        { offset },
      );
    const bytes = await this.source.read(offset, directory.length);
    const entries: IsoEntry[] = [];
    let open: IsoEntry | undefined; // a multi-extent file still collecting extents
    for (const record of recordsOf(bytes, offset, suspSkip ?? 0)) {
      if (isSelfOrParent(record)) continue;
      const entry = await this.#entryFor(tree, directory, record, suspSkip);
      if (entry === undefined) continue;
      if (open !== undefined && open.path === entry.path) {
        this.#checkMultiExtent(open, entry);
        open.extents.push(...entry.extents);
        open.recordOffsets.push(...entry.recordOffsets);
        open.size += entry.size;
      } else {
        open = entry;
        entries.push(entry);
      }
      if ((record.flags & FileFlag.multiExtent) === 0) open = undefined;
    }
    return entries;
  }

  async #entryFor(
    tree: IsoTree,
    directory: PendingDirectory,
    record: DirectoryRecord,
    suspSkip: number | undefined,
  ): Promise<IsoEntry | undefined> {
    const identifier =
      tree === 'joliet' ? jolietName(record.identifier) : primaryName(record.identifier);
    let name = identifier;
    let extent: IsoExtent = { lba: record.lba, length: record.dataLength };
    let directoryFlag = isDirectory(record);
    let transformed: 'ZF' | 'SF' | undefined;
    if (suspSkip !== undefined) {
      const systemUse = await readSystemUse(this.source, record.systemUse, record.systemUseOffset);
      if (systemUse.relocated) return undefined; // listed again where its CL link sits
      if (systemUse.name !== undefined) name = systemUse.name;
      transformed = systemUse.transformed;
      if (systemUse.childLink !== undefined) {
        directoryFlag = true;
        extent = await this.#relocatedDirectory(systemUse.childLink, record.offset);
      }
    }
    const path = `${directory.path}/${name}`;
    this.#checkExtent(path, extent);
    const entry: IsoEntry = {
      tree,
      path,
      identifierPath: `${directory.identifierPath}/${identifier.toUpperCase()}`,
      isDirectory: directoryFlag,
      size: extent.length,
      extents: [extent],
      recordOffsets: [record.offset],
    };
    if (transformed !== undefined) entry.transformed = transformed;
    return entry;
  }

  /** A Rock Ridge `CL` target: the directory's own `.` record gives its length. */
  async #relocatedDirectory(lba: number, from: number): Promise<IsoExtent> {
    this.#checkExtent('a relocated directory', { lba, length: SECTOR_SIZE });
    const bytes = await this.source.read(lba * SECTOR_SIZE, SECTOR_SIZE);
    const self = decodeRecord(bytes, 0, lba * SECTOR_SIZE, 0);
    if (self.lba !== lba)
      throw new IsoError(
        'BAD_DIRECTORY_RECORD',
        `The Rock Ridge child link in the record at byte ${from} points at sector ${lba}, which does not start a directory; the ISO is corrupt.`,
        { offset: from },
      );
    return { lba, length: self.dataLength };
  }

  /**
   * A multi-extent file holds distinct bytes of the image, so its extents can neither add up
   * to more than the image nor be more than the image's sectors: a crafted directory of
   * records each covering the whole image would otherwise make one small file gigabytes long.
   */
  #checkMultiExtent(file: IsoEntry, next: IsoEntry): void {
    const size = file.size + next.size;
    if (size > this.source.size || file.extents.length >= Math.ceil(this.source.size / SECTOR_SIZE))
      throw new IsoError(
        'BAD_DIRECTORY_RECORD',
        `${file.path}: its ${file.extents.length + 1} extents add up to ${size} bytes, more than the image's ${this.source.size} (the record at byte ${next.recordOffsets[0]} adds another); the ISO is corrupt.`,
        { offset: next.recordOffsets[0] },
      );
  }

  #checkExtent(path: string, extent: IsoExtent): void {
    const end = extent.lba * SECTOR_SIZE + extent.length;
    if (extent.length > 0 && end > this.source.size)
      throw new IsoError(
        'EXTENT_PAST_END',
        `${path}: its extent (sector ${extent.lba}, ${extent.length} bytes) ends at byte ${end}, past the end of the image (${this.source.size} bytes); the ISO is truncated or corrupt.`,
        { offset: extent.lba * SECTOR_SIZE },
      );
  }
}

function normalize(path: string): string {
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  return `/${parts.join('/')}`;
}
