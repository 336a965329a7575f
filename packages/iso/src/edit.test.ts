import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { fixtureFile, scratchDir } from '@hostmirror/fixtures';
import { CoreosIso } from './coreos-iso.ts';
import { combineEdits, type IsoEdit } from './edit.ts';
import { encodeEmbedArea } from './embed-area.ts';
import { IsoError } from './errors.ts';
import { ignitionAreaPatch } from './plans.ts';
import { planFileExtension } from './relocate.ts';

let dir: { path: string; dispose: () => Promise<void> };
let pristine: string;
const sha = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

before(async () => {
  dir = await scratchDir('edit');
  pristine = await fixtureFile('embed-areas-2023-07.x86_64', dir.path);
});
after(() => dir.dispose());

async function copyOf(name: string): Promise<string> {
  const path = join(dir.path, name);
  await copyFile(pristine, path);
  return path;
}

async function threeWays(plan: (iso: CoreosIso) => Promise<IsoEdit>, name: string) {
  const inPlace = await copyOf(`${name}-in-place.iso`);
  const newFile = join(dir.path, `${name}-new.iso`);
  const streamed = join(dir.path, `${name}-stream.iso`);
  const iso = await CoreosIso.open(inPlace);
  try {
    const edit = await plan(iso);
    await iso.write(edit, { kind: 'file', path: newFile });
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    await iso.write(edit, { kind: 'stream', stream: sink });
    await writeFile(streamed, Buffer.concat(chunks));
    await iso.write(edit, { kind: 'in-place' });
  } finally {
    await iso.close();
  }
  const hashes = await Promise.all([inPlace, newFile, streamed].map(sha));
  assert.equal(hashes[0], hashes[1]);
  assert.equal(hashes[0], hashes[2]);
  return inPlace;
}

test('streamedEqualsNewFileEqualsInPlace: kargs edit', async () => {
  const edited = await threeWays((iso) => iso.planKargs({ append: ['hostmirror=1'] }), 'kargs');
  assert.notEqual(await sha(edited), await sha(pristine));
  const iso = await CoreosIso.open(edited);
  try {
    assert.match((await iso.currentKargs()) ?? '', / hostmirror=1$/);
    await iso.write(await iso.planReset(), { kind: 'in-place' });
  } finally {
    await iso.close();
  }
  assert.equal(await sha(edited), await sha(pristine));
});

test('streamedEqualsNewFileEqualsInPlace: initrd extension', async () => {
  const archive = Buffer.from('0707010000'.repeat(7));
  const edited = await threeWays(
    async (iso) =>
      (
        await planFileExtension(iso.image, [
          {
            size: archive.length,
            what: 'test archive',
            chunks: async function* () {
              yield archive;
            },
          },
        ])
      ).edit,
    'extend',
  );
  assert.ok((await stat(edited)).size > (await stat(pristine)).size);
});

test('failedInPlaceWrite: the original bytes stay (patch failure and source failure)', async () => {
  const target = await copyOf('fail.iso');
  const original = await sha(target);
  const iso = await CoreosIso.open(target);
  try {
    const kargs = await iso.planKargs({ append: ['x=1'] });
    let writes = 0;
    await assert.rejects(
      iso.write(
        kargs,
        { kind: 'in-place' },
        {
          beforeWrite: () => {
            if (++writes === 2) throw new Error('disk full');
          },
        },
      ),
      /disk full/,
    );
    assert.equal(await sha(target), original);
    const { edit } = await planFileExtension(iso.image, [
      {
        size: 1 << 20,
        what: 'broken archive',
        chunks: async function* () {
          yield Buffer.alloc(1000, 1);
          throw new Error('read error');
        },
      },
    ]);
    await assert.rejects(iso.write(edit, { kind: 'in-place' }), /read error/);
    assert.equal(await sha(target), original);
    const short = (
      await planFileExtension(iso.image, [
        {
          size: 5000,
          what: 'short archive',
          chunks: async function* () {
            yield Buffer.alloc(10);
          },
        },
      ])
    ).edit;
    await assert.rejects(
      iso.write(short, { kind: 'in-place' }),
      (error) => error instanceof IsoError && error.code === 'BAD_ARCHIVE',
    );
    assert.equal(await sha(target), original);
    await assert.rejects(
      iso.write(short, { kind: 'file', path: join(dir.path, 'short-out.iso') }),
      (error) => error instanceof IsoError && error.code === 'BAD_ARCHIVE',
    );
    await assert.rejects(stat(join(dir.path, 'short-out.iso')), { code: 'ENOENT' });
  } finally {
    await iso.close();
  }
});

test('outputIsInput: writing a new file over the input is refused', async () => {
  const target = await copyOf('self.iso');
  const iso = await CoreosIso.open(target);
  try {
    await assert.rejects(
      iso.write(await iso.planReset(), { kind: 'file', path: target, overwrite: true }),
      (error) => error instanceof IsoError && error.code === 'OUTPUT_IS_INPUT',
    );
  } finally {
    await iso.close();
  }
});

test('removeIgnitionKeepsOtherMembers: a keyfile stays; removing the last member zeroes the area', async () => {
  const target = await copyOf('remove.iso');
  const original = await sha(target);
  const iso = await CoreosIso.open(target);
  try {
    const none = (error: unknown) =>
      error instanceof IsoError &&
      error.code === 'NO_EMBEDDED_IGNITION' &&
      error.message.includes(target);
    await assert.rejects(iso.planRemoveIgnition(), none);
    await assert.rejects(iso.requireEmbeddedIgnition(), none);
    await iso.write(await iso.planEmbedIgnition(Buffer.from('{}')), { kind: 'in-place' });
    assert.deepEqual(await iso.embeddedIgnition(), Buffer.from('{}'));
    assert.deepEqual(await iso.requireEmbeddedIgnition(), Buffer.from('{}'));
    await iso.write(await iso.planRemoveIgnition(), { kind: 'in-place' });
    assert.equal(await iso.embeddedIgnition(), undefined);
    assert.equal(await sha(target), original);
    // coreos-installer keeps network keyfiles beside config.ign (docs/coreos-iso.md#embed-commands).
    const keyfile = 'etc/coreos-firstboot-network/eth0.nmconnection';
    const both = new Map([
      ['config.ign', Buffer.from('{}')],
      [keyfile, Buffer.from('[connection]\n')],
    ]);
    const area = ignitionAreaPatch(iso.metadata.ignition, await encodeEmbedArea(both));
    await iso.write(
      combineEdits(iso.size, [
        { originalSize: iso.size, size: iso.size, patches: [area], appendices: [] },
      ]),
      {
        kind: 'in-place',
      },
    );
    await iso.write(await iso.planRemoveIgnition(), { kind: 'in-place' });
    assert.deepEqual([...(await iso.embeddedMembers()).keys()], [keyfile]);
    await iso.write(await iso.planReset(), { kind: 'in-place' });
    assert.equal(await sha(target), original);
  } finally {
    await iso.close();
  }
});

test('garbageInEmbedArea: BAD_EMBED_AREA on read, reset still restores the pristine bytes', async () => {
  const target = await copyOf('garbage.iso');
  const original = await sha(target);
  const iso = await CoreosIso.open(target);
  try {
    const junk = Buffer.from('not an archive at all');
    await iso.write(
      combineEdits(iso.size, [
        {
          originalSize: iso.size,
          size: iso.size,
          patches: [ignitionAreaPatch(iso.metadata.ignition, junk)],
          appendices: [],
        },
      ]),
      { kind: 'in-place' },
    );
    const bad = (error: unknown) => error instanceof IsoError && error.code === 'BAD_EMBED_AREA';
    await assert.rejects(iso.embeddedIgnition(), bad);
    await assert.rejects(iso.planEmbedIgnition(Buffer.from('{}'), { force: true }), bad);
    await iso.write(await iso.planReset(), { kind: 'in-place' });
    assert.equal(await sha(target), original);
  } finally {
    await iso.close();
  }
});

test('isoChangedBetweenPlanAndWrite: ISO_CHANGED, and the changed file is left as it is', async () => {
  const target = await copyOf('changed.iso');
  const iso = await CoreosIso.open(target);
  try {
    const edit = await iso.planReset();
    await appendFile(target, Buffer.from('more'));
    const grown = await sha(target);
    await assert.rejects(
      iso.write(edit, { kind: 'in-place' }),
      (error) => error instanceof IsoError && error.code === 'ISO_CHANGED',
    );
    assert.equal(await sha(target), grown);
  } finally {
    await iso.close();
  }
});

test('badEdit: an IsoEdit from the library whose parts overlap or leave their region is BAD_EDIT, naming the part', () => {
  const size = 64 * 1024;
  const patch = (offset: number, length: number, what: string) => ({
    offset,
    bytes: Buffer.alloc(length),
    what,
  });
  const edit = (parts: Partial<IsoEdit>): IsoEdit => ({
    originalSize: size,
    size,
    patches: [],
    appendices: [],
    ...parts,
  });
  const cases: [IsoEdit[], string | undefined, number | undefined, RegExp][] = [
    [
      [edit({ patches: [patch(100, 50, 'first')] }), edit({ patches: [patch(120, 10, 'second')] })],
      'second',
      120,
      /^The patch 'second' at byte 120 \(10 bytes\) overlaps another patch/,
    ],
    [
      [edit({ patches: [patch(size - 4, 8, 'tail')] })],
      'tail',
      size - 4,
      /leaves the 65536-byte image/,
    ],
    [
      [
        edit({
          size: size + 100,
          appendices: [
            { offset: size - 1, length: 10, what: 'archive', chunks: async function* () {} },
          ],
        }),
      ],
      'archive',
      size - 1,
      /^The appendix 'archive' at byte 65535 \(10 bytes\) starts before byte 65536/,
    ],
    [
      [edit({}), { ...edit({}), originalSize: size + 1 }],
      String(size + 1),
      undefined,
      /^An edit of a 65537-byte image cannot be combined into one of 65536 bytes/,
    ],
  ];
  for (const [edits, subject, offset, message] of cases)
    assert.throws(
      () => combineEdits(size, edits),
      (error: unknown) =>
        error instanceof IsoError &&
        error.code === 'BAD_EDIT' &&
        error.subject === subject &&
        error.offset === offset &&
        message.test(error.message),
    );
});
