/**
 * What the CLI does with a thrown error. A user error (one of the project's error classes, or
 * a Node system error whose errno is in USER_ERRNO: a path the user gave) is one message with
 * the step, the path and the fix, exit 1; anything else is a bug and keeps its stack. With
 * `--json` the same goes to stdout as one JSON object: `{ tool, toolVersion, schemaVersion,
 * ok: false, error: { code, message, path, fix, … } }`.
 */
import { type ErrorJson, isHostmirrorError } from '@hostmirror/errors';

/** The system errors a user causes (and can fix) by the paths and files they give. */
export const USER_ERRNO: Readonly<Record<string, { what: string; fix: string }>> = {
  ENOENT: {
    what: 'no such file or folder',
    fix: 'check the path (a relative path is taken from the current folder)',
  },
  EISDIR: { what: 'a folder, where a file is needed', fix: 'give a file, not a folder' },
  ENOTDIR: { what: 'a part of the path is not a folder', fix: 'check the path' },
  EACCES: {
    what: 'permission denied',
    fix: 'check the permissions of the file and its folders, or run as a user allowed to use it',
  },
  EPERM: { what: 'operation not permitted', fix: 'check the permissions and attributes' },
  EEXIST: { what: 'already exists', fix: 'remove it, choose another path, or pass -f' },
  ENOSPC: {
    what: 'no space left on the device',
    fix: 'free space, or write elsewhere (the output path, or TMPDIR for work files)',
  },
  EDQUOT: { what: 'disk quota exceeded', fix: 'free space or write elsewhere' },
  EROFS: { what: 'a read-only file system', fix: 'write to another folder' },
  ELOOP: { what: 'too many symbolic links', fix: 'check the path for a symlink loop' },
  ENAMETOOLONG: { what: 'the name is too long', fix: 'use a shorter path' },
  ETXTBSY: { what: 'the file is busy (a running program)', fix: 'stop what uses it, or copy it' },
};

interface SystemError extends Error {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

function isSystemError(error: unknown): error is SystemError {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    typeof (error as { syscall?: unknown }).syscall === 'string'
  );
}

/** A broken pipe on stdout: the reader (`| head`) has gone; the command ends quietly. */
export function isBrokenPipe(error: unknown): boolean {
  return (
    error instanceof Error &&
    ((error as { code?: unknown }).code === 'EPIPE' ||
      (error as { code?: unknown }).code === 'ERR_STREAM_DESTROYED')
  );
}

/** The error as the user sees it, or undefined for a bug (which keeps its stack). */
export function userFailure(error: unknown, verb: string): ErrorJson | undefined {
  if (isHostmirrorError(error)) return error.toJSON();
  if (isSystemError(error) && error.code in USER_ERRNO) {
    const { what, fix } = USER_ERRNO[error.code] as { what: string; fix: string };
    const path = error.path ?? '(no path)';
    const json: ErrorJson = {
      name: 'SystemError',
      code: error.code,
      message: `hostmirror ${verb}: cannot ${error.syscall} ${path}: ${what} (${error.code}).`,
      fix: `${fix[0]?.toUpperCase()}${fix.slice(1)}.`,
    };
    if (error.path !== undefined) json.path = error.path;
    return json;
  }
  return undefined;
}

/** `hostmirror: message` and, when the message does not already say it, the fix. */
export function failureText(failure: ErrorJson): string {
  const message = failure.message.startsWith('hostmirror')
    ? failure.message
    : `hostmirror: ${failure.message}`;
  const fix =
    failure.fix !== undefined && !failure.message.includes(failure.fix)
      ? `\n  fix: ${failure.fix}`
      : '';
  return `${message}${fix}\n`;
}
