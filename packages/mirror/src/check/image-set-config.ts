import { open } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ISC_COPY_PREFIX } from '../formats/archive-layout.ts';
import { readTarEntries } from '../formats/tar-reader.ts';

/**
 * What the archive index leaves out but the check needs. The ImageSetConfiguration copy oc-mirror v2 puts in its archive (`isc_<RFC3339 time>` at the
 * top level, mirror.md §3.2): its `mirror.additionalImages[].name` are images the cluster may
 * pull that neither the release nor a catalog names; `mirror.blockedImages[].name` were left
 * out on purpose. Read as YAML 1.1, as oc-mirror's users write it (DESIGN.md §2).
 */

/** An ImageSetConfiguration is a few KiB; a larger `isc_` member is not one. */
const MAX_ISC_BYTES = 1024 * 1024;

export interface ArchiveImageSetConfig {
  /** `<chunk>:<member>`. */
  origin: string;
  additionalImages: string[];
  blockedImages: string[];
}

function names(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list
    .map((item) => (item as { name?: unknown } | null)?.name)
    .filter((name): name is string => typeof name === 'string' && name !== '');
}

/** Parse one ImageSetConfiguration's text; undefined when it is not one. */
export function parseImageSetConfigImages(
  text: string,
  origin: string,
): ArchiveImageSetConfig | undefined {
  let document: unknown;
  try {
    document = parseYaml(text, { version: '1.1' });
  } catch {
    return undefined;
  }
  const root = document as {
    kind?: unknown;
    mirror?: { additionalImages?: unknown; blockedImages?: unknown };
  } | null;
  if (root?.kind !== 'ImageSetConfiguration') return undefined;
  return {
    origin,
    additionalImages: names(root.mirror?.additionalImages),
    blockedImages: names(root.mirror?.blockedImages),
  };
}

/** oc-mirror v2 keeps release signatures as `working-dir/signatures/<tag>-sha256-<hex>` (clusterresources const.go `signatureDir`). */
export const SIGNATURES_PREFIX = 'working-dir/signatures/';

export interface ArchiveExtras {
  imageSetConfigs: ArchiveImageSetConfig[];
  /** Names of the release signature files under `working-dir/signatures/`. */
  signatureFiles: string[];
}

/**
 * One more header pass over the chunks for what the index does not keep: the `isc_*`
 * ImageSetConfiguration copies (small, read) and the release signature file names.
 */
export async function scanArchiveExtras(chunks: readonly string[]): Promise<ArchiveExtras> {
  const extras: ArchiveExtras = { imageSetConfigs: [], signatureFiles: [] };
  for (const chunk of chunks) {
    const handle = await open(chunk, 'r');
    try {
      const entries = readTarEntries(handle, chunk, {
        inline: (entry) =>
          entry.kind === 'file' &&
          entry.name.startsWith(ISC_COPY_PREFIX) &&
          !entry.name.includes('/'),
        maxInlineBytes: MAX_ISC_BYTES,
      });
      for await (const entry of entries) {
        if (entry.kind === 'file' && entry.name.startsWith(SIGNATURES_PREFIX))
          extras.signatureFiles.push(entry.name.slice(SIGNATURES_PREFIX.length));
        if (entry.data === undefined) continue;
        const parsed = parseImageSetConfigImages(
          entry.data.toString('utf8'),
          `${chunk}:${entry.name}`,
        );
        if (parsed !== undefined) extras.imageSetConfigs.push(parsed);
      }
    } finally {
      await handle.close();
    }
  }
  return extras;
}
