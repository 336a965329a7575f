/**
 * Deterministic JSON for configs: object members in sorted order at every level, lists in
 * their own order, no insignificant whitespace (or two-space indentation when `pretty`), so
 * the same config always gives the same bytes.
 */
import type { IgnitionConfig } from './config.ts';

function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (typeof value === 'object' && value !== null) {
    const sorted: { [key: string]: unknown } = {};
    for (const key of Object.keys(value).sort())
      sorted[key] = sortedCopy((value as { [key: string]: unknown })[key]);
    return sorted;
  }
  return value;
}

export interface SerializeOptions {
  /** Two-space indentation and a final newline, for people; compact otherwise (for embedding). */
  pretty?: boolean;
}

export function serializeConfig(config: IgnitionConfig, options: SerializeOptions = {}): string {
  const sorted = sortedCopy(config);
  return options.pretty === true ? `${JSON.stringify(sorted, null, 2)}\n` : JSON.stringify(sorted);
}
