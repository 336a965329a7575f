import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { AtomicFileError, openAtomicOutput, writeFileAtomic, writeStreamAtomic } from './index.ts';

async function scratch(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'atomic-file-'));
}

describe('atomic output', () => {
  it('writesWholeFileAndLeavesNoTemporary', async () => {
    const dir = await scratch();
    await writeFileAtomic(join(dir, 'out.txt'), 'hello\n');
    assert.equal(await readFile(join(dir, 'out.txt'), 'utf8'), 'hello\n');
    assert.deepEqual(await readdir(dir), ['out.txt']);
  });

  it('failedRenameLeavesNoTemporary: COMMIT_FAILED naming the output, its folder clean (issue #20)', async () => {
    const dir = await scratch();
    const target = join(dir, 'out');
    await mkdir(target); // rename(file, existing folder) fails with EISDIR
    await assert.rejects(writeFileAtomic(target, 'new', { overwrite: true }), (error: unknown) => {
      assert.ok(error instanceof AtomicFileError);
      assert.equal(error.code, 'COMMIT_FAILED');
      assert.match(
        error.message,
        /Cannot put the new .*\/out in place \(EISDIR\); nothing was replaced/,
      );
      return true;
    });
    assert.deepEqual(await readdir(dir), ['out']);
  });

  it('refusesExistingOutputWithoutOverwrite', async () => {
    const dir = await scratch();
    const target = join(dir, 'out.txt');
    await writeFile(target, 'original');
    await assert.rejects(writeFileAtomic(target, 'new'), (error: unknown) => {
      assert.ok(error instanceof AtomicFileError);
      assert.equal(error.code, 'OUTPUT_EXISTS');
      return true;
    });
    assert.equal(await readFile(target, 'utf8'), 'original');
    await writeFileAtomic(target, 'new', { overwrite: true });
    assert.equal(await readFile(target, 'utf8'), 'new');
  });

  it('refusesATargetThatAppearsWhileWriting', async () => {
    const dir = await scratch();
    const target = join(dir, 'out.txt');
    const output = await openAtomicOutput(target);
    output.stream.write('ours');
    await writeFile(target, 'theirs');
    await assert.rejects(output.commit(), { code: 'OUTPUT_EXISTS' });
    assert.equal(await readFile(target, 'utf8'), 'theirs');
    assert.deepEqual(await readdir(dir), ['out.txt']);
  });

  it('leavesNothingWhenTheSourceFails', async () => {
    const dir = await scratch();
    async function* failing() {
      yield Buffer.from('part');
      throw new Error('source broke');
    }
    await assert.rejects(
      writeStreamAtomic(join(dir, 'out.bin'), Readable.from(failing())),
      /source broke/,
    );
    assert.deepEqual(await readdir(dir), []);
  });

  it('refusesMissingFolder', async () => {
    const dir = await scratch();
    await assert.rejects(openAtomicOutput(join(dir, 'nope', 'out')), {
      code: 'OUTPUT_DIR_MISSING',
    });
  });
});
