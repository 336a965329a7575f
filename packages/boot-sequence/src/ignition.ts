import { ConfigBuilder, type IgnitionConfig } from '@hostmirror/ignition';
import { DEFAULT_IGNITION_SPEC } from './constants.ts';
import { bootFileSet } from './files.ts';
import type { BootAssets, BootFileSet, BootPlan } from './types.ts';

export interface BootIgnitionOptions {
  /** Ignition spec of the output (default 3.2.0, what OpenShift emits). */
  spec?: string;
  /** Gzip contents when that is shorter (default), or never (MachineConfigs). */
  compress?: 'auto' | 'never';
}

/** A phase's files, units and drop-ins as an Ignition config, checked with Ignition's rules. */
export function fileSetToIgnition(
  set: BootFileSet,
  options: BootIgnitionOptions = {},
): IgnitionConfig {
  const builder = new ConfigBuilder({
    version: options.spec ?? DEFAULT_IGNITION_SPEC,
    compress: options.compress ?? 'auto',
  });
  for (const file of set.files)
    builder.addFile(file.path, file.contents, { mode: file.mode, overwrite: true });
  for (const unit of set.units)
    builder.addUnit(unit.name, { contents: unit.contents, enabled: unit.enabled });
  for (const dropin of set.dropins) builder.addDropin(dropin.unit, dropin.name, dropin.contents);
  return builder.build();
}

/**
 * The live ISO's Ignition fragment of the mirror: merge it into the agent config (or add it as
 * a `base.d` config). The registry program itself is not in it: it rides in the initrd overlay.
 */
export function renderLiveIgnition(
  plan: BootPlan,
  assets: BootAssets,
  options: BootIgnitionOptions = {},
): IgnitionConfig {
  return fileSetToIgnition(bootFileSet(plan, 'live', assets), options);
}
