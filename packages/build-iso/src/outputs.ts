/**
 * The outputs besides the ISO, each written whole or not at all (atomic-file: a temporary name
 * beside the target, then a rename): PXE artifacts, the manifests folder, text files.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { writeFileAtomic, writeStreamAtomic } from '@hostmirror/atomic-file';
import type { CoreosIso, IsoEdit } from '@hostmirror/iso';
import { BuildIsoError } from './errors.ts';
import type { FileDigest } from './pipeline.ts';

/** Newc archives start 4-aligned from the start of the initrd (docs/coreos-iso.md#kernel-initramfs-rules). */
const INITRD_ALIGNMENT = 4;
const padFor = (size: number) => (INITRD_ALIGNMENT - (size % INITRD_ALIGNMENT)) % INITRD_ALIGNMENT;

/** Refuse an existing output before anything is written (the CLI's `-f` allows it). */
export async function refuseExisting(
  paths: readonly (string | undefined)[],
  overwrite: boolean,
): Promise<void> {
  for (const path of paths) {
    if (path === undefined) continue;
    const parent = await stat(dirname(path)).catch(() => undefined);
    if (parent?.isDirectory() !== true)
      throw new BuildIsoError(
        'OUTPUT_INVALID',
        `Cannot write ${path}: the folder ${dirname(path)} does not exist; create it first.`,
      );
    if (!overwrite && (await stat(path).catch(() => undefined)) !== undefined)
      throw new BuildIsoError(
        'OUTPUT_EXISTS',
        `${path} already exists; use -f to replace it or choose another output path.`,
      );
  }
}

async function* fileWithPadding(path: string, size: number): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }))
    yield chunk as Buffer;
  const pad = padFor(size);
  if (pad > 0) yield Buffer.alloc(pad);
}

export interface PxeArtifacts {
  kernel: FileDigest;
  initrd: FileDigest;
  rootfs: FileDigest;
  ipxe: FileDigest | undefined;
  /** Kernel arguments for a PXE boot: the ISO's minus `coreos.liveiso=` (docs/installer.md#pxe-artifacts). */
  kargs: string;
}

/** Write `chunks` atomically to `path`, hashing them on the way: no second read of the file. */
async function writeHashed(
  path: string,
  chunks: AsyncIterable<Buffer>,
  write: { overwrite: boolean },
): Promise<FileDigest> {
  const hash = createHash('sha256');
  let size = 0;
  async function* tapped(): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  }
  await writeStreamAtomic(path, Readable.from(tapped()), write);
  return { path, size, sha256: hash.digest('hex') };
}

/** Where the PXE files of `stem` go in `folder`; the iPXE script only with a base URL. */
export function pxeArtifactPaths(folder: string, stem: string, baseUrl: string | undefined) {
  return {
    kernel: join(folder, `${stem}-vmlinuz`),
    initrd: join(folder, `${stem}-initrd.img`),
    rootfs: join(folder, `${stem}-rootfs.img`),
    ipxe: baseUrl === undefined ? undefined : join(folder, `${stem}.ipxe`),
  };
}

/**
 * PXE files: the kernel and rootfs as in the ISO; the initrd as the ISO's, then our overlay,
 * then the Ignition archive, each 4-aligned (what `agentpxefiles.go` does, docs/installer.md#pxe-artifacts).
 * With a base URL, an iPXE script too (rootfs_url must be absolute: dracut fetches it).
 */
export async function writePxeArtifacts(options: {
  iso: CoreosIso;
  folder: string;
  stem: string;
  overlay: { path: string; size: number };
  ignitionArchive: Buffer;
  kargs: string;
  baseUrl: string | undefined;
  overwrite: boolean;
}): Promise<PxeArtifacts> {
  const { iso, folder, stem } = options;
  const { kernel, initrd, rootfs } = iso.metadata;
  if (kernel === undefined || initrd === undefined || rootfs === undefined)
    throw new BuildIsoError(
      'INPUT_MISSING',
      `The ISO ${iso.path} lacks images/pxeboot/${kernel === undefined ? 'vmlinuz' : initrd === undefined ? 'initrd.img' : 'rootfs.img'}, so it has no PXE artifacts; build without --pxe-dir.`,
    );
  const paths = pxeArtifactPaths(folder, stem, options.baseUrl);
  const write = { overwrite: options.overwrite };
  const kernelFile = await writeHashed(paths.kernel, iso.image.fileChunks(kernel), write);
  const baseInitrd = initrd;
  async function* initrdBytes() {
    yield* iso.image.fileChunks(baseInitrd);
    const basePad = padFor(baseInitrd.size);
    if (basePad > 0) yield Buffer.alloc(basePad);
    yield* fileWithPadding(options.overlay.path, options.overlay.size);
    yield options.ignitionArchive;
  }
  const initrdFile = await writeHashed(paths.initrd, initrdBytes(), write);
  const rootfsFile = await writeHashed(paths.rootfs, iso.image.fileChunks(rootfs), write);
  let ipxeFile: FileDigest | undefined;
  if (paths.ipxe !== undefined && options.baseUrl !== undefined) {
    const base = options.baseUrl.replace(/\/+$/, '');
    const script = [
      '#!ipxe',
      `initrd --name initrd ${base}/${basename(paths.initrd)}`,
      `kernel ${base}/${basename(paths.kernel)} initrd=initrd coreos.live.rootfs_url=${base}/${basename(paths.rootfs)} ${options.kargs}`,
      'boot',
      '',
    ].join('\n');
    await writeFileAtomic(paths.ipxe, script, write);
    ipxeFile = {
      path: paths.ipxe,
      size: Buffer.byteLength(script),
      sha256: createHash('sha256').update(script).digest('hex'),
    };
  }
  return {
    kernel: kernelFile,
    initrd: initrdFile,
    rootfs: rootfsFile,
    ipxe: ipxeFile,
    kargs: options.kargs,
  };
}

/**
 * Write a folder of files whole: into a temporary folder beside it, then renamed into place;
 * an existing folder (with overwrite) is moved aside first and removed after.
 */
export async function writeFolderAtomic(
  folder: string,
  files: readonly { name: string; text: string }[],
  overwrite: boolean,
): Promise<void> {
  await mkdir(dirname(folder), { recursive: true });
  const staging = await mkdtemp(join(dirname(folder), `.${basename(folder)}.hostmirror-`));
  try {
    for (const file of files) await writeFile(join(staging, file.name), file.text, { mode: 0o644 });
    const existing = await stat(folder).catch(() => undefined);
    if (existing !== undefined) {
      if (!overwrite)
        throw new BuildIsoError(
          'OUTPUT_EXISTS',
          `${folder} already exists; use -f to replace it or choose another folder.`,
        );
      const aside = `${staging}.old`;
      await rename(folder, aside);
      await rename(staging, folder);
      await rm(aside, { recursive: true, force: true });
    } else {
      await rename(staging, folder);
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Write the edited ISO to `path` atomically (a kernel copy of the input, then the edit applied
 * to the copy), with the sha256 of the input and of the output from the writer's taps: each
 * hashed once from the bytes the writer reads and writes, no second pass. The input ISO is
 * never the output.
 */
export async function writeIsoHashed(
  iso: CoreosIso,
  edit: IsoEdit,
  path: string,
  overwrite: boolean,
  onProgress: (written: number) => void,
): Promise<{ output: { path: string; size: number; sha256: string }; inputSha256: string }> {
  const input = await realpath(iso.path);
  const existing = await realpath(path).catch(() => undefined);
  if (existing === input)
    throw new BuildIsoError(
      'OUTPUT_INVALID',
      `The output ${path} is the input ISO; the input is never changed, so choose another output path.`,
    );
  const inputHash = createHash('sha256');
  const outputHash = createHash('sha256');
  let size = 0;
  await iso.write(
    edit,
    { kind: 'file', path, overwrite },
    {
      onInputChunk: (chunk) => inputHash.update(chunk),
      onOutputChunk: (chunk) => {
        outputHash.update(chunk);
        size += chunk.length;
        onProgress(size);
      },
    },
  );
  return {
    output: { path, size, sha256: outputHash.digest('hex') },
    inputSha256: inputHash.digest('hex'),
  };
}
