/** Where an edited ISO goes: the input itself, a new file, or a stream (`-o -`). */
import type { Writable } from 'node:stream';
import {
  type IsoCopy,
  type IsoEdit,
  type WriteOptions,
  writeEditedFile,
  writeEditedStream,
} from './edit.ts';
import { applyEditInPlace, type InPlaceHooks, type JournalOptions } from './in-place.ts';
import type { FileSource } from './source.ts';

export type IsoOutput =
  | { kind: 'in-place' }
  | { kind: 'file'; path: string; overwrite?: boolean; copy?: IsoCopy }
  | { kind: 'stream'; stream: Writable };

/**
 * Write `edit` of the image in `source` to `output`. The three kinds give identical bytes, and
 * the same bytes to the taps (`onInputChunk`, `onOutputChunk`): hash them for digests.
 */
export async function writeIso(
  source: FileSource,
  edit: IsoEdit,
  output: IsoOutput,
  options: WriteOptions & InPlaceHooks & JournalOptions = {},
): Promise<void> {
  if (output.kind === 'in-place') return applyEditInPlace(source.path, edit, options);
  if (output.kind === 'stream') return writeEditedStream(source, edit, output.stream, options);
  return writeEditedFile(source, edit, output.path, {
    ...options,
    overwrite: output.overwrite ?? false,
    ...(output.copy === undefined ? {} : { copy: output.copy }),
  });
}
