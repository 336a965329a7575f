/**
 * The demo's CoreOS-layout live ISO, in TypeScript (no xorriso): the files and metadata of
 * the coreos-installer fixture `embed-areas-2023-07.x86_64` (docs/coreos-iso.md#ignition-area):
 * `coreos/igninfo.json` naming a 256 KiB all-zero `images/ignition.img`, `coreos/kargs.json`
 * with real kargs areas (kargs, `\n`, `#` padding, then `# COREOS_KARG_EMBED_AREA`) in
 * `isolinux/isolinux.cfg` and `EFI/fedora/grub.cfg`, `coreos/features.json`, and
 * `images/pxeboot/{vmlinuz,initrd.img,rootfs.img}`. The initrd is a real gzip newc archive;
 * the kernel is a placeholder that carries only the x86 boot-protocol magic (so the
 * architecture check has something to read), and the rootfs a filler: it does not boot.
 */
import { gzipSync } from 'node:zlib';
import { writeNewc } from '@hostmirror/cpio-stream';
import { formatKargsArea } from '@hostmirror/iso';
import { writeIso9660 } from './iso9660-writer.ts';

export const DEMO_VOLUME_ID = 'fedora-coreos-hostmirror-demo';
/** Current CoreOS ISOs' Ignition embed area (docs/coreos-iso.md#ignition-area). */
const IGNITION_AREA_BYTES = 256 * 1024;
/** The kargs area size of the 2021-09..2023-07 x86_64 fixtures (docs/coreos-iso.md#kargs-areas). */
const KARGS_AREA_BYTES = 1139;
const KARGS_MARKER = '# COREOS_KARG_EMBED_AREA\n';
/** The Linux/x86 boot protocol header magic `HdrS` at byte 0x202 (Documentation/x86/boot.rst). */
const X86_BOOT_MAGIC_OFFSET = 0x202;
const PLACEHOLDER_KERNEL_BYTES = 8192;
const DEMO_ROOTFS_BYTES = 64 * 1024;

export const demoDefaultKargs = `coreos.liveiso=${DEMO_VOLUME_ID} ignition.firstboot ignition.platform.id=metal`;

/** The area's padding and end characters, as kargs.json records them (docs/coreos-iso.md#kargs-areas). */
const KARGS_PAD = '#';
const KARGS_END = '\n';

function withKargsArea(before: string, after: string, kargs: string) {
  const area = formatKargsArea(kargs, KARGS_AREA_BYTES, KARGS_PAD, KARGS_END).toString('utf8');
  return { text: `${before}${area}${KARGS_MARKER}${after}`, offset: Buffer.byteLength(before) };
}

function placeholderKernel(): Buffer {
  const kernel = Buffer.alloc(PLACEHOLDER_KERNEL_BYTES);
  kernel.write('HdrS', X86_BOOT_MAGIC_OFFSET, 'ascii');
  kernel.write('hostmirror demo: a placeholder, not a kernel\n', 0x400, 'ascii');
  return kernel;
}

async function demoInitrd(mtime: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const archive = writeNewc(
    [
      {
        path: 'init',
        type: 'file',
        mode: 0o755,
        data: '#!/bin/sh\necho "hostmirror demo initrd"\n',
      },
      { path: 'etc/initrd-release', type: 'file', data: 'NAME="hostmirror demo initrd"\n' },
      { path: 'usr/lib/dracut/hooks/pre-pivot', type: 'directory' },
    ],
    { mtime },
  );
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks), { level: 9 });
}

function filler(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let index = 0; index < size; index++) bytes[index] = (index * 131 + 7) & 0xff;
  return bytes;
}

/** The demo ISO's bytes; the same `mtime` gives the same bytes. */
export async function makeDemoCoreosIso(mtime: number): Promise<Buffer> {
  const isolinux = withKargsArea(
    [
      'default linux',
      'label linux',
      '  kernel /images/pxeboot/vmlinuz',
      '  append initrd=/images/pxeboot/initrd.img,/images/ignition.img ',
    ].join('\n'),
    '',
    demoDefaultKargs,
  );
  const grub = withKargsArea(
    "menuentry 'Fedora CoreOS (Live)' {\n\tlinux /images/pxeboot/vmlinuz ",
    '\tinitrd /images/pxeboot/initrd.img /images/ignition.img\n}\n',
    demoDefaultKargs,
  );
  const kargs = {
    default: demoDefaultKargs,
    files: [
      { path: 'EFI/fedora/grub.cfg', offset: grub.offset, pad: KARGS_PAD, end: KARGS_END },
      { path: 'isolinux/isolinux.cfg', offset: isolinux.offset, pad: KARGS_PAD, end: KARGS_END },
    ],
    size: KARGS_AREA_BYTES,
  };
  const features = {
    'installer-config': true,
    'installer-config-directives': { 'append-karg': true, console: true, 'delete-karg': true },
    'live-initrd-network': true,
  };
  const json = (value: unknown) => Buffer.from(`${JSON.stringify(value)}\n`);
  return writeIso9660({
    volumeId: DEMO_VOLUME_ID,
    time: mtime,
    files: [
      { path: 'COREOS/IGNINFO.JSO', data: json({ file: 'images/ignition.img' }) },
      { path: 'COREOS/KARGS.JSO', data: json(kargs) },
      { path: 'COREOS/FEATURES.JSO', data: json(features) },
      { path: 'EFI/FEDORA/GRUB.CFG', data: Buffer.from(grub.text) },
      { path: 'IMAGES/IGNITION.IMG', data: Buffer.alloc(IGNITION_AREA_BYTES) },
      { path: 'IMAGES/PXEBOOT/VMLINUZ', data: placeholderKernel() },
      { path: 'IMAGES/PXEBOOT/INITRD.IMG', data: await demoInitrd(mtime) },
      { path: 'IMAGES/PXEBOOT/ROOTFS.IMG', data: filler(DEMO_ROOTFS_BYTES) },
      { path: 'ISOLINUX/ISOLINUX.CFG', data: Buffer.from(isolinux.text) },
    ],
  });
}
