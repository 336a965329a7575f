/** Read configs from files and write them atomically (for the CLI and other callers). */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@hostmirror/atomic-file';
import type { IgnitionConfig } from './config.ts';
import { IgnitionError } from './errors.ts';
import { formatReport } from './report.ts';
import { type SerializeOptions, serializeConfig } from './serialize.ts';
import { type ValidateOptions, validateConfig } from './validate.ts';

/**
 * Read and validate a config file; throws `CONFIG_INVALID` (with the report) naming the file
 * and every error when Ignition would refuse it. Warnings do not stop it.
 */
export async function loadConfigFile(
  path: string,
  options: ValidateOptions = {},
): Promise<IgnitionConfig> {
  const report = validateConfig(await readFile(path), options);
  if (!report.valid || report.config === undefined)
    throw new IgnitionError(
      'CONFIG_INVALID',
      `${path} is not a valid Ignition config:\n${formatReport(report)}`,
      { report },
    );
  return report.config;
}

export interface WriteConfigOptions extends SerializeOptions {
  /** Replace an existing file (the CLI's `-f`). */
  overwrite?: boolean;
}

/** Serialise deterministically and write atomically (mode 0600: configs can hold secrets). */
export async function writeConfigFile(
  path: string,
  config: IgnitionConfig,
  options: WriteConfigOptions = {},
): Promise<void> {
  await writeFileAtomic(path, serializeConfig(config, options), {
    overwrite: options.overwrite ?? false,
    mode: 0o600,
  });
}
