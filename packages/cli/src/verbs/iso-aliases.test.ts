/**
 * coreos-installer's verbs (coreos/coreos-installer docs/cmd/iso.md) give the same bytes as
 * hostmirror's own, with coreos-installer's defaults: in place without -o, the Ignition config
 * from stdin without -i, `extract pxe` files named after the ISO in the current folder.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureFile } from '@hostmirror/fixtures';
import { runCliCaptured } from '../capture.ts';

const CONFIG = '{"ignition":{"version":"3.4.0"}}\n';
const sha = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

describe('coreos-installer verbs', () => {
  let dir: string;
  let pristine: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-iso-aliases-'));
    pristine = await fixtureFile('embed-areas-2023-07.x86_64', dir);
    await writeFile(join(dir, 'config.ign'), CONFIG);
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const cli = (args: string[], stdin?: string) =>
    runCliCaptured(args, { cwd: dir, ...(stdin === undefined ? {} : { stdin }) });

  it('iso ignition embed (stdin, in place) = iso embed -i F -o OUT; show prints it; remove keeps kargs', async () => {
    const ours = join(dir, 'ours.iso');
    assert.equal((await cli(['iso', 'embed', pristine, '-i', 'config.ign', '-o', ours])).code, 0);
    const theirs = join(dir, 'theirs.iso');
    await copyFile(pristine, theirs);
    const embedded = await cli(['iso', 'ignition', 'embed', theirs], CONFIG);
    assert.equal(embedded.code, 0, embedded.stderr);
    assert.equal(await sha(theirs), await sha(ours));
    const shown = await cli(['iso', 'ignition', 'show', theirs]);
    assert.equal(shown.stdout, CONFIG);

    assert.equal((await cli(['iso', 'kargs', 'modify', theirs, '-a', 'console=ttyS0'])).code, 0);
    const withKarg = (await cli(['iso', 'kargs', 'show', theirs])).stdout;
    assert.match(withKarg, /console=ttyS0/);
    assert.equal((await cli(['iso', 'ignition', 'remove', theirs])).code, 0);
    assert.equal((await cli(['iso', 'ignition', 'show', theirs])).code, 1, 'no config any more');
    assert.equal((await cli(['iso', 'kargs', 'show', theirs])).stdout, withKarg, 'kargs kept');
    assert.equal((await cli(['iso', 'kargs', 'reset', theirs])).code, 0);
    assert.equal(await sha(theirs), await sha(pristine), 'back to the pristine bytes');
    assert.equal(
      (await cli(['iso', 'kargs', 'show', theirs, '-d'])).stdout,
      (await cli(['iso', 'kargs', pristine, '--default'])).stdout,
    );
    assert.equal((await cli(['iso', 'kargs', 'modify', theirs])).code, 2, 'nothing to modify');
  });

  it("iso extract pxe writes <iso name>-vmlinuz, -initrd.img, -rootfs.img (and iso pxe's iPXE script) like iso pxe --prefix", async () => {
    const out = await mkdtemp(join(dir, 'pxe-'));
    const extracted = await cli(['iso', 'extract', 'pxe', pristine, '-o', out]);
    assert.equal(extracted.code, 0, extracted.stderr);
    const stem = 'embed-areas-2023-07.x86_64';
    assert.deepEqual((await readdir(out)).sort(), [
      `${stem}-initrd.img`,
      `${stem}-rootfs.img`,
      `${stem}-vmlinuz`,
      `${stem}.ipxe`,
    ]);
    const ours = await mkdtemp(join(dir, 'ours-'));
    await cli(['iso', 'pxe', pristine, '--output-dir', ours, '--prefix', stem]);
    for (const name of await readdir(out))
      assert.equal(await sha(join(out, name)), await sha(join(ours, name)), name);
  });
});
