/** Helpers shared by this package's tests (not exported from index.ts; never built into dist: *.test-support.ts). */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { type Codec, createCompressor } from '@hostmirror/codecs';
import { type NewcEntryInput, type WriteNewcOptions, writeNewc } from '@hostmirror/cpio-stream';

export async function scratch(prefix = 'initrd-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function newc(
  entries: NewcEntryInput[],
  options: WriteNewcOptions = {},
): Promise<Buffer> {
  return buffer(writeNewc(entries, options));
}

export async function compress(codec: Codec, data: Uint8Array, level?: number): Promise<Buffer> {
  return buffer(
    Readable.from([data]).pipe(await createCompressor(codec, level === undefined ? {} : { level })),
  );
}

export async function fileWith(
  dir: string,
  name: string,
  data: Uint8Array | string,
): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, data);
  return path;
}

export const helloArchive = (text = 'hello\n') =>
  newc([
    { path: 'etc/hello', type: 'file', data: text },
    { path: 'bin/run', type: 'file', mode: 0o755, data: '#!/bin/sh\n' },
  ]);

/** How often RSS is sampled while measuring a peak. */
const RSS_SAMPLE_MS = 10;

/**
 * Run `work` while sampling the process's RSS; returns how many MiB the peak rose above the
 * RSS at the start (after a GC when `--expose-gc` is on).
 */
export async function peakRssGrowthMiB(work: () => Promise<void>): Promise<number> {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, RSS_SAMPLE_MS);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return (peak - baseline) / 2 ** 20;
}
