import { writeFileAtomic } from '@hostmirror/atomic-file';

/**
 * Write a generated file (registries.conf, ImageSetConfiguration, config.yml…) whole or not
 * at all, refusing to replace an existing one unless `overwrite` (the CLI's `-f`).
 */
export async function writeOutputFile(
  path: string,
  text: string,
  options: { overwrite?: boolean; mode?: number } = {},
): Promise<void> {
  await writeFileAtomic(path, text, options);
}
