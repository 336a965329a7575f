/** Turning CoreOS edits into byte patches: the Ignition area and the kargs areas. */
import type { CoreosMetadata, IgnitionArea } from './coreos.ts';
import type { IsoPatch } from './edit.ts';
import { IsoError } from './errors.ts';
import { formatKargsArea, type KargsAreas } from './kargs.ts';

/** The whole Ignition area: `content`, then zeros to the end (docs/coreos-iso.md#ignition-area). */
export function ignitionAreaPatch(area: IgnitionArea, content: Uint8Array): IsoPatch {
  if (content.length > area.length)
    throw new IsoError(
      'EMBED_TOO_LARGE',
      `Compressed initramfs is too large: ${content.length} > ${area.length}; shrink the Ignition config or move large files into the initrd with \`iso append-initrd\`.`,
      { offset: area.offset },
    );
  const bytes = Buffer.alloc(area.length);
  bytes.set(content, 0);
  return { offset: area.offset, bytes, what: `Ignition area in ${area.file}` };
}

/** Every kargs area holding `kargs`, byte-identical (docs/coreos-iso.md#kargs-areas). */
export function kargsPatches(kargs: KargsAreas, value: string): IsoPatch[] {
  return kargs.areas.map((area) => ({
    offset: area.offset,
    bytes: formatKargsArea(value, kargs.size, area.pad, area.end),
    what: `kargs area in ${area.file}`,
  }));
}

/** Back to pristine: an all-zero Ignition area and the default kargs. */
export function resetPatches(metadata: CoreosMetadata): IsoPatch[] {
  const patches = [ignitionAreaPatch(metadata.ignition, new Uint8Array())];
  if (metadata.kargs !== undefined)
    patches.push(...kargsPatches(metadata.kargs, metadata.kargs.default));
  return patches;
}
