import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtureBytes, fixtureFacts } from '@hostmirror/fixtures';
import { readCoreosMetadata, readCurrentKargs } from './coreos.ts';
import { IsoError } from './errors.ts';
import { IsoImage } from './image.ts';
import { BufferSource } from './source.ts';

const open = async (bytes: Buffer) => IsoImage.fromSource(new BufferSource(bytes));

for (const facts of fixtureFacts) {
  test(`sameAreasAsCoreosInstaller: ${facts.name}`, async () => {
    const bytes = await fixtureBytes(facts.name);
    assert.equal(bytes.length, facts.size);
    const image = await open(bytes);
    const metadata = await readCoreosMetadata(image);
    assert.equal(metadata.volumeId, facts.volumeId);
    assert.deepEqual(metadata.ignition, facts.ignition);
    assert.deepEqual(Object.keys(metadata.features).sort(), facts.features);
    if (facts.kargs === undefined) {
      assert.equal(metadata.kargs, undefined);
      return;
    }
    const kargs = metadata.kargs;
    assert.ok(kargs);
    assert.equal(kargs.size, facts.kargs.size);
    assert.equal(kargs.default, facts.kargs.default);
    assert.equal(kargs.origin, facts.kargs.origin);
    // In offset order, as coreos-installer lists them (KargEmbedAreas::for_iso sorts by offset).
    assert.deepEqual(
      kargs.areas.map((area) => area.offset),
      facts.kargs.offsets,
    );
    for (const area of kargs.areas) assert.equal(area.pad, facts.kargs.pad);
    // A pristine ISO boots with its default kargs, and the volume id is the coreos.liveiso= value.
    assert.equal(await readCurrentKargs(image, kargs), facts.kargs.default);
    assert.ok(kargs.default.includes(`coreos.liveiso=${facts.volumeId}`));
    // The embed area of a pristine ISO is all zeros.
    const area = await image.source.read(metadata.ignition.offset, metadata.ignition.length);
    assert.ok(area.every((byte) => byte === 0));
  });
}

test('unrecognizedCoreosIso: the synthetic fixture is refused with NOT_COREOS', async () => {
  const image = await open(await fixtureBytes('synthetic'));
  await assert.rejects(readCoreosMetadata(image), (error) => {
    assert.ok(error instanceof IsoError);
    assert.equal(error.code, 'NOT_COREOS');
    assert.match(error.message, /^Unrecognized CoreOS ISO image: .*images\/ignition\.img/);
    return true;
  });
});

test('kargsMismatch: areas that disagree are KARGS_MISMATCH', async () => {
  const bytes = Buffer.from(await fixtureBytes('embed-areas-2023-07.x86_64'));
  const metadata = await readCoreosMetadata(await open(bytes));
  const first = metadata.kargs?.areas[0]?.offset as number;
  bytes.write('quiet', first, 'latin1');
  const image = await open(bytes);
  await assert.rejects(
    readCurrentKargs(
      image,
      (await readCoreosMetadata(image)).kargs as NonNullable<typeof metadata.kargs>,
    ),
    (error) => error instanceof IsoError && error.code === 'KARGS_MISMATCH',
  );
});

test('badMetadata: broken igninfo.json is BAD_METADATA', async () => {
  const bytes = Buffer.from(await fixtureBytes('embed-areas-2023-07.x86_64'));
  const info = await (await open(bytes)).findByIdentifier('COREOS/IGNINFO.JSO');
  bytes.write('{oops', IsoImage.offsetOf(info as NonNullable<typeof info>), 'latin1');
  await assert.rejects(
    readCoreosMetadata(await open(bytes)),
    (error) => error instanceof IsoError && error.code === 'BAD_METADATA',
  );
});
