/**
 * Our reader against xorriso and isoinfo on an ISO made to stress it: a 230-character name
 * (its Rock Ridge NM entry does not fit in the record: SUSP CE continuation), 9 nested
 * directories, non-ASCII names (Joliet UCS-2), many files in one directory (several sectors).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { requireTool, runOk, scratchDir } from '@hostmirror/fixtures';
import { BufferSource, IsoImage } from '../../packages/iso/src/index.ts';
import { isoinfoFiles, xorrisoFiles } from './iso-tools.ts';

let dir: { path: string; dispose: () => Promise<void> };
let iso: string;
/** The same tree from genisoimage: directories deeper than 8 levels go to rr_moved (RE/CL). */
let genisoimageIso: string;
const longName = `${'long-name-'.repeat(23)}.txt`;
const deep = 'a/b/c/d/e/f/g/h/i';

before(async () => {
  dir = await scratchDir('reader');
  const root = join(dir.path, 'root');
  await mkdir(join(root, deep), { recursive: true });
  await mkdir(join(root, 'many'), { recursive: true });
  await writeFile(join(root, longName), 'long\n');
  await writeFile(join(root, deep, 'bottom.txt'), 'deep\n');
  await writeFile(join(root, 'héllo wörld.txt'), 'unicode\n');
  for (let index = 0; index < 120; index++)
    await writeFile(join(root, 'many', `file-${String(index).padStart(3, '0')}.dat`), `${index}\n`);
  iso = join(dir.path, 'stress.iso');
  const xorriso = await requireTool('xorriso');
  await runOk(
    xorriso,
    ['-as', 'mkisofs', '-quiet', '-o', iso, '-R', '-J', '-joliet-long', '-V', 'STRESS', root],
    { timeoutMs: 30_000 },
  );
  genisoimageIso = join(dir.path, 'stress-genisoimage.iso');
  const genisoimage = await requireTool('genisoimage', 'genisoimage');
  await runOk(
    genisoimage,
    ['-quiet', '-o', genisoimageIso, '-R', '-J', '-joliet-long', '-V', 'STRESS', root],
    { timeoutMs: 30_000 },
  );
});
after(() => dir.dispose());

async function ours(tree: 'primary' | 'joliet') {
  const image = await IsoImage.open(iso);
  try {
    return (await image.entries(tree))
      .filter((entry) => !entry.isDirectory)
      .map((entry) => ({ path: entry.path, lba: entry.extents[0]?.lba ?? 0, size: entry.size }))
      .sort((a, b) => a.path.localeCompare(b.path));
  } finally {
    await image.close();
  }
}

test('stressTree: Rock Ridge names (with CE) and extents equal xorriso’s', async () => {
  const primary = await ours('primary');
  assert.deepEqual(primary, await xorrisoFiles(iso));
  assert.ok(primary.some((file) => file.path === `/${longName}`));
  assert.ok(primary.some((file) => file.path === `/${deep}/bottom.txt`));
  assert.ok(primary.some((file) => file.path === '/héllo wörld.txt'));
  assert.equal(primary.filter((file) => file.path.startsWith('/many/')).length, 120);
});

test('stressTree: Joliet names equal isoinfo -J; CE continuation really used', async () => {
  const joliet = await ours('joliet');
  const listed = await isoinfoFiles(iso, '-J');
  // isoinfo prints Joliet names in the locale's charset; compare the ASCII ones exactly.
  const ascii = (files: { path: string }[]) =>
    files.filter((file) => /^[\x20-\x7e]*$/.test(file.path));
  assert.deepEqual(ascii(joliet), ascii(listed));
  assert.equal(joliet.length, listed.length);
  assert.ok(joliet.some((file) => file.path === '/héllo wörld.txt'));
  const bytes = await readFile(iso);
  assert.ok(bytes.includes(Buffer.from('CE\x1c\x01', 'latin1')), 'xorriso wrote a CE entry');
});

test('continuationLoop: a CE pointing at itself is BAD_SYSTEM_USE, never a hang', async () => {
  const bytes = Buffer.from(await readFile(iso));
  const ce = bytes.indexOf(Buffer.from('CE\x1c\x01', 'latin1'));
  assert.ok(ce > 0);
  const point = (field: number, value: number) => {
    bytes.writeUInt32LE(value, ce + field);
    bytes.writeUInt32BE(value, ce + field + 4);
  };
  point(4, Math.floor(ce / 2048));
  point(12, ce % 2048);
  point(20, 28);
  const image = await IsoImage.fromSource(new BufferSource(bytes));
  await assert.rejects(image.entries(), (error: unknown) => {
    assert.equal((error as { code?: string }).code, 'BAD_SYSTEM_USE');
    return true;
  });
});

test('relocatedDirectories: genisoimage rr_moved (RE/CL) read as the original tree, like xorriso', async () => {
  const bytes = await readFile(genisoimageIso);
  assert.ok(bytes.includes(Buffer.from('rr_moved', 'latin1')), 'genisoimage relocated a directory');
  const image = await IsoImage.open(genisoimageIso);
  try {
    const files = (await image.entries())
      .filter((entry) => !entry.isDirectory)
      .map((entry) => ({ path: entry.path, lba: entry.extents[0]?.lba ?? 0, size: entry.size }))
      .sort((a, b) => a.path.localeCompare(b.path));
    assert.ok(files.some((file) => file.path === `/${deep}/bottom.txt`));
    assert.ok(!files.some((file) => file.path.includes('rr_moved')));
    assert.deepEqual(files, await xorrisoFiles(genisoimageIso));
  } finally {
    await image.close();
  }
});
