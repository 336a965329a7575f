/**
 * A small overlay that exercises what the kernel and the classic tools care about: an
 * executable, a real binary, nested new folders, a symlink, an empty file, a UTF-8 name,
 * names and bodies of every length mod 4 (padding), a file given inline, and a file that
 * overrides one of the base initrd's. Written as the docs/design.md#initrd-spec spec, YAML 1.1 octal modes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ExpectedFile {
  /** Path inside the archive, without a leading slash. */
  path: string;
  /** The file it came from (`source:`), or undefined for `contents:`. */
  source: string | undefined;
  contents: Buffer;
  mode: number;
}

export interface OverlayFixture {
  specPath: string;
  files: ExpectedFile[];
  symlinks: { path: string; target: string }[];
  /** Folders the spec names, plus the parents the writer must add. */
  directories: string[];
  sha256(path: string): string;
}

/** The base initrd's copy of this file says `base`; the overlay's must win. */
export const overriddenPath = 'etc/override.txt';
export const executablePath = 'usr/local/bin/hm-hello';
export const binaryPath = 'usr/local/bin/busybox-copy';
export const deepPath = 'opt/hm/deep/nested/leaf.txt';
export const unicodePath = 'data/ünïcode-名前.txt';
export const symlinkPath = 'usr/local/bin/hm-hi';

/**
 * Write the sources and `spec.yaml` into `dir`. `label` goes into the files' contents so that a
 * boot can tell which overlay it saw (one per codec).
 */
export async function writeOverlayFixture(
  dir: string,
  label: string,
  compress: 'gzip' | 'xz' | 'zstd' | 'none',
): Promise<OverlayFixture> {
  const src = join(dir, 'src');
  await mkdir(src, { recursive: true });
  const files: ExpectedFile[] = [];
  const add = async (path: string, contents: Buffer, mode: number, inline = false) => {
    const source = inline ? undefined : join(src, path.replaceAll('/', '__'));
    if (source !== undefined) await writeFile(source, contents);
    files.push({ path, source, contents, mode });
  };
  await add(executablePath, Buffer.from(`#!/bin/sh\necho "HM-EXEC-OK ${label} $(id -u)"\n`), 0o755);
  const busybox = join(src, 'busybox-copy');
  await copyFile('/bin/busybox', busybox);
  files.push({ path: binaryPath, source: busybox, contents: await readFile(busybox), mode: 0o755 });
  await add(overriddenPath, Buffer.from(`overlay-${label}\n`), 0o644);
  await add(deepPath, Buffer.from(`deep-${label}\n`), 0o600);
  await add(unicodePath, Buffer.from(`unicode-${label}\n`), 0o644);
  await add('data/empty', Buffer.alloc(0), 0o644);
  await add('data/random.bin', randomBytes(96 * 1024 + 3), 0o644);
  // Names of length 1..4 and bodies of 1..4 bytes: every padding case of header+name and data.
  for (const name of ['a', 'ab', 'abc', 'abcd']) await add(`pad/${name}`, Buffer.from(name), 0o644);
  await add('etc/hm-overlay/inline.conf', Buffer.from(`inline: ${label}\n`), 0o640, true);

  const symlinks = [{ path: symlinkPath, target: 'hm-hello' }];
  const specLines = [
    `compress: ${compress}`,
    'directories:',
    '  - { path: /opt/hm, mode: 0750 }',
    'files:',
    ...files.map((file) =>
      file.source === undefined
        ? `  - { path: /${file.path}, mode: 0${file.mode.toString(8)}, contents: ${JSON.stringify(file.contents.toString('utf8'))} }`
        : `  - { path: /${file.path}, mode: 0${file.mode.toString(8)}, source: ${JSON.stringify(file.source)} }`,
    ),
    'symlinks:',
    ...symlinks.map((link) => `  - { path: /${link.path}, target: ${link.target} }`),
    '',
  ];
  const specPath = join(dir, 'spec.yaml');
  await writeFile(specPath, specLines.join('\n'));

  const directories = new Set<string>();
  for (const path of [...files.map((f) => f.path), ...symlinks.map((l) => l.path), 'opt/hm']) {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i += 1) directories.add(parts.slice(0, i).join('/'));
  }
  directories.add('opt/hm');
  const byPath = new Map(files.map((file) => [file.path, file]));
  return {
    specPath,
    files,
    symlinks,
    directories: [...directories].sort(),
    sha256(path) {
      const file = byPath.get(path);
      if (file === undefined) throw new Error(`no fixture file ${path}`);
      return createHash('sha256').update(file.contents).digest('hex');
    },
  };
}
