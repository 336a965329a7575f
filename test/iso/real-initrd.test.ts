/**
 * A real initrd inside the ISO: Debian's own (`/boot/initrd.img-*`, one zstd segment of ~30 MB)
 * extended by `hostmirror iso append-initrd`, then read back by `hostmirror iso inspect`: the
 * original segment unchanged, our archive as the next segment at the 4-aligned offset, and the
 * whole initrd passing the kernel's rules.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  makeCoreosIso,
  requireFile,
  requireTool,
  runShell,
  scratchDir,
} from '@hostmirror/fixtures';
import { verifyInitrd } from '../../packages/initrd/src/index.ts';
import { CoreosIso } from '../../packages/iso/src/index.ts';
import { hostmirrorOk } from '../foundation/hostmirror-cli.ts';
import { findDebianKernel } from '../support/qemu.ts';

let dir: { path: string; dispose: () => Promise<void> };
before(async () => {
  dir = await scratchDir('real-initrd');
});
after(() => dir.dispose());

test('debianInitrdExtended: segments listed, archive 4-aligned, kernel rules hold', async () => {
  const kernel = await findDebianKernel();
  const initrd = await requireFile(`/boot/initrd.img-${kernel.release}`, 'linux-image-amd64');
  const made = await makeCoreosIso({ output: join(dir.path, 'debian.iso'), initrd, efi: false });
  const [cpio, gzip] = await Promise.all([requireTool('cpio'), requireTool('gzip')]);
  const tree = join(dir.path, 'tree');
  await mkdir(join(tree, 'hostmirror'), { recursive: true });
  await writeFile(join(tree, 'hostmirror/marker'), 'marker\n');
  const archive = join(dir.path, 'overlay.cpio.gz');
  await runShell(
    `cd "${tree}" && find hostmirror | "${cpio}" -o -H newc -R 0:0 --quiet | "${gzip}" -9n > "${archive}"`,
    { timeoutMs: 10_000 },
  );
  const output = join(dir.path, 'extended.iso');
  await hostmirrorOk(['iso', 'append-initrd', made.path, '--archive', archive, '-o', output]);
  const before = JSON.parse(
    (await hostmirrorOk(['iso', 'inspect', made.path, '--json'])).stdoutText,
  );
  const after = JSON.parse((await hostmirrorOk(['iso', 'inspect', output, '--json'])).stdoutText);
  const original = before.initrd.segments;
  assert.equal(original.length, 1);
  assert.deepEqual(after.initrd.segments.slice(0, original.length), original);
  const added = after.initrd.segments[original.length];
  assert.equal(added.codec, 'gzip');
  assert.equal(added.offset, Math.ceil(before.initrd.size / 4) * 4);
  assert.equal(added.entries, 2);
  const iso = await CoreosIso.open(output);
  try {
    const entry = iso.metadata.initrd;
    assert.ok(entry);
    const report = await verifyInitrd(iso.image.fileChunks(entry));
    assert.deepEqual(report.faults, []);
  } finally {
    await iso.close();
  }
});
