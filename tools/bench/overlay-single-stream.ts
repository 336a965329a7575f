/**
 * `initrd build` without parallel segments, for the "before" row of initrd-overlay.ts: the CLI
 * has no switch for it, so this calls the library as the CLI does, with `parallel: false`.
 *
 *   node --import tsx tools/bench/overlay-single-stream.ts SPEC OUT gzip|zstd LEVEL
 */
import { rm } from 'node:fs/promises';
import type { Codec } from '@hostmirror/codecs';
import { buildOverlayFile } from '@hostmirror/initrd';

const [specPath, outPath, codec, level] = process.argv.slice(2);
if (specPath === undefined || outPath === undefined || codec === undefined || level === undefined)
  throw new Error('usage: overlay-single-stream.ts SPEC OUT CODEC LEVEL');
await rm(outPath, { force: true });
await buildOverlayFile(specPath, outPath, {
  compress: codec as Codec,
  level: Number(level),
  parallel: false,
});
