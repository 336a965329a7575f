// Whether the CLI bundle (packages/cli/dist/bin/hostmirror.js, made by tools/bundle-cli.ts) was
// made from what is in the tree now. Its inputs.json lists every file it was made from, and the
// folders whose listing it read (the packages folder, the boot scripts folder), each with its size
// and mtime: a changed file changes its own mtime, and a file added to or removed from a listed
// folder changes the folder's mtime (POSIX: creating or unlinking an entry updates the directory's
// st_mtime), so a new boot script is bundled on the next run although no tracked file changed.
// Plain JavaScript, so the check costs a few stat calls and no TypeScript loader.
import { readFileSync, statSync } from 'node:fs';

/**
 * @param {URL} root the repository root (a folder URL ending in '/')
 * @returns {boolean} the bundle exists and every input has the size and mtime it had when it was made
 */
export function bundleIsCurrent(root) {
  const entry = new URL('packages/cli/dist/bin/hostmirror.js', root);
  const inputs = new URL('packages/cli/dist/bin/inputs.json', root);
  let files;
  try {
    statSync(entry);
    files = JSON.parse(readFileSync(inputs, 'utf8')).files;
  } catch {
    return false;
  }
  if (!Array.isArray(files)) return false;
  for (const [path, size, mtimeMs] of files) {
    const info = statSync(new URL(path, root), { throwIfNoEntry: false });
    if (info === undefined || info.size !== size || info.mtimeMs !== mtimeMs) return false;
  }
  return true;
}
