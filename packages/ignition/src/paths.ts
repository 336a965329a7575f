import { posix } from 'node:path';
import { ignitionMessages } from './messages.ts';

/** Go's `path.Clean` for absolute paths: no `.`/`..` parts, no doubled or trailing slash. */
export function cleanPath(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

/** Ignition's `validatePath` message for `path`, or undefined when it is fine. */
export function pathProblem(path: string | undefined | null): string | undefined {
  if (path === undefined || path === null || path === '') return ignitionMessages.ErrNoPath;
  if (!path.startsWith('/')) return ignitionMessages.ErrPathRelative;
  if (cleanPath(path) !== path) return ignitionMessages.ErrDirtyPath;
  return undefined;
}

/** Where systemd units live (Ignition writes units and drop-ins there). */
export const systemdUnitDir = '/etc/systemd/system';
