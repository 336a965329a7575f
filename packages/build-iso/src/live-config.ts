import { type BootAssets, type BootPlan, DEFAULT_IGNITION_SPEC } from '@hostmirror/boot-sequence';
import type { MirrorRule } from '@hostmirror/host-config';
import { type IgnitionConfig, mergeConfigs, validateConfig } from '@hostmirror/ignition';
import { readInitrdFile } from '@hostmirror/initrd';
import { type CoreosIso, IGNITION_MEMBER, isEmptyArea } from '@hostmirror/iso';
import type { ClusterResources, MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { agentMirrorFragment, isAgentConfig, releaseMirrorOf } from './agent-iso.ts';
import { composeLiveIgnition, type ExtraIgnition } from './boot-artifacts.ts';
import { BuildIsoError } from './errors.ts';
import { clusterManifests, type ManifestFile } from './manifests.ts';

/**
 * The live Ignition a build embeds, composed once for build-iso and `hostmirror boot-sequence
 * --format ignition` (so both print the same bytes for the same inputs): the boot sequence's
 * config; the config the ISO already embeds kept as its parent (an agent ISO's with the agent
 * edits: cluster manifests in `/etc/assisted/extra-manifests/`, registries.conf, CA bundle,
 * units); each extra `--ignition` config merged on top, as Ignition merges.
 */

export interface LiveConfigInput {
  plan: BootPlan;
  assets: BootAssets;
  archive: MirrorArchive;
  resources: ClusterResources;
  /** The hosts' mirror rules. */
  rules: readonly MirrorRule[];
  /** The release the hosts install: its pull spec (source) and manifest digest. */
  release: { reference: string | undefined; digest: string };
  /** The config the ISO already embeds (`readEmbeddedConfig`), if any. */
  embedded: IgnitionConfig | undefined;
  /** The ISO's path, for messages. */
  iso: string;
  extras: readonly ExtraIgnition[];
}

export interface LiveConfig {
  /** The cluster manifests (also the agent ISO's extra manifests). */
  manifests: ManifestFile[];
  /** The parent config (the embedded one, with the agent edits), if any. */
  base: IgnitionConfig | undefined;
  live: { config: IgnitionConfig; text: string };
  /** Set when the embedded config is an agent ISO's. */
  agent: { changes: string[] } | undefined;
  warnings: string[];
}

export function composeLiveConfig(input: LiveConfigInput): LiveConfig {
  const { plan, assets } = input;
  const manifests = clusterManifests(plan, assets, input.archive, input.resources);
  let base = input.embedded;
  let agent: LiveConfig['agent'];
  const warnings: string[] = [];
  if (base !== undefined && isAgentConfig(base)) {
    const edits = agentMirrorFragment(base, {
      rules: input.rules,
      caCertificate: assets.caCertificate,
      manifests,
      iso: input.iso,
      spec: DEFAULT_IGNITION_SPEC,
      ...((mirror) => (mirror === undefined ? {} : { releaseMirror: mirror }))(
        input.release.reference === undefined
          ? undefined
          : releaseMirrorOf(input.release.reference, input.release.digest, input.rules),
      ),
    });
    base = mergeConfigs(edits.base, edits.fragment);
    agent = { changes: edits.changes };
    warnings.push(...edits.warnings);
  }
  const live = composeLiveIgnition(plan, assets, input.extras, base);
  return { manifests, base, live, agent, warnings };
}

/** An Ignition config already embedded in the ISO (an agent ISO), to keep as the parent. */
export async function readEmbeddedConfig(iso: CoreosIso): Promise<IgnitionConfig | undefined> {
  const area = await iso.ignitionAreaBytes();
  if (isEmptyArea(area)) return undefined;
  const bytes = await readInitrdFile(
    (async function* () {
      yield area;
    })(),
    IGNITION_MEMBER,
  );
  if (bytes === undefined) return undefined;
  const report = validateConfig(bytes);
  if (!report.valid || report.config === undefined)
    throw new BuildIsoError(
      'IGNITION_INVALID',
      `The ISO ${iso.path} already embeds an Ignition config that is not valid; reset it first (hostmirror iso reset).`,
    );
  return report.config;
}
