/**
 * Issue 2, "Proof with real tools": the classic tools read what `hostmirror initrd build` writes
 * (run as a user runs it: `pnpm hostmirror …` in a child process), and the files they extract
 * equal their sources byte for byte.
 */
import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireTool, runOk } from '@hostmirror/fixtures';
import { hostmirror, hostmirrorOk } from './hostmirror-cli.ts';
import { type OverlayFixture, writeOverlayFixture } from './overlay-fixture.ts';

const codecs = ['gzip', 'xz', 'zstd', 'none'] as const;
type Codec = (typeof codecs)[number];

/** The shell command that writes the plain cpio of `$1` to stdout, per codec (system tools). */
const decompressCommand: Record<Codec, string> = {
  gzip: 'gzip -dc "$1"',
  xz: 'xz -dc "$1"',
  zstd: 'zstd -qdc "$1"',
  none: 'cat "$1"',
};

let work: string;
let fixture: OverlayFixture;
const archives = new Map<Codec, string>();

before(async () => {
  for (const tool of ['cpio', 'bsdtar', 'gzip', 'xz', 'zstd', 'cmp'] as const)
    await requireTool(tool);
  work = await mkdtemp(join(tmpdir(), 'hm-real-tools-'));
  fixture = await writeOverlayFixture(work, 'tools', 'gzip');
  // The CLI's --compress overrides the spec's `compress:`.
  await Promise.all(
    codecs.map(async (codec) => {
      const out = join(work, `overlay.${codec}`);
      await hostmirrorOk(['initrd', 'build', fixture.specPath, '-o', out, '--compress', codec]);
      archives.set(codec, out);
    }),
  );
  // A second build of the same spec, for the reproducibility check.
  await hostmirrorOk([
    'initrd',
    'build',
    fixture.specPath,
    '-o',
    join(work, 'again.xz'),
    '--compress',
    'xz',
  ]);
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

function archive(codec: Codec): string {
  const path = archives.get(codec);
  assert.ok(path, `no ${codec} archive`);
  return path;
}

/** Names as cpio prints them, without `./` or `/` in front. */
function names(listing: string): string[] {
  return listing
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/^\.?\//, ''));
}

function expectedNames(): string[] {
  return [
    ...fixture.directories,
    ...fixture.files.map((file) => file.path),
    ...fixture.symlinks.map((link) => link.path),
  ].sort();
}

describe('the codec tools accept the stream', () => {
  test('gzip -t', async () => {
    await runOk('gzip', ['-t', archive('gzip')], { timeoutMs: 20_000 });
  });
  test('xz -t, and xz -lvv shows the CRC32 check the kernel needs', async () => {
    await runOk('xz', ['-t', archive('xz')], { timeoutMs: 20_000 });
    const list = (
      await runOk('xz', ['-lvv', archive('xz')], { timeoutMs: 20_000 })
    ).stdout.toString();
    assert.match(list, /Check:\s+CRC32/);
    assert.doesNotMatch(list, /CRC64|SHA-256/);
    // One stream: the kernel decodes one xz stream per segment.
    assert.match(list, /Streams:\s+1\b/);
  });
  test('zstd -t', async () => {
    await runOk('zstd', ['-qt', archive('zstd')], { timeoutMs: 20_000 });
  });
  test('uncompressed output is a newc archive ending in TRAILER!!! on a 4-byte boundary', async () => {
    const bytes = await readFile(archive('none'));
    assert.equal(bytes.subarray(0, 6).toString('latin1'), '070701');
    assert.equal(bytes.length % 4, 0);
    assert.ok(bytes.includes(Buffer.from('TRAILER!!!\0')));
  });
});

for (const codec of codecs) {
  describe(`${codec}: cpio and bsdtar read it, files equal their sources`, () => {
    test('cpio -it lists every entry, parents before children', async () => {
      const listing = await runOk(
        '/bin/sh',
        ['-ec', `${decompressCommand[codec]} | cpio -it --quiet`, 'sh', archive(codec)],
        { timeoutMs: 20_000 },
      );
      const listed = names(listing.stdout.toString('utf8'));
      assert.deepEqual([...listed].sort(), expectedNames());
      const seen = new Set<string>();
      for (const name of listed) {
        const parent = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
        assert.ok(parent === '' || seen.has(parent), `${name} comes before its folder ${parent}`);
        seen.add(name);
      }
    });

    test('bsdtar -tvf lists modes and the symlink', async () => {
      const listing = (
        await runOk('bsdtar', ['-tvf', archive(codec)], { timeoutMs: 20_000 })
      ).stdout.toString('utf8');
      assert.match(listing, /^-rwxr-xr-x .* usr\/local\/bin\/hm-hello$/m);
      assert.match(listing, /^-rw------- .* opt\/hm\/deep\/nested\/leaf\.txt$/m);
      assert.match(listing, /^lrwxrwxrwx .* usr\/local\/bin\/hm-hi -> hm-hello$/m);
      assert.match(listing, /^drwxr-x--- .* opt\/hm$/m);
    });

    test('cpio -id extracts files equal to their sources (cmp)', async () => {
      const out = join(work, `extract-${codec}`);
      await mkdir(out);
      await runOk(
        '/bin/sh',
        [
          '-ec',
          `${decompressCommand[codec]} | cpio -idm --quiet --no-absolute-filenames`,
          'sh',
          archive(codec),
        ],
        {
          cwd: out,
          timeoutMs: 20_000,
        },
      );
      for (const file of fixture.files) {
        const extracted = join(out, file.path);
        if (file.source !== undefined)
          await runOk('cmp', [file.source, extracted], { timeoutMs: 10_000 });
        else assert.deepEqual(await readFile(extracted), file.contents);
        assert.equal((await lstat(extracted)).mode & 0o7777, file.mode, file.path);
      }
      for (const link of fixture.symlinks)
        assert.equal(await readlink(join(out, link.path)), link.target);
    });
  });
}

test('the same spec builds the same bytes twice', async () => {
  assert.deepEqual(await readFile(join(work, 'again.xz')), await readFile(archive('xz')));
});

test('our own verifier passes each archive', async () => {
  const runs = await Promise.all(
    codecs.map((codec) => hostmirror(['initrd', 'verify', archive(codec)])),
  );
  for (const [index, run] of runs.entries())
    assert.equal(run.exitCode, 0, `${codecs[index]}: ${run.stderrText}${run.stdoutText}`);
});
