/**
 * packages/fixtures/src/coreos-iso.ts gives the CoreOS live layout the coreos-installer fixtures have:
 * the same metadata files and areas, kargs areas right before `# COREOS_KARG_EMBED_AREA`,
 * El Torito entries for isolinux and EFI; `busybox: true` puts a real busybox initrd in it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fixtureFile, KARGS_MARKER, makeCoreosIso, scratchDir } from '@hostmirror/fixtures';
import { readInitrd } from '../../packages/initrd/src/index.ts';
import { BootPlatform, CoreosIso } from '../../packages/iso/src/index.ts';

let dir: { path: string; dispose: () => Promise<void> };
before(async () => {
  dir = await scratchDir('make');
});
after(() => dir.dispose());

test('sameLayoutAsTheFixture: metadata files, areas, boot entries', async () => {
  const made = await makeCoreosIso({ output: join(dir.path, 'made.iso'), busybox: true });
  const ours = await CoreosIso.open(made.path);
  const fixture = await CoreosIso.open(await fixtureFile('embed-areas-2023-07.x86_64', dir.path));
  try {
    const names = async (iso: CoreosIso) =>
      (await iso.image.entries()).filter((entry) => !entry.isDirectory).map((entry) => entry.path);
    const fixtureNames = (await names(fixture)).filter(
      (path) => !['/coreos/miniso.dat', '/zipl.prm'].includes(path), // not made: bincode recipe, s390x
    );
    const ourNames = await names(ours);
    for (const path of fixtureNames) assert.ok(ourNames.includes(path), `missing ${path}`);
    assert.equal(ours.metadata.volumeId, made.volumeId);
    assert.equal(ours.metadata.ignition.length, fixture.metadata.ignition.length);
    assert.equal(ours.metadata.kargs?.size, fixture.metadata.kargs?.size);
    assert.deepEqual(
      ours.metadata.kargs?.areas.map((area) => area.file),
      fixture.metadata.kargs?.areas.map((area) => area.file),
    );
    assert.equal(await ours.currentKargs(), made.defaultKargs);
    assert.ok(made.defaultKargs.startsWith(`coreos.liveiso=${made.volumeId} `));
    for (const area of ours.metadata.kargs?.areas ?? []) {
      const after = await ours.image.source.read(area.offset + 1139, KARGS_MARKER.length);
      assert.equal(after.toString(), KARGS_MARKER);
    }
    const catalog = await ours.image.bootCatalog();
    assert.deepEqual(
      catalog?.entries.map((entry) => entry.platform),
      [BootPlatform.x86, BootPlatform.efi],
    );
    // busybox: a gzip newc initrd with /init and busybox.
    const initrd = ours.metadata.initrd;
    assert.ok(initrd);
    const listing = await readInitrd(ours.image.fileChunks(initrd));
    assert.equal(listing.segments[0]?.codec, 'gzip');
    const paths = listing.segments.flatMap((segment) => segment.entries.map((entry) => entry.path));
    assert.ok(paths.includes('init') && paths.includes('bin/busybox'), paths.join(' '));
  } finally {
    await ours.close();
    await fixture.close();
  }
});
