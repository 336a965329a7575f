/**
 * Kernel-argument embed areas (docs/coreos-iso.md#kargs-areas). Each area is the kargs, one `end`
 * character, then `pad` to exactly `size` bytes; every area holds the same bytes. Parsing
 * strips the pad run, then the end characters, then whitespace.
 */
import { IsoError } from './errors.ts';

export interface KargsArea {
  /** The file holding the area, as kargs.json names it (or `(system area)` for legacy). */
  file: string;
  /** Absolute byte offset of the area in the image. */
  offset: number;
  pad: string;
  end: string;
}

export interface KargsAreas {
  /** The default kargs (what `reset` writes back). */
  default: string;
  /** Bytes per area, the same for every area. */
  size: number;
  areas: KargsArea[];
  /** Where the areas were described. */
  origin: 'kargs.json' | 'coreKarg header';
}

/** The bytes of one area holding `kargs`. */
export function formatKargsArea(kargs: string, size: number, pad: string, end: string): Buffer {
  const trimmed = Buffer.from(kargs.trim(), 'utf8');
  const endByte = Buffer.from(end, 'utf8');
  const padByte = Buffer.from(pad, 'utf8');
  if (trimmed.length + endByte.length > size)
    throw new IsoError(
      'KARGS_TOO_LARGE',
      `kargs too large for area: ${trimmed.length + endByte.length} vs ${size}; remove some kernel arguments.`,
    );
  const area = Buffer.alloc(size, padByte);
  trimmed.copy(area, 0);
  endByte.copy(area, trimmed.length);
  return area;
}

/** The kargs an area holds. */
export function parseKargsArea(bytes: Buffer, pad: string, end: string): string {
  let text = bytes.toString('utf8');
  while (pad !== '' && text.endsWith(pad)) text = text.slice(0, -pad.length);
  while (end !== '' && text.endsWith(end)) text = text.slice(0, -end.length);
  return text.trim();
}

/** The current kargs, requiring every area to agree (as coreos-installer does). */
export function agreeingKargs(areas: KargsArea[], contents: Buffer[]): string {
  let expected: string | undefined;
  areas.forEach((area, index) => {
    const parsed = parseKargsArea(contents[index] as Buffer, area.pad, area.end);
    if (expected === undefined) expected = parsed;
    else if (parsed !== expected)
      throw new IsoError(
        'KARGS_MISMATCH',
        `kargs don't match at all offsets! (expected '${expected}', but offset ${area.offset} has: '${parsed}'); run \`iso reset\` to restore the defaults.`,
        { offset: area.offset },
      );
  });
  return expected ?? '';
}

export interface KargsEdits {
  append?: string[];
  /** `key` or `key=value`, removed where the whole argument matches. */
  delete?: string[];
  /** `key=old=new`: `key=old` becomes `key=new`. */
  replace?: string[];
}

function splitKargs(kargs: string): string[] {
  return kargs.split(/\s+/).filter((karg) => karg !== '');
}

/**
 * Apply deletions, then replacements, then appends; a delete or replace must match, an append
 * already present is kept once.
 */
export function editKargs(kargs: string, edits: KargsEdits): string {
  let list = splitKargs(kargs);
  for (const karg of edits.delete ?? []) {
    if (!list.includes(karg))
      throw new IsoError(
        'KARG_NOT_FOUND',
        `Cannot delete kernel argument '${karg}': the kargs are '${kargs}'.`,
      );
    list = list.filter((item) => item !== karg);
  }
  for (const spec of edits.replace ?? []) {
    const match = /^([^=]+)=(.*)=([^=]*)$/.exec(spec);
    if (match === null)
      throw new IsoError(
        'KARG_NOT_FOUND',
        `Cannot replace '${spec}': write it as key=old=new (for example console=ttyS0=ttyS1).`,
      );
    const [, key, oldValue, newValue] = match;
    const from = `${key}=${oldValue}`;
    if (!list.includes(from))
      throw new IsoError(
        'KARG_NOT_FOUND',
        `Cannot replace kernel argument '${from}': the kargs are '${kargs}'.`,
      );
    list = list.map((item) => (item === from ? `${key}=${newValue}` : item));
  }
  // An argument the kargs already hold is not added twice: the same command run again (after
  // an interrupted in-place edit) leaves the kargs as one run does.
  for (const karg of (edits.append ?? []).flatMap(splitKargs))
    if (!list.includes(karg)) list.push(karg);
  return list.join(' ');
}

/** Remove every `key` or `key=value` argument with this key. */
export function withoutKarg(kargs: string, key: string): string {
  return splitKargs(kargs)
    .filter((karg) => karg !== key && !karg.startsWith(`${key}=`))
    .join(' ');
}
