import { type MirrorArchive, readYaml } from '@hostmirror/oc-mirror-archive';

/**
 * The ImageSetConfiguration copy oc-mirror v2 puts in its archive (`isc_<RFC3339 time>` at the
 * top level, docs/mirror.md#v2-archives; the archive index keeps where each copy is): its
 * `mirror.additionalImages[].name` are images the cluster may pull that neither the release nor
 * a catalog names; `mirror.blockedImages[].name` were left out on purpose. Read as YAML 1.1, as oc-mirror's users write it (docs/design.md#packages).
 */

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
function parseImageSetConfigImages(
  text: string,
  origin: string,
): ArchiveImageSetConfig | undefined {
  let document: unknown;
  try {
    document = readYaml(text, { path: origin, aliases: 'refuse' });
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

/** The `isc_*` ImageSetConfiguration copies the archive index found, parsed. */
export async function readArchiveImageSetConfigs(
  archive: Pick<MirrorArchive, 'imageSetConfigCopies' | 'readImageSetConfigCopy'>,
): Promise<ArchiveImageSetConfig[]> {
  const configs: ArchiveImageSetConfig[] = [];
  for (const copy of archive.imageSetConfigCopies()) {
    const text = await archive.readImageSetConfigCopy(copy);
    const parsed = parseImageSetConfigImages(text, `${copy.range.chunk}:${copy.name}`);
    if (parsed !== undefined) configs.push(parsed);
  }
  return configs;
}
