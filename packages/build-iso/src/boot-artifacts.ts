/**
 * What the mirror-mode boot sequence becomes in a build: the build-time assets (TLS pair,
 * registries.conf drop-in, registry config), the live Ignition (the sequence's files, units and
 * gate drop-ins, then the user's extra configs merged on top, as Ignition merges), the initrd
 * overlay spec (the registry program and the dracut pre-pivot hook that copies it into the
 * live root, installer.md §1.3), the post-reboot MachineConfigs, and a text diagram.
 */

import type { Codec } from '@hostmirror/codecs';
import {
  ConfigBuilder,
  formatReport,
  type IgnitionConfig,
  mergeConfigs,
  openshiftSpecVersion,
  serializeConfig,
  validateConfig,
} from '@hostmirror/ignition';
import type { OverlaySpec } from '@hostmirror/initrd';
import {
  type ArchiveDigest,
  type BootAssets,
  type BootFileSet,
  type BootPhase,
  type BootPlan,
  bootFileSet,
  INITRD_REGISTRY_BINARY,
  MACHINE_CONFIG_API_VERSION,
  MACHINE_CONFIG_ROLE_LABEL,
  PRE_PIVOT_HOOK,
  PRE_PIVOT_HOOK_SCRIPT,
  REGISTRY_CONFIG_FILE,
  type RegistryConfigOptions,
  scriptText,
  TLS_CERTIFICATE_FILE,
  TLS_KEY_FILE,
  VOLUME_MOUNT,
} from '@hostmirror/mirror';
import { stringify } from 'yaml';
import { BuildIsoError } from './errors.ts';

/** An extra Ignition config to merge on top of ours, with the name it came from. */
export interface ExtraIgnition {
  origin: string;
  text: string;
}

/** The live config: our sequence as the parent, each extra config merged in as a child. */
export function composeLiveIgnition(
  fileSet: BootFileSet,
  extras: readonly ExtraIgnition[],
  base?: { origin: string; config: IgnitionConfig },
): { config: IgnitionConfig; text: string } {
  let config = fileSetConfig(fileSet, openshiftSpecVersion);
  // A config already embedded in the ISO (an agent ISO) is the parent: ours adds to it.
  if (base !== undefined) config = mergeConfigs(base.config, config);
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

/** A phase's files, units and drop-ins as an Ignition config. */
export function fileSetConfig(fileSet: BootFileSet, version: string): IgnitionConfig {
  const builder = new ConfigBuilder({ version });
  for (const file of fileSet.files)
    builder.addFile(file.path, file.contents, { mode: file.mode, overwrite: true });
  for (const unit of fileSet.units)
    builder.addUnit(unit.name, { contents: unit.contents, enabled: unit.enabled });
  for (const dropin of fileSet.dropins)
    builder.addDropin(dropin.unit, dropin.name, dropin.contents);
  return builder.build();
}

/** The registry program and the hook that installs it, for the initrd overlay. */
export function overlaySpec(registryBinary: string | undefined, compress: Codec): OverlaySpec {
  const files: OverlaySpec['files'] = [
    { path: PRE_PIVOT_HOOK, contents: scriptText(PRE_PIVOT_HOOK_SCRIPT), mode: 0o755 },
  ];
  if (registryBinary !== undefined)
    files.push({ path: INITRD_REGISTRY_BINARY, source: registryBinary, mode: 0o755 });
  return { compress, files, directories: [], symlinks: [] };
}

/** The registry's config.yml; the serve script overrides root, address and TLS paths. */
export function registryConfigFor(plan: BootPlan): {
  path: string;
  options: RegistryConfigOptions;
} {
  const { settings } = plan;
  return {
    path: REGISTRY_CONFIG_FILE,
    options: {
      rootDirectory: `${VOLUME_MOUNT}/hostmirror/registry`,
      listenAddress: `${settings.mode === 'node0' ? '0.0.0.0' : '127.0.0.1'}:${settings.registryPort}`,
      tls: { certificate: TLS_CERTIFICATE_FILE, key: TLS_KEY_FILE },
    },
  };
}

/** `99-<pool>-hostmirror` MachineConfigs carrying the installed phase (DESIGN.md §6). */
export function machineConfigs(
  plan: BootPlan,
  assets: BootAssets,
): { name: string; text: string }[] {
  const fileSet = bootFileSet(plan, 'installed', assets);
  const config = fileSetConfig(fileSet, openshiftSpecVersion);
  const pools = [...new Set(plan.roles.map((role) => role.pool))].sort();
  return pools.map((pool) => {
    const name = `99-${pool}-hostmirror`;
    const document = {
      apiVersion: MACHINE_CONFIG_API_VERSION,
      kind: 'MachineConfig',
      metadata: { name, labels: { [MACHINE_CONFIG_ROLE_LABEL]: pool } },
      spec: { config: JSON.parse(serializeConfig(config)) as unknown },
    };
    return { name: `${name}.yaml`, text: stringify(document, { version: '1.1', lineWidth: 0 }) };
  });
}

/** A text picture of the plan: each phase's steps in order, the units they gate, each role. */
export function bootDiagram(plan: BootPlan): string {
  const lines: string[] = [
    `boot sequence: mode ${plan.settings.mode}, topology ${plan.settings.topology}, registry ${plan.settings.registryName}:${plan.settings.registryPort}`,
  ];
  for (const phase of ['live', 'installed'] as BootPhase[]) {
    const phasePlan = plan.phases[phase];
    lines.push('', `${phase === 'live' ? 'live ISO boot' : 'installed system (after reboot)'}:`);
    for (const step of phasePlan.steps) {
      const when =
        step.condition === null
          ? 'every host'
          : step.condition === 'serve'
            ? 'serving host'
            : 'hosts using the mirror';
      const needs =
        step.requires.length > 0 ? ` (after ${step.requires.map(short).join(', ')})` : '';
      lines.push(
        `  ${step.kind === 'daemon' ? '◉' : '→'} ${short(step.unit).padEnd(10)} ${when}${needs}`,
      );
    }
    lines.push(
      `  ⇒ ${phasePlan.gate.relation} ${phasePlan.gate.steps.map(short).join(' + ')} before ${phasePlan.gate.units.join(', ')}`,
    );
  }
  lines.push('', 'hosts:');
  for (const role of plan.roles)
    lines.push(
      `  ${role.role} ×${role.count} (${role.pool}): ${role.part === 'server' ? 'serves the mirror from its volume' : `pulls from ${plan.settings.rendezvousIP}`}`,
    );
  return lines.join('\n');
}

function short(unit: string): string {
  return unit.replace(/^hostmirror-/, '').replace(/\.service$/, '');
}

/** sha256 manifest entries for the archives, as the boot sequence verifies them. */
export function archiveDigests(
  archives: readonly { name: string; sha256: string }[],
): ArchiveDigest[] {
  return archives.map(({ name, sha256 }) => ({ name, sha256 }));
}
