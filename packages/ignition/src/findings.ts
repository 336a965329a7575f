import { ignitionMessages } from './messages.ts';
import type { Finding } from './report.ts';

/** A JSON location as segments: `['storage', 'files', 0, 'path']`. */
export type JsonPath = readonly (string | number)[];

/** Ignition's notation: `$.storage.files.0.path`. */
export function formatJsonPath(path: JsonPath): string {
  return `$${path.map((segment) => `.${segment}`).join('')}`;
}

/** Collects findings while the rules walk a config. */
export class FindingCollector {
  readonly errors: Finding[] = [];
  readonly warnings: Finding[] = [];

  error(path: JsonPath, message: string): void {
    this.errors.push({ severity: 'error', path: formatJsonPath(path), message });
  }

  warn(path: JsonPath, message: string): void {
    this.warnings.push({ severity: 'warning', path: formatJsonPath(path), message });
  }
}

const duplicateMessage = ignitionMessages.ErrDuplicate;

/**
 * Report the later of two entries with the same key, as `validate.ValidateDups` does. `seen`
 * is the key space: pass one set to several lists to make them share it.
 */
export function checkDuplicates<T>(
  items: readonly T[] | undefined,
  keyOf: (item: T) => string,
  path: JsonPath,
  findings: FindingCollector,
  seen: Set<string> = new Set(),
): void {
  (items ?? []).forEach((item, index) => {
    const key = keyOf(item);
    if (seen.has(key)) findings.error([...path, index], duplicateMessage);
    seen.add(key);
  });
}
