/**
 * The outputs besides the ISO, each written whole or not at all (atomic-file: a temporary name
 * beside the target, then a rename): PXE artifacts, the manifests folder, text files.
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createWorkFolder } from '@hostmirror/atomic-file';
import {
  type CoreosIso,
  type IsoCopy,
  type IsoEdit,
  pxeArtifactPaths as isoPxeArtifactPaths,
  type PxeFileKind,
  writePxeArtifacts as writeIsoPxeArtifacts,
} from '@hostmirror/iso';
import { BuildIsoError } from './errors.ts';
import type { FileDigestResult } from './file-digest-worker.ts';
import type { FileDigest } from './pipeline.ts';

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
        `${path} already exists; use -f (library: overwrite: true) to replace it, or choose another output path.`,
      );
  }
}

export interface PxeArtifacts {
  kernel: FileDigest;
  initrd: FileDigest;
  rootfs: FileDigest;
  ipxe: FileDigest | undefined;
  /** Kernel arguments of the PXE boot, as the iPXE script passes them (docs/installer.md#pxe-artifacts). */
  kargs: string;
}

/** Where the PXE files of `stem` go in `folder`; the iPXE script only with a base URL. */
export function pxeArtifactPaths(folder: string, stem: string, baseUrl: string | undefined) {
  const paths = isoPxeArtifactPaths(folder, stem);
  return { ...paths, ipxe: baseUrl === undefined ? undefined : paths.script };
}

/**
 * PXE files, written by `@hostmirror/iso`'s `writePxeArtifacts` (so `iso pxe` on the built ISO
 * gives the same bytes): the kernel and rootfs as in the ISO; the initrd as the ISO's, then
 * our overlay, then the Ignition archive, each 4-aligned. With a base URL, an iPXE script too
 * (rootfs_url must be absolute: dracut fetches it). Each file is hashed as it is written.
 */
export async function writePxeArtifacts(options: {
  iso: CoreosIso;
  folder: string;
  stem: string;
  overlayPath: string;
  ignitionArchive: Buffer;
  /** The built ISO's kargs; `coreos.liveiso=` is dropped (a PXE boot has no ISO to mount). */
  kargs: string;
  baseUrl: string | undefined;
  overwrite: boolean;
}): Promise<PxeArtifacts> {
  const { iso } = options;
  const { kernel, initrd, rootfs } = iso.metadata;
  if (kernel === undefined || initrd === undefined || rootfs === undefined)
    throw new BuildIsoError(
      'INPUT_MISSING',
      `The ISO ${iso.path} lacks images/pxeboot/${kernel === undefined ? 'vmlinuz' : initrd === undefined ? 'initrd.img' : 'rootfs.img'}, so it has no PXE artifacts; build without --pxe-dir.`,
    );
  const taps = new Map<PxeFileKind, { hash: Hash; size: number }>(
    (['kernel', 'initrd', 'rootfs', 'script'] as const).map((file) => [
      file,
      { hash: createHash('sha256'), size: 0 },
    ]),
  );
  const written = await writeIsoPxeArtifacts(iso, {
    outputDir: options.folder,
    prefix: options.stem,
    includeEmbeddedIgnition: false,
    archives: [options.overlayPath, options.ignitionArchive],
    kargs: options.kargs,
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
    script: options.baseUrl !== undefined,
    overwrite: options.overwrite,
    onChunk: (file, chunk) => {
      const tap = taps.get(file);
      tap?.hash.update(chunk);
      if (tap !== undefined) tap.size += chunk.length;
    },
  });
  const digest = (file: PxeFileKind, path: string): FileDigest => {
    const tap = taps.get(file) ?? { hash: createHash('sha256'), size: 0 };
    return { path, size: tap.size, sha256: tap.hash.digest('hex') };
  };
  return {
    kernel: digest('kernel', written.kernel),
    initrd: digest('initrd', written.initrd),
    rootfs: digest('rootfs', written.rootfs),
    ipxe: written.script === undefined ? undefined : digest('script', written.script),
    kargs: written.kargs,
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
  const stagingFolder = await createWorkFolder(dirname(folder), `.${basename(folder)}.hostmirror-`);
  const staging = stagingFolder.path;
  try {
    for (const file of files) await writeFile(join(staging, file.name), file.text, { mode: 0o644 });
    const existing = await stat(folder).catch(() => undefined);
    if (existing !== undefined) {
      if (!overwrite)
        throw new BuildIsoError(
          'OUTPUT_EXISTS',
          `${folder} already exists; use -f (library: overwrite: true) to replace it, or choose another folder.`,
        );
      const aside = `${staging}.old`;
      await rename(folder, aside);
      await rename(staging, folder);
      await rm(aside, { recursive: true, force: true });
    } else {
      await rename(staging, folder);
    }
  } catch (error) {
    await stagingFolder.dispose();
    throw error;
  }
  await stagingFolder.dispose(); // renamed into place: only forgets it
}

/** The input ISO is never the output (OUTPUT_INVALID, before anything is written). */
export async function refuseOutputIsInput(inputPath: string, outputPath: string): Promise<void> {
  const input = await realpath(inputPath);
  const existing = await realpath(outputPath).catch(() => undefined);
  if (existing === input)
    throw new BuildIsoError(
      'OUTPUT_INVALID',
      `The output ${outputPath} is the input ISO; the input is never changed, so choose another output path.`,
    );
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
  /** The input's digest, computed elsewhere (`digestFileOffThread`); else tapped here. */
  inputDigest?: Promise<FileDigestResult>,
  /** The kernel copy of the input to the output, started early (`startIsoCopy`). */
  copy?: IsoCopy,
): Promise<{ output: { path: string; size: number; sha256: string }; inputSha256: string }> {
  await refuseOutputIsInput(iso.path, path);
  const inputHash = inputDigest === undefined ? createHash('sha256') : undefined;
  const outputHash = createHash('sha256');
  let size = 0;
  await iso.write(
    edit,
    { kind: 'file', path, overwrite, ...(copy === undefined ? {} : { copy }) },
    {
      ...(inputHash === undefined ? {} : { onInputChunk: (chunk) => inputHash.update(chunk) }),
      onOutputChunk: (chunk) => {
        outputHash.update(chunk);
        size += chunk.length;
        onProgress(size);
      },
    },
  );
  let inputSha256: string;
  if (inputHash !== undefined) inputSha256 = inputHash.digest('hex');
  else {
    const digest = await (inputDigest as Promise<FileDigestResult>);
    if (digest.size !== iso.size)
      throw new BuildIsoError(
        'INPUT_CHANGED',
        `The input ISO ${iso.path} was ${iso.size} bytes when the build opened it and ${digest.size} when it was hashed: it changed during the build. Build again from a file nothing writes to.`,
        { path: iso.path },
      );
    inputSha256 = digest.sha256;
  }
  return { output: { path, size, sha256: outputHash.digest('hex') }, inputSha256 };
}
