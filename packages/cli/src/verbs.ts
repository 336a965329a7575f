import type { Command } from './command.ts';

/**
 * The verb groups of `hostmirror` (docs/design.md#command). Each module is loaded only when its group
 * is used, so `hostmirror initrd ls` does not load the ISO or mirror code. A group module
 * exports `commands`: its verbs by name; a group that is a single verb (`budget`,
 * `build-iso`, `boot-sequence`) exports one command under the name `''`.
 */
export interface VerbGroup {
  summary: string;
  load(): Promise<{ commands: Record<string, Command> }>;
}

export const verbGroups: Record<string, VerbGroup> = {
  volume: {
    summary: 'prepare the mirror volume (a disk image with the archives, labelled data)',
    load: () => import('./verbs/volume.ts'),
  },
  'build-iso': {
    summary:
      'build a mirror-mode ISO from a CoreOS ISO, cluster configs and oc-mirror archives (--demo)',
    load: () => import('./verbs/build-iso.ts'),
  },
  'install-config': {
    summary:
      "write install-config.yaml with the hosts' mirror (imageDigestSources, additionalTrustBundle)",
    load: () => import('./verbs/install-config.ts'),
  },
  initrd: {
    summary: 'build, append, list and verify initrd archives',
    load: () => import('./verbs/initrd.ts'),
  },
  iso: {
    summary: 'inspect CoreOS live ISOs, embed Ignition and kargs, extend the initrd, PXE files',
    load: () => import('./verbs/iso.ts'),
  },
  pxe: {
    summary: 'customize a CoreOS live initramfs for PXE (coreos-installer pxe customize)',
    load: () => import('./verbs/pxe.ts'),
  },
  budget: {
    summary: 'RAM, tmpfs and embed-area budget of the live host',
    load: () => import('./verbs/budget.ts'),
  },
  mirror: {
    summary: 'oc-mirror archives, ImageSetConfiguration, registries.conf',
    load: () => import('./verbs/mirror.ts'),
  },
  ignition: {
    summary: "validate with Ignition's rules, merge and translate Ignition configs",
    load: () => import('./verbs/ignition.ts'),
  },
  version: {
    summary: 'the version of hostmirror, its packages, Node and the codec backends (--version, -V)',
    load: () => import('./verbs/version.ts'),
  },
  'teardown-manifests': {
    summary:
      'write what removes hostmirror from an installed cluster (teardown MachineConfigs, oc steps)',
    load: () => import('./verbs/teardown-manifests.ts'),
  },
  'boot-sequence': {
    summary:
      'the mirror-mode boot sequence per mode and topology: text, mermaid, svg, json, ignition',
    load: () => import('./verbs/boot-sequence.ts'),
  },
};
