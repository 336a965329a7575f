/**
 * Resolve `ignition.config.replace` and `ignition.config.merge` whose sources are data URLs,
 * the way Ignition's engine renders a config (docs/ignition.md#merge): `replace` first (the
 * replacement is rendered in place of the whole config), else each `merge` entry in order,
 * rendered recursively and merged as the child. The result has no references left.
 */
import type { SpecVersion } from '@hostmirror/ignition-config-types';
import type { IgnitionConfig, Resource } from './config.ts';
import { IgnitionError } from './errors.ts';
import { cloneJson } from './json-depth.ts';
import { mergeConfigs } from './merge.ts';
import { formatReport } from './report.ts';
import { readDataResource } from './resource-data.ts';
import { translateConfig } from './translate.ts';
import { validateConfig } from './validate.ts';

/** Ignition follows references this deep at most (we refuse a cycle the same way). */
const maxDepth = 10;

function referencedConfig(resource: Resource, where: string): IgnitionConfig {
  const report = validateConfig(readDataResource(resource));
  if (!report.valid || report.config === undefined)
    throw new IgnitionError(
      'CONFIG_INVALID',
      `The config referenced by ${where} is not valid:\n${formatReport(report)}`,
      { report },
    );
  return report.config;
}

function withoutReferences(config: IgnitionConfig): IgnitionConfig {
  const result = cloneJson(config);
  if (result.ignition.config !== undefined) {
    delete result.ignition.config.merge;
    delete result.ignition.config.replace;
    if (Object.keys(result.ignition.config).length === 0) delete result.ignition.config;
  }
  return result;
}

/**
 * The config with its data-URL `replace`/`merge` references rendered, in spec `to` (default:
 * the config's own spec, or newer when a referenced config is newer). Only `data:` sources
 * can be rendered offline; others throw `DATA_URL_INVALID`.
 */
export function renderConfig(config: IgnitionConfig, to?: SpecVersion, depth = 0): IgnitionConfig {
  if (depth > maxDepth)
    throw new IgnitionError(
      'CONFIG_INVALID',
      `Config references nest deeper than ${maxDepth}; is there a cycle?`,
    );
  const replace = config.ignition.config?.replace;
  if (replace?.source !== undefined && replace.source !== null) {
    return renderConfig(referencedConfig(replace, '$.ignition.config.replace'), to, depth + 1);
  }
  let merged = withoutReferences(config);
  (config.ignition.config?.merge ?? []).forEach((resource, index) => {
    const child = renderConfig(
      referencedConfig(resource, `$.ignition.config.merge.${index}`),
      undefined,
      depth + 1,
    );
    merged = mergeConfigs(merged, child);
  });
  return to === undefined ? merged : translateConfig(merged, to);
}
