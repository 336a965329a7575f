import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createWorkFolder, writeFileAtomic } from './index.ts';

const index = fileURLToPath(new URL('./index.ts', import.meta.url));
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hm-scratch-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** A process that makes a work folder and an atomic output in `dir`, says so, and waits. */
function holder() {
  const script = `
    import { createWorkFolder, openAtomicOutput } from ${JSON.stringify(index)};
    const work = await createWorkFolder(${JSON.stringify(dir)}, 'build-');
    const output = await openAtomicOutput(${JSON.stringify(join(dir, 'out.iso'))}, { overwrite: true });
    output.stream.write('partial');
    console.log(JSON.stringify({ work: work.path, temporary: output.temporaryPath }));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<{ work: string; temporary: string }>((resolve) =>
    child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()))),
  );
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  return { child, ready, exited };
}

const names = async () => (await readdir(dir)).sort();

describe('work folders and temporary files (issue #20: killed builds left 18 of 28)', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    it(`${signal}: both removed, and the process still ends by the signal`, async () => {
      const { child, ready, exited } = holder();
      const made = await ready;
      assert.deepEqual(
        await names(),
        [made.temporary, made.work].map((path) => path.slice(dir.length + 1)).sort(),
      );
      child.kill(signal);
      assert.equal(await exited, signal);
      assert.deepEqual(await names(), []);
    });

  it('SIGKILL: both left, then reclaimed by the next work folder and the next output', async () => {
    const { child, ready, exited } = holder();
    const made = await ready;
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    assert.equal((await names()).length, 2, 'a killed process cannot clean up');
    const next = await createWorkFolder(dir, 'build-');
    assert.deepEqual(
      await names(),
      [made.temporary.slice(dir.length + 1), next.path.slice(dir.length + 1)].sort(),
    );
    await writeFileAtomic(join(dir, 'out.iso'), 'whole', { overwrite: true });
    await next.dispose();
    assert.deepEqual(await names(), ['out.iso']);
  });
});
