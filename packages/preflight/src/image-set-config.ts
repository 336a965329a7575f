import { type MirrorArchive, readRecordedImageSetConfigs } from '@hostmirror/oc-mirror-archive';

/**
 * The ImageSetConfiguration copies oc-mirror v2 puts in its archive (`isc_<RFC3339 time>` at the
 * top level, docs/mirror.md#v2-archives), read by oc-mirror-archive's one reader
 * (`readRecordedImageSetConfigs`: a multi-document copy is read as oc-mirror read it, with a
 * note the check reports through the archive's records): their `mirror.additionalImages[].name`
 * are images the cluster may pull that neither the release nor a catalog names;
 * `mirror.blockedImages[].name` were left out on purpose.
 */

export interface ArchiveImageSetConfig {
  /** `<chunk>:<member>`. */
  origin: string;
  additionalImages: string[];
  blockedImages: string[];
}

/** The `isc_*` ImageSetConfiguration copies the archive index found, parsed. */
export async function readArchiveImageSetConfigs(
  archive: Pick<MirrorArchive, 'imageSetConfigCopies' | 'readImageSetConfigCopy'>,
): Promise<ArchiveImageSetConfig[]> {
  const { configs } = await readRecordedImageSetConfigs(archive);
  return configs.map((config) => ({
    origin: config.origin,
    additionalImages: config.additionalImages.map((image) => image.name),
    blockedImages: config.blockedImages,
  }));
}
