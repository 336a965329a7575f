/**
 * The agent console and the mirror, under this machine's systemd as PID 1 (systemd-nspawn).
 *
 * On the agent ISO, `agent-interactive-console.service` runs agent-tui, which pulls
 * `$RELEASE_IMAGE` every 5 s (`podman pull`, its ReleaseImagePull check) and lets the boot go on
 * only once that pull passes; it has no give-up of its own. It is ordered
 * `Before=network.target … agent.service node-zero.service NetworkManager-wait-online.service`
 * with `TimeoutStartSec=0`, so `network-online.target` waits for it
 * (openshift/installer data/data/agent/systemd/units/agent-interactive-console.service at
 * 0002b772756c7394b69467abf14629118fd724ca; agent-installer-utils tools/agent_tui/checks/engine.go
 * and ui/controller.go at c031572). Anything the console's pull needs must therefore be in place
 * without waiting for `network-online.target`, on node0 and on every host that pulls from it.
 *
 * Each host here is a container with the live file set of the boot sequence, stand-ins with the
 * upstream units' ordering (the console, NetworkManager and its wait-online, node-zero, agent),
 * and a stand-in `agent-tui` that pulls the release by digest in a loop with skopeo (the same
 * registries.conf, certs.d and /etc/hosts podman reads) and gives up after a while so that a
 * deadlock ends the test instead of hanging it. Hosts of one cluster are joined by a veth pair
 * inside a private network namespace; nothing reaches this machine's network.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type BootSettingsInput,
  bootFileSet,
  CONSOLE_UNITS,
  PRE_PIVOT_HOOK_SCRIPT,
  prepareBootSequence,
  scriptText,
} from '@hostmirror/boot-sequence';
import { requireTool, runTool } from '@hostmirror/fixtures';
import { enableUnits, makeContainerRoot, nspawnBootCommand } from './container.ts';
import { makeArchives, testAssets, writeFileSet } from './support.ts';

const ARCHIVES = ['mirror_000001.tar', 'mirror_000002.tar'];
const RELEASE_SOURCE = 'quay.io/openshift-release-dev/ocp-release';
/** How long the stand-in console tries before it records that it gave up (a deadlock's mark). */
const CONSOLE_LIMIT_SECONDS = 45;
/** Where the containers of one cluster see the folder they share (to say when they are done). */
const SHARED = '/hostmirror-test';

let work: string;
let fixtures: string;
let releaseDigest: string;

interface HostSpec {
  name: string;
  /** The address NetworkManager's stand-in gives the host's interface, with its prefix. */
  address: string;
  /** The host carries the mirror volume (a folder volume with the archives). */
  volume: boolean;
}

interface HostOutcome {
  /** What end.service recorded: unit states, then the journal. */
  end: string;
  /** Lines the stand-ins appended: CONSOLE-PULLED / CONSOLE-GAVE-UP, NODE-ZERO-RAN, AGENT-PULLED. */
  result: string;
}

function unitText(lines: readonly string[]): string {
  return `${lines.join('\n')}\n`;
}

/**
 * The stand-ins of the live ISO's units. Each keeps the ordering of the upstream unit it stands
 * for; only what needs a real console, NetworkManager or assisted-service is replaced.
 */
function standInUnits(host: HostSpec, iface: string, waitFor: readonly string[]) {
  const family = host.address.includes(':') ? '-6' : '-4';
  const nodad = host.address.includes(':') ? ' nodad' : '';
  return {
    // openshift/installer agent-interactive-console.service at 0002b772: [Unit] as upstream but
    // ConditionPathExists=/dev/fb0 (a container has no framebuffer); [Service] without the
    // TTY and chvt lines for the same reason. It is enabled by multi-user.target here (upstream:
    // WantedBy=getty@tty1.service, which a container does not start).
    'agent-interactive-console.service': unitText([
      '[Unit]',
      'Description=Get interactive user configuration at boot',
      'After=dev-fb0.device network-pre.target NetworkManager.service pre-network-manager-config.service selinux.service agent-extract-tui.service coreos-update-ca-trust.service',
      'Before=getty@tty1.service network.target network.service agent.service node-zero.service NetworkManager-wait-online.service',
      'Wants=agent-extract-tui.service',
      'ConditionPathExists=/usr/local/bin/agent-tui',
      'ConditionPathExists=!/etc/assisted/node0',
      '',
      '[Service]',
      'Type=oneshot',
      'EnvironmentFile=/etc/assisted/agent-installer.env',
      'Environment=AGENT_TUI_LOG_PATH=/var/log/agent/agent-tui.log',
      'ExecStartPre=/usr/bin/kill -s SIGRTMIN+21 1',
      'ExecStartPre=mkdir -p /var/log/agent',
      'ExecStart=/usr/local/bin/agent-tui',
      'ExecStopPost=/usr/bin/kill -s SIGRTMIN+20 1',
      'TimeoutStartSec=0',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
    ]),
    // NetworkManager (RHCOS: Before=network.target, After=network-pre.target): brings up the
    // host's one interface with its address, as NetworkManager does from the agent's keyfiles.
    'NetworkManager.service': unitText([
      '[Unit]',
      'Description=stand-in for NetworkManager: the host address on its interface',
      'Wants=network.target',
      'After=network-pre.target',
      'Before=network.target',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      `ExecStart=/bin/sh /usr/local/bin/network-stand-in ${family} ${host.address} ${iface}${nodad}`,
      '[Install]',
      'WantedBy=multi-user.target',
    ]),
    // NetworkManager-wait-online.service: what network-online.target waits for on RHCOS.
    'NetworkManager-wait-online.service': unitText([
      '[Unit]',
      'Description=stand-in for NetworkManager-wait-online',
      'Requires=NetworkManager.service',
      'After=NetworkManager.service',
      'Before=network-online.target',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      'ExecStart=/bin/true',
      '[Install]',
      'WantedBy=network-online.target',
    ]),
    // openshift/installer node-zero.service at 387962d4: Wants/After network-online.target.
    'node-zero.service': unitText([
      '[Unit]',
      'Description=stand-in for node-zero: records that it ran',
      'Wants=network-online.target',
      'After=network-online.target',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      "ExecStart=/bin/sh -c 'echo NODE-ZERO-RAN >> /root/result'",
      '[Install]',
      'WantedBy=multi-user.target',
    ]),
    // openshift/installer agent.service at 70ca7379: Wants/After network-online.target.
    'agent.service': unitText([
      '[Unit]',
      'Description=stand-in for the agent: pulls the release by digest',
      'Wants=network-online.target',
      'After=network-online.target',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      `ExecStart=/bin/sh -c 'if skopeo inspect --no-tags docker://${RELEASE_SOURCE}@${releaseDigest} >/dev/null; then echo AGENT-PULLED >> /root/result; else echo AGENT-FAILED >> /root/result; fi'`,
      '[Install]',
      'WantedBy=multi-user.target',
    ]),
    // Records the outcome, says this host is done, and (node0) keeps serving until the other
    // hosts of the cluster are done too.
    'end.service': unitText([
      '[Unit]',
      'Description=record the outcome and power off',
      'After=agent.service node-zero.service agent-interactive-console.service hostmirror-ready.service',
      '[Service]',
      'Type=oneshot',
      `ExecStart=/bin/sh -c 'for u in NetworkManager agent-interactive-console agent node-zero hostmirror-volume hostmirror-registry hostmirror-configure hostmirror-ready; do echo "STATE $u $(systemctl is-active $u)"; done > /root/end; journalctl -b --no-pager -o short-monotonic >> /root/end 2>&1; touch ${SHARED}/${host.name}.done; for other in ${waitFor.join(' ')}; do n=0; until [ -e ${SHARED}/$other.done ] || [ $n -ge 240 ]; do sleep 0.5; n=$((n+1)); done; done; systemctl --no-block poweroff'`,
      '[Install]',
      'WantedBy=multi-user.target',
    ]),
  };
}

/**
 * NetworkManager's stand-in: the address on the interface, then wait until the kernel can use
 * it (not tentative, its prefix route in place), as NetworkManager reports a device activated
 * only then. A host whose address never settles fails here, loudly, with the kernel's view in
 * the journal, rather than later as an unreachable mirror. Arguments: family, address/prefix,
 * interface, optional address flag (nodad).
 */
const NETWORK_STAND_IN = `#!/bin/sh
family=$1 address=$2 iface=$3 flag=\${4:-}
ip link set lo up
# A device whose IPv6 is off (disable_ipv6=1) takes no IPv6 address: turn it on first, as
# NetworkManager does for a device it configures with IPv6.
[ "$family" = -6 ] && echo 0 > "/proc/sys/net/ipv6/conf/$iface/disable_ipv6"
ip link set "$iface" up
tries=0
until ip "$family" address add "$address" dev "$iface" $flag 2>/dev/null ||
  ip -o "$family" address show dev "$iface" | grep -q " \${address%/*}/"; do
  tries=$((tries + 1))
  [ $tries -ge 100 ] && break
  sleep 0.1
done
tries=0
until ip -o "$family" address show dev "$iface" | grep " \${address%/*}/" | grep -vq tentative &&
  [ -n "$(ip "$family" route show dev "$iface")" ]; do
  tries=$((tries + 1))
  if [ $tries -ge 200 ]; then
    echo "network stand-in: $address on $iface never became usable" >&2
    ip "$family" address show >&2; ip "$family" route show >&2
    exit 1
  fi
  sleep 0.1
done
ip -o "$family" address show dev "$iface"
ip "$family" route show dev "$iface"
`;

/**
 * agent-tui's ReleaseImagePull check, `podman pull $RELEASE_IMAGE` every 5 s until it passes
 * (agent-installer-utils tools/agent_tui/checks/engine.go); here every 2 s with skopeo, and a
 * give-up after CONSOLE_LIMIT_SECONDS that the real console does not have.
 */
const STAND_IN_AGENT_TUI = `#!/bin/sh
start=$(date +%s)
tries=0
while :; do
  tries=$((tries + 1))
  if out=$(skopeo copy -q "docker://$RELEASE_IMAGE" "dir:$(mktemp -d)" 2>&1); then
    echo "CONSOLE-PULLED try $tries after $(($(date +%s) - start))s" >> /root/result
    exit 0
  fi
  echo "agent-tui stand-in: pull $tries failed: $out" >&2
  if [ $(($(date +%s) - start)) -ge ${CONSOLE_LIMIT_SECONDS} ]; then
    echo "CONSOLE-GAVE-UP after $tries tries: $out" >> /root/result
    exit 0
  fi
  sleep 2
done
`;

/** One host's root: the live file set of `settings`, the stand-ins, the registry program from the initrd hook. */
async function makeHost(
  cluster: string,
  settings: BootSettingsInput,
  host: HostSpec,
  iface: string,
  waitFor: readonly string[],
): Promise<string> {
  const fixed = testAssets();
  const { plan, assets } = await prepareBootSequence(settings, {
    archives: ARCHIVES.map((archive) => join(fixtures, archive)),
    tls: { caCertificate: fixed.caCertificate, ...fixed.tls },
  });
  const root = join(work, cluster, host.name);
  await writeFileSet(root, bootFileSet(plan, 'live', assets));
  await makeContainerRoot(root);
  await writeFile(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  const env = [
    'HOSTMIRROR_UPDATE_CA_TRUST=true',
    // A host without the volume must not wait for udev in a container that has none.
    'HOSTMIRROR_VOLUME_WAIT=0',
    'HOSTMIRROR_READY_TIMEOUT=90',
    ...(host.volume ? ['HOSTMIRROR_VOLUME_DIR=/srv/volume'] : []),
  ];
  await writeFile(
    join(root, 'etc/hostmirror/hostmirror.env'),
    `${await readFile(join(root, 'etc/hostmirror/hostmirror.env'), 'utf8')}${env.join('\n')}\n`,
  );
  if (host.volume) {
    await mkdir(join(root, 'srv/volume'), { recursive: true });
    for (const name of ARCHIVES)
      await copyFile(join(fixtures, name), join(root, 'srv/volume', name));
  }
  await mkdir(join(root, 'etc/assisted'), { recursive: true });
  await writeFile(
    join(root, 'etc/assisted/agent-installer.env'),
    `RELEASE_IMAGE=${RELEASE_SOURCE}@${releaseDigest}\n`,
  );
  await writeFile(join(root, 'usr/local/bin/agent-tui'), STAND_IN_AGENT_TUI, { mode: 0o755 });
  await writeFile(join(root, 'usr/local/bin/network-stand-in'), NETWORK_STAND_IN, { mode: 0o755 });
  const units = standInUnits(host, iface, waitFor);
  for (const [name, text] of Object.entries(units))
    await writeFile(join(root, 'etc/systemd/system', name), text);
  await enableUnits(root, 'multi-user.target', [
    ...plan.phases.live.steps.map((step) => step.unit),
    ...Object.keys(units).filter((name) => name !== 'NetworkManager-wait-online.service'),
  ]);
  await enableUnits(root, 'network-online.target', ['NetworkManager-wait-online.service']);
  // The initrd overlay's pre-pivot hook puts the registry program in place, as dracut runs it.
  const initrd = join(work, cluster, `${host.name}-initrd`);
  await mkdir(join(initrd, 'usr/lib/hostmirror'), { recursive: true });
  await copyFile(await requireTool('docker-registry'), join(initrd, 'usr/lib/hostmirror/registry'));
  await writeFile(join(initrd, 'hook.sh'), scriptText(PRE_PIVOT_HOOK_SCRIPT));
  const hook = await runTool('sh', ['-c', `. ${initrd}/hook.sh`], {
    timeoutMs: 10_000,
    env: { ...process.env, NEWROOT: root, HOSTMIRROR_INITRD_ROOT: initrd },
  });
  assert.equal(hook.exitCode, 0, hook.stderr.toString());
  return root;
}

/**
 * Boot the hosts of one cluster at once, each in its container, joined by veth pairs in a
 * private network namespace (the first host is node0 and has a link to each other host's
 * interface through a bridge); returns what each recorded.
 */
async function bootCluster(
  cluster: string,
  settings: BootSettingsInput,
  hosts: readonly HostSpec[],
): Promise<Map<string, HostOutcome>> {
  const unshare = await requireTool('unshare');
  await requireTool('ip');
  const nspawn = await requireTool('systemd-nspawn', 'systemd-container');
  const shared = join(work, cluster, 'shared');
  await mkdir(shared, { recursive: true });
  const roots = new Map<string, string>();
  const lines = ['set -euo pipefail', 'ip link add hmbr type bridge', 'ip link set hmbr up'];
  for (const [index, host] of hosts.entries()) {
    const iface = `hm${index}`;
    // node0 waits for the others, so that its registry serves until they are done.
    const waitFor = index === 0 ? hosts.slice(1).map((other) => other.name) : [];
    roots.set(host.name, await makeHost(cluster, settings, host, iface, waitFor));
    lines.push(
      `ip link add ${iface} type veth peer name ${iface}p`,
      `ip link set ${iface}p master hmbr up`,
    );
  }
  for (const [index, host] of hosts.entries()) {
    const root = roots.get(host.name) ?? '';
    const command = nspawnBootCommand(nspawn, root, [
      `--network-interface=hm${index}`,
      `--bind=${shared}:${SHARED}`,
    ]);
    lines.push(`${command} > ${shared}/${host.name}.console 2>&1 &`);
  }
  lines.push('wait');
  const result = await runTool(
    unshare,
    ['-n', '-m', '--propagation', 'private', 'bash', '-c', containerNamespaceScript(lines)],
    { timeoutMs: 240_000 },
  );
  assert.equal(result.timedOut, false, `the containers did not power off: ${result.stderr}`);
  const outcomes = new Map<string, HostOutcome>();
  for (const host of hosts) {
    const root = roots.get(host.name) ?? '';
    const console = await readFile(join(shared, `${host.name}.console`), 'utf8').catch(() => '');
    outcomes.set(host.name, {
      end: await readFile(join(root, 'root/end'), 'utf8').catch(
        () => `no record: ${console}${result.stderr}`,
      ),
      result: await readFile(join(root, 'root/result'), 'utf8').catch(() => ''),
    });
  }
  return outcomes;
}

/**
 * systemd-nspawn moves an interface into a container only once udev has seen it, and asks
 * sysfs; in a new network namespace sysfs must be mounted again to show its interfaces, read
 * only (systemd then treats udev as absent and does not wait for it), with the cgroup
 * hierarchy bound back under it.
 */
function containerNamespaceScript(lines: readonly string[]): string {
  return [
    'cgroups=$(mktemp -d)',
    'mount --rbind /sys/fs/cgroup "$cgroups"',
    'mount -t sysfs -o ro sysfs /sys',
    'mount --rbind "$cgroups" /sys/fs/cgroup',
    ...lines,
  ].join('\n');
}

function assertConsolePulled(name: string, outcome: HostOutcome): void {
  const detail = `${name}:\n${outcome.result}\n${outcome.end}`;
  assert.match(outcome.result, /^CONSOLE-PULLED try \d+ after \d+s$/m, detail);
  assert.doesNotMatch(outcome.result, /CONSOLE-GAVE-UP/, detail);
  assert.match(outcome.end, /^STATE agent-interactive-console inactive$/m, detail);
  assert.match(outcome.result, /^NODE-ZERO-RAN$/m, detail);
  assert.match(outcome.result, /^AGENT-PULLED$/m, detail);
  assert.match(outcome.end, /^STATE hostmirror-ready active$/m, detail);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hostmirror-console-'));
  fixtures = join(work, 'fixtures');
  await mkdir(fixtures);
  releaseDigest = await makeArchives(fixtures, { port: 5056, bigMib: 1, timeoutMs: 60_000 });
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the agent console pulls the release through the mirror without a human (nspawn)', () => {
  test('the console units get the drop-in in every mode', async () => {
    for (const mode of ['node0', 'every-node', 'preload'] as const) {
      const { plan, assets } = await prepareBootSequence(
        { mode, topology: 'compact', rendezvousIP: '10.99.0.1' },
        {
          archives: ARCHIVES.map((archive) => join(fixtures, archive)),
          tls: { caCertificate: testAssets().caCertificate, ...testAssets().tls },
        },
      );
      const dropins = bootFileSet(plan, 'live', assets).dropins.filter((dropin) =>
        (CONSOLE_UNITS as readonly string[]).includes(dropin.unit),
      );
      assert.deepEqual(
        dropins.map((dropin) => dropin.unit),
        [...CONSOLE_UNITS],
        mode,
      );
      for (const dropin of dropins)
        assert.match(
          dropin.contents,
          /^After=hostmirror-configure\.service hostmirror-registry\.service$/m,
        );
    }
  });

  const label = `hmconsole${process.pid}`;
  const cases: {
    name: string;
    settings: BootSettingsInput;
    hosts: HostSpec[];
  }[] = [
    {
      name: 'node0-sno',
      settings: { mode: 'node0', topology: 'sno', rendezvousIP: '10.99.0.1', volumeLabel: label },
      hosts: [{ name: 'node0', address: '10.99.0.1/24', volume: true }],
    },
    {
      name: 'node0-compact',
      settings: {
        mode: 'node0',
        topology: 'compact',
        rendezvousIP: '10.99.0.1',
        volumeLabel: label,
      },
      hosts: [
        { name: 'node0', address: '10.99.0.1/24', volume: true },
        { name: 'master1', address: '10.99.0.2/24', volume: false },
      ],
    },
    {
      name: 'node0-ha-ipv6',
      settings: { mode: 'node0', topology: 'ha', rendezvousIP: 'fd99::1', volumeLabel: label },
      hosts: [
        { name: 'node0', address: 'fd99::1/64', volume: true },
        { name: 'worker1', address: 'fd99::3/64', volume: false },
      ],
    },
    {
      name: 'every-node-sno',
      settings: { mode: 'every-node', topology: 'sno', volumeLabel: label },
      hosts: [{ name: 'node0', address: '10.99.0.1/24', volume: true }],
    },
  ];
  for (const scenario of cases)
    test(`${scenario.name}: the console's pull succeeds on ${scenario.hosts.map((host) => host.name).join(' and ')}, then the agent runs`, async () => {
      const outcomes = await bootCluster(scenario.name, scenario.settings, scenario.hosts);
      for (const host of scenario.hosts) {
        const outcome = outcomes.get(host.name);
        assert.ok(outcome, host.name);
        assertConsolePulled(host.name, outcome);
      }
    });
});
