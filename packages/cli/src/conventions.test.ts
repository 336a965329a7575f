/**
 * The output conventions every verb follows: user errors are one message naming the step, the
 * path and the fix (a bug keeps its stack); `--json` failures are one JSON object on stdout;
 * `-` reads stdin; `-o -` streams or is refused with the reason; `--quiet` keeps stderr for
 * errors; a reader that goes away (`| head -c 1`) ends the command quietly.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { HostmirrorError } from '@hostmirror/errors';
import { fixtureFile, hostmirrorNodeArgs, repoRoot } from '@hostmirror/fixtures';
import { runCliCaptured } from './capture.ts';
import { userFailure } from './failure.ts';

const CONFIG = '{"ignition":{"version":"3.4.0"}}\n';

describe('output conventions', () => {
  let dir: string;
  let iso: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-conventions-'));
    iso = await fixtureFile('embed-areas-2023-07.x86_64', dir);
    await writeFile(join(dir, 'config.ign'), CONFIG);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a missing or wrong path is one message with the verb, the step, the path and the fix; no stack', async () => {
    const missing = await runCliCaptured(['ignition', 'validate', 'nope.ign'], { cwd: dir });
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr,
      `hostmirror ignition validate: cannot open ${join(dir, 'nope.ign')}: no such file or folder (ENOENT).\n` +
        '  fix: Check the path (a relative path is taken from the current folder).\n',
    );
    const notIso = await runCliCaptured(['iso', 'inspect', dir], { cwd: dir });
    assert.equal(notIso.code, 1);
    assert.doesNotMatch(notIso.stderr, /^\s+at /m);
    const empty = join(dir, 'empty');
    await mkdir(empty);
    const folder = await runCliCaptured(['mirror', 'inspect', empty], { cwd: dir });
    assert.equal(folder.code, 1);
    assert.match(folder.stderr, /The folder .*empty holds no oc-mirror archive/);
  });

  it('only the project errors and the listed errno codes are user errors; anything else is a bug', () => {
    const ours = userFailure(new HostmirrorError('X', 'broken', { path: 'f', fix: 'do y' }), 'v');
    assert.deepEqual(ours, {
      name: 'HostmirrorError',
      code: 'X',
      message: 'broken',
      path: 'f',
      fix: 'do y',
    });
    const enoent = Object.assign(new Error('ENOENT'), {
      code: 'ENOENT',
      syscall: 'open',
      path: '/x',
    });
    assert.equal(userFailure(enoent, 'iso inspect')?.path, '/x');
    assert.equal(userFailure(new TypeError('x is not a function'), 'v'), undefined);
    const internal = Object.assign(new Error('bad arg'), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(userFailure(internal, 'v'), undefined);
    const ebadf = Object.assign(new Error('EBADF'), { code: 'EBADF', syscall: 'read' });
    assert.equal(userFailure(ebadf, 'v'), undefined);
  });

  it('--json failures print one JSON object with ok: false and the error code, usage errors too', async () => {
    const missing = await runCliCaptured(['iso', 'inspect', 'nope.iso', '--json'], { cwd: dir });
    assert.equal(missing.code, 1);
    const failure = JSON.parse(missing.stdout);
    assert.equal(failure.tool, 'hostmirror iso inspect');
    assert.equal(failure.ok, false);
    assert.equal(failure.error.code, 'ENOENT');
    assert.equal(failure.error.path, join(dir, 'nope.iso'));
    const usage = await runCliCaptured(['budget', '--json'], { cwd: dir });
    assert.equal(usage.code, 2);
    assert.equal(JSON.parse(usage.stdout).error.code, 'USAGE');
    const unknown = await runCliCaptured(['budget', '--nope', '--json'], { cwd: dir });
    assert.equal(unknown.code, 2);
    assert.equal(JSON.parse(unknown.stdout).error.code, 'USAGE');
  });

  it('- reads Ignition from stdin: validate, translate and iso embed -i - give what the file gives', async () => {
    const validate = await runCliCaptured(['ignition', 'validate', '-'], { stdin: CONFIG });
    assert.equal(validate.code, 0, validate.stderr);
    const translated = await runCliCaptured(['ignition', 'translate', '-', '--to', '3.4.0'], {
      stdin: CONFIG,
    });
    assert.equal(translated.code, 0, translated.stderr);
    const fromFile = await runCliCaptured(['iso', 'embed', iso, '-i', 'config.ign', '-o', '-'], {
      cwd: dir,
    });
    const fromStdin = await runCliCaptured(['iso', 'embed', iso, '-i', '-', '-o', '-'], {
      cwd: dir,
      stdin: CONFIG,
    });
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.ok(fromFile.stdoutBytes.equals(fromStdin.stdoutBytes));
    const noStdin = await runCliCaptured(['ignition', 'validate', '-']);
    assert.equal(noStdin.code, 2);
  });

  it('--quiet keeps stderr for errors only', async () => {
    const loud = await runCliCaptured(['iso', 'reset', iso, '-o', 'loud.iso'], { cwd: dir });
    assert.equal(loud.code, 0);
    assert.match(loud.stderr, /^Reset /m);
    const quiet = await runCliCaptured(['iso', 'reset', iso, '-o', 'quiet.iso', '-q'], {
      cwd: dir,
    });
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stderr, '');
  });

  it('-o - streams initrd build and append (the same bytes as a file), or is refused with the reason', async () => {
    const spec = join(repoRoot, 'examples/overlay.yaml');
    const file = join(dir, 'overlay.img');
    assert.equal((await runCliCaptured(['initrd', 'build', spec, '-o', file])).code, 0);
    const streamed = await runCliCaptured(['initrd', 'build', spec, '-o', '-']);
    assert.equal(streamed.code, 0, streamed.stderr);
    assert.ok(streamed.stdoutBytes.equals(await readFile(file)));
    const appended = await runCliCaptured(['initrd', 'append', file, '--archive', file, '-o', '-']);
    assert.equal(appended.code, 0, appended.stderr);
    assert.ok(appended.stdoutBytes.subarray(0, 16).equals((await readFile(file)).subarray(0, 16)));
    const tty = await runCliCaptured(['initrd', 'build', spec, '-o', '-'], { stdoutIsTTY: true });
    assert.equal(tty.code, 2);
    assert.match(tty.stderr, /terminal/);
    for (const [option, reason] of [
      ['-o', /reads it back to check it/],
      ['--report', /stdout with --json/],
      ['--pxe-dir', /give a folder/],
    ] as const) {
      const refused = await runCliCaptured(['build-iso', option, '-']);
      assert.equal(refused.code, 2, option);
      assert.match(refused.stderr, reason);
    }
  });

  it('a reader that goes away (| head -c 1) ends the command quietly, with the status SIGPIPE gives', async () => {
    const script = `node ${hostmirrorNodeArgs.join(' ')} iso reset ${iso} -o - -q | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`;
    const { stdout, stderr } = await promisify(execFile)('bash', ['-c', script], { cwd: repoRoot });
    assert.equal(stderr, '');
    assert.equal(stdout.trim(), '141');
  });
});
