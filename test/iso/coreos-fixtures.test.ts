/**
 * Proof on every coreos-installer fixture ISO: embed writes one xz newc archive that `xz -dc |
 * cpio -it` lists as `config.ign`; embed then reset gives back the original sha256; streamed ==
 * new file == in place; a full embed area and oversized kargs are typed errors and leave the
 * input untouched.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { fixtureFacts, fixtureFile, requireTool, runShell, scratchDir } from '@hostmirror/fixtures';
import { CoreosIso, IsoError } from '../../packages/iso/src/index.ts';
import { isoinfoExtract, xorrisoFiles } from './iso-tools.ts';

let dir: { path: string; dispose: () => Promise<void> };
before(async () => {
  dir = await scratchDir('fixtures');
});
after(() => dir.dispose());

const sha = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
const config = Buffer.from('{"ignition":{"version":"3.4.0"},"passwd":{}}\n');

async function edited(path: string, work: (iso: CoreosIso) => Promise<void>) {
  const iso = await CoreosIso.open(path);
  try {
    await work(iso);
  } finally {
    await iso.close();
  }
}

for (const facts of fixtureFacts) {
  test(`embedResetStreamFileInPlace: ${facts.name}`, async () => {
    const [xz, cpio] = await Promise.all([requireTool('xz'), requireTool('cpio')]);
    const pristine = await fixtureFile(facts.name, dir.path);
    const original = await sha(pristine);
    const inPlace = join(dir.path, `${facts.name}.in-place.iso`);
    const newFile = join(dir.path, `${facts.name}.new.iso`);
    const streamed = join(dir.path, `${facts.name}.stream.iso`);
    await copyFile(pristine, inPlace);
    await edited(inPlace, async (iso) => {
      const edits = [await iso.planEmbedIgnition(config)];
      if (iso.metadata.kargs !== undefined)
        edits.push(await iso.planKargs({ append: ['hm.test=1'] }));
      const edit = iso.combine(...edits);
      await iso.write(edit, { kind: 'file', path: newFile });
      const sink = new PassThrough();
      const chunks: Buffer[] = [];
      sink.on('data', (chunk: Buffer) => chunks.push(chunk));
      await iso.write(edit, { kind: 'stream', stream: sink });
      await writeFile(streamed, Buffer.concat(chunks));
      await iso.write(edit, { kind: 'in-place' });
    });
    const hashes = await Promise.all([inPlace, newFile, streamed].map(sha));
    assert.equal(new Set(hashes).size, 1, 'streamed, new file and in place differ');
    assert.notEqual(hashes[0], original);

    // The real tools read the area: tail | head | xz -dc | cpio -it lists config.ign, and its bytes match.
    const { offset, length } = facts.ignition;
    const listing = await runShell(
      `tail -c +${offset + 1} "${inPlace}" | head -c ${length} | "${xz}" -dc | "${cpio}" -it --quiet`,
      { timeoutMs: 30_000 },
    );
    assert.equal(listing.stdout.toString(), 'config.ign\n', listing.stderr.toString());
    await edited(inPlace, async (iso) => {
      assert.deepEqual(await iso.embeddedIgnition(), config);
      if (facts.kargs) assert.match((await iso.currentKargs()) ?? '', / hm\.test=1$/);
      const other = Buffer.from(`${config.toString().trim()} `);
      await assert.rejects(iso.planEmbedIgnition(other), (error) => {
        return error instanceof IsoError && error.code === 'IGNITION_EXISTS';
      });
      // The same config again (a rerun after an interrupted edit) writes the same bytes.
      const again = await iso.planEmbedIgnition(config);
      assert.deepEqual(again.patches[0]?.bytes, await iso.ignitionAreaBytes());
      await iso.write(await iso.planReset(), { kind: 'in-place' });
    });
    assert.equal(await sha(inPlace), original, 'embed then reset changed the ISO');
  });
}

test('fullEmbedArea and oversizedKargs: typed errors, input untouched', async () => {
  const path = await fixtureFile('embed-areas-2023-07.x86_64', dir.path);
  const original = await sha(path);
  await edited(path, async (iso) => {
    const incompressible = Buffer.from(`{"x":"${randomBytes(300_000).toString('base64')}"}`);
    await assert.rejects(iso.planEmbedIgnition(incompressible), (error) => {
      assert.ok(error instanceof IsoError);
      assert.equal(error.code, 'EMBED_TOO_LARGE');
      assert.match(error.message, /^Compressed initramfs is too large: \d+ > 262144/);
      return true;
    });
    await assert.rejects(iso.planKargs({ append: ['x'.repeat(1139)] }), (error) => {
      return error instanceof IsoError && error.code === 'KARGS_TOO_LARGE';
    });
  });
  assert.equal(await sha(path), original);
});

test('noKargsArea: the s390x 2023-03 fixture refuses kargs edits (NO_KARGS_AREA)', async () => {
  const path = await fixtureFile('embed-areas-2023-03.s390x', dir.path);
  await edited(path, async (iso) => {
    await assert.rejects(iso.planKargs({ append: ['a'] }), (error) => {
      return error instanceof IsoError && error.code === 'NO_KARGS_AREA';
    });
  });
});

test('areasFromTheRealTools: xorriso extents + the JSON metadata give our offsets', async () => {
  let kargsJsonFixtures = 0;
  for (const facts of fixtureFacts) {
    const path = await fixtureFile(facts.name, dir.path);
    const files = await xorrisoFiles(path);
    const lbaOf = (name: string) => files.find((file) => file.path === `/${name}`)?.lba;
    const extract = async (name: string) =>
      (await isoinfoExtract(path, '-R', `/${name}`)).toString('utf8');
    const hasIgninfo = lbaOf('coreos/igninfo.json') !== undefined;
    const igninfo = hasIgninfo
      ? (JSON.parse(await extract('coreos/igninfo.json')) as { file: string; offset?: number })
      : { file: 'images/ignition.img' };
    const ignitionLba = lbaOf(igninfo.file);
    assert.ok(ignitionLba !== undefined, facts.name);
    await edited(path, async (iso) => {
      assert.equal(iso.metadata.ignition.offset, ignitionLba * 2048 + (igninfo.offset ?? 0));
      if (lbaOf('coreos/kargs.json') === undefined) {
        // Without kargs.json our reader must not claim one (a coreKarg header or no areas).
        assert.notEqual(iso.metadata.kargs?.origin, 'kargs.json', facts.name);
        return;
      }
      kargsJsonFixtures++;
      const kargs = JSON.parse(await extract('coreos/kargs.json')) as {
        files: { path: string; offset: number }[];
        size: number;
      };
      const expected = kargs.files
        .map((file) => (lbaOf(file.path) ?? Number.NaN) * 2048 + file.offset)
        .sort((a, b) => a - b);
      assert.deepEqual(
        iso.metadata.kargs?.areas.map((area) => area.offset).sort((a, b) => a - b),
        expected,
        facts.name,
      );
      assert.equal(iso.metadata.kargs?.size, kargs.size);
    });
  }
  // The kargs.json comparison must have run, or a listing failure would pass unnoticed.
  assert.ok(kargsJsonFixtures > 0, 'no fixture listed coreos/kargs.json');
});
