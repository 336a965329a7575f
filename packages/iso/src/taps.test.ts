import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { fixtureFile, requireTool, runOk, scratchDir } from '@hostmirror/fixtures';
import { CoreosIso } from './coreos-iso.ts';
import type { IsoEdit, WriteTaps } from './edit.ts';
import { writeEditedFile } from './edit.ts';
import { encodeEmbedArea, IGNITION_MEMBER } from './embed-area.ts';
import { writeIso } from './output.ts';
import { ignitionAreaPatch } from './plans.ts';
import { planFileExtension } from './relocate.ts';
import { BufferSource, FileSource } from './source.ts';

let dir: { path: string; dispose: () => Promise<void> };
let pristine: string;
let sha256sum: string;

before(async () => {
  sha256sum = await requireTool('sha256sum', 'coreutils');
  dir = await scratchDir('taps');
  pristine = await fixtureFile('embed-areas-2023-07.x86_64', dir.path);
});
after(() => dir.dispose());

/** The digest as coreutils computes it: an independent check of the taps' bytes. */
async function sha256sumOf(path: string): Promise<string> {
  const { stdout } = await runOk(sha256sum, ['-b', path], { timeoutMs: 30_000 });
  return stdout.toString().split(' ')[0] ?? '';
}

/** Taps hashing both images and counting the bytes each saw. */
function hashingTaps() {
  const input = createHash('sha256');
  const output = createHash('sha256');
  const seen = { inputBytes: 0, outputBytes: 0 };
  const taps: Required<WriteTaps> = {
    onInputChunk: (chunk) => {
      input.update(chunk);
      seen.inputBytes += chunk.length;
    },
    onOutputChunk: (chunk) => {
      output.update(chunk);
      seen.outputBytes += chunk.length;
    },
  };
  const digests = () => ({ input: input.digest('hex'), output: output.digest('hex'), ...seen });
  return { taps, digests };
}

/** Every kind of part at once: patches (Ignition area, kargs) and an appended initrd archive. */
async function planEverything(iso: CoreosIso): Promise<IsoEdit> {
  const ignition = iso.metadata.ignition;
  assert.ok(ignition !== undefined, 'the fixture has an Ignition embed area');
  const config = Buffer.from('{"ignition":{"version":"3.4.0"}}');
  const embed = await encodeEmbedArea(new Map([[IGNITION_MEMBER, config]]));
  const archive = Buffer.from('0707010000'.repeat(7));
  const extension = await planFileExtension(iso.image, [
    {
      size: archive.length,
      what: 'test archive',
      chunks: async function* () {
        yield archive;
      },
    },
  ]);
  return iso.combine(
    {
      originalSize: iso.size,
      size: iso.size,
      patches: [ignitionAreaPatch(ignition, embed)],
      appendices: [],
    },
    await iso.planKargs({ append: ['taps=1'] }),
    extension.edit,
  );
}

test('tapsGiveTheDigestsOfInputAndOutputInEveryMode', async () => {
  const inPlace = join(dir.path, 'in-place.iso');
  const newFile = join(dir.path, 'new.iso');
  const fromBuffer = join(dir.path, 'from-buffer.iso');
  await copyFile(pristine, inPlace);
  const inputDigest = await sha256sumOf(pristine);
  const iso = await CoreosIso.open(inPlace);
  const results: Record<string, ReturnType<ReturnType<typeof hashingTaps>['digests']>> = {};
  try {
    const edit = await planEverything(iso);
    assert.ok(edit.appendices.length > 0 && edit.patches.length >= 2);
    const file = hashingTaps();
    await iso.write(edit, { kind: 'file', path: newFile }, file.taps);
    results.file = file.digests();
    const stream = hashingTaps();
    const sink = new PassThrough();
    const streamed = createHash('sha256');
    sink.on('data', (chunk: Buffer) => streamed.update(chunk));
    await iso.write(edit, { kind: 'stream', stream: sink }, stream.taps);
    results.stream = stream.digests();
    assert.equal(streamed.digest('hex'), results.stream.output);
    // A source without a path: the new file is written from the streamed bytes. (The
    // appended archive reads moved files from `iso`, so this runs before it closes.)
    const memory = hashingTaps();
    await writeEditedFile(
      new BufferSource(await readFile(pristine)),
      edit,
      fromBuffer,
      memory.taps,
    );
    results.memory = memory.digests();
    const inPlaceTaps = hashingTaps();
    await iso.write(edit, { kind: 'in-place' }, inPlaceTaps.taps);
    results.inPlace = inPlaceTaps.digests();
  } finally {
    await iso.close();
  }

  const outputDigest = await sha256sumOf(newFile);
  assert.notEqual(outputDigest, inputDigest);
  assert.equal(await sha256sumOf(inPlace), outputDigest);
  assert.equal(await sha256sumOf(fromBuffer), outputDigest);
  assert.deepEqual(Object.keys(results), ['file', 'stream', 'memory', 'inPlace']);
  for (const [mode, result] of Object.entries(results)) {
    assert.equal(result.input, inputDigest, `${mode}: input digest`);
    assert.equal(result.output, outputDigest, `${mode}: output digest`);
  }
});

test('tapsSeeEachByteOnce: counts match the sizes; in place, the input is the original file', async () => {
  const target = join(dir.path, 'count.iso');
  await copyFile(pristine, target);
  const before = await readFile(target);
  const iso = await CoreosIso.open(target);
  try {
    const edit = await planEverything(iso);
    const { taps, digests } = hashingTaps();
    await iso.write(edit, { kind: 'in-place' }, taps);
    const result = digests();
    assert.equal(result.inputBytes, before.length);
    assert.equal(result.outputBytes, edit.size);
    assert.equal(result.input, createHash('sha256').update(before).digest('hex'));
    assert.equal(
      result.output,
      createHash('sha256')
        .update(await readFile(target))
        .digest('hex'),
    );
    assert.ok(edit.size > edit.originalSize);
  } finally {
    await iso.close();
  }
});

test('tapsSeeTheZeroGaps: an appendix after a gap and zeros up to the new size', async () => {
  const original = createHash('sha512').update('taps').digest();
  const image = Buffer.concat(Array.from({ length: 80 }, () => original)); // 5120 bytes
  const appended = Buffer.from('appended bytes');
  const edit: IsoEdit = {
    originalSize: image.length,
    size: 3 * 4096,
    patches: [{ offset: 100, bytes: Buffer.from('patched'), what: 'a patch' }],
    appendices: [
      {
        offset: 6144,
        length: appended.length,
        what: 'an appendix',
        chunks: async function* () {
          yield appended;
        },
      },
    ],
  };
  const expected = Buffer.alloc(edit.size);
  image.copy(expected);
  Buffer.from('patched').copy(expected, 100);
  appended.copy(expected, 6144);
  const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
  const path = join(dir.path, 'gaps.img');
  const newFile = join(dir.path, 'gaps-new.img');
  await writeFile(path, image);
  const source = await FileSource.open(path);
  const results: Record<string, ReturnType<ReturnType<typeof hashingTaps>['digests']>> = {};
  try {
    const file = hashingTaps();
    await writeIso(source, edit, { kind: 'file', path: newFile }, file.taps);
    results.file = file.digests();
    const stream = hashingTaps();
    await writeIso(
      source,
      edit,
      { kind: 'stream', stream: new PassThrough().resume() },
      stream.taps,
    );
    results.stream = stream.digests();
    const inPlace = hashingTaps();
    await writeIso(source, edit, { kind: 'in-place' }, inPlace.taps);
    results.inPlace = inPlace.digests();
  } finally {
    await source.close();
  }
  assert.deepEqual(await readFile(newFile), expected);
  assert.deepEqual(await readFile(path), expected);
  for (const [mode, result] of Object.entries(results)) {
    assert.equal(result.input, digest(image), `${mode}: input digest`);
    assert.equal(result.output, digest(expected), `${mode}: output digest`);
    assert.equal(result.outputBytes, edit.size, `${mode}: output bytes`);
  }
});
