/**
 * `hostmirror volume prepare`: a disk image holding the mirror volume the boot sequence looks
 * for (docs/design.md#mirror-mode): a GPT whose one partition is named `data`, with an ext4 filesystem
 * labelled `data` holding the archives in its top folder (the names of the sha256 manifest).
 * Write it to the host's second disk (`dd if=volume.img of=/dev/sdb bs=4M conv=fsync`) or
 * attach it as a virtual disk. Made without root: `mkfs.ext4 -d` fills the filesystem from a
 * folder, `sfdisk` writes the GPT into the image file (e2fsprogs and fdisk, both Debian).
 * The partition leaves room for the unpacked storage tree beside the archives: the boot
 * sequence unpacks onto the same volume.
 */
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, open, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createWorkFolder, openAtomicOutput } from '@hostmirror/atomic-file';
import { DEFAULT_VOLUME_LABEL, volumeArchiveNames } from '@hostmirror/boot-sequence';
import { BuildIsoError } from './errors.ts';
import { type OnBytes, resolveArchives, sha256File } from './inputs.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;
/** The partition starts at 1 MiB (sfdisk's default alignment) and 1 MiB is left for the backup GPT. */
const PARTITION_START_BYTES = MiB;
const GPT_TAIL_BYTES = MiB;
/** Room for the ext4 metadata (journal, inode tables) on top of the files. */
const FILESYSTEM_OVERHEAD = 0.1;
const MINIMUM_FILESYSTEM_BYTES = 64 * MiB;
/** The tools, with the Debian package that has each. */
const TOOLS = { sfdisk: 'fdisk', 'mkfs.ext4': 'e2fsprogs' } as const;
const TOOL_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

export interface PrepareVolumeOptions {
  /** Archive chunks or their folders, as for build-iso `--mirror`. */
  archives: string[];
  /** The disk image to write. */
  image: string;
  /** Partition name and filesystem label (default `data`, what the boot sequence looks for). */
  label?: string;
  /**
   * Filesystem size; default: twice the archives (they and their unpacked tree) plus overhead.
   */
  filesystemBytes?: number;
  overwrite?: boolean;
  onBytes?: OnBytes;
}

export interface PreparedVolume {
  image: string;
  imageBytes: number;
  label: string;
  partition: { offsetBytes: number; sizeBytes: number };
  archives: { name: string; size: number; sha256: string }[];
}

async function tool(name: keyof typeof TOOLS): Promise<string> {
  for (const folder of TOOL_DIRS) {
    const path = join(folder, name);
    if ((await stat(path).catch(() => undefined))?.isFile()) return path;
  }
  throw new BuildIsoError(
    'VOLUME_TOOL_MISSING',
    `${name} is not installed; install the Debian package ${TOOLS[name]} (apt-get install ${TOOLS[name]}) to prepare a volume image.`,
  );
}

const roundUp = (value: number, unit: number) => Math.ceil(value / unit) * unit;

/** Put the archives in a folder for `mkfs.ext4 -d`: hard links, or copies across filesystems. */
async function stage(archives: readonly string[], folder: string): Promise<void> {
  const names = volumeArchiveNames(archives);
  for (const [index, archive] of archives.entries()) {
    const target = join(folder, names[index] as string);
    await link(archive, target).catch(() => copyFile(archive, target));
  }
}

/** Copy `source` into `target` at byte `offset`, streamed. */
async function copyInto(source: string, target: string, offset: number): Promise<void> {
  const handle = await open(target, 'r+');
  try {
    let position = offset;
    for await (const chunk of createReadStream(source, { highWaterMark: 4 * MiB })) {
      const bytes = chunk as Buffer;
      await handle.write(bytes, 0, bytes.length, position);
      position += bytes.length;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Make the volume image; it appears whole (renamed into place) or not at all. */
export async function prepareVolumeImage(options: PrepareVolumeOptions): Promise<PreparedVolume> {
  const label = options.label ?? DEFAULT_VOLUME_LABEL;
  const [sfdisk, mkfs] = [await tool('sfdisk'), await tool('mkfs.ext4')];
  const archives = await resolveArchives(options.archives);
  const digests: PreparedVolume['archives'] = [];
  let total = 0;
  const names = volumeArchiveNames(archives);
  for (const [index, path] of archives.entries()) {
    const { size } = await stat(path);
    digests.push({
      name: names[index] as string,
      size,
      sha256: await sha256File(path, options.onBytes),
    });
    total += size;
  }
  const filesystemBytes = roundUp(
    options.filesystemBytes ??
      Math.max(MINIMUM_FILESYSTEM_BYTES, total * 2 * (1 + FILESYSTEM_OVERHEAD)),
    MiB,
  );
  if (filesystemBytes < total * (1 + FILESYSTEM_OVERHEAD))
    throw new BuildIsoError(
      'VOLUME_TOO_SMALL',
      `A ${filesystemBytes}-byte filesystem cannot hold the ${total} bytes of archives; give a larger size (twice the archives leaves room to unpack them).`,
    );
  const output = await openAtomicOutput(options.image, { overwrite: options.overwrite ?? false });
  const workFolder = await createWorkFolder(
    dirname(options.image),
    `.${basename(options.image)}.staging-`,
  );
  const work = workFolder.path;
  try {
    await new Promise<void>((resolve, reject) =>
      output.stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    const staging = join(work, 'files');
    await mkdir(staging);
    await stage(archives, staging);
    const filesystem = join(work, 'filesystem.img');
    await run(mkfs, [
      '-q',
      '-F',
      '-L',
      label,
      '-d',
      staging,
      '-E',
      'root_owner=0:0',
      filesystem,
      `${filesystemBytes / 1024}k`,
    ]).catch((error: Error) => {
      throw new BuildIsoError(
        'VOLUME_TOOL_FAILED',
        `mkfs.ext4 could not make the ${filesystemBytes}-byte filesystem labelled ${JSON.stringify(label)} for ${options.image}: ${error.message}; check the label (at most 16 bytes) and the free space in ${dirname(options.image)}.`,
      );
    });
    const imageBytes = PARTITION_START_BYTES + filesystemBytes + GPT_TAIL_BYTES;
    const handle = await open(output.temporaryPath, 'r+');
    await handle.truncate(imageBytes).finally(() => handle.close());
    const sectors = { start: PARTITION_START_BYTES / 512, size: filesystemBytes / 512 };
    const script = `label: gpt\nstart=${sectors.start}, size=${sectors.size}, type=linux, name=${label}\n`;
    await new Promise<void>((resolve, reject) => {
      const child = execFile(
        sfdisk,
        ['--quiet', '--no-reread', '--no-tell-kernel', output.temporaryPath],
        (error) =>
          error
            ? reject(
                new BuildIsoError(
                  'VOLUME_TOOL_FAILED',
                  `sfdisk could not write the GPT of ${options.image} (partition ${JSON.stringify(label)} at sector ${sectors.start}, ${sectors.size} sectors): ${error.message}; check that the label is a valid GPT partition name.`,
                ),
              )
            : resolve(),
      );
      child.stdin?.end(script);
    });
    await copyInto(filesystem, output.temporaryPath, PARTITION_START_BYTES);
    await output.commit();
    return {
      image: options.image,
      imageBytes,
      label,
      partition: { offsetBytes: PARTITION_START_BYTES, sizeBytes: filesystemBytes },
      archives: digests,
    };
  } catch (error) {
    await output.abort();
    throw error;
  } finally {
    await workFolder.dispose();
  }
}
