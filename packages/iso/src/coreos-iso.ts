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
import { combineEdits, type IsoEdit, type WriteOptions } from './edit.ts';
import {
  checkKernelRules,
  decodeEmbedArea,
  encodeEmbedArea,
  IGNITION_MEMBER,
} from './embed-area.ts';
import { IsoError } from './errors.ts';
import { IsoImage } from './image.ts';
import type { InPlaceHooks } from './in-place.ts';
import { editKargs, type KargsEdits } from './kargs.ts';
import { type IsoOutput, writeIso } from './output.ts';
import { ignitionAreaPatch, kargsPatches, resetPatches } from './plans.ts';
import { type AppendSource, planFileExtension, type Relocation } from './relocate.ts';
import type { FileSource } from './source.ts';

export class CoreosIso {
  readonly path: string;
  readonly image: IsoImage;
  readonly metadata: CoreosMetadata;

  private constructor(path: string, image: IsoImage, metadata: CoreosMetadata) {
    this.path = path;
    this.image = image;
    this.metadata = metadata;
  }

  /** Open a CoreOS live ISO; `NOT_COREOS` if it is another ISO. */
  static async open(path: string): Promise<CoreosIso> {
    const image = await IsoImage.open(path);
    try {
      return new CoreosIso(path, image, await readCoreosMetadata(image));
    } catch (error) {
      await image.close();
      throw error;
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
      offset,
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
    if (members.has(IGNITION_MEMBER) && !options.force)
      throw new IsoError(
        'IGNITION_EXISTS',
        'This ISO image already has an embedded Ignition config; use -f to force.',
        this.metadata.ignition.offset,
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
    return this.#edit({ patches: [ignitionAreaPatch(this.metadata.ignition, archive)] });
  }

  /** An edit that writes `edits` applied to the current kargs into every kargs area. */
  async planKargs(edits: KargsEdits): Promise<IsoEdit> {
    const kargs = requireKargs(this.metadata);
    const value = editKargs((await this.currentKargs()) ?? kargs.default, edits);
    return this.#edit({ patches: kargsPatches(kargs, value) });
  }

  /** An edit that writes the default kargs back. */
  planKargsReset(): IsoEdit {
    const kargs = requireKargs(this.metadata);
    return this.#edit({ patches: kargsPatches(kargs, kargs.default) });
  }

  /** Back to pristine bytes: an all-zero Ignition area and the default kargs. */
  planReset(): IsoEdit {
    return this.#edit({ patches: resetPatches(this.metadata) });
  }

  /**
   * Extend `images/pxeboot/initrd.img` by the archives (files), each 4-aligned, in a new extent
   * at the end of the image. Each archive is checked against the kernel's rules when the edit
   * is written, before any byte is (for a new file, while the input is copied).
   */
  async planAppendInitrd(archives: string[]): Promise<{ edit: IsoEdit; relocation: Relocation }> {
    const sources: AppendSource[] = [];
    for (const path of archives) {
      const { size } = await stat(path);
      sources.push({
        size,
        what: `archive ${path}`,
        chunks: () => createReadStream(path, { highWaterMark: 1024 * 1024 }),
      });
    }
    const planned = await planFileExtension(this.image, sources);
    planned.edit.checks = archives.map((path) => () => checkKernelRules(path, path));
    return planned;
  }

  /** Several edits of this ISO as one (e.g. embed + append-initrd in a single pass). */
  combine(...edits: IsoEdit[]): IsoEdit {
    return combineEdits(this.size, edits);
  }

  /** Apply `edit` in place, to a new file, or to a stream; identical bytes every way. */
  write(
    edit: IsoEdit,
    output: IsoOutput,
    options: WriteOptions & InPlaceHooks = {},
  ): Promise<void> {
    return writeIso(this.image.source as FileSource, edit, output, options);
  }

  close(): Promise<void> {
    return this.image.close();
  }

  #edit(parts: Partial<IsoEdit>): IsoEdit {
    return combineEdits(this.size, [
      { originalSize: this.size, size: this.size, patches: [], appendices: [], ...parts },
    ]);
  }
}
