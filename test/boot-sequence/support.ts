import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type BootFileSet,
  type PhasePlan,
  REGISTRY_CONFIG_FILE,
  TLS_CERTIFICATE_FILE,
  TLS_KEY_FILE,
  VOLUME_MOUNT,
} from '@hostmirror/boot-sequence';
import { type RunResult, repoRoot, requireTool, runTool } from '@hostmirror/fixtures';
import {
  createMirrorTls,
  mirrorRulesFromPairs,
  renderRegistriesConf,
  renderRegistryConfig,
} from '@hostmirror/host-config';
import { parse } from 'yaml';

export const testDir = join(repoRoot, 'test', 'boot-sequence');

/** Write a phase's files, units and drop-ins under `root` as they would land on a host. */
export async function writeFileSet(root: string, set: BootFileSet): Promise<void> {
  for (const file of set.files) {
    const path = join(root, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.contents, { mode: file.mode });
  }
  for (const unit of set.units) {
    const path = join(root, 'etc/systemd/system', unit.name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, unit.contents);
  }
  for (const dropin of set.dropins) {
    const path = join(root, 'etc/systemd/system', `${dropin.unit}.d`, dropin.name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, dropin.contents);
  }
}

/** The plan's steps as `unit<TAB>condition<TAB>kind<TAB>script args` lines for steps.sh. */
export function stepsTable(phase: PhasePlan): string {
  return phase.steps
    .map((step) =>
      [step.unit, step.condition ?? '-', step.kind, [step.script, ...step.args].join(' ')].join(
        '\t',
      ),
    )
    .join('\n')
    .concat('\n');
}

export const registryName = 'registry.hostmirror.internal';
export const registryPort = 5000;

/** The build-time assets of a test mirror: TLS made with the formats part, registries.conf, config.yml. */
export function testAssets(extraHosts: string[] = []) {
  const key = extraHosts.join(',');
  let assets = assetsCache.get(key);
  if (assets === undefined) {
    assets = makeTestAssets(extraHosts);
    assetsCache.set(key, assets);
  }
  return assets;
}

/** Seeded RSA generation in pure JavaScript takes seconds: make each set once per process. */
const assetsCache = new Map<string, ReturnType<typeof makeTestAssets>>();

function makeTestAssets(extraHosts: string[]) {
  const tls = createMirrorTls({
    hosts: [registryName, ...extraHosts],
    seed: 'boot-sequence-test',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    // Fixed start, so a fixed span: the default one year would expire these test certificates.
    validityDays: 3650,
  });
  const mirror = `${registryName}:${registryPort}`;
  const registriesConf = renderRegistriesConf({
    rules: mirrorRulesFromPairs(
      [
        {
          source: 'quay.io/openshift-release-dev/ocp-release',
          mirror: `${mirror}/openshift/release-images`,
        },
        {
          source: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev',
          mirror: `${mirror}/openshift/release`,
        },
      ],
      { pullFromMirror: 'digest-only', neverContactSource: true },
    ),
  });
  const registryConfig = renderRegistryConfig({
    rootDirectory: `${VOLUME_MOUNT}/hostmirror/registry`,
    listenAddress: `127.0.0.1:${registryPort}`,
    tls: { certificate: TLS_CERTIFICATE_FILE, key: TLS_KEY_FILE },
  });
  return {
    registriesConf,
    registryConfig,
    caCertificate: tls.caCertificatePem,
    tls: { certificate: tls.serverCertificatePem, key: tls.serverKeyPem },
    registryConfigPath: REGISTRY_CONFIG_FILE,
  };
}

/** Run a bash scenario in a private network and mount namespace, with steps.sh sourced. */
export async function inNamespace(
  body: string,
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<RunResult> {
  const unshare = await requireTool('unshare');
  for (const tool of ['docker-registry', 'skopeo', 'ip', 'openssl'] as const)
    await requireTool(tool);
  await requireTool('curl', 'curl');
  const script = [
    'set -euo pipefail',
    'ip link set lo up',
    `source ${join(testDir, 'steps.sh')}`,
    'trap hm_stop_daemons EXIT',
    body,
  ].join('\n');
  return runTool(unshare, ['-n', '-m', '--propagation', 'private', 'bash', '-c', script], {
    timeoutMs,
    env: { ...process.env, ...env },
  });
}

/**
 * The two oc-mirror-like archives of make-archives.sh (a release, then a differential archive
 * with a BIG-MiB image) in `fixtures`, made in their own network namespace with a read-write
 * docker-registry on `port` (each suite its own port, so suites may run side by side).
 * Returns the release's digest.
 */
export async function makeArchives(
  fixtures: string,
  options: { port: number; bigMib: number; timeoutMs: number },
): Promise<string> {
  const unshare = await requireTool('unshare');
  const made = await runTool(
    unshare,
    [
      ...['-n', '-m', '--propagation', 'private', 'bash'],
      ...[join(testDir, 'make-archives.sh'), fixtures, String(options.port)],
      String(options.bigMib),
    ],
    { timeoutMs: options.timeoutMs },
  );
  if (made.exitCode !== 0) throw new Error(`make-archives.sh failed: ${explain(made)}`);
  const match = /^RELEASE_DIGEST=(sha256:[0-9a-f]{64})$/m.exec(made.stdout.toString('utf8'));
  if (match?.[1] === undefined)
    throw new Error(`make-archives.sh printed no RELEASE_DIGEST: ${explain(made)}`);
  return match[1];
}

/**
 * The shell of a multi-host scenario (cluster.sh: one network namespace per host on a bridge).
 * Each command that runs on a host is a script file with that host's settings, sourced there by
 * cluster.sh `hm_on`; `writeScripts` writes them once the scenario body is complete.
 */
export function clusterScenario(options: {
  /** The scenario's folder: `<dir>/<host>/` holds steps.tsv and the run scripts. */
  dir: string;
  /** Each host's root (HOSTMIRROR_ROOT). */
  roots: Readonly<Record<string, string>>;
  hosts: readonly { name: string; address: string }[];
  /** The `export …` lines of a host's settings, before each command. */
  settings: (host: string) => string;
  /** The release every pull asks for: `<source repository>@<digest>`. */
  release: { source: string; digest: string };
}) {
  const { dir, roots, release } = options;
  const scripts: { path: string; text: string }[] = [];
  const rootOf = (host: string): string => {
    const root = roots[host];
    if (root === undefined) throw new Error(`no host ${host} in this scenario`);
    return root;
  };
  const on = (host: string, command: string): string => {
    const path = join(dir, host, `run-${scripts.length}.sh`);
    scripts.push({ path, text: `${options.settings(host)}\n${command}\n` });
    return `hm_on ${host} ${rootOf(host)} ${path}`;
  };
  // Not in a pipe: hm_run_steps records the daemon's process id in this shell.
  const runSteps = (host: string): string =>
    on(
      host,
      `status=0; hm_run_steps ${rootOf(host)} ${join(dir, host, 'steps.tsv')} > ${join(dir, host, 'steps.out')} || status=$?
sed 's/^/${host} /' ${join(dir, host, 'steps.out')}
[ "$status" -eq 0 ]`,
    );
  // skopeo copy by digest (it checks every digest); --debug names each place it tries.
  const pull = (host: string): string =>
    on(
      host,
      `pulled=$(mktemp -d)
if skopeo --debug copy docker://${release.source}@${release.digest} dir:$pulled 2>$pulled.log >/dev/null; then echo PULLED; else echo "PULL FAILED: $(tail -3 $pulled.log)"; fi
grep -o 'Trying to access [^ ]*' $pulled.log | tr -d '\\\\"' | sed 's/^Trying to access /TRIED /' || true`,
    );
  // How often the host's registry served the release manifest (its log, as the serve step writes it).
  const served = (host: string): string =>
    `echo "SERVED ${host} $(grep -c 'GET /v2/openshift/release-images/manifests/${release.digest}' ${rootOf(host)}/hostmirror-registry.service.log 2>/dev/null || true)"`;
  const prologue = `export HM_TEST_DIR='${testDir}' HM_WORK='${dir}'
source ${join(testDir, 'cluster.sh')}
trap 'hm_cluster_stop; hm_stop_daemons' EXIT
hm_cluster_bridge
${options.hosts.map((host) => `hm_host_up ${host.name} ${host.address}/24`).join('\n')}`;
  const writeScripts = async (): Promise<void> => {
    for (const script of scripts) await writeFile(script.path, script.text);
  };
  return { on, runSteps, pull, served, prologue, writeScripts };
}

/** A tool's run, for an assertion's message: its status, stdout and stderr. */
export function explain(result: {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number | null;
}): string {
  return `exit ${result.exitCode}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
}

/**
 * The /etc/containers/registries.conf MCO renders from ImageDigestMirrorSets (as
 * openshift/machine-config-operator pkg/controller/container-runtime-config/helpers.go
 * updateRegistriesConfig renders an IDMS: location = the source, one [[registry.mirror]] per
 * mirror, pull-from-mirror = "digest-only"), from the IDMS YAML our cluster manifests carry.
 */
export function mcoRegistriesConf(idmsYaml: readonly string[]): string {
  const tables: string[] = [];
  for (const text of idmsYaml) {
    const document = parse(text) as {
      spec: { imageDigestMirrors: { source: string; mirrors: string[] }[] };
    };
    for (const entry of document.spec.imageDigestMirrors)
      tables.push(
        [
          '[[registry]]',
          '  prefix = ""',
          `  location = "${entry.source}"`,
          ...entry.mirrors.flatMap((mirror) => [
            '',
            '  [[registry.mirror]]',
            `    location = "${mirror}"`,
            '    pull-from-mirror = "digest-only"',
          ]),
        ].join('\n'),
      );
  }
  return `unqualified-search-registries = []\nshort-name-mode = ""\n\n${tables.join('\n\n')}\n`;
}
