import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '@hostmirror/fixtures';
import { runCliCaptured } from '../capture.ts';

async function cli(args: string[], cwd = repoRoot) {
  return runCliCaptured(args, { cwd });
}

describe('hostmirror initrd', () => {
  it('buildsTheExampleThenListsVerifiesAndAppends', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-initrd-'));
    const out = join(dir, 'overlay.img');
    const built = await cli([
      'initrd',
      'build',
      'examples/overlay.yaml',
      '-o',
      out,
      '--compress',
      'gzip',
      '--json',
    ]);
    assert.equal(built.code, 0, built.stderr);
    assert.equal(JSON.parse(built.stdout).codec, 'gzip');
    const again = await cli(['initrd', 'build', 'examples/overlay.yaml', '-o', out]);
    assert.equal(again.code, 1, 'an existing output needs -f');
    assert.match(again.stderr, /-f/);
    assert.equal(
      (await cli(['initrd', 'build', 'examples/overlay.yaml', '-o', out, '-f'])).code,
      0,
    );

    const listed = await cli(['initrd', 'ls', out]);
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /segment 0 at byte 0: zstd/);
    assert.match(listed.stdout, /-rwxr-xr-x +0 +0 +\d+ usr\/local\/bin\/hostmirror-hello/);
    assert.match(listed.stdout, /usr\/local\/bin\/hm-hello -> hostmirror-hello/);
    const json = JSON.parse((await cli(['initrd', 'ls', out, '--json'])).stdout);
    assert.equal(json.segments[0].codec, 'zstd');

    const verified = await cli(['initrd', 'verify', out]);
    assert.equal(verified.code, 0);
    assert.match(verified.stdout, /^OK: 1 segments/);

    const base = join(dir, 'base.img');
    await writeFile(base, await readFile(out));
    const appended = join(dir, 'appended.img');
    const result = await cli([
      'initrd',
      'append',
      base,
      '--archive',
      out,
      '-o',
      appended,
      '--json',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).archiveOffset % 4, 0);
    assert.equal(
      JSON.parse((await cli(['initrd', 'verify', appended, '--json'])).stdout).segments.length,
      2,
    );
  });

  it('verifyExitsOneWithTheFaultOffset', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-initrd-bad-'));
    const bad = join(dir, 'bad.img');
    await writeFile(bad, Buffer.concat([Buffer.alloc(8), Buffer.from('garbage!')]));
    const result = await cli(['initrd', 'verify', bad]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^byte 8: UNKNOWN_MAGIC: /);
    const json = JSON.parse((await cli(['initrd', 'verify', bad, '--json'])).stdout);
    assert.deepEqual(json.faults[0].offset, 8);
    assert.equal((await cli(['initrd', 'ls', bad])).code, 1);
    assert.equal((await cli(['initrd', 'verify', join(dir, 'missing.img')])).code, 1);
  });

  it('usageErrorsExitTwo', async () => {
    assert.equal(
      (await cli(['initrd', 'build', 'examples/overlay.yaml'])).code,
      2,
      '-o is required',
    );
    assert.equal(
      (await cli(['initrd', 'build', 'examples/overlay.yaml', '-o', '/tmp/x', '--compress', 'lz4']))
        .code,
      2,
    );
    assert.equal(
      (await cli(['initrd', 'append', 'a', '-o', 'b'])).code,
      2,
      '--archive is required',
    );
    assert.equal((await cli(['initrd', 'ls'])).code, 2);
    const help = await cli(['initrd', 'verify', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: hostmirror initrd verify FILE/);
  });

  it('specErrorsNameFileLineAndColumn', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-initrd-spec-'));
    await writeFile(
      join(dir, 'spec.yaml'),
      'files:\n  - path: /a\n    contents: x\n    mode: 755\n',
    );
    const result = await cli(['initrd', 'build', 'spec.yaml', '-o', 'out.img'], dir);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /spec\.yaml:4:11: .*0755/);
  });
});
