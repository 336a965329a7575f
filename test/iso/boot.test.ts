/**
 * The end-to-end proof (issue 4): a CoreOS-layout ISO built with xorriso (isolinux + GRUB/EFI,
 * the Debian kernel, a busybox init), then `hostmirror iso embed` (Ignition + a karg) and
 * `hostmirror iso append-initrd` (an overlay archive) through the real CLI. The kernel must
 * see `/config.ign`, the overlay's files and the appended karg, with no unpacking failure, on
 * BIOS cdrom (isolinux), BIOS hard disk (the patched isohybrid MBR) and UEFI cdrom (GRUB), and
 * for an ISO built the coreos-assembler way (genisoimage + isohybrid) as a BIOS hard disk.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeCoreosIso, requireTool, runShell, scratchDir } from '@hostmirror/fixtures';
import { hostmirrorOk } from '../foundation/hostmirror-cli.ts';
import {
  assertCleanBoot,
  type BootResult,
  bootIsoCdrom,
  bootIsoHybridDisk,
  bootIsoUefi,
  bootKernel,
  buildBaseInitrd,
  findDebianKernel,
  markerValues,
} from '../support/qemu.ts';

let dir: { path: string; dispose: () => Promise<void> };
let finalIso: string;
/** The same pipeline on an ISO built by genisoimage + isohybrid (coreos-assembler's way). */
let finalGenisoimageIso: string;
let embeddedIso: string;
let overlayArchive: string;
const config = '{"ignition":{"version":"3.4.0"},"hostmirror":"boot-proof"}';

const checks = [
  'echo "HM-ISO-CONFIG $(cat /config.ign 2>&1)"',
  'for f in $(find /hostmirror -type f | sort); do echo "HM-ISO-FILE $f $(cat $f)"; done',
  'echo "HM-ISO-CMDLINE $(cat /proc/cmdline)"',
].join('\n');

before(async () => {
  dir = await scratchDir('boot');
  const kernel = await findDebianKernel();
  const base = await buildBaseInitrd({ outPath: join(dir.path, 'base.cpio.gz'), checks });
  const made = await makeCoreosIso({
    output: join(dir.path, 'live.iso'),
    kernel: kernel.path,
    initrd: base,
    kargs: ['console=ttyS0', 'panic=-1'],
  });
  // The overlay: made by the system's cpio and zstd, so only our ISO code is under test.
  const [cpio, zstd] = await Promise.all([requireTool('cpio'), requireTool('zstd')]);
  const tree = join(dir.path, 'overlay');
  await mkdir(join(tree, 'hostmirror/bin'), { recursive: true });
  await writeFile(join(tree, 'hostmirror/bin/registry'), 'overlay-registry\n');
  await writeFile(join(tree, 'hostmirror/config.yml'), 'overlay-config\n');
  const overlay = join(dir.path, 'overlay.cpio.zst');
  const packed = await runShell(
    `cd "${tree}" && find hostmirror | LC_ALL=C sort | "${cpio}" -o -H newc -R 0:0 --quiet | "${zstd}" -q -3 > "${overlay}"`,
    { timeoutMs: 20_000 },
  );
  assert.equal(packed.exitCode, 0, packed.stderr.toString());
  const ignition = join(dir.path, 'config.ign');
  await writeFile(ignition, config);
  const embedded = join(dir.path, 'embedded.iso');
  embeddedIso = embedded;
  overlayArchive = overlay;
  finalIso = join(dir.path, 'final.iso');
  await hostmirrorOk([
    'iso',
    'embed',
    made.path,
    '--ignition',
    ignition,
    '--kargs-append',
    'hm.karg=appended',
    '-o',
    embedded,
  ]);
  await hostmirrorOk(['iso', 'append-initrd', embedded, '--archive', overlay, '-o', finalIso]);
  const genisoimage = await makeCoreosIso({
    output: join(dir.path, 'live-genisoimage.iso'),
    kernel: kernel.path,
    initrd: base,
    kargs: ['console=ttyS0', 'panic=-1'],
    builder: 'genisoimage',
  });
  const embeddedGenisoimage = join(dir.path, 'embedded-genisoimage.iso');
  finalGenisoimageIso = join(dir.path, 'final-genisoimage.iso');
  await hostmirrorOk([
    'iso',
    'embed',
    genisoimage.path,
    '--ignition',
    ignition,
    '--kargs-append',
    'hm.karg=appended',
    '-o',
    embeddedGenisoimage,
  ]);
  await hostmirrorOk([
    'iso',
    'append-initrd',
    embeddedGenisoimage,
    '--archive',
    overlay,
    '-o',
    finalGenisoimageIso,
  ]);
});
after(() => dir.dispose());

function assertSawEverything(boot: BootResult, how: string) {
  assertCleanBoot(boot);
  assert.deepEqual(markerValues(boot.console, 'HM-ISO-CONFIG'), [config], how);
  assert.deepEqual(
    markerValues(boot.console, 'HM-ISO-FILE'),
    ['/hostmirror/bin/registry overlay-registry', '/hostmirror/config.yml overlay-config'],
    how,
  );
  const cmdline = markerValues(boot.console, 'HM-ISO-CMDLINE')[0] ?? '';
  assert.match(
    cmdline,
    /coreos\.liveiso=fedora-coreos-hostmirror-fixture .* hm\.karg=appended$/,
    how,
  );
  assert.doesNotMatch(cmdline, /#/, how);
}

test('bootProof: BIOS cdrom (isolinux) and BIOS hard disk (isohybrid MBR)', async () => {
  const [cdrom, disk] = await Promise.all([
    bootIsoCdrom(finalIso, { bios: 'isolinux' }),
    bootIsoHybridDisk(finalIso),
  ]);
  assertSawEverything(cdrom, 'cdrom');
  assertSawEverything(disk, 'hybrid disk');
  console.log(
    `boots: cdrom ${Math.round(cdrom.durationMs)} ms, disk ${Math.round(disk.durationMs)} ms`,
  );
});

test('bootProof: PXE artifacts (kernel + initrd with overlay and config appended, script kargs)', async () => {
  const pxeDir = join(dir.path, 'pxe');
  await mkdir(pxeDir);
  const made = await hostmirrorOk([
    'iso',
    'pxe',
    embeddedIso,
    '--output-dir',
    pxeDir,
    '--archive',
    overlayArchive,
    '--kargs-append',
    'hm.pxe=1',
    '--json',
  ]);
  const artifacts = JSON.parse(made.stdoutText) as {
    kernel: string;
    initrd: string;
    script: string;
  };
  const script = await readFile(artifacts.script, 'utf8');
  const kernelLine = script.split('\n').find((line) => line.startsWith('kernel ')) ?? '';
  const append = kernelLine.replace(/^kernel \S+ initrd=initrd /, '');
  assert.doesNotMatch(append, /coreos\.liveiso=/);
  const boot = await bootKernel({ kernel: artifacts.kernel, initrd: artifacts.initrd, append });
  assertCleanBoot(boot);
  assert.deepEqual(markerValues(boot.console, 'HM-ISO-CONFIG'), [config]);
  assert.deepEqual(markerValues(boot.console, 'HM-ISO-FILE'), [
    '/hostmirror/bin/registry overlay-registry',
    '/hostmirror/config.yml overlay-config',
  ]);
  assert.match(markerValues(boot.console, 'HM-ISO-CMDLINE')[0] ?? '', / hm\.pxe=1$/);
  console.log(`boot: pxe ${Math.round(boot.durationMs)} ms`);
});

test('bootProof: UEFI cdrom (OVMF + GRUB); genisoimage + isohybrid ISO as a BIOS hard disk', async () => {
  const [uefi, disk] = await Promise.all([
    bootIsoUefi(finalIso),
    bootIsoHybridDisk(finalGenisoimageIso),
  ]);
  assertSawEverything(uefi, 'uefi');
  assertSawEverything(disk, 'genisoimage hybrid disk');
  console.log(
    `boots: uefi ${Math.round(uefi.durationMs)} ms, genisoimage disk ${Math.round(disk.durationMs)} ms`,
  );
});
