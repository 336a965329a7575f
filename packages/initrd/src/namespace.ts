/**
 * The tree the kernel builds while it unpacks an initrd (init/initramfs.c): it creates exactly
 * the entries it reads, in order, across every segment, and never a missing folder. An entry
 * whose folder does not exist, or is a file, is dropped without a message; a folder that is a
 * symlink is followed, so the entry lands wherever the link points (all three seen booting
 * Debian's kernel, test/foundation/library-bugs.test.ts). Memory grows with the number of
 * entries (one map key each), never with their sizes.
 */
import type { NewcEntryType } from '@hostmirror/cpio-stream';

/**
 * Folders the kernel's built-in initramfs creates before it unpacks the initrd, when the kernel
 * is built without CONFIG_INITRAMFS_SOURCE (Debian's, Fedora's): `usr/default_cpio_list` makes
 * `/dev` (with `/dev/console`) and `/root`.
 */
export const KERNEL_BUILTIN_FOLDERS: readonly string[] = ['dev', 'root'];

export type FolderProblemCode =
  | 'MISSING_FOLDER'
  | 'FOLDER_IS_SYMLINK'
  | 'FOLDER_IS_NOT_DIRECTORY'
  | 'REPLACES_NONEMPTY_FOLDER';

export interface FolderProblem {
  code: FolderProblemCode;
  /** The entry's path as the kernel resolves it (no leading `/` or `./`). */
  path: string;
  /** The folder that is missing, a symlink or not a directory. */
  folder: string;
}

type Kind = 'directory' | 'symlink' | 'other';

/**
 * An archive name as the path the kernel resolves from `/` (its working folder while
 * unpacking): `./etc//a` and `/etc/a` are `etc/a`; `..` goes up, and stays at `/` at the top.
 */
export function kernelPath(name: string): string {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

export class KernelTree {
  private readonly kinds = new Map<string, Kind>();
  /** Directories something was placed in (the kernel's rmdir of them fails). */
  private readonly nonEmpty = new Set<string>();

  /** `existingFolders`: folders already there before the first entry (the kernel's own by default). */
  constructor(existingFolders: Iterable<string> = KERNEL_BUILTIN_FOLDERS) {
    for (const folder of existingFolders) {
      const path = kernelPath(folder);
      const parts = path.split('/');
      // A folder that exists implies its parents do.
      for (let depth = 1; depth <= parts.length && path !== ''; depth++) {
        this.kinds.set(parts.slice(0, depth).join('/'), 'directory');
        if (depth > 1) this.nonEmpty.add(parts.slice(0, depth - 1).join('/'));
      }
    }
  }

  /**
   * Place the next entry the kernel reads. Returns why the kernel would not put it at its path,
   * or undefined when it does (then the entry is recorded).
   */
  place(name: string, type: NewcEntryType): FolderProblem | undefined {
    const path = kernelPath(name);
    if (path === '') return undefined; // "." is the root, which always exists
    const parts = path.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      const folder = parts.slice(0, depth).join('/');
      const kind = this.kinds.get(folder);
      if (kind === 'directory') continue;
      const code: FolderProblemCode =
        kind === undefined
          ? 'MISSING_FOLDER'
          : kind === 'symlink'
            ? 'FOLDER_IS_SYMLINK'
            : 'FOLDER_IS_NOT_DIRECTORY';
      return { code, path, folder };
    }
    return this.record(
      path,
      type === 'directory' ? 'directory' : type === 'symlink' ? 'symlink' : 'other',
    );
  }

  /**
   * What the kernel leaves at `path` (init/initramfs.c, docs/coreos-iso.md#kernel-initramfs-rules): a directory
   * entry is a mkdir whose EEXIST is ignored, so whatever was there stays; any other entry first
   * removes a different type (rmdir or unlink), and rmdir fails on a folder with contents.
   */
  private record(path: string, kind: Kind): FolderProblem | undefined {
    const existing = this.kinds.get(path);
    if (kind === 'directory' && existing !== undefined) return undefined;
    if (kind !== 'directory' && existing === 'directory' && this.nonEmpty.has(path))
      return { code: 'REPLACES_NONEMPTY_FOLDER', path, folder: path };
    if (existing === 'directory' && kind !== 'directory') this.nonEmpty.delete(path);
    this.kinds.set(path, kind);
    const slash = path.lastIndexOf('/');
    if (slash > 0) this.nonEmpty.add(path.slice(0, slash));
    return undefined;
  }
}

/** Why the kernel does not put the entry at its path, and the fix. */
export function folderProblemMessage(problem: FolderProblem, where: string): string {
  const { path, folder } = problem;
  if (problem.code === 'MISSING_FOLDER')
    return `/${path} (${where}) is in folder /${folder}, which no earlier entry of any segment creates; the kernel drops the entry without a message. Add a directory entry for /${folder} before it (our writer does).`;
  if (problem.code === 'FOLDER_IS_SYMLINK')
    return `/${path} (${where}) is below /${folder}, a symlink an earlier entry made; the kernel follows it and writes the entry where it points. Use the link's real path.`;
  if (problem.code === 'REPLACES_NONEMPTY_FOLDER')
    return `/${path} (${where}) is not a directory, but an earlier entry made /${path} a folder with contents; the kernel cannot remove it and drops the entry without a message.`;
  return `/${path} (${where}) is below /${folder}, which an earlier entry made a file, not a directory; the kernel drops the entry without a message.`;
}
