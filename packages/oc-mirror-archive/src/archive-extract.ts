import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { judgedName, type MirrorArchive } from './archive-index.ts';
import { REGISTRY_TREE_PREFIX, WORKING_DIR_PREFIX } from './archive-layout.ts';
import { readTarEntries } from './tar-reader.ts';

/**
 * Unpack an indexed archive the way a registry needs it (mirror.md "Design implications" 8):
 * the `docker/registry/v2/` members under `registryRoot` (the registry's
 * `storage.filesystem.rootdirectory`), `working-dir/` under `workingDir` when given, nothing
 * else. Chunks in order, so a differential archive lands on its base. Every member is judged
 * again by the one member rule (archive-member.ts: no absolute names, no `..`, no links or
 * special files), since the files may have changed since indexing; only regular files and
 * folders are ever written. Re-running converges: each file is written to a temporary name and renamed,
 * and a file already there with the right size is kept.
 */
export interface ExtractOptions {
  registryRoot: string;
  workingDir?: string;
  /** Called with the bytes of each file written (for progress). */
  onBytes?: (bytes: number) => void;
}

export interface ExtractReport {
  files: number;
  bytes: number;
  skipped: number;
}

const directoryMode = 0o755;
const fileMode = 0o644;

function targetFor(name: string, options: ExtractOptions): string | undefined {
  if (name.startsWith(REGISTRY_TREE_PREFIX) || `${name}/`.startsWith(REGISTRY_TREE_PREFIX))
    return join(options.registryRoot, name);
  if (options.workingDir !== undefined && name.startsWith(WORKING_DIR_PREFIX))
    return join(options.workingDir, name.slice(WORKING_DIR_PREFIX.length));
  return undefined;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

export async function extractMirrorArchive(
  archive: MirrorArchive,
  options: ExtractOptions,
): Promise<ExtractReport> {
  const report: ExtractReport = { files: 0, bytes: 0, skipped: 0 };
  for (const [index, chunk] of archive.chunks.entries()) {
    const handle = await open(chunk.path, 'r');
    try {
      for await (const entry of readTarEntries(handle, chunk.path)) {
        const target = targetFor(judgedName(entry, chunk.path, index + 1), options);
        if (target === undefined) continue;
        if (entry.kind === 'directory') {
          await mkdir(target, { recursive: true, mode: directoryMode });
          continue;
        }
        if (entry.kind !== 'file') continue;
        await mkdir(dirname(target), { recursive: true, mode: directoryMode });
        if ((await sizeOf(target)) === entry.size && target.endsWith('/data')) {
          report.skipped++;
          continue;
        }
        const temporary = `${target}.hostmirror-partial`;
        const source =
          entry.size === 0
            ? []
            : createReadStream(chunk.path, {
                start: entry.dataOffset,
                end: entry.dataOffset + entry.size - 1,
              });
        await pipeline(source, createWriteStream(temporary, { mode: fileMode }));
        await rename(temporary, target);
        report.files++;
        report.bytes += entry.size;
        options.onBytes?.(entry.size);
      }
    } finally {
      await handle.close();
    }
  }
  return report;
}
