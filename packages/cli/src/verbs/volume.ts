/**
 * `hostmirror volume prepare`: a disk image with the mirror volume the boot sequence finds
 * (GPT partition and ext4 label `data`, the archives in its top folder). Calls
 * `prepareVolumeImage` from @hostmirror/build-iso.
 */
import { resolve } from 'node:path';
import { DEFAULT_VOLUME_LABEL } from '@hostmirror/boot-sequence';
import { parseSize } from '@hostmirror/budget';
import { prepareVolumeImage } from '@hostmirror/build-iso';
import {
  type Command,
  flag,
  optionalString,
  requireString,
  stringList,
  UsageError,
} from '../command.ts';

const prepare: Command = {
  name: 'prepare',
  summary:
    'make a disk image with the mirror volume (GPT partition + ext4 labelled data, the archives inside)',
  usage:
    'hostmirror volume prepare --mirror PATH... --image OUT.img [--label data] [--size SIZE] [-f] [--json]',
  options: {
    mirror: {
      type: 'string',
      multiple: true,
      description: "oc-mirror's archive: its folder or its mirror_00000N.tar chunks",
      value: 'PATH',
    },
    image: { type: 'string', description: 'the disk image to write', value: 'OUT.img' },
    label: {
      type: 'string',
      description: 'GPT partition name and ext4 label the boot sequence looks for',
      value: 'LABEL',
      default: DEFAULT_VOLUME_LABEL,
    },
    size: {
      type: 'string',
      description: 'size of the filesystem',
      value: 'SIZE',
      default: 'the archives plus room',
    },
    force: { type: 'boolean', short: 'f', description: 'replace an existing image' },
  },
  positionals: [0, 0],
  async run(context) {
    const { values, io } = context;
    const archives = stringList(values, 'mirror').map((path) => resolve(io.cwd, path));
    if (archives.length === 0)
      throw new UsageError('--mirror is required (the oc-mirror archive or its folder).');
    const size = optionalString(values, 'size');
    const label = optionalString(values, 'label');
    context.progress.start('hashing the archives');
    const volume = await prepareVolumeImage({
      archives,
      image: resolve(io.cwd, requireString(values, 'image')),
      overwrite: flag(values, 'force'),
      onBytes: (bytes) => context.progress.advance(bytes),
      ...(label === undefined ? {} : { label }),
      ...(size === undefined ? {} : { filesystemBytes: parseSize(size, '--size') }),
    });
    context.progress.done();
    if (flag(values, 'json')) context.printJson(volume);
    else {
      context.print(
        `${volume.image}: ${volume.imageBytes} bytes, GPT partition "${volume.label}" at byte ${volume.partition.offsetBytes} (${volume.partition.sizeBytes} bytes), ext4 labelled "${volume.label}"`,
      );
      for (const archive of volume.archives) context.print(`  ${archive.sha256}  ${archive.name}`);
      context.print(
        `Write it to the host's disk: dd if=${volume.image} of=/dev/<disk> bs=4M conv=fsync`,
      );
    }
    return 0;
  },
};

export const commands: Record<string, Command> = { prepare };
