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

export type FolderProblemCode = 'MISSING_FOLDER' | 'FOLDER_IS_SYMLINK' | 'FOLDER_IS_NOT_DIRECTORY';

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

  /** `existingFolders`: folders already there before the first entry (the kernel's own by default). */
  constructor(existingFolders: Iterable<string> = KERNEL_BUILTIN_FOLDERS) {
    for (const folder of existingFolders) {
      const path = kernelPath(folder);
      const parts = path.split('/');
      // A folder that exists implies its parents do.
      for (let depth = 1; depth <= parts.length && path !== ''; depth++)
        this.kinds.set(parts.slice(0, depth).join('/'), 'directory');
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
    this.kinds.set(
      path,
      type === 'directory' ? 'directory' : type === 'symlink' ? 'symlink' : 'other',
    );
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
  return `/${path} (${where}) is below /${folder}, which an earlier entry made a file, not a directory; the kernel drops the entry without a message.`;
}
