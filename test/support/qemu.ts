/**
 * Boot Debian's kernel (and CoreOS-layout ISOs) under qemu for real-system tests.
 *
 * Facts from `docs/boot.md`, measured on these machines:
 * - `/dev/kvm` is kvm_pvm and cannot boot a stock kernel, so qemu runs under TCG; a kernel +
 *   busybox initrd boot takes ~5 s on one core, and two boots in parallel do not slow each other.
 * - A broken initrd segment does not stop the boot: the kernel prints
 *   `Initramfs unpacking failed: <reason>` and init still runs. Tests must look for that line.
 * - qemu's exit status tells nothing (poweroff, panic with `-no-reboot`, kill): read the console.
 * - UEFI (OVMF + GRUB) needs `-m 512`; with 256 MiB GRUB stops at "Press any key to continue".
 *
 * The base initrd is built with the system's `cpio` and `gzip`, never with our own code, so
 * that a bug in our writer cannot hide in the harness.
 */
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  open,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type KnownTool,
  MissingToolError,
  requireFile,
  requireTool,
  runOk,
  runTool,
} from '@hostmirror/fixtures';

/** The meta package whose dependency names the current kernel ABI (`linux-image-6.1.0-57-amd64`). */
export const debianKernelMetaPackage = 'linux-image-amd64';

/** Where Debian installs kernels (`linux-image-*` packages). */
const bootDir = '/boot';

/** OVMF firmware from Debian's `ovmf` package: 4 MiB flash layout, code read-only, vars copied. */
export const ovmfCode = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const ovmfVars = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/** The kernel command line that puts the console on the first serial port and makes a panic exit. */
export const serialConsoleAppend = 'console=ttyS0 panic=-1';

/** Guest memory: enough for a busybox initrd plus ~100 MiB of appended archives (docs/boot.md#kvm). */
export const defaultMemoryMiB = 256;
/** GRUB under OVMF runs out of memory with 256 MiB (docs/boot.md#iso-boot). */
export const uefiMemoryMiB = 512;
/** A TCG boot takes 5–10 s here; this bound leaves room for a loaded machine. */
export const defaultBootTimeoutMs = 120_000;

/** At most this many qemu processes at once on the machine (2 cores; docs/boot.md#kvm). */
export const maxParallelBoots = 2;

/** Console markers printed by the base initrd's `/init`. */
export const markers = {
  initStart: 'HM-INIT-START',
  checksExit: 'HM-CHECKS-EXIT',
  initDone: 'HM-INIT-DONE',
} as const;

/** The kernel's message for a segment it could not unpack (init/initramfs.c). */
const initramfsFailurePattern = /Initramfs unpacking failed: ([^\n]*)/g;
const kernelPanicPattern = /Kernel panic - not syncing: ([^\n]*)/;
/** Console text after which the guest will not progress: kill it instead of waiting out the timeout. */
const stuckPatterns: readonly RegExp[] = [
  /Press any key to continue/, // GRUB after a failed `linux`/`initrd` (e.g. out of memory)
  kernelPanicPattern, // without `panic=-1` a panicking kernel spins forever
];
/** How long to keep reading after a stuck pattern appears (the panic trace follows it). */
const stuckGraceMs = 1500;
const consolePollMs = 200;

export interface DebianKernel {
  /** The kernel release, e.g. `6.1.0-57-amd64`. */
  release: string;
  /** The kernel image, e.g. `/boot/vmlinuz-6.1.0-57-amd64`. */
  path: string;
}

/**
 * The kernel that `linux-image-amd64` currently depends on. The ABI number changes with security
 * updates, so it is resolved from the installed meta package each time (docs/boot.md#environment).
 */
export async function findDebianKernel(): Promise<DebianKernel> {
  const dpkgQuery = await requireTool('dpkg-query');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template
  const query = await runTool(dpkgQuery, ['-W', '-f=${Depends}', debianKernelMetaPackage], {
    timeoutMs: 10_000,
  });
  const depends = query.stdout.toString('utf8');
  const match = /linux-image-(\d[^\s,(]*)/.exec(depends);
  if (query.exitCode !== 0 || match?.[1] === undefined)
    throw new MissingToolError(`${bootDir}/vmlinuz-*`, debianKernelMetaPackage);
  const release = match[1];
  const path = await requireFile(join(bootDir, `vmlinuz-${release}`), debianKernelMetaPackage);
  return { release, path };
}

/**
 * x86 boot protocol setup-header fields (Documentation/arch/x86/boot.rst): `setup_sects` at
 * 0x1f1 (0 means 4), the compressed payload's offset and length at 0x248 and 0x24c, counted
 * from the protected-mode code, which starts after the (setup_sects + 1) 512-byte sectors.
 */
const setupSectsOffset = 0x1f1;
const payloadOffsetField = 0x248;
const payloadLengthField = 0x24c;
const sectorBytes = 512;
const elfMagic = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/**
 * The system decompressor for a payload's magic, and whether the build appended the
 * uncompressed size (u32 LE) after the stream: arch/x86/boot/compressed/Makefile uses
 * `xzkern_with_size` and `zstd22_with_size`; a gzip trailer holds the size already.
 */
function payloadDecompressor(payload: Buffer): { tool: KnownTool; args: string[]; sized: boolean } {
  if (payload[0] === 0x1f && payload[1] === 0x8b)
    return { tool: 'gzip', args: ['-dc'], sized: false };
  if (payload.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])))
    return { tool: 'xz', args: ['-dc'], sized: true };
  if (payload.readUInt32LE(0) === 0xfd2fb528) return { tool: 'zstd', args: ['-qdc'], sized: true };
  throw new Error(`unknown kernel payload magic ${payload.subarray(0, 6).toString('hex')}`);
}

async function isElf(path: string): Promise<boolean> {
  const file = await open(path).catch(() => undefined);
  if (file === undefined) return false;
  try {
    const head = Buffer.alloc(elfMagic.length);
    await file.read(head, 0, head.length, 0);
    return head.equals(elfMagic);
  } finally {
    await file.close();
  }
}

/**
 * The uncompressed kernel (ELF vmlinux) inside a Debian bzImage, for qemu's PVH entry
 * (`CONFIG_PVH=y` in Debian's config). It is the same kernel, minus the bzImage's own
 * decompressor, which under TCG takes most of a boot: measured here 2.3–3.9 s per busybox
 * boot against 10.7–11.2 s for the bzImage on a loaded machine. Initramfs handling is the
 * kernel's own code either way; boot loaders (ISO, PXE) still need the bzImage.
 * Extracted once per kernel with the system `xz`/`gzip`/`zstd`, cached in the temp folder.
 */
export async function extractPvhKernel(kernel: DebianKernel): Promise<string> {
  const image = await readFile(kernel.path);
  const setupSects = image[setupSectsOffset] || 4;
  const protectedMode = (setupSects + 1) * sectorBytes;
  const payloadStart = protectedMode + image.readUInt32LE(payloadOffsetField);
  const payload = image.subarray(
    payloadStart,
    payloadStart + image.readUInt32LE(payloadLengthField),
  );
  const cached = join(tmpdir(), `hostmirror-vmlinux-${kernel.release}-${image.length}`);
  if (await isElf(cached)) return cached;
  const { tool, args, sized } = payloadDecompressor(payload);
  const stream = sized ? payload.subarray(0, payload.length - 4) : payload;
  const decompress = await runOk(await requireTool(tool), args, {
    input: stream,
    timeoutMs: 120_000,
  });
  const vmlinux = decompress.stdout;
  if (!vmlinux.subarray(0, 4).equals(elfMagic))
    throw new Error(`${kernel.path}: the decompressed payload is not an ELF kernel`);
  if (sized && vmlinux.length !== payload.readUInt32LE(payload.length - 4))
    throw new Error(`${kernel.path}: the decompressed kernel's size differs from the appended one`);
  // Concurrent test files may extract at once: write aside, then rename (atomic).
  const partial = `${cached}.${process.pid}.partial`;
  await writeFile(partial, vmlinux);
  await rename(partial, cached);
  return cached;
}

export interface BaseInitrdOptions {
  /** Where to write the gzip-compressed newc archive. */
  outPath: string;
  /**
   * A shell script (busybox `sh`) run by `/init` after `/proc`, `/sys` and `/dev` are mounted.
   * Its output goes to the serial console; print your own markers. It runs in a child shell,
   * so `exit` in it does not skip the poweroff.
   */
  checks: string;
  /** Extra files in the base archive: path inside the initrd → contents. */
  files?: Record<string, string>;
}

function initScript(): string {
  return [
    '#!/bin/sh',
    'export PATH=/bin:/sbin:/usr/bin:/usr/sbin',
    'mount -t proc proc /proc',
    'mount -t sysfs sysfs /sys',
    'mount -t devtmpfs devtmpfs /dev 2>/dev/null',
    `echo ${markers.initStart}`,
    'sh /hm-checks.sh 2>&1',
    `echo "${markers.checksExit} $?"`,
    `echo ${markers.initDone}`,
    'sync',
    'poweroff -f',
    '',
  ].join('\n');
}

/**
 * Build a busybox initrd: busybox-static with every applet linked, an `/init` that runs
 * `checks`, prints `HM-INIT-DONE` and powers off. Packed with the system `cpio` and `gzip`.
 */
export async function buildBaseInitrd(options: BaseInitrdOptions): Promise<string> {
  const [busybox, cpio, gzip] = await Promise.all([
    requireTool('busybox'),
    requireTool('cpio'),
    requireTool('gzip'),
  ]);
  const tree = await mkdtemp(join(tmpdir(), 'hm-base-initrd-'));
  try {
    for (const folder of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp'])
      await mkdir(join(tree, folder), { recursive: true });
    await copyFile(busybox, join(tree, 'bin/busybox'));
    await chmod(join(tree, 'bin/busybox'), 0o755);
    // `--list-full` names each applet with its folder (`sbin/poweroff`, `usr/bin/head`).
    const applets = (await runOk(busybox, ['--list-full'], { timeoutMs: 5_000 })).stdout
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '' && line !== 'bin/busybox');
    const links = applets.map((applet) => {
      const depth = applet.split('/').length - 1;
      return `ln -sf ${'../'.repeat(depth)}bin/busybox ${applet}`;
    });
    await runOk('/bin/sh', ['-ec', links.join('\n')], { cwd: tree, timeoutMs: 10_000 });
    await writeFile(join(tree, 'init'), initScript(), { mode: 0o755 });
    await writeFile(join(tree, 'hm-checks.sh'), options.checks, { mode: 0o644 });
    for (const [path, contents] of Object.entries(options.files ?? {})) {
      const target = join(tree, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, contents);
    }
    await mkdir(dirname(options.outPath), { recursive: true });
    await runOk(
      '/bin/sh',
      [
        '-ec',
        `find . -mindepth 1 | LC_ALL=C sort | "${cpio}" -o -H newc -R 0:0 --quiet | "${gzip}" -6n > "$1"`,
        'sh',
        options.outPath,
      ],
      { cwd: tree, timeoutMs: 30_000 },
    );
    return options.outPath;
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

export interface BootResult {
  /** The serial console, with `\r` removed. */
  console: string;
  durationMs: number;
  /** The hard timeout killed qemu. */
  timedOut: boolean;
  /** A stuck pattern (GRUB prompt, kernel panic) made the harness kill qemu early. */
  stuck: string | undefined;
  /** Every `Initramfs unpacking failed: <reason>` reason, in order. */
  initramfsFailures: string[];
  /** The reason after `Kernel panic - not syncing:`, if the kernel panicked. */
  kernelPanic: string | undefined;
  /** The base initrd's `/init` ran to its end. */
  initDone: boolean;
  qemuExitCode: number | null;
  /** The console log file, kept only when `HOSTMIRROR_KEEP_BOOT_LOGS` is set. */
  keptLog: string | undefined;
}

/** The guest did not boot cleanly; `result` holds the whole console. */
export class BootFailedError extends Error {
  readonly code = 'BOOT_FAILED';
  readonly result: BootResult;
  constructor(message: string, result: BootResult) {
    super(`${message}\n--- console (last 3000 characters) ---\n${result.console.slice(-3000)}`);
    this.name = 'BootFailedError';
    this.result = result;
  }
}

/**
 * Throw `BootFailedError` unless the boot reached the end of `/init` with no initramfs failure,
 * no panic and no timeout.
 */
export function assertCleanBoot(result: BootResult): void {
  if (result.timedOut) throw new BootFailedError('the boot timed out', result);
  if (result.stuck !== undefined && result.kernelPanic === undefined)
    throw new BootFailedError(`the guest got stuck at "${result.stuck}"`, result);
  if (result.kernelPanic !== undefined)
    throw new BootFailedError(`kernel panic: ${result.kernelPanic}`, result);
  if (result.initramfsFailures.length > 0)
    throw new BootFailedError(
      `Initramfs unpacking failed: ${result.initramfsFailures.join('; ')}`,
      result,
    );
  if (!result.initDone) throw new BootFailedError(`init never printed ${markers.initDone}`, result);
}

/** Every value printed as `<prefix> <value>` at the start of a console line. */
export function markerValues(consoleText: string, prefix: string): string[] {
  return consoleText
    .split('\n')
    .filter((line) => line.startsWith(`${prefix} `))
    .map((line) => line.slice(prefix.length + 1).trimEnd());
}

/** The accelerator: TCG, since KVM cannot boot here; `HOSTMIRROR_QEMU_ACCEL=kvm` where it can. */
function accelerator(): string {
  return process.env.HOSTMIRROR_QEMU_ACCEL ?? 'tcg';
}

/** Exit status of `flock -n -E` when the lock is held by another process. */
const slotBusyExitCode = 75;
const slotRetryMs = 250;
/**
 * qemu also runs under coreutils `timeout`, a few seconds after our own timer, so that it dies
 * even when the test process is killed before it can kill qemu (node:test cancels by signal).
 */
const outerTimeoutMarginS = 5;

interface QemuRun {
  qemuArgs: string[];
  memoryMiB: number;
  timeoutMs: number;
}

/**
 * Run qemu with the serial console in a file, at most `maxParallelBoots` at once across every
 * process of the machine (one `flock` slot file each), killed after the timeout, when stuck, or
 * when this process exits.
 */
async function runQemu(run: QemuRun): Promise<BootResult> {
  const [qemu, flock, timeout] = await Promise.all([
    requireTool('qemu-system-x86_64'),
    requireTool('flock', 'util-linux'),
    requireTool('timeout', 'coreutils'),
  ]);
  const workDir = await mkdtemp(join(tmpdir(), 'hm-qemu-'));
  const logPath = join(workDir, 'console.log');
  const args = [
    '-accel',
    accelerator(),
    '-m',
    String(run.memoryMiB),
    '-smp',
    '1',
    '-nographic',
    '-monitor',
    'none',
    '-serial',
    `file:${logPath}`,
    '-no-reboot',
    '-nodefaults',
    ...run.qemuArgs,
  ];
  try {
    for (;;) {
      for (let slot = 0; slot < maxParallelBoots; slot += 1) {
        const lock = join(tmpdir(), `hostmirror-qemu-slot-${slot}.lock`);
        const command = [
          timeout,
          '-s',
          'KILL',
          `${Math.ceil(run.timeoutMs / 1000) + outerTimeoutMarginS}`,
          flock,
          '-n',
          '-E',
          String(slotBusyExitCode),
          lock,
          qemu,
          ...args,
        ];
        const result = await runLockedQemu(command, logPath, run.timeoutMs);
        if (result !== undefined) return result;
      }
      await new Promise((resolve) => setTimeout(resolve, slotRetryMs));
    }
  } finally {
    if (process.env.HOSTMIRROR_KEEP_BOOT_LOGS === undefined)
      await rm(workDir, { recursive: true, force: true });
  }
}

async function readConsole(logPath: string): Promise<string> {
  try {
    return (await readFile(logPath, 'utf8')).replaceAll('\r', '');
  } catch {
    return '';
  }
}

/** One attempt on one slot; `undefined` when the slot is busy. */
async function runLockedQemu(
  [command, ...args]: string[],
  logPath: string,
  timeoutMs: number,
): Promise<BootResult | undefined> {
  const abort = new AbortController();
  let stuck: string | undefined;
  let stuckSince: number | undefined;
  const poller = setInterval(async () => {
    const text = await readConsole(logPath);
    const now = performance.now();
    if (stuck === undefined) {
      const hit = stuckPatterns.map((pattern) => pattern.exec(text)).find((m) => m !== null);
      if (hit) {
        stuck = hit[0];
        stuckSince = now;
      }
    } else if (stuckSince !== undefined && now - stuckSince > stuckGraceMs) {
      abort.abort();
    }
  }, consolePollMs);
  try {
    const result = await runTool(command ?? '', args, { timeoutMs, signal: abort.signal });
    // qemu itself never exits with this status: only flock, when the slot is taken.
    if (result.exitCode === slotBusyExitCode) return undefined;
    const consoleText = await readConsole(logPath);
    if (result.exitCode !== 0 && !result.timedOut && !abort.signal.aborted && consoleText === '')
      throw new Error(`qemu failed to start: ${result.stderr.toString('utf8').trim()}`);
    const panic = kernelPanicPattern.exec(consoleText);
    return {
      console: consoleText,
      durationMs: result.durationMs,
      timedOut: result.timedOut,
      stuck: abort.signal.aborted ? stuck : undefined,
      initramfsFailures: [...consoleText.matchAll(initramfsFailurePattern)].map(
        (m) => m[1]?.trim() ?? '',
      ),
      kernelPanic: panic?.[1]?.trim(),
      initDone: consoleText.includes(markers.initDone),
      qemuExitCode: result.exitCode,
      keptLog: process.env.HOSTMIRROR_KEEP_BOOT_LOGS === undefined ? undefined : logPath,
    };
  } finally {
    clearInterval(poller);
  }
}

export interface KernelBootOptions {
  kernel: string;
  initrd: string;
  /** The kernel command line; default `console=ttyS0 panic=-1`. */
  append?: string;
  memoryMiB?: number;
  timeoutMs?: number;
}

/** Boot `kernel` with `initrd` (qemu `-kernel`/`-initrd`) and return the console. */
export function bootKernel(options: KernelBootOptions): Promise<BootResult> {
  return runQemu({
    qemuArgs: [
      '-kernel',
      options.kernel,
      '-initrd',
      options.initrd,
      '-append',
      options.append ?? serialConsoleAppend,
    ],
    memoryMiB: options.memoryMiB ?? defaultMemoryMiB,
    timeoutMs: options.timeoutMs ?? defaultBootTimeoutMs,
  });
}

export interface IsoBootOptions {
  memoryMiB?: number;
  timeoutMs?: number;
}

/**
 * Boot an ISO as a CD-ROM through SeaBIOS and its El Torito image (isolinux in a CoreOS-layout
 * ISO). The kernel command line comes from the ISO's boot config and must put the console on
 * ttyS0. docs/boot.md#iso-boot: ~6 s.
 */
export function bootIsoCdrom(
  iso: string,
  options: IsoBootOptions & { bios: 'isolinux' },
): Promise<BootResult> {
  return runQemu({
    qemuArgs: ['-cdrom', iso, '-boot', 'd'],
    memoryMiB: options.memoryMiB ?? defaultMemoryMiB,
    timeoutMs: options.timeoutMs ?? defaultBootTimeoutMs,
  });
}

/**
 * Boot an ISO as a CD-ROM under UEFI (OVMF, then the ISO's EFI image, GRUB in a CoreOS-layout
 * ISO), with a private copy of the firmware variables. docs/boot.md#iso-boot: ~10 s, needs `-m 512`.
 */
export async function bootIsoUefi(iso: string, options: IsoBootOptions = {}): Promise<BootResult> {
  await requireFile(ovmfCode, 'ovmf');
  await requireFile(ovmfVars, 'ovmf');
  const varsDir = await mkdtemp(join(tmpdir(), 'hm-ovmf-'));
  const vars = join(varsDir, 'OVMF_VARS.fd');
  try {
    await copyFile(ovmfVars, vars);
    return await runQemu({
      qemuArgs: [
        '-drive',
        `if=pflash,format=raw,readonly=on,file=${ovmfCode}`,
        '-drive',
        `if=pflash,format=raw,file=${vars}`,
        '-cdrom',
        iso,
      ],
      memoryMiB: options.memoryMiB ?? uefiMemoryMiB,
      timeoutMs: options.timeoutMs ?? defaultBootTimeoutMs,
    });
  } finally {
    await rm(varsDir, { recursive: true, force: true });
  }
}

/** Boot an isohybrid ISO as a hard disk through SeaBIOS and its MBR (docs/boot.md#iso-boot: ~6.6 s). */
export function bootIsoHybridDisk(iso: string, options: IsoBootOptions = {}): Promise<BootResult> {
  return runQemu({
    qemuArgs: ['-drive', `file=${iso},format=raw,if=ide,snapshot=on`],
    memoryMiB: options.memoryMiB ?? defaultMemoryMiB,
    timeoutMs: options.timeoutMs ?? defaultBootTimeoutMs,
  });
}

/** Shell-quote one argument for a `sh` script. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
