/**
 * A full build on a CoreOS-layout ISO with a real kernel (packages/fixtures/src/coreos-iso.ts with the
 * Debian kernel and a busybox initrd), booted under qemu through isolinux (BIOS) and GRUB
 * (UEFI, OVMF): the init program
 * sees the files of our extended initrd (the registry program, the pre-pivot hook) and the
 * embedded `/config.ign` (isolinux loads `images/ignition.img` as a second initrd), each
 * checked by sha256, and the kernel command line includes our kargs.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  INITRD_REGISTRY_BINARY,
  PRE_PIVOT_HOOK,
  PRE_PIVOT_HOOK_SCRIPT,
  scriptText,
} from '@hostmirror/boot-sequence';
import { makeCoreosIso, requireTool, runTool } from '@hostmirror/fixtures';
import { buildMirrorIso, sha256File } from '../../packages/build-iso/src/index.ts';
import {
  assertCleanBoot,
  type BootResult,
  bootIsoCdrom,
  bootIsoUefi,
  buildBaseInitrd,
  findDebianKernel,
  markerValues,
} from '../support/qemu.ts';
import { demoInputs, optionsFor } from './support.ts';

let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

before(async () => {
  ({ work, inputs } = await demoInputs('boot'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const checks = `
[ -f /config.ign ] && echo "HM-BUILD-CONFIG $(sha256sum /config.ign | cut -c1-64)"
[ -x ${INITRD_REGISTRY_BINARY} ] && echo "HM-BUILD-REGISTRY $(sha256sum ${INITRD_REGISTRY_BINARY} | cut -c1-64)"
[ -f ${PRE_PIVOT_HOOK} ] && echo "HM-BUILD-HOOK $(sha256sum ${PRE_PIVOT_HOOK} | cut -c1-64)"
echo "HM-BUILD-CMDLINE $(cat /proc/cmdline)"
`;

test('the built ISO boots: the kernel gets the extended initrd, the embedded Ignition and our kargs', async () => {
  await requireTool('xorriso');
  const kernel = await findDebianKernel();
  const initrd = await buildBaseInitrd({ outPath: join(work, 'base-initrd.img'), checks });
  const base = await makeCoreosIso({
    output: join(work, 'base.iso'),
    kernel: kernel.path,
    initrd,
    kargs: ['console=ttyS0', 'panic=-1'],
  });
  const before = await sha256File(base.path);
  const output = join(work, 'mirror.iso');
  // The busybox binary stands in for the registry program: the boot only checks it arrives.
  const registry = await requireTool('busybox');
  // This kernel's release is readable and new enough for zstd, but nothing in the ISO shows it
  // was built with CONFIG_RD_ZSTD (its own initrd is gzip): zstd is refused, before writing.
  await assert.rejects(
    buildMirrorIso(
      optionsFor(inputs, join(work, 'zstd.iso'), {
        iso: base.path,
        registryBinary: registry,
        compress: 'zstd',
      }),
    ),
    (error: Error & { code?: string }) =>
      error.code === 'CODEC_UNSUPPORTED_BY_KERNEL' &&
      /CONFIG_RD_ZSTD is not in the image, and the ISO's own initrd \(gzip\) does not show it/.test(
        error.message,
      ),
  );
  await assert.rejects(stat(join(work, 'zstd.iso')), { code: 'ENOENT' });
  const { report } = await buildMirrorIso(
    optionsFor(inputs, output, {
      iso: base.path,
      registryBinary: registry,
      kargsAppend: ['hostmirror.check=boot'],
    }),
  );
  // The default: gzip, with the kernel's release read from its boot header.
  assert.equal(report.overlay.codec, 'gzip');
  assert.equal(report.overlay.kernelRelease, kernel.release);
  assert.match(report.overlay.codecReason, /^default: /);
  assert.equal(await sha256File(base.path), before, 'the input ISO is unchanged');
  const sha = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');
  const expected = {
    config: report.ignition.sha256,
    registry: sha(await readFile(registry)),
    hook: sha(scriptText(PRE_PIVOT_HOOK_SCRIPT)),
  };
  const check = (result: BootResult, how: string) => {
    assertCleanBoot(result);
    const explain = `${how}\n${result.console}`;
    assert.deepEqual(markerValues(result.console, 'HM-BUILD-CONFIG'), [expected.config], explain);
    assert.deepEqual(
      markerValues(result.console, 'HM-BUILD-REGISTRY'),
      [expected.registry],
      explain,
    );
    assert.deepEqual(markerValues(result.console, 'HM-BUILD-HOOK'), [expected.hook], explain);
    const [cmdline] = markerValues(result.console, 'HM-BUILD-CMDLINE');
    assert.ok(cmdline?.includes(`coreos.liveiso=${base.volumeId}`), explain);
    assert.ok(cmdline?.split(' ').includes('hostmirror.check=boot'), explain);
  };
  // BIOS: isolinux reads isolinux.cfg's kargs area; UEFI: GRUB reads grub.cfg's (and the GPT
  // that the initrd extension grew must still be valid for OVMF).
  const [bios, uefi] = await Promise.all([
    bootIsoCdrom(output, { bios: 'isolinux', memoryMiB: 512 }),
    bootIsoUefi(output),
  ]);
  check(bios, 'BIOS isolinux');
  check(uefi, 'UEFI GRUB');
  assert.equal(report.kargs.result, `${base.defaultKargs} hostmirror.check=boot`);
});

test('a live config too large for the embed area boots as /config.ign from the extended initrd, the zeroed ignition.img loaded after it', async () => {
  await requireTool('xorriso');
  const kernel = await findDebianKernel();
  const gzipInitrd = await buildBaseInitrd({ outPath: join(work, 'base-initrd-2.img'), checks });
  // A zstd base initrd shows the kernel unpacks zstd: then --compress zstd is taken.
  const initrd = join(work, 'base-initrd-2.zst');
  const zstd = await runTool(
    'sh',
    ['-c', `gzip -dc '${gzipInitrd}' | '${await requireTool('zstd')}' -q -19 -o '${initrd}'`],
    { timeoutMs: 60_000 },
  );
  assert.equal(zstd.exitCode, 0, zstd.stderr.toString());
  const base = await makeCoreosIso({
    output: join(work, 'base-overflow.iso'),
    kernel: kernel.path,
    initrd,
    kargs: ['console=ttyS0', 'panic=-1'],
  });
  const { randomBytes } = await import('node:crypto');
  const { writeFile } = await import('node:fs/promises');
  const big = join(work, 'big.ign');
  await writeFile(
    big,
    JSON.stringify({
      ignition: { version: '3.2.0' },
      storage: {
        files: [
          {
            path: '/etc/noise',
            contents: { source: `data:;base64,${randomBytes(300_000).toString('base64')}` },
          },
        ],
      },
    }),
  );
  const output = join(work, 'overflow.iso');
  const { report } = await buildMirrorIso(
    optionsFor(inputs, output, {
      iso: base.path,
      registryBinary: await requireTool('busybox'),
      ignition: [big],
      compress: 'zstd',
    }),
  );
  assert.equal(report.ignition.carrier, 'initrd');
  assert.equal(report.overlay.codec, 'zstd');
  assert.match(report.overlay.codecReason, /unpacks the ISO's own zstd initrd segments/);
  const result = await bootIsoCdrom(output, { bios: 'isolinux', memoryMiB: 512 });
  assertCleanBoot(result);
  assert.deepEqual(
    markerValues(result.console, 'HM-BUILD-CONFIG'),
    [report.ignition.sha256],
    result.console,
  );
});
