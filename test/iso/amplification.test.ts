/**
 * Issue #20 finding 5 (ISO half): an ISO whose igninfo.json is 2,500 multi-extent records
 * each covering the image took 8.7 s and 2 GB in `iso inspect`, then died with a raw V8
 * message. Now: a typed error, in well under a second and 128 MiB.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtureBytes, repoRoot, scratchDir } from '@hostmirror/fixtures';
import { multiExtentIgninfoIso } from './hostile.ts';

/** Run `iso inspect` in a fresh process and measure it there (not the test runner's peak). */
const measure = `
import { CoreosIso, inspectIso } from '@hostmirror/iso';
const before = process.memoryUsage().rss;
const start = performance.now();
let code = 'none';
let message = '';
try { const iso = await CoreosIso.open(process.argv[1]); try { await inspectIso(iso); } finally { await iso.close(); } }
catch (error) { code = error.code ?? 'untyped'; message = error.message; }
const ms = performance.now() - start;
const grew = process.resourceUsage().maxRSS * 1024 - before;
console.log(JSON.stringify({ code, message, ms, grew }));
`;

test('multiExtentIgninfo: 2,500 records over the whole image are refused in < 1 s and < 128 MiB', async () => {
  const dir = await scratchDir('amplify');
  try {
    const iso = join(dir.path, 'extents.iso');
    const bytes = await multiExtentIgninfoIso(
      await fixtureBytes('embed-areas-2023-07.x86_64'),
      2500,
    );
    await writeFile(iso, bytes);
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', measure, iso],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout) as {
      code: string;
      message: string;
      ms: number;
      grew: number;
    };
    assert.equal(result.code, 'BAD_DIRECTORY_RECORD', result.message);
    assert.match(
      result.message,
      /\/coreos\/IGNINFO\.JSO: its \d+ extents add up to \d+ bytes, more than the image/,
    );
    assert.ok(result.ms < 1000, `took ${result.ms} ms`);
    assert.ok(result.grew < 128 * 1024 * 1024, `grew ${result.grew} bytes`);
  } finally {
    await dir.dispose();
  }
});
