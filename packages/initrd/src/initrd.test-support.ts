/** Helpers shared by this package's tests (not exported from index.ts; never built into dist: *.test-support.ts). */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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
 * A full garbage collection, also when the test runner was not started with `--expose-gc`:
 * V8 installs `gc` in each context it creates while the flag is on, so a context made after
 * setting it has one (Node's documentation of v8.setFlagsFromString warns that a flag set after
 * start-up may also do nothing; then no collection is made, as before). Without it the baseline
 * below depended on the garbage earlier work had left: RSS before a run measured 75–93 MiB
 * for the same state (Node 24, 2026-12-06), and a 500 MiB run "grew" 69 MiB against 26 MiB for
 * a 50 MiB one while both peaked at ~128 MiB.
 */
export function collectGarbage(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) {
    exposed();
    return;
  }
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc === 'function') gc();
}

/**
 * Run `work` while sampling the process's RSS; returns how many MiB the peak rose above the
 * RSS at the start, measured after a full garbage collection.
 */
export async function peakRssGrowthMiB(work: () => Promise<void>): Promise<number> {
  collectGarbage();
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
