import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureFile } from '@hostmirror/fixtures';
import { runCliCaptured } from '../capture.ts';

async function cli(args: string[], cwd: string) {
  const run = await runCliCaptured(args, { cwd });
  return { code: run.code, stdout: run.stdoutBytes, stderr: run.stderr };
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('hostmirror iso', () => {
  let dir: string;
  let pristine: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-iso-'));
    pristine = await fixtureFile('embed-areas-2023-07.x86_64', dir);
    await writeFile(join(dir, 'config.ign'), '{"ignition":{"version":"3.4.0"}}\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('inspectReportsAreasAsJson', async () => {
    const result = await cli(['iso', 'inspect', pristine, '--json'], dir);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout.toString());
    assert.equal(report.volumeId, 'fedora-coreos-38.20230718.dev.0');
    assert.deepEqual(report.ignition, {
      file: 'images/ignition.img',
      offset: 139264,
      length: 262144,
      empty: true,
      members: [],
    });
    assert.equal(report.kargs.size, 1139);
    assert.equal(report.files.length, 14);
  });

  it('embedStreamEqualsFileEqualsInPlace, showIgnition, reset back to the original', async () => {
    const args = ['--ignition', 'config.ign', '--kargs-append', 'hm=1'];
    const streamed = await cli(['iso', 'embed', pristine, ...args, '-o', '-'], dir);
    assert.equal(streamed.code, 0, streamed.stderr);
    const toFile = await cli(['iso', 'embed', pristine, ...args, '-o', 'out.iso'], dir);
    assert.equal(toFile.code, 0, toFile.stderr);
    const inPlace = join(dir, 'in-place.iso');
    await copyFile(pristine, inPlace);
    assert.equal((await cli(['iso', 'embed', inPlace, ...args, '--in-place'], dir)).code, 0);
    const expected = sha(streamed.stdout);
    assert.equal(sha(await readFile(join(dir, 'out.iso'))), expected);
    assert.equal(sha(await readFile(inPlace)), expected);

    const shown = await cli(['iso', 'show-ignition', inPlace], dir);
    assert.equal(shown.stdout.toString(), '{"ignition":{"version":"3.4.0"}}\n');
    // The same command again (as after an interrupted run) leaves the same bytes; another
    // config needs -f.
    const again = await cli(['iso', 'embed', inPlace, ...args, '--in-place'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(sha(await readFile(inPlace)), expected);
    await writeFile(join(dir, 'other.ign'), '{"ignition":{"version":"3.4.0"},"passwd":{}}\n');
    const other = await cli(
      ['iso', 'embed', inPlace, '--ignition', 'other.ign', '--in-place'],
      dir,
    );
    assert.equal(other.code, 1);
    assert.match(other.stderr, /already has an embedded Ignition config; use -f/);
    assert.equal((await cli(['iso', 'reset', inPlace, '--in-place'], dir)).code, 0);
    assert.equal(sha(await readFile(inPlace)), sha(await readFile(pristine)));
    const none = await cli(['iso', 'show-ignition', inPlace], dir);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No embedded Ignition config/);
  });

  it('streamToTerminalRefused: -o - on a TTY is exit 1 (TTY_OUTPUT), nothing written', async () => {
    const run = await runCliCaptured(['iso', 'reset', pristine, '-o', '-'], {
      cwd: dir,
      stdoutIsTTY: true,
    });
    assert.equal(run.code, 1);
    assert.equal(run.stdoutBytes.length, 0);
    assert.match(run.stderr, /terminal/);
  });

  it('usageAndUserErrors: exit 2 for bad usage, 1 for a non-CoreOS ISO', async () => {
    const both = await cli(['iso', 'reset', pristine, '-o', 'x.iso', '--in-place'], dir);
    assert.equal(both.code, 2);
    const neither = await cli(['iso', 'reset', pristine], dir);
    assert.equal(neither.code, 2);
    const synthetic = await fixtureFile('synthetic', dir);
    const refused = await cli(['iso', 'inspect', synthetic], dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Unrecognized CoreOS ISO image/);
    const existing = await cli(['iso', 'reset', pristine, '-o', 'out.iso'], dir);
    assert.equal(existing.code, 1, 'an existing output needs -f');
    // A truncated ISO: one line naming the problem, exit 1, the file untouched.
    const truncated = join(dir, 'truncated.iso');
    const cut = (await readFile(pristine)).subarray(0, 300_000);
    await writeFile(truncated, cut);
    const inspected = await cli(['iso', 'inspect', truncated], dir);
    assert.equal(inspected.code, 1);
    assert.match(inspected.stderr, /truncated/);
    const embedded = await cli(
      ['iso', 'embed', truncated, '--ignition', 'config.ign', '--in-place'],
      dir,
    );
    assert.equal(embedded.code, 1);
    assert.deepEqual(await readFile(truncated), cut);
  });

  it('pxeArtifacts: kernel, initrd with the embedded config appended, rootfs, iPXE script', async () => {
    const embedded = join(dir, 'pxe-source.iso');
    await copyFile(pristine, embedded);
    await cli(['iso', 'embed', embedded, '--ignition', 'config.ign', '--in-place'], dir);
    await mkdir(join(dir, 'pxe'));
    const result = await cli(
      [
        'iso',
        'pxe',
        embedded,
        '--output-dir',
        'pxe',
        '--kargs-append',
        'hm=pxe',
        '--base-url',
        'http://10.0.2.2/x/',
        '--json',
      ],
      dir,
    );
    assert.equal(result.code, 0, result.stderr);
    const artifacts = JSON.parse(result.stdout.toString());
    const initrd = await readFile(artifacts.initrd);
    assert.equal(initrd.subarray(0, 12).toString(), 'initrd data\n'); // the fixture's 12-byte initrd
    assert.deepEqual(artifacts.archiveOffsets, [12]);
    assert.deepEqual([...initrd.subarray(12, 18)], [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
    assert.equal(initrd.length % 4, 0);
    const script = await readFile(artifacts.script, 'utf8');
    assert.equal(
      script,
      [
        '#!ipxe',
        'initrd --name initrd http://10.0.2.2/x/hostmirror-initrd.img',
        'kernel http://10.0.2.2/x/hostmirror-vmlinuz initrd=initrd mitigations=auto,nosmt ignition.firstboot ignition.platform.id=metal coreos.live.rootfs_url=http://10.0.2.2/x/hostmirror-rootfs.img hm=pxe',
        'boot',
        '',
      ].join('\n'),
    );
  });
});

describe('hostmirror iso kargs', () => {
  it('showsModifiesAndResets', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-iso-kargs-'));
    try {
      const iso = await fixtureFile('embed-areas-2022-09', dir);
      const original = sha(await readFile(iso));
      const defaults =
        'mitigations=auto,nosmt coreos.liveiso=fedora-coreos-36.20220909.dev.0 ignition.firstboot ignition.platform.id=metal';
      assert.equal((await cli(['iso', 'kargs', iso], dir)).stdout.toString(), `${defaults}\n`);
      const modified = await cli(
        [
          'iso',
          'kargs',
          iso,
          '--delete',
          'mitigations=auto,nosmt',
          '--append',
          'hm=1',
          '--in-place',
        ],
        dir,
      );
      assert.equal(modified.code, 0, modified.stderr);
      assert.equal(
        (await cli(['iso', 'kargs', iso], dir)).stdout.toString(),
        'coreos.liveiso=fedora-coreos-36.20220909.dev.0 ignition.firstboot ignition.platform.id=metal hm=1\n',
      );
      assert.equal(
        (await cli(['iso', 'kargs', iso, '--default'], dir)).stdout.toString(),
        `${defaults}\n`,
      );
      const missing = await cli(['iso', 'kargs', iso, '--delete', 'nope', '--in-place'], dir);
      assert.equal(missing.code, 1);
      assert.equal((await cli(['iso', 'kargs', iso, '--reset', '--in-place'], dir)).code, 0);
      assert.equal(sha(await readFile(iso)), original);
      const s390x = await fixtureFile('embed-areas-2023-03.s390x', dir);
      const none = await cli(['iso', 'kargs', s390x], dir);
      assert.equal(none.code, 1);
      assert.match(none.stderr, /does not support customizing live kernel arguments/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
