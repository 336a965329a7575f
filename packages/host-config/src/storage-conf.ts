/**
 * containers-storage.conf(5) with read-only additional image stores (docs/mirror.md#storage-conf). The
 * highest-precedence file wins whole (files are not merged), so this writes a complete file:
 * driver and graph root must match the host's (overlay on RHCOS), which the caller passes.
 */
export const STORAGE_CONF_PATH = '/etc/containers/storage.conf';

export interface StorageConfOptions {
  /** Must match the main graph root's driver (overlay on RHCOS). */
  driver: string;
  graphRoot: string;
  runRoot: string;
  additionalImageStores: string[];
}

function tomlString(value: string): string {
  return JSON.stringify(value);
}

export function renderStorageConf(options: StorageConfOptions): string {
  return [
    '# containers-storage.conf(5) written by hostmirror: read-only image stores beside the main one.',
    '[storage]',
    `driver = ${tomlString(options.driver)}`,
    `graphroot = ${tomlString(options.graphRoot)}`,
    `runroot = ${tomlString(options.runRoot)}`,
    '',
    '[storage.options]',
    `additionalimagestores = [${options.additionalImageStores.map(tomlString).join(', ')}]`,
    '',
  ].join('\n');
}
