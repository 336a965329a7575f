/**
 * A CoreOS live ISO opened for reading and editing: what `hostmirror iso …` calls. Every
 * `plan…` method returns an edit without touching the file; `write` applies one.
 */

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  type CoreosMetadata,
  readCoreosMetadata,
  readCurrentKargs,
  requireKargs,
} from './coreos.ts';
import { INITRD_PATH } from './coreos-paths.ts';
import type { LiveCustomization } from './customize.ts';
import { combineEdits, type IsoEdit, type WriteOptions } from './edit.ts';
import {
  checkKernelRules,
  decodeEmbedArea,
  encodeEmbedArea,
  IGNITION_MEMBER,
} from './embed-area.ts';
import { IsoError } from './errors.ts';
import { type IsoEntry, IsoImage } from './image.ts';
import type { InPlaceHooks, JournalOptions } from './in-place.ts';
import { SECTOR_SIZE } from './iso9660.ts';
import { type Journal, journalPath, readJournal, rollBack } from './journal.ts';
import { editKargs, type KargsEdits } from './kargs.ts';
import { checkLayout, checkPlacement } from './layout.ts';
import { type IsoLock, type LockOptions, lockIso } from './lock.ts';
import { type IsoOutput, writeIso } from './output.ts';
import { ignitionAreaPatch, kargsPatches, resetPatches } from './plans.ts';
import { type AppendSource, planFileExtension, type Relocation } from './relocate.ts';
import type { FileSource } from './source.ts';

export interface OpenOptions {
  /**
   * Lock the ISO for an in-place edit before reading it (lock.ts), held until `close()`; an
   * interrupted earlier edit is rolled back first (`recovered` says which). Plan and write
   * under one lock and a second editor waits for the first instead of losing its edit.
   */
  lock?: LockOptions;
  /** Open an ISO an interrupted in-place edit left torn (for `inspect`); `torn` describes it. */
  allowTorn?: boolean;
}

/** The identity and modification time of the file when it was opened (for ISO_CHANGED). */
type Snapshot = NonNullable<JournalOptions['expected']>;

function tornError(path: string, journal: Journal): IsoError {
  return new IsoError(
    'ISO_TORN',
    `${path} is torn: \`hostmirror ${journal.command}\` (pid ${journal.pid}, ${journal.started}) was interrupted while editing it in place (undo journal ${journalPath(path)}). Run \`hostmirror iso repair ${path}\` to restore it, or the same command again to complete it.`,
    { path, subject: journalPath(path) },
  );
}

const alignUp4 = (value: number) => Math.ceil(value / 4) * 4;

/** Does `file` end with the sources, each padded to 4 bytes, byte for byte? */
async function endsWith(
  image: IsoImage,
  file: IsoEntry,
  sources: AppendSource[],
): Promise<boolean> {
  const tail = sources.reduce((sum, source) => sum + alignUp4(source.size), 0);
  if (sources.length === 0 || file.extents.length !== 1 || file.size < tail) return false;
  let position = IsoImage.offsetOf(file) + file.size - tail;
  for (const source of sources) {
    for await (const chunk of source.chunks()) {
      const bytes = chunk as Buffer;
      if (!(await image.source.read(position, bytes.length)).equals(bytes)) return false;
      position += bytes.length;
    }
    const pad = alignUp4(source.size) - source.size;
    if (pad > 0 && !(await image.source.read(position, pad)).equals(Buffer.alloc(pad)))
      return false;
    position += pad;
  }
  return true;
}

export class CoreosIso {
  readonly path: string;
  readonly image: IsoImage;
  readonly metadata: CoreosMetadata;
  /** The interrupted edit rolled back when the ISO was opened with a lock. */
  readonly recovered: Journal | undefined;
  /** The interrupted edit's journal, when opened with `allowTorn`. */
  readonly torn: Journal | undefined;
  readonly #lock: IsoLock | undefined;
  #snapshot: Snapshot;

  private constructor(
    path: string,
    image: IsoImage,
    metadata: CoreosMetadata,
    state: { lock?: IsoLock; recovered?: Journal; torn?: Journal; snapshot: Snapshot },
  ) {
    this.path = path;
    this.image = image;
    this.metadata = metadata;
    this.recovered = state.recovered;
    this.torn = state.torn;
    this.#lock = state.lock;
    this.#snapshot = state.snapshot;
  }

  /** Open a CoreOS live ISO; `NOT_COREOS` if it is another ISO, `ISO_TORN` if an edit was cut. */
  static async open(path: string, options: OpenOptions = {}): Promise<CoreosIso> {
    const lock = options.lock === undefined ? undefined : await lockIso(path, options.lock);
    try {
      const journal = await readJournal(path, { cleanup: lock !== undefined });
      let recovered: Journal | undefined;
      let torn: Journal | undefined;
      if (journal !== undefined) {
        if (lock !== undefined) {
          await rollBack(path, journal);
          recovered = journal;
        } else if (options.allowTorn) torn = journal;
        else throw tornError(path, journal);
      }
      const info = await stat(path);
      const snapshot = { device: info.dev, inode: info.ino, mtimeMs: info.mtimeMs };
      const image = await IsoImage.open(path);
      try {
        const metadata = await readCoreosMetadata(image);
        const state = {
          snapshot,
          ...(lock && { lock }),
          ...(recovered && { recovered }),
          ...(torn && { torn }),
        };
        return new CoreosIso(path, image, metadata, state);
      } catch (error) {
        await image.close();
        throw error;
      }
    } catch (error) {
      await lock?.release();
      throw error;
    }
  }

  /**
   * Restore an ISO an interrupted in-place edit left torn (roll its journal back, under the
   * lock), then check that its structures agree. Returns the edit undone, if any, and the
   * disagreements left (empty when the ISO is consistent).
   */
  static async repair(
    path: string,
    options: LockOptions = {},
  ): Promise<{ rolledBack: Journal | undefined; problems: string[] }> {
    const lock = await lockIso(path, { command: 'iso repair', ...options });
    try {
      const journal = await readJournal(path, { cleanup: true });
      if (journal !== undefined) await rollBack(path, journal);
      const image = await IsoImage.open(path);
      try {
        return { rolledBack: journal, problems: await checkLayout(image) };
      } finally {
        await image.close();
      }
    } finally {
      await lock.release();
    }
  }

  get size(): number {
    return this.image.size;
  }

  /** The kargs the ISO boots with now; undefined when it has no kargs areas. */
  async currentKargs(): Promise<string | undefined> {
    if (this.metadata.kargs === undefined) return undefined;
    return readCurrentKargs(this.image, this.metadata.kargs);
  }

  /** The raw bytes of the Ignition embed area. */
  ignitionAreaBytes(): Promise<Buffer> {
    const area = this.metadata.ignition;
    return this.image.source.read(area.offset, area.length);
  }

  /** The files embedded in the Ignition area (path → bytes); empty for a pristine ISO. */
  async embeddedMembers(): Promise<Map<string, Buffer>> {
    return decodeEmbedArea(await this.ignitionAreaBytes(), this.metadata.ignition.offset);
  }

  /** The embedded Ignition config, or undefined. */
  async embeddedIgnition(): Promise<Buffer | undefined> {
    return (await this.embeddedMembers()).get(IGNITION_MEMBER);
  }

  /** The embedded Ignition config; NO_EMBEDDED_IGNITION (naming the ISO) when there is none. */
  async requireEmbeddedIgnition(): Promise<Buffer> {
    const config = await this.embeddedIgnition();
    if (config === undefined) throw this.#noEmbeddedIgnition();
    return config;
  }

  #noEmbeddedIgnition(): IsoError {
    const { offset } = this.metadata.ignition;
    return new IsoError(
      'NO_EMBEDDED_IGNITION',
      `No embedded Ignition config in ${this.path} (the embed area at byte ${offset} holds none); embed one first with \`iso embed\`.`,
      { offset },
    );
  }

  /** The embed area's members as one archive (what a PXE initrd appends); empty if none. */
  async embeddedArchive(): Promise<Buffer> {
    return encodeEmbedArea(await this.embeddedMembers());
  }

  /**
   * Embed an Ignition config: the area becomes one xz newc archive of its members plus
   * `config.ign` (0600), zero-filled. Other members (network keyfiles) are kept. Without
   * `force`, an existing config is refused as coreos-installer does.
   */
  async planEmbedIgnition(config: Uint8Array, options: { force?: boolean } = {}): Promise<IsoEdit> {
    const members = await this.embeddedMembers();
    const existing = members.get(IGNITION_MEMBER);
    // The same config again (a rerun after an interrupted edit) is no conflict.
    if (existing !== undefined && !existing.equals(config) && !options.force)
      throw new IsoError(
        'IGNITION_EXISTS',
        'This ISO image already has an embedded Ignition config; use -f (library: { force: true }) to force.',
        { offset: this.metadata.ignition.offset },
      );
    members.set(IGNITION_MEMBER, Buffer.from(config));
    return this.#planMembers(members);
  }

  /** Remove the embedded config; an area left with no members is all zeros again. */
  async planRemoveIgnition(): Promise<IsoEdit> {
    const members = await this.embeddedMembers();
    if (!members.delete(IGNITION_MEMBER)) throw this.#noEmbeddedIgnition();
    return this.#planMembers(members);
  }

  async #planMembers(members: Map<string, Buffer>): Promise<IsoEdit> {
    const archive = await encodeEmbedArea(members);
    await checkKernelRules(archive, 'The Ignition archive');
    return this.#placed([ignitionAreaPatch(this.metadata.ignition, archive)]);
  }

  /**
   * coreos-installer's `iso customize` (customize.ts): the embed area becomes the
   * customization's initrd alone (the live config and network keyfiles), and `kargs` edits are
   * applied to the default kargs, as mod.rs `iso_customize` does. An ISO already customized (an
   * embedded config, network keyfiles, or kargs other than the default) is refused unless
   * `force`. `notes` are what coreos-installer says of the result (an automatic install);
   * `members` the embedded files and `kargs` the live kargs the edited ISO will have.
   */
  async planCustomize(
    customization: LiveCustomization,
    options: { kargs?: KargsEdits; force?: boolean } = {},
  ): Promise<{ edit: IsoEdit; notes: string[]; members: string[]; kargs: string | undefined }> {
    // Loaded here, not at the top: customize.ts brings the Ignition validators and yaml, which
    // no other edit needs (see core.ts).
    const { customizeLiveInitrd, isCustomized } = await import('./customize.ts');
    const { kargs, ignition, features } = this.metadata;
    const kargsChanged = kargs !== undefined && (await this.currentKargs()) !== kargs.default;
    if (options.force !== true && (kargsChanged || isCustomized(await this.embeddedMembers())))
      throw new IsoError(
        'ALREADY_CUSTOMIZED',
        'This ISO image is already customized; use -f (library: { force: true }) to force.',
        {
          path: this.path,
          offset: ignition.offset,
          fix: 'Replace the customization with -f, or start from the ISO as released (`hostmirror iso reset`).',
        },
      );
    const { members, notes } = customizeLiveInitrd(customization, features);
    const archive = await encodeEmbedArea(members);
    await checkKernelRules(archive, 'The customization archive');
    const patches = [ignitionAreaPatch(ignition, archive)];
    const edits = options.kargs ?? {};
    let newKargs = await this.currentKargs();
    if (
      (edits.append?.length ?? 0) + (edits.delete?.length ?? 0) + (edits.replace?.length ?? 0) >
      0
    ) {
      if (kargs === undefined)
        throw new IsoError(
          'NO_KARGS_AREA',
          'This OS image does not support customizing live kernel arguments.',
          {
            path: this.path,
            fix: 'Leave out the --live-karg options, or use a newer CoreOS image.',
          },
        );
      newKargs = editKargs(kargs.default, edits);
      patches.push(...kargsPatches(kargs, newKargs));
    }
    return {
      edit: await this.#placed(patches),
      notes,
      members: [...members.keys()],
      kargs: newKargs,
    };
  }

  /** An edit that writes `edits` applied to the current kargs into every kargs area. */
  async planKargs(edits: KargsEdits): Promise<IsoEdit> {
    const kargs = requireKargs(this.metadata);
    const value = editKargs((await this.currentKargs()) ?? kargs.default, edits);
    return this.#placed(kargsPatches(kargs, value));
  }

  /** An edit that writes the default kargs back. */
  planKargsReset(): Promise<IsoEdit> {
    const kargs = requireKargs(this.metadata);
    return this.#placed(kargsPatches(kargs, kargs.default));
  }

  /**
   * Back to pristine bytes: an all-zero Ignition area and the default kargs. Refused
   * (`UNSAFE_AREA`) when the metadata places an area over the ISO's own structures.
   */
  planReset(): Promise<IsoEdit> {
    return this.#placed(resetPatches(this.metadata));
  }

  /** Whether the image's structures agree (volume descriptors, both trees, MBR, GPT). */
  checkLayout(): Promise<string[]> {
    return checkLayout(this.image);
  }

  /**
   * Extend `images/pxeboot/initrd.img` by the archives (files), each 4-aligned, in a new extent
   * at the end of the image. Each archive is checked against the kernel's rules when the edit
   * is written, before any byte is (for a new file, while the input is copied).
   * With `skipIfAppended`, an initrd that already ends with exactly these archives (what an
   * earlier run of the same command left) gets nothing appended again: `appended` is false and
   * the edit is empty, so rerunning an append completes instead of appending twice.
   */
  async planAppendInitrd(
    archives: string[],
    options: { skipIfAppended?: boolean } = {},
  ): Promise<{ edit: IsoEdit; relocation: Relocation; appended: boolean }> {
    const sources: AppendSource[] = [];
    for (const path of archives) {
      const { size } = await stat(path);
      sources.push({
        size,
        what: `archive ${path}`,
        chunks: () => createReadStream(path, { highWaterMark: 1024 * 1024 }),
      });
    }
    if (options.skipIfAppended) {
      const initrd = await this.image.require(INITRD_PATH);
      if (await endsWith(this.image, initrd, sources)) {
        const extent = initrd.extents[0] as { lba: number; length: number };
        const tail = sources.reduce((sum, source) => sum + alignUp4(source.size), 0);
        let offset = initrd.size - tail;
        const archiveOffsets = sources.map((source) => {
          const at = offset;
          offset += alignUp4(source.size);
          return at;
        });
        const layout = {
          oldSize: this.size,
          newSize: this.size,
          oldVolumeBytes: this.image.primary.volumeSpaceSize * SECTOR_SIZE,
          newVolumeBytes: this.image.primary.volumeSpaceSize * SECTOR_SIZE,
          dataEnd: extent.lba * SECTOR_SIZE + extent.length,
        };
        return {
          edit: this.#edit({}),
          relocation: {
            path: initrd.path,
            oldExtent: extent,
            newExtent: extent,
            records: initrd.recordOffsets,
            archiveOffsets,
            layout,
          },
          appended: false,
        };
      }
    }
    const planned = await planFileExtension(this.image, sources);
    planned.edit.checks = archives.map((path) => () => checkKernelRules(path, path));
    return { ...planned, appended: true };
  }

  /** Several edits of this ISO as one (e.g. embed + append-initrd in a single pass). */
  combine(...edits: IsoEdit[]): IsoEdit {
    return combineEdits(this.size, edits);
  }

  /**
   * Apply `edit` in place, to a new file, or to a stream; identical bytes every way. In place,
   * the write is journaled (in-place.ts) and locked: under the lock taken at `open`, or a lock
   * taken now, refusing with `ISO_CHANGED` if the file changed since it was opened.
   */
  async write(
    edit: IsoEdit,
    output: IsoOutput,
    options: WriteOptions & InPlaceHooks & { command?: string } = {},
  ): Promise<void> {
    const source = this.image.source as FileSource;
    if (output.kind !== 'in-place') return writeIso(source, edit, output, options);
    const lock =
      this.#lock ?? (await lockIso(this.path, { command: options.command ?? 'iso (library)' }));
    try {
      const journal = await readJournal(this.path, { cleanup: true });
      if (journal !== undefined) throw tornError(this.path, journal);
      try {
        await writeIso(source, edit, output, { ...options, expected: this.#snapshot });
      } catch (error) {
        if (!(error instanceof IsoError && error.code === 'ISO_CHANGED')) await this.#resnapshot();
        throw error;
      }
      await this.#resnapshot();
    } finally {
      if (lock !== this.#lock) await lock.release();
    }
  }

  /** Our own write (or roll-back) is no conflict for the next write. */
  async #resnapshot(): Promise<void> {
    const info = await stat(this.path);
    this.#snapshot = { device: info.dev, inode: info.ino, mtimeMs: info.mtimeMs };
  }

  async close(): Promise<void> {
    try {
      await this.image.close();
    } finally {
      await this.#lock?.release();
    }
  }

  async #placed(patches: IsoEdit['patches']): Promise<IsoEdit> {
    await checkPlacement(
      this.image,
      patches.map((patch) => ({
        offset: patch.offset,
        length: patch.bytes.length,
        what: patch.what,
      })),
    );
    return this.#edit({ patches });
  }

  #edit(parts: Partial<IsoEdit>): IsoEdit {
    return combineEdits(this.size, [
      { originalSize: this.size, size: this.size, patches: [], appendices: [], ...parts },
    ]);
  }
}
