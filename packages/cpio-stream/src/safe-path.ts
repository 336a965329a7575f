import { NewcError } from './errors.ts';

function components(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

/**
 * The name an entry gets inside the archive: relative, no `.` or empty components, as
 * coreos-installer writes them (`etc/hostmirror`, never `/etc/hostmirror`). A leading `/`
 * is accepted and dropped because specs name the target system's absolute paths; `..`
 * is refused because it would escape the root the archive is unpacked into.
 */
export function archivePath(path: string): string {
  const parts = components(path);
  if (parts.includes('..')) {
    throw new NewcError(
      'PATH_TRAVERSAL',
      `Path ${JSON.stringify(path)} contains "..": archive paths must stay inside the root; name the target path directly.`,
      { path },
    );
  }
  if (parts.length === 0) {
    throw new NewcError(
      'BAD_PATH',
      `Path ${JSON.stringify(path)} names no file: give a path below the root such as "etc/file".`,
      { path },
    );
  }
  return parts.join('/');
}

/**
 * Check a name read from an archive before extracting it under a folder: an absolute name or
 * a `..` component is refused (coreos-installer's `dev extract initrd` rule: "contains path
 * traversal"). Returns the cleaned relative path.
 */
export function extractionPath(name: string, offset?: number): string {
  if (name.startsWith('/') || components(name).includes('..')) {
    throw new NewcError(
      'PATH_TRAVERSAL',
      `Archive entry ${JSON.stringify(name)}${offset === undefined ? '' : ` at byte ${offset}`} contains path traversal (absolute or ".."); refusing to extract it.`,
      { path: name, offset },
    );
  }
  const parts = components(name);
  if (parts.length === 0) {
    throw new NewcError('BAD_PATH', `Archive entry ${JSON.stringify(name)} names no file.`, {
      path: name,
      offset,
    });
  }
  return parts.join('/');
}

/** Parent folders of a relative path, outermost first: `a/b/c` → [`a`, `a/b`]. */
export function parentPaths(path: string): string[] {
  const parts = path.split('/');
  const parents: string[] = [];
  for (let index = 1; index < parts.length; index++) parents.push(parts.slice(0, index).join('/'));
  return parents;
}
