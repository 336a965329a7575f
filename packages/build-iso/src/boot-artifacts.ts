/**
 * The boot sequence's renderings (`@hostmirror/boot-sequence`) put together for a build:
 * the live Ignition (the sequence's fragment, merged into an Ignition config the ISO already
 * embeds, then the user's extra configs merged on top, as Ignition merges) and the initrd
 * overlay spec (the registry program and the dracut pre-pivot hook that installs it).
 */

import { resolve } from 'node:path';
import {
  type BootAssets,
  type BootPlan,
  INITRD_REGISTRY_BINARY,
  renderInitrdOverlay,
  renderLiveIgnition,
} from '@hostmirror/boot-sequence';
import {
  formatReport,
  type IgnitionConfig,
  mergeConfigs,
  serializeConfig,
  validateConfig,
} from '@hostmirror/ignition';
import type { OverlaySpec } from '@hostmirror/initrd';
import { BuildIsoError } from './errors.ts';

/** An extra Ignition config to merge on top of ours, with the name it came from. */
export interface ExtraIgnition {
  origin: string;
  text: string;
}

/**
 * The live config: the mirror's fragment; a config already embedded in the ISO (an agent ISO)
 * as its parent; each extra config merged in as a child. Validated with Ignition's rules.
 */
export function composeLiveIgnition(
  plan: BootPlan,
  assets: BootAssets,
  extras: readonly ExtraIgnition[],
  base?: IgnitionConfig,
): { config: IgnitionConfig; text: string } {
  let config = renderLiveIgnition(plan, assets);
  if (base !== undefined) config = mergeConfigs(base, config);
  for (const extra of extras) {
    const report = validateConfig(extra.text);
    if (!report.valid || report.config === undefined)
      throw new BuildIsoError(
        'IGNITION_INVALID',
        `${extra.origin} is not a valid Ignition config:\n${formatReport(report)}\nFix it (hostmirror ignition validate ${extra.origin}) and build again.`,
      );
    config = mergeConfigs(config, report.config);
  }
  const text = serializeConfig(config);
  const report = validateConfig(text);
  if (!report.valid)
    throw new BuildIsoError(
      'IGNITION_INVALID',
      `The merged live Ignition config is not valid:\n${formatReport(report)}\nAn extra config conflicts with the mirror's files or units; remove the conflicting entry.`,
    );
  return { config, text };
}

/**
 * The overlay: the registry program and its hook. Without a program (the demo on a bare
 * machine) only the hook rides along; it does nothing when the program is absent, so the
 * ISO boots but cannot serve, as the report says.
 */
export function overlaySpec(
  registryBinary: string | undefined,
  compress: OverlaySpec['compress'],
  live?: { config: string; network: ReadonlyMap<string, Uint8Array> },
  inventory?: string,
): OverlaySpec {
  // The path is only read when the file is written; without a program that file is dropped.
  // A spec's `source:` is read against the spec's folder (build-iso's work folder), so a
  // relative path the caller gave, meant from its working folder, is made absolute here.
  const spec = renderInitrdOverlay({
    registryBinary: registryBinary === undefined ? INITRD_REGISTRY_BINARY : resolve(registryBinary),
    compress,
    // Mode node0's control-plane copy: node0 publishes it (boot-sequence constants INVENTORY_FILE).
    ...(inventory === undefined ? {} : { inventory }),
  });
  const files =
    registryBinary !== undefined
      ? spec.files
      : spec.files.filter((file) => file.path !== INITRD_REGISTRY_BINARY);
  // A live config too large for the embed area rides as the initramfs's /config.ign, and the
  // network keyfiles that would have been beside it in the area ride with it (0600, as
  // coreos-installer writes every embedded member).
  if (live !== undefined) {
    files.push({ path: LIVE_CONFIG_IN_INITRD, contents: live.config, mode: 0o644 });
    for (const [path, bytes] of live.network)
      files.push({ path: `/${path}`, contents: Buffer.from(bytes).toString('utf8'), mode: 0o600 });
  }
  return { ...spec, files };
}

/** Where the live initramfs looks for an appended Ignition config (pipeline.ts cites it). */
export const LIVE_CONFIG_IN_INITRD = '/config.ign';
