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
import { combineEdits, type IsoEdit, type WriteProgress } from './edit.ts';
import { IsoImage } from './image.ts';
import type { InPlaceHooks } from './in-place.ts';
import { editKargs, type KargsEdits } from './kargs.ts';
import { type IsoOutput, writeIso } from './output.ts';
import { kargsPatches, resetPatches } from './plans.ts';
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
   * at the end of the image. Verify the archives before (the initrd package's rules).
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
    return planFileExtension(this.image, sources);
  }

  /** Several edits of this ISO as one (e.g. embed + append-initrd in a single pass). */
  combine(...edits: IsoEdit[]): IsoEdit {
    return combineEdits(this.size, edits);
  }

  /** Apply `edit` in place, to a new file, or to a stream; identical bytes every way. */
  write(
    edit: IsoEdit,
    output: IsoOutput,
    options: WriteProgress & InPlaceHooks = {},
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
