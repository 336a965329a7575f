import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { NewcError } from './errors.ts';
import { type NewcEntry, readNewc } from './reader.ts';
import { extractionPath, parentPaths } from './safe-path.ts';

export interface ExtractNewcOptions {
  /** Apply the permission bits from the archive (default true). */
  applyModes?: boolean;
}

export interface ExtractNewcResult {
  /** Entries written, in archive order (a later copy of a path replaces the earlier one). */
  written: string[];
}

async function refuseSymlinkedParents(
  root: string,
  relative: string,
  entry: NewcEntry,
): Promise<void> {
  for (const parent of parentPaths(relative)) {
    const info = await lstat(join(root, parent)).catch(() => undefined);
    if (info?.isSymbolicLink()) {
      throw new NewcError(
        'PATH_TRAVERSAL',
        `Archive entry ${JSON.stringify(entry.path)} at byte ${entry.offset} would be written through the symlink ${parent}; refusing to extract it.`,
        { path: entry.path, offset: entry.offset },
      );
    }
  }
}

async function writeEntry(
  root: string,
  relative: string,
  entry: NewcEntry,
  applyModes: boolean,
): Promise<boolean> {
  const target = join(root, relative);
  if (entry.type === 'directory') {
    // The kernel's clean_path(): what is there with another type (a symlink, a file) is
    // removed, never followed, before the directory is made (torvalds/linux init/initramfs.c,
    // do_name → clean_path, AT_SYMLINK_NOFOLLOW). Else mkdir and chmod would follow a symlink
    // an earlier entry planted and change the directory it points at.
    const existing = await lstat(target).catch(() => undefined);
    if (existing !== undefined && !existing.isDirectory()) await rm(target, { force: true });
    await mkdir(target, { recursive: true });
    if (applyModes) await chmod(target, entry.mode | 0o700);
    return true;
  }
  await mkdir(dirname(target), { recursive: true });
  // A later copy wins (the kernel's rule): replace whatever is there, without following it.
  await rm(target, { force: true, recursive: false }).catch(() => undefined);
  if (entry.type === 'symlink') {
    await symlink(entry.target ?? '', target);
    return true;
  }
  if (entry.type === 'file') {
    await pipeline(entry.body(), createWriteStream(target, { flags: 'wx', mode: 0o600 }));
    if (applyModes) await chmod(target, entry.mode);
    return true;
  }
  return false;
}

/**
 * Extract one entry being read under `destination`: an absolute name, a `..` component or a
 * path through a symlink is refused with PATH_TRAVERSAL before anything is written. Returns the
 * relative path written, or undefined for skipped types (devices, fifos, sockets).
 */
export async function extractEntry(
  entry: NewcEntry,
  destination: string,
  options: ExtractNewcOptions = {},
): Promise<string | undefined> {
  const relative = extractionPath(entry.path, entry.offset);
  await refuseSymlinkedParents(destination, relative, entry);
  return (await writeEntry(destination, relative, entry, options.applyModes ?? true))
    ? relative
    : undefined;
}

/**
 * Extract newc archives under `destination` (later copies of a path replace earlier ones, as in
 * the kernel). Unsafe names are refused as in `extractEntry`.
 */
export async function extractNewc(
  source: AsyncIterable<Uint8Array>,
  destination: string,
  options: ExtractNewcOptions = {},
): Promise<ExtractNewcResult> {
  const written: string[] = [];
  await mkdir(destination, { recursive: true });
  for await (const entry of readNewc(source)) {
    const relative = await extractEntry(entry, destination, options);
    if (relative !== undefined) written.push(relative);
  }
  return { written };
}
