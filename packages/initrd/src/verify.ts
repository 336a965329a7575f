import type { InitrdFault, InitrdSegment, InitrdSource } from './walk.ts';
import { walkInitrd } from './walk.ts';

/** The verdict of the kernel's initramfs rules on a whole initrd. */
export interface VerifyReport {
  ok: boolean;
  size: number;
  segments: InitrdSegment[];
  /** In file order; the first is the first fault the kernel would meet. */
  faults: InitrdFault[];
}

export interface VerifyOptions {
  /**
   * Folders that exist before the first entry besides the kernel's own (`/dev`, `/root`): pass
   * the folders of the base when checking an archive alone that will be appended to it.
   */
  existingFolders?: Iterable<string>;
  /** Past this many entries the walk stops with a fatal TOO_MANY_ENTRIES (default `MAX_INITRD_ENTRIES`). */
  maxEntries?: number;
}

/**
 * Apply the kernel's initramfs rules (docs/coreos-iso.md#kernel-initramfs-rules) to a whole initrd: uncompressed
 * archives 4-aligned from the start of the file, gzip header flags the kernel can skip, xz check
 * CRC32 or none, zstd window ≤ 8 MiB, one stream per segment ending on an entry boundary,
 * trailers present, and every entry in a folder that exists (made by an earlier entry of any
 * segment, or given in `existingFolders`) and is neither a symlink nor a file. Returns a
 * report; bad content never throws (a missing file does).
 */
export async function verifyInitrd(
  source: InitrdSource,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const walk = await walkInitrd(source, {
    ...(options.existingFolders === undefined ? {} : { existingFolders: options.existingFolders }),
    ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
  });
  const faults = [...walk.faults].sort((left, right) => left.offset - right.offset);
  return { ok: faults.length === 0, size: walk.size, segments: walk.segments, faults };
}
