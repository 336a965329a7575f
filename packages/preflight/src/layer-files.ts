import type { Readable } from 'node:stream';
import {
  readFilesFromLayer as readFiles,
  readMatchingFilesFromLayer as readMatchingFiles,
} from '@hostmirror/oc-mirror-archive';
import { asCheckError } from './errors.ts';

/**
 * The check's view of `@hostmirror/oc-mirror-archive`'s layer reader (the one implementation):
 * the same files, its `LAYER_UNREADABLE` relabelled as the check's `MirrorCheckError`.
 */
export async function readFilesFromLayer(
  layer: Readable,
  wanted: readonly string[],
  label: string,
): Promise<Map<string, Buffer>> {
  try {
    return await readFiles(layer, wanted, label);
  } catch (error) {
    throw asCheckError(error) ?? error;
  }
}

export async function readMatchingFilesFromLayer(
  layer: Readable,
  matches: (path: string) => boolean,
  label: string,
): Promise<Map<string, Buffer>> {
  try {
    return await readMatchingFiles(layer, matches, label);
  } catch (error) {
    throw asCheckError(error) ?? error;
  }
}
