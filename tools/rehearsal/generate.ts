/**
 * Inputs and Ignition configs of the rehearsal (tools/rehearse.sh).
 *
 *   node --import tsx tools/rehearsal/generate.ts inputs DIR [--hosts N]
 *       DIR/mirror/mirror_000001.tar   the demo's oc-mirror v2 archive (its release, two components)
 *       DIR/install-config.yaml        the demo's install-config as a compact cluster (3 masters)
 *       DIR/agent-config.yaml          node0 (the rendezvous IP) and the other masters, MAC + IP
 *       DIR/hosts                      "mac name address" for each of the N hosts that boot
 *       DIR/rehearsal-live.ign         merged into the live ISO's config with `build-iso --ignition`
 *   node --import tsx tools/rehearsal/generate.ts installed DIR MANIFESTS-DIR OUT.ign
 *       the installed-phase config: the build's MachineConfig for the master pool and the
 *       /etc/containers/registries.conf MCO renders from the build's ImageDigestMirrorSets and
 *       ImageTagMirrorSets (what MCO would write at the first boot from disk), merged with the
 *       rehearsal's network and checks
 *
 * The live config carries stand-ins for the agent ISO's units with upstream's names and
 * ordering (openshift/installer data/data/agent/systemd/units/ at 0002b772 for
 * agent-interactive-console.service, 70ca7379 for agent.service, 387962d4 for
 * node-zero.service), the networkd files that give each host its address by MAC (as
 * agent-config's per-host networkConfig does), and rehearsal-check.service.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import {
  DEMO_RELEASE_SOURCE,
  DEMO_RENDEZVOUS_IP,
  demoInstallConfig,
  makeDemoArchive,
} from '../../packages/fixtures/src/index.ts';
import { type MirrorRule, renderRegistriesConf } from '../../packages/host-config/src/index.ts';
import {
  ConfigBuilder,
  type IgnitionConfig,
  mergeConfigs,
  serializeConfig,
} from '../../packages/ignition/src/index.ts';
import {
  collectClusterResources,
  parseClusterResourceFile,
} from '../../packages/oc-mirror-archive/src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const GUEST = join(here, 'guest');
const LIB_DIR = '/usr/local/lib/hostmirror-rehearsal';
const ETC_DIR = '/etc/hostmirror-rehearsal';
/** The demo archive's component repository source (oc-mirror's ocp-v4.0-art-dev). */
const COMPONENT_SOURCE = 'quay.io/openshift-release-dev/ocp-v4.0-art-dev';
const EPOCH = 1_700_000_000;
const PREFIX = 24;

export interface RehearsalHost {
  name: string;
  mac: string;
  address: string;
}

/** node0 holds the demo's rendezvous IP; the others follow it. */
export function rehearsalHosts(count: number): RehearsalHost[] {
  const base = DEMO_RENDEZVOUS_IP.split('.').map(Number);
  return Array.from({ length: count }, (_, index) => {
    const last = (base[3] ?? 0) + index;
    return {
      name: `node${index}`,
      mac: `52:54:00:00:00:${last.toString(16).padStart(2, '0')}`,
      address: [...base.slice(0, 3), last].join('.'),
    };
  });
}

/** The demo's install-config, as a compact cluster (three control-plane nodes, no workers). */
export function compactInstallConfig(): string {
  const sno = demoInstallConfig();
  const compact = sno
    .replace('a single-node OpenShift cluster', 'a compact OpenShift cluster')
    .replace(/(controlPlane:\n {2}name: master\n {2}replicas: )1/, '$13');
  if (compact === sno || !compact.includes('replicas: 3'))
    throw new Error(
      'rehearsal: the demo install-config changed shape; update compactInstallConfig',
    );
  return compact;
}

export function compactAgentConfig(hosts: readonly RehearsalHost[]): string {
  const lines = [
    'apiVersion: v1beta1',
    'kind: AgentConfig',
    'metadata:',
    '  name: demo',
    `rendezvousIP: ${DEMO_RENDEZVOUS_IP}`,
    'hosts:',
  ];
  for (const host of hosts)
    lines.push(
      `- hostname: ${host.name}`,
      '  role: master',
      '  rootDeviceHints:',
      '    deviceName: /dev/vda',
      '  interfaces:',
      '  - name: eth0',
      `    macAddress: ${host.mac}`,
    );
  return `${lines.join('\n')}\n`;
}

/** What every host's configs share: the host table, the image references, the scripts. */
async function commonConfig(
  builder: ConfigBuilder,
  hosts: readonly RehearsalHost[],
  refs: Record<string, string>,
) {
  for (const host of hosts)
    builder.addFile(
      `/etc/systemd/network/10-rehearsal-${host.name}.network`,
      [
        '# The rehearsal gives each host its address by MAC, as agent-config networkConfig does.',
        '[Match]',
        `MACAddress=${host.mac}`,
        '[Network]',
        `Address=${host.address}/${PREFIX}`,
        '',
      ].join('\n'),
    );
  builder.addFile(
    `${ETC_DIR}/hosts`,
    hosts.map((host) => `${host.mac} ${host.name} ${host.address}\n`).join(''),
  );
  builder.addFile(
    `${ETC_DIR}/refs.env`,
    Object.entries(refs)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
  builder.addFile(`${LIB_DIR}/rehearsal-lib.sh`, await readFile(join(GUEST, 'rehearsal-lib.sh')));
  for (const script of ['rehearsal-check', 'rehearsal-standin'])
    builder.addFile(`${LIB_DIR}/${script}`, await readFile(join(GUEST, `${script}.sh`)), {
      mode: 0o755,
    });
}

function checkUnit(after: readonly string[]): string {
  return [
    '[Unit]',
    'Description=hostmirror rehearsal: check this host and report on the serial console',
    'Wants=network-online.target',
    `After=network-online.target ${after.join(' ')}`,
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=${LIB_DIR}/rehearsal-check`,
    'StandardOutput=journal',
    'TimeoutStartSec=infinity',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/**
 * The live config: stand-ins with upstream's [Unit] ordering; [Service] runs
 * rehearsal-standin instead of the agent programs.
 */
async function liveConfig(hosts: readonly RehearsalHost[], refs: Record<string, string>) {
  const builder = new ConfigBuilder({ version: '3.2.0' });
  await commonConfig(builder, hosts, refs);
  const standin = `${LIB_DIR}/rehearsal-standin`;
  builder.addUnit('agent-interactive-console.service', {
    enabled: true,
    contents: [
      '# Stand-in: upstream [Unit] ordering (openshift/installer',
      '# data/data/agent/systemd/units/agent-interactive-console.service at 0002b772); the',
      '# ConditionPathExists=/dev/fb0 and /usr/local/bin/agent-tui are dropped (these hosts have',
      '# a serial console only) and WantedBy=multi-user.target replaces getty@tty1.service.',
      '[Unit]',
      'Description=Get interactive user configuration at boot',
      'After=dev-fb0.device network-pre.target NetworkManager.service pre-network-manager-config.service selinux.service agent-extract-tui.service coreos-update-ca-trust.service',
      'Before=getty@tty1.service network.target network.service agent.service node-zero.service NetworkManager-wait-online.service',
      'Wants=agent-extract-tui.service',
      'ConditionPathExists=!/etc/assisted/node0',
      '',
      '[Service]',
      'Type=oneshot',
      `ExecStart=${standin} console`,
      'TimeoutStartSec=0',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
  });
  builder.addUnit('agent.service', {
    enabled: true,
    contents: [
      '# Stand-in: upstream [Unit] (openshift/installer data/data/agent/systemd/units/agent.service',
      '# at 70ca7379); the program only records when it started.',
      '[Unit]',
      'Description=Assisted Installer Agent',
      'Wants=network-online.target set-hostname.service',
      'After=network-online.target set-hostname.service',
      '',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      `ExecStart=${standin} agent`,
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
  });
  builder.addUnit('node-zero.service', {
    enabled: true,
    contents: [
      '# Stand-in: upstream [Unit] (openshift/installer data/data/agent/systemd/units/node-zero.service',
      '# at 387962d4); the program only records when it started.',
      '[Unit]',
      'Description=Identify node zero to run OpenShift Assisted Installation Service on',
      'Wants=network-online.target',
      'After=network-online.target',
      '',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      `ExecStart=${standin} node-zero`,
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
  });
  builder.addUnit('rehearsal-check.service', {
    enabled: true,
    contents: checkUnit([
      'hostmirror-ready.service',
      'agent.service',
      'node-zero.service',
      'agent-interactive-console.service',
    ]),
  });
  return builder.build();
}

async function installedRehearsalConfig(
  hosts: readonly RehearsalHost[],
  refs: Record<string, string>,
) {
  const builder = new ConfigBuilder({ version: '3.2.0' });
  await commonConfig(builder, hosts, refs);
  builder.addUnit('rehearsal-check.service', {
    enabled: true,
    contents: checkUnit(['hostmirror-ready.service', 'hostmirror-registry.service']),
  });
  return builder.build();
}

function refsOf(): Record<string, string> {
  const archive = makeDemoArchive(EPOCH);
  const component = archive.components[0];
  if (component === undefined) throw new Error('rehearsal: the demo archive has no component');
  return {
    HMR_RELEASE_REF: `${DEMO_RELEASE_SOURCE}@${archive.release.digest}`,
    HMR_COMPONENT_REF: `${COMPONENT_SOURCE}@${component.digest}`,
    HMR_RENDEZVOUS_IP: DEMO_RENDEZVOUS_IP,
  };
}

async function readHosts(folder: string): Promise<RehearsalHost[]> {
  const text = await readFile(join(folder, 'hosts'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [mac = '', name = '', address = ''] = line.split(' ');
      return { mac, name, address };
    });
}

async function writeInputs(folder: string, count: number): Promise<void> {
  if (!Number.isInteger(count) || count < 2 || count > 3)
    throw new Error('rehearsal: --hosts is 2 or 3 (node0 and one or two other masters)');
  await mkdir(join(folder, 'mirror'), { recursive: true });
  const archive = makeDemoArchive(EPOCH);
  const hosts = rehearsalHosts(count);
  await writeFile(join(folder, 'mirror/mirror_000001.tar'), archive.bytes);
  await writeFile(join(folder, 'install-config.yaml'), compactInstallConfig());
  // agent-config lists the three masters of the compact cluster; only `count` of them boot.
  await writeFile(join(folder, 'agent-config.yaml'), compactAgentConfig(rehearsalHosts(3)));
  await writeFile(
    join(folder, 'hosts'),
    hosts.map((host) => `${host.mac} ${host.name} ${host.address}\n`).join(''),
  );
  await writeFile(
    join(folder, 'rehearsal-live.ign'),
    serializeConfig(await liveConfig(rehearsalHosts(3), refsOf())),
  );
}

interface MachineConfigDocument {
  kind?: string;
  metadata?: { labels?: Record<string, string> };
  spec?: { config?: IgnitionConfig };
}

/** The master pool's MachineConfigs of the build, merged in name order as MCO renders them. */
async function masterMachineConfig(manifests: string): Promise<IgnitionConfig> {
  const configs: IgnitionConfig[] = [];
  for (const name of (await readdir(manifests)).sort()) {
    if (!name.endsWith('.yaml')) continue;
    const document = parse(await readFile(join(manifests, name), 'utf8')) as MachineConfigDocument;
    const role = document?.metadata?.labels?.['machineconfiguration.openshift.io/role'];
    if (document?.kind === 'MachineConfig' && role === 'master' && document.spec?.config)
      configs.push(document.spec.config);
  }
  if (configs.length === 0) throw new Error(`rehearsal: no master MachineConfig in ${manifests}`);
  return configs.reduce((parent, child) => mergeConfigs(parent, child));
}

/**
 * The MCO stand-in: /etc/containers/registries.conf as the machine-config-operator renders it
 * from the cluster's ImageDigestMirrorSets and ImageTagMirrorSets (ICSPs count as digest
 * mirrors) into its `99-<pool>-generated-registries` MachineConfig
 * (openshift/machine-config-operator pkg/controller/container-runtime-config/helpers.go,
 * updateRegistriesConfig at 02910734): one `[[registry]]` per source with `location` = the
 * source, each mirror with `pull-from-mirror = "digest-only"` (IDMS) or `"tag-only"` (ITMS),
 * `blocked = true` only for `NeverContactSource`; sources in order of location, as MCO sorts
 * them. Rendered by host-config's registries.conf writer, the one the product uses.
 */
export function mcoRegistriesConf(manifests: readonly { file: string; text: string }[]): string {
  const resources = collectClusterResources(
    manifests.flatMap((manifest) => parseClusterResourceFile(manifest.file, manifest.text)),
  );
  const bySource = new Map<string, MirrorRule>();
  const add = (
    entries: typeof resources.imageDigestMirrors,
    pullFromMirror: 'digest-only' | 'tag-only',
  ) => {
    for (const entry of entries) {
      const rule = bySource.get(entry.source) ?? {
        source: entry.source,
        mirrors: [],
        blocked: false,
      };
      bySource.set(entry.source, rule);
      rule.blocked ||= entry.mirrorSourcePolicy === 'NeverContactSource';
      for (const location of entry.mirrors) {
        const known = rule.mirrors.find((mirror) => mirror.location === location);
        if (known === undefined) rule.mirrors.push({ location, pullFromMirror });
        else if (known.pullFromMirror !== pullFromMirror) known.pullFromMirror = 'all';
      }
    }
  };
  add(resources.imageDigestMirrors, 'digest-only');
  add(resources.imageTagMirrors, 'tag-only');
  if (bySource.size === 0)
    throw new Error('rehearsal: the manifests hold no ImageDigestMirrorSet or ImageTagMirrorSet');
  const rules = [...bySource.values()].sort((a, b) => a.source.localeCompare(b.source));
  return renderRegistriesConf({
    rules,
    comment:
      "The rehearsal's MCO stand-in: what the machine-config-operator renders from the\ncluster's ImageDigestMirrorSets/ImageTagMirrorSets (99-master-generated-registries).",
  });
}

async function readManifests(folder: string): Promise<{ file: string; text: string }[]> {
  const names = (await readdir(folder)).filter((name) => /\.ya?ml$/.test(name)).sort();
  return Promise.all(
    names.map(async (name) => ({
      file: join(folder, name),
      text: await readFile(join(folder, name), 'utf8'),
    })),
  );
}

async function writeInstalled(folder: string, manifests: string, output: string): Promise<void> {
  const machineConfig = await masterMachineConfig(manifests);
  const mco = new ConfigBuilder({ version: '3.2.0' })
    .addFile('/etc/containers/registries.conf', mcoRegistriesConf(await readManifests(manifests)), {
      overwrite: true,
    })
    .build();
  const rehearsal = await installedRehearsalConfig(rehearsalHosts(3), refsOf());
  await writeFile(
    output,
    serializeConfig(
      [mco, rehearsal].reduce((parent, child) => mergeConfigs(parent, child), machineConfig),
    ),
  );
  await readHosts(folder);
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { hosts: { type: 'string', default: '2' } },
  });
  const [command, ...rest] = positionals;
  if (command === 'inputs' && rest.length === 1)
    await writeInputs(resolve(rest[0] as string), Number(values.hosts));
  else if (command === 'installed' && rest.length === 3)
    await writeInstalled(rest[0] as string, rest[1] as string, rest[2] as string);
  else {
    process.stderr.write(
      'usage: generate.ts inputs DIR [--hosts N] | installed DIR MANIFESTS-DIR OUT.ign\n',
    );
    process.exitCode = 2;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  await main(process.argv.slice(2));
