import type { IgnitionConfig } from '@hostmirror/ignition';
import { stringify } from 'yaml';
import {
  DEFAULT_IGNITION_SPEC,
  MACHINE_CONFIG_API_VERSION,
  MACHINE_CONFIG_ROLE_LABEL,
} from './constants.ts';
import { bootFileSet } from './files.ts';
import { fileSetToIgnition } from './ignition.ts';
import type { BootAssets, BootPlan } from './types.ts';

export interface MachineConfigDocument {
  apiVersion: typeof MACHINE_CONFIG_API_VERSION;
  kind: 'MachineConfig';
  metadata: { name: string; labels: Record<string, string> };
  spec: { config: IgnitionConfig };
}

export interface RenderedMachineConfig {
  pool: 'master' | 'worker';
  /** `99-<pool>-hostmirror`: 99 sorts after OpenShift's own configs, so ours merges last. */
  name: string;
  /** The file name for the installer's manifests folder (`openshift/`). */
  fileName: string;
  document: MachineConfigDocument;
  /** YAML 1.1 text, as openshift-install reads it. */
  yaml: string;
}

/**
 * MachineConfigs that run the same sequence on the installed system: find the preserved
 * volume, restore the registry program and TLS pair from it, serve, point the host at the
 * mirror; in mode node0 the master pool's also copies node0's storage to a control-plane node
 * without the volume (the sync step). One per pool the topology has (SNO and compact: master
 * only). Contents are never gzipped: a plain data URL is what every MCO version decodes. The
 * machine-config-daemon writes each `storage.files` entry with its mode and each unit's
 * contents, enabling `enabled` units (openshift/machine-config-operator pkg/daemon/update.go
 * writeFiles, writeUnits), as Ignition does on the first boot.
 */
export function renderMachineConfigs(
  plan: BootPlan,
  assets: BootAssets,
  options: { spec?: string } = {},
): RenderedMachineConfig[] {
  const pools = [...new Set(plan.roles.map((role) => role.pool))];
  return pools.map((pool) => {
    // Per pool: the master pool's carries the control-plane copy (its sync step, script and
    // the TLS pair) in mode node0; the worker pool's never does.
    const config = fileSetToIgnition(bootFileSet(plan, 'installed', assets, { pool }), {
      spec: options.spec ?? DEFAULT_IGNITION_SPEC,
      compress: 'never',
    });
    const name = `99-${pool}-hostmirror`;
    const document: MachineConfigDocument = {
      apiVersion: MACHINE_CONFIG_API_VERSION,
      kind: 'MachineConfig',
      metadata: { name, labels: { [MACHINE_CONFIG_ROLE_LABEL]: pool } },
      spec: { config },
    };
    return {
      pool,
      name,
      fileName: `${name}.yaml`,
      document,
      yaml: stringify(document, { version: '1.1', lineWidth: 0 }),
    };
  });
}
