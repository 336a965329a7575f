/** Finding and fingerprinting the build's inputs: archives, the registry program, the kernel's architecture. */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { V1_CHUNK_NAME, V2_CHUNK_NAME } from '@hostmirror/oc-mirror-archive';
import { BuildIsoError } from './errors.ts';

/** Debian's distribution registry (package docker-registry, docs/mirror.md#registry). */
export const DEFAULT_REGISTRY_BINARY = '/usr/bin/docker-registry';
const HASH_CHUNK = 1024 * 1024;

/** Called with bytes as they are read, for progress. */
export type OnBytes = (bytes: number) => void;

/** Lower-case hex sha256 of a file, streamed. */
export async function sha256File(path: string, onBytes?: OnBytes): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: HASH_CHUNK })) {
    hash.update(chunk as Buffer);
    onBytes?.((chunk as Buffer).length);
  }
  return hash.digest('hex');
}

export function sha256Bytes(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The archive files named by `paths`: files as given, folders by their oc-mirror chunks
 * (`mirror_000001.tar`…, and v1's `mirror_seq*` so the index can refuse them with advice).
 */
export async function resolveArchives(paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0)
    throw new BuildIsoError(
      'ARCHIVE_NOT_FOUND',
      'No mirror archive given; pass --mirror with the oc-mirror archive (mirror_000001.tar) or its folder.',
    );
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined)
      throw new BuildIsoError(
        'ARCHIVE_NOT_FOUND',
        `--mirror ${path} does not exist; give the oc-mirror archive or its folder.`,
      );
    if (!info.isDirectory()) {
      files.push(path);
      continue;
    }
    const chunks = (await readdir(path))
      .filter((name) => V2_CHUNK_NAME.test(name) || V1_CHUNK_NAME.test(name))
      .sort()
      .map((name) => join(path, name));
    if (chunks.length === 0)
      throw new BuildIsoError(
        'ARCHIVE_NOT_FOUND',
        `The folder ${path} holds no oc-mirror archive (mirror_000001.tar…); give the folder oc-mirror wrote to (file://DIR), or its chunks.`,
      );
    files.push(...chunks);
  }
  // A base run and its differential runs may each have a mirror_000001.tar (the volume names
  // them by run, boot-sequence volumeArchiveNames); the same file twice is a mistake.
  const absolute = files.map((file) => resolve(file));
  const duplicate = absolute.find((file, index) => absolute.indexOf(file) !== index);
  if (duplicate !== undefined)
    throw new BuildIsoError(
      'ARCHIVE_NOT_FOUND',
      `The archive ${duplicate} is given twice; give each oc-mirror run's folder (or chunk) once, the base run first.`,
    );
  return files;
}

/**
 * The registry program: the given path, else Debian's docker-registry when installed, else
 * none (`undefined`). A given path that is not an executable file is an error.
 */
export async function findRegistryBinary(
  given: string | undefined,
  fallback = DEFAULT_REGISTRY_BINARY,
): Promise<string | undefined> {
  const candidate = given ?? fallback;
  const info = await stat(candidate).catch(() => undefined);
  const executable =
    info?.isFile() === true &&
    (await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    ));
  if (executable) return candidate;
  if (given === undefined) return undefined;
  throw new BuildIsoError(
    'REGISTRY_BINARY_MISSING',
    `The registry program ${given} ${info === undefined ? 'does not exist' : 'is not an executable file'}; pass --registry-binary with a distribution registry binary (Debian: apt-get install docker-registry, then /usr/bin/docker-registry).`,
  );
}

/** The Linux/x86 boot protocol magic `HdrS` at byte 0x202 (Documentation/arch/x86/boot.rst). */
const X86_MAGIC = { offset: 0x202, text: 'HdrS' };
/** arm64 Image header magic `ARM\x64` at byte 0x38 (Documentation/arch/arm64/booting.rst). */
const ARM64_MAGIC = { offset: 0x38, text: 'ARMd' };

/**
 * The kernel's architecture in install-config terms (`amd64`, `arm64`), or undefined when the
 * header is not one we know (a gzipped arm64 `vmlinuz`, s390x, ppc64le): then nothing is refused.
 */
export function kernelArchitecture(head: Buffer): 'amd64' | 'arm64' | undefined {
  const at = (magic: { offset: number; text: string }) =>
    head.toString('latin1', magic.offset, magic.offset + magic.text.length) === magic.text;
  if (at(X86_MAGIC)) return 'amd64';
  if (at(ARM64_MAGIC)) return 'arm64';
  return undefined;
}
