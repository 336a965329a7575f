/**
 * Make a small ISO with the layout of a CoreOS live ISO (the coreos-installer fixtures'
 * `embed-areas-2023-07.x86_64`): isolinux + GRUB/EFI boot, `images/pxeboot/{vmlinuz,initrd.img,
 * rootfs.img}`, a 256 KiB all-zero `images/ignition.img`, `coreos/igninfo.json`,
 * `coreos/kargs.json` (kargs areas in `isolinux/isolinux.cfg` and `EFI/fedora/grub.cfg`, with
 * `pad`/`end`), `coreos/features.json`, and a volume id equal to the `coreos.liveiso=` karg.
 * Built with xorriso as an isohybrid image (MBR, and GPT when EFI is on), as docs/boot.md#iso-boot does.
 *
 *   node --import tsx tools/make-coreos-iso.ts -o OUT.iso [--kernel F] [--initrd F]
 *        [--volume-id ID] [--karg K]... [--rootfs-size BYTES] [--no-efi] [--busybox]
 *        [--debian-kernel] [--builder xorriso|genisoimage]
 *
 * `--busybox` builds an initrd from busybox-static whose /init prints `/config.ign`, the files
 * under `/hostmirror`, and `/proc/cmdline`, then powers off; with the Debian kernel
 * (`--kernel /boot/vmlinuz-*`) the ISO boots under qemu.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const execFilePromise = promisify(execFile);

/** The Debian package of each command this tool runs, named when the command is missing. */
export const DEBIAN_PACKAGE_OF: Record<string, string> = {
  xorriso: 'xorriso',
  genisoimage: 'genisoimage',
  isohybrid: 'syslinux-utils',
  'grub-mkstandalone': 'grub-efi-amd64-bin',
  'mkfs.vfat': 'dosfstools',
  mmd: 'mtools',
  mcopy: 'mtools',
  cpio: 'cpio',
};

async function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; maxBuffer?: number } = {},
) {
  try {
    return await execFilePromise(command, args, options);
  } catch (error) {
    const debianPackage = DEBIAN_PACKAGE_OF[command];
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && debianPackage !== undefined)
      throw new Error(
        `make-coreos-iso: ${command} is missing; apt-get install -y --no-install-recommends ${debianPackage}`,
      );
    throw error;
  }
}

/** Debian's isolinux (package isolinux) and syslinux modules (syslinux-common). */
export const ISOLINUX_BIN = '/usr/lib/ISOLINUX/isolinux.bin';
export const ISOHYBRID_MBR = '/usr/lib/ISOLINUX/isohdpfx.bin';
export const LDLINUX_C32 = '/usr/lib/syslinux/modules/bios/ldlinux.c32';
/** The embed area of current CoreOS ISOs: 256 KiB (docs/coreos-iso.md#ignition-area). */
export const IGNITION_AREA_SIZE = 262144;
/** The kargs area size of the 2021-09..2023-07 x86_64 fixtures (docs/coreos-iso.md#kargs-areas). */
export const KARGS_AREA_SIZE = 1139;
/** The text right after each kargs area in CoreOS boot configs. */
export const KARGS_MARKER = '# COREOS_KARG_EMBED_AREA\n';
/** features.json of the 2023-07 fixture (the keys coreos-installer reads). */
const FEATURES = {
  'installer-config': true,
  'installer-config-directives': { 'append-karg': true, console: true, 'delete-karg': true },
  'live-initrd-network': true,
};
const DEFAULT_VOLUME_ID = 'fedora-coreos-hostmirror-fixture';
/** An ISO 9660 volume id is at most 32 characters (ECMA-119 §8.4.6). */
const MAX_VOLUME_ID = 32;

export interface MakeCoreosIsoOptions {
  output: string;
  volumeId?: string;
  /** The kernel; default a 11-byte placeholder, as in the coreos-installer fixtures. */
  kernel?: string;
  /** The initrd; default a placeholder. `busybox: true` builds a bootable one. */
  initrd?: string;
  busybox?: boolean;
  /** Kargs after the CoreOS defaults (`console=ttyS0` for a serial boot). */
  kargs?: string[];
  /** rootfs.img size in bytes (a patterned filler); default 12 bytes. */
  rootfsSize?: number;
  /** UEFI boot (GRUB in images/efiboot.img, GPT); default true. */
  efi?: boolean;
  /**
   * `xorriso` (default; docs/boot.md#iso-boot) or `genisoimage`, then syslinux's `isohybrid --uefi`, the
   * way coreos-assembler builds CoreOS ISOs: the ISO volume then ends before the MBR padding
   * and the backup GPT (iso-relocation.md).
   */
  builder?: 'xorriso' | 'genisoimage';
}

export interface MadeCoreosIso {
  path: string;
  volumeId: string;
  defaultKargs: string;
}

function kargsArea(kargs: string): string {
  const used = Buffer.byteLength(kargs) + 1;
  if (used > KARGS_AREA_SIZE)
    throw new Error(`kargs too long for the ${KARGS_AREA_SIZE}-byte area`);
  return `${kargs}\n${'#'.repeat(KARGS_AREA_SIZE - used)}`;
}

/** A boot config whose kargs area follows `before`; returns the text and the area's offset. */
function withKargsArea(before: string, after: string, kargs: string) {
  return {
    text: `${before}${kargsArea(kargs)}${KARGS_MARKER}${after}`,
    offset: Buffer.byteLength(before),
  };
}

function isolinuxConfig(kargs: string) {
  return withKargsArea(
    [
      'serial 0 115200',
      'default linux',
      'prompt 0',
      'timeout 0',
      'label linux',
      '  kernel /images/pxeboot/vmlinuz',
      '  append initrd=/images/pxeboot/initrd.img,/images/ignition.img ',
    ].join('\n'),
    '',
    kargs,
  );
}

function grubConfig(kargs: string) {
  return withKargsArea(
    [
      'serial --unit=0 --speed=115200',
      'terminal_input serial console',
      'terminal_output serial console',
      'set timeout=0',
      "menuentry 'CoreOS (Live)' {",
      '\tlinux /images/pxeboot/vmlinuz ',
    ].join('\n'),
    '\tinitrd /images/pxeboot/initrd.img /images/ignition.img\n}\n',
    kargs,
  );
}

async function writeFiller(path: string, size: number): Promise<void> {
  const block = Buffer.alloc(1024 * 1024);
  for (let index = 0; index < block.length; index++) block[index] = (index * 131 + 7) & 0xff;
  async function* chunks() {
    for (let done = 0; done < size; done += block.length)
      yield block.subarray(0, Math.min(block.length, size - done));
  }
  await pipeline(chunks(), createWriteStream(path));
}

/** A bootable busybox initrd (system cpio + gzip, so our own writer is not under test here). */
async function buildBusyboxInitrd(work: string): Promise<string> {
  const tree = join(work, 'busybox-root');
  for (const folder of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'etc'])
    await mkdir(join(tree, folder), { recursive: true });
  await copyFile('/bin/busybox', join(tree, 'bin/busybox'));
  await chmod(join(tree, 'bin/busybox'), 0o755);
  const init = [
    '#!/bin/busybox sh',
    '/bin/busybox --install -s',
    'mount -t proc proc /proc',
    'echo HM-ISO-INIT-START',
    '[ -f /config.ign ] && echo "HM-ISO-CONFIG $(cat /config.ign)"',
    'for f in $(find /hostmirror -type f 2>/dev/null | sort); do echo "HM-ISO-FILE $f $(cat $f)"; done',
    'echo "HM-ISO-CMDLINE $(cat /proc/cmdline)"',
    'echo HM-ISO-INIT-DONE',
    'poweroff -f',
    '',
  ].join('\n');
  await writeFile(join(tree, 'init'), init, { mode: 0o755 });
  const output = join(work, 'busybox-initrd.img');
  await run('/bin/sh', [
    '-ec',
    'cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6n > "$2"',
    'sh',
    tree,
    output,
  ]);
  return output;
}

/** An EFI system partition image holding a standalone GRUB that reads EFI/fedora/grub.cfg. */
async function buildEfiboot(work: string, target: string): Promise<void> {
  const embedded = join(work, 'embed.cfg');
  await writeFile(
    embedded,
    'search --no-floppy --set=root --file /images/pxeboot/vmlinuz\nconfigfile ($root)/EFI/fedora/grub.cfg\n',
  );
  const grub = join(work, 'BOOTX64.EFI');
  await run('grub-mkstandalone', [
    '-O',
    'x86_64-efi',
    '-o',
    grub,
    '--locales=',
    '--fonts=',
    '--themes=',
    '--modules=iso9660 search search_fs_file configfile linux normal serial terminal',
    `boot/grub/grub.cfg=${embedded}`,
  ]);
  await run('truncate', ['-s', '4M', target]);
  await run('mkfs.vfat', [target]);
  await run('mmd', ['-i', target, '::/EFI', '::/EFI/BOOT']);
  await run('mcopy', ['-i', target, grub, '::/EFI/BOOT/']);
}

export async function makeCoreosIso(options: MakeCoreosIsoOptions): Promise<MadeCoreosIso> {
  const volumeId = options.volumeId ?? DEFAULT_VOLUME_ID;
  if (volumeId.length > MAX_VOLUME_ID) throw new Error(`volume id longer than ${MAX_VOLUME_ID}`);
  const defaultKargs = [
    `coreos.liveiso=${volumeId}`,
    'ignition.firstboot',
    'ignition.platform.id=metal',
    ...(options.kargs ?? []),
  ].join(' ');
  const work = await mkdtemp(join(tmpdir(), 'hm-make-iso-'));
  const root = join(work, 'root');
  try {
    for (const folder of ['isolinux', 'images/pxeboot', 'EFI/fedora', 'coreos'])
      await mkdir(join(root, folder), { recursive: true });
    await copyFile(ISOLINUX_BIN, join(root, 'isolinux/isolinux.bin'));
    await copyFile(LDLINUX_C32, join(root, 'isolinux/ldlinux.c32'));
    const pxe = join(root, 'images/pxeboot');
    if (options.kernel) await copyFile(options.kernel, join(pxe, 'vmlinuz'));
    else await writeFile(join(pxe, 'vmlinuz'), 'vmlinuz-fx\n');
    const initrd = options.busybox ? await buildBusyboxInitrd(work) : options.initrd;
    if (initrd) await copyFile(initrd, join(pxe, 'initrd.img'));
    else await writeFile(join(pxe, 'initrd.img'), 'initrd-fixt\n');
    if (options.rootfsSize !== undefined)
      await writeFiller(join(pxe, 'rootfs.img'), options.rootfsSize);
    else await writeFile(join(pxe, 'rootfs.img'), 'rootfs-fixt\n');
    await writeFile(join(root, 'images/ignition.img'), Buffer.alloc(IGNITION_AREA_SIZE));
    const isolinux = isolinuxConfig(defaultKargs);
    const grub = grubConfig(defaultKargs);
    await writeFile(join(root, 'isolinux/isolinux.cfg'), isolinux.text);
    await writeFile(join(root, 'EFI/fedora/grub.cfg'), grub.text);
    const area = (path: string, offset: number) => ({ end: '\n', offset, pad: '#', path });
    const kargsJson = {
      default: defaultKargs,
      files: [
        area('EFI/fedora/grub.cfg', grub.offset),
        area('isolinux/isolinux.cfg', isolinux.offset),
      ],
      size: KARGS_AREA_SIZE,
    };
    await writeFile(join(root, 'coreos/kargs.json'), `${JSON.stringify(kargsJson, null, 2)}\n`);
    await writeFile(join(root, 'coreos/igninfo.json'), '{\n  "file": "images/ignition.img"\n}\n');
    await writeFile(join(root, 'coreos/features.json'), `${JSON.stringify(FEATURES, null, 2)}\n`);
    const efi = options.efi ?? true;
    if (efi) await buildEfiboot(work, join(root, 'images/efiboot.img'));
    const output = resolve(options.output);
    await rm(output, { force: true });
    // Reproducible timestamps: both builders take the volume dates from SOURCE_DATE_EPOCH.
    const env = { ...process.env, SOURCE_DATE_EPOCH: process.env.SOURCE_DATE_EPOCH ?? '0' };
    if ((options.builder ?? 'xorriso') === 'xorriso')
      await buildWithXorriso(root, output, volumeId, efi, env);
    else await buildWithGenisoimage(root, output, volumeId, efi, env);
    return { path: output, volumeId, defaultKargs };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function buildWithXorriso(
  root: string,
  output: string,
  volumeId: string,
  efi: boolean,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const args = ['-as', 'mkisofs', '-quiet', '-o', output, '-V', volumeId, '-R', '-J'];
  args.push('-isohybrid-mbr', ISOHYBRID_MBR, '-b', 'isolinux/isolinux.bin');
  args.push('-c', 'isolinux/boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table');
  if (efi) {
    args.push('-eltorito-alt-boot', '-e', 'images/efiboot.img', '-no-emul-boot');
    args.push('-isohybrid-gpt-basdat');
  }
  await execFileEnv('xorriso', [...args, root], env);
}

/** genisoimage (package genisoimage) + isohybrid (package syslinux-utils). */
async function buildWithGenisoimage(
  root: string,
  output: string,
  volumeId: string,
  efi: boolean,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const args = ['-quiet', '-o', output, '-V', volumeId, '-R', '-J'];
  args.push('-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat', '-no-emul-boot');
  args.push('-boot-load-size', '4', '-boot-info-table');
  if (efi) args.push('-eltorito-alt-boot', '-efi-boot', 'images/efiboot.img', '-no-emul-boot');
  await execFileEnv('genisoimage', [...args, root], env);
  await execFileEnv('isohybrid', efi ? ['--uefi', output] : [output], env);
}

async function execFileEnv(command: string, args: string[], env: NodeJS.ProcessEnv) {
  await run(command, args, { env, maxBuffer: 16 * 1024 * 1024 });
}

/** The newest Debian kernel in /boot (package linux-image-amd64). */
export async function newestBootKernel(): Promise<string> {
  const kernels = (await readdir('/boot')).filter((name) => name.startsWith('vmlinuz-')).sort();
  const newest = kernels.at(-1);
  if (newest === undefined)
    throw new Error('no /boot/vmlinuz-*: apt-get install linux-image-amd64');
  return join('/boot', newest);
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      output: { type: 'string', short: 'o' },
      kernel: { type: 'string' },
      initrd: { type: 'string' },
      busybox: { type: 'boolean' },
      'debian-kernel': { type: 'boolean' },
      'volume-id': { type: 'string' },
      karg: { type: 'string', multiple: true },
      'rootfs-size': { type: 'string' },
      'no-efi': { type: 'boolean' },
      builder: { type: 'string' },
    },
  });
  if (values.output === undefined) {
    process.stderr.write('usage: make-coreos-iso.ts -o OUT.iso [options] (see the header)\n');
    process.exitCode = 2;
    return;
  }
  const options: MakeCoreosIsoOptions = { output: values.output, efi: values['no-efi'] !== true };
  const kernel = values['debian-kernel'] ? await newestBootKernel() : values.kernel;
  if (kernel !== undefined) options.kernel = kernel;
  if (values.initrd !== undefined) options.initrd = values.initrd;
  if (values.busybox) options.busybox = true;
  if (values['volume-id'] !== undefined) options.volumeId = values['volume-id'];
  if (values.karg !== undefined) options.kargs = values.karg;
  if (values['rootfs-size'] !== undefined) options.rootfsSize = Number(values['rootfs-size']);
  if (values.builder === 'genisoimage' || values.builder === 'xorriso')
    options.builder = values.builder;
  const made = await makeCoreosIso(options);
  process.stdout.write(`${made.path}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await main(process.argv.slice(2));
