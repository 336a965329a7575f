import { mkdir } from 'node:fs/promises';
import { extractEntry, type NewcEntry } from '@hostmirror/cpio-stream';
import { InitrdError, type InitrdErrorCode } from './errors.ts';
import {
  type InitrdFault,
  type InitrdSegment,
  type InitrdSource,
  type WalkOptions,
  walkInitrd,
} from './walk.ts';

/** What `readInitrd` found: like `lsinitrd`, every segment with its entries. */
export interface InitrdListing {
  size: number;
  segments: InitrdSegment[];
  /** Kernel-rule faults that did not stop reading (see `verifyInitrd`). */
  faults: InitrdFault[];
}

/** Fault codes that are InitrdError codes; the others are NewcError codes from a newc archive. */
const INITRD_FATAL_CODES: readonly string[] = [
  'TRUNCATED',
  'UNKNOWN_MAGIC',
  'UNSUPPORTED_CODEC',
  'XZ_CORRUPT',
  'ZSTD_CORRUPT',
  'DECOMPRESS_FAILED',
  'EMPTY',
  'TOO_MANY_ENTRIES',
];

/** Throw the fault that ended a walk, if any: an InitrdError with its code and offset. */
function throwFatal(faults: InitrdFault[]): void {
  const fatal = faults.find((fault) => fault.fatal);
  if (fatal === undefined) return;
  if (INITRD_FATAL_CODES.includes(fatal.code)) {
    throw new InitrdError(fatal.code as InitrdErrorCode, fatal.message, { offset: fatal.offset });
  }
  throw new InitrdError('NEWC', fatal.message, { offset: fatal.offset, newcCode: fatal.code });
}

/**
 * List every segment of an initrd (offset, length, codec, entries), like `lsinitrd`. Reads as
 * leniently as coreos-installer (zeros between segments, unaligned archives); throws
 * InitrdError only when a segment cannot be read at all.
 */
export async function readInitrd(
  source: InitrdSource,
  options: Pick<WalkOptions, 'maxEntries'> = {},
): Promise<InitrdListing> {
  const walk = await walkInitrd(source, options);
  throwFatal(walk.faults);
  return walk;
}

/** The contents of one regular file as the kernel would leave it: the last copy wins. */
export async function readInitrdFile(
  source: InitrdSource,
  path: string,
  options: { maxBytes?: number } = {},
): Promise<Uint8Array | undefined> {
  const wanted = path.replace(/^\/+/, '');
  let found: Uint8Array | undefined;
  const walk = await walkInitrd(source, {
    collectEntries: false,
    async onEntry(entry: NewcEntry) {
      if (entry.path.replace(/^\/+/, '') !== wanted) return;
      found = entry.type === 'file' ? await entry.bytes(options) : undefined;
    },
  });
  throwFatal(walk.faults);
  return found;
}

/**
 * Extract every segment under `destination` in order (later copies win), refusing absolute and
 * `..` names (PATH_TRAVERSAL) like coreos-installer's `dev extract initrd`.
 */
export async function extractInitrd(
  source: InitrdSource,
  destination: string,
): Promise<{ written: string[] }> {
  await mkdir(destination, { recursive: true });
  const written: string[] = [];
  let failure: unknown;
  const walk = await walkInitrd(source, {
    collectEntries: false,
    async onEntry(entry: NewcEntry) {
      if (failure !== undefined) return;
      try {
        const relative = await extractEntry(entry, destination);
        if (relative !== undefined) written.push(relative);
      } catch (error) {
        failure = error;
      }
    },
  });
  if (failure !== undefined) throw failure;
  throwFatal(walk.faults);
  return { written };
}
