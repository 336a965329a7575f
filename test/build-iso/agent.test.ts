/**
 * One build-iso on an agent ISO (issue 11): an ISO whose embedded Ignition has the layout
 * `openshift-install agent create image` writes (openshift/installer pkg/asset/agent/image/
 * ignition.go: /etc/assisted/manifests/cluster-image-set.yaml, /etc/assisted/agent-installer.env,
 * /etc/containers/registries.conf, /etc/pki/ca-trust/source/anchors/domain.crt, extra manifests,
 * the assisted-service and agent units) is built once, and:
 * - its Ignition now carries the cluster manifests in /etc/assisted/extra-manifests/, byte for
 *   byte what --manifests-dir holds, with a MachineConfig whose CA is the live registry's CA;
 * - the main registries.conf and the CA bundle point at the mirror, the user's entries kept;
 * - real `ignition-validate` accepts the result;
 * - real skopeo, given only that registries.conf and CA bundle, pulls the release by digest
 *   from the real docker-registry over TLS (private network and mount namespaces);
 * - an agent ISO for another release, or an install-config sending the release elsewhere, is
 *   refused before any output exists.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import {
  CA_FILE,
  STAGED_REGISTRIES_CONF,
  TLS_CERTIFICATE_FILE,
  TLS_KEY_FILE,
} from '@hostmirror/boot-sequence';
import { DEMO_RENDEZVOUS_IP, requireTool, runTool } from '@hostmirror/fixtures';
import { createMirrorTls, loadRegistriesConf, renderRegistryConfig } from '@hostmirror/host-config';
import { buildMirrorIso, parseYaml11 } from '../../packages/build-iso/src/index.ts';
import { runCli } from '../../packages/cli/src/run.ts';
import {
  ConfigBuilder,
  type IgnitionConfig,
  readDataResource,
} from '../../packages/ignition/src/index.ts';
import { readInitrdFile } from '../../packages/initrd/src/index.ts';
import { CoreosIso, IGNITION_MEMBER } from '../../packages/iso/src/index.ts';
import { inNamespace } from '../boot-sequence/support.ts';
import { demoInputs, optionsFor } from './support.ts';

const RELEASE = 'quay.io/openshift-release-dev/ocp-release';
const EXTRA = '/etc/assisted/extra-manifests';
const REGISTRIES_CONF = '/etc/containers/registries.conf';
const CA_BUNDLE = '/etc/pki/ca-trust/source/anchors/domain.crt';
const HOST = 'registry.hostmirror.internal:5000';
const SERVICE_ENV = '/usr/local/share/assisted-service/assisted-service.env';

let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];
/** A CA of the user's own, already in the agent ISO's domain.crt. */
let userCa: string;

before(async () => {
  ({ work, inputs } = await demoInputs('agent'));
  userCa = createMirrorTls({ hosts: ['corp.example.com'] }).caCertificatePem;
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/**
 * The units as openshift/installer renders them without mirrors (data/data/agent/systemd/units/
 * assisted-service.service.template @006d4573, agent-register-cluster.service.template
 * @1dd73819; trimmed to the lines that matter here).
 */
const ASSISTED_SERVICE = `[Unit]
Description=Assisted Service container
[Service]
ExecStart=/usr/bin/podman run --net host --cidfile=%t/%n.ctr-id --name=service -v /opt/agent/tls:/opt/agent/tls:z  -v /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem:/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem:z --env-file=/etc/assisted/rendezvous-host.env $SERVICE_IMAGE
[Install]
WantedBy=multi-user.target
`;
const REGISTER_CLUSTER = `[Unit]
Description=Service that registers the cluster
[Service]
Environment=OPENSHIFT_INSTALL_RELEASE_IMAGE_MIRROR=
ExecStart=podman run --net host --rm --name=agent-register-cluster -v /etc/assisted/manifests:/manifests -v /etc/assisted/extra-manifests:/extra-manifests  -v /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem:/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem:z --env SERVICE_BASE_URL $SERVICE_IMAGE /usr/local/bin/agent-installer-client registerCluster
Type=oneshot
[Install]
WantedBy=start-cluster-installation.service
`;

/** An agent ISO's Ignition with the upstream file layout, for `release`. */
function agentIgnition(release: string): string {
  const builder = new ConfigBuilder({ version: '3.2.0' })
    .addFile(
      '/etc/assisted/manifests/cluster-image-set.yaml',
      `apiVersion: hive.openshift.io/v1\nkind: ClusterImageSet\nmetadata:\n  name: openshift-4.14.3\nspec:\n  releaseImage: ${release}\n`,
      { mode: 0o600 },
    )
    .addFile('/etc/assisted/agent-installer.env', `RELEASE_IMAGE=${release}\n`)
    .addFile(
      '/etc/assisted/rendezvous-host.env',
      'NODE_ZERO_IP=192.0.2.10\nSERVICE_BASE_URL=http://192.0.2.10:8090/\n',
    )
    .addFile(
      REGISTRIES_CONF,
      [
        'unqualified-search-registries = []',
        '',
        '[[registry]]',
        '  location = "registry.redhat.io/ubi9"',
        '  mirror-by-digest-only = true',
        '  prefix = ""',
        '',
        '  [[registry.mirror]]',
        '    location = "corp.example.com:5000/ubi9"',
        '',
      ].join('\n'),
    )
    .addFile(CA_BUNDLE, userCa, { mode: 0o600 })
    .addFile(
      SERVICE_ENV,
      'PUBLIC_CONTAINER_REGISTRIES=quay.io\nOPENSHIFT_INSTALL_RELEASE_IMAGE_MIRROR=\nSTORAGE=filesystem\n',
    )
    .addFile(`${EXTRA}/user-manifest-0.yaml`, 'kind: ConfigMap\nmetadata:\n  name: mine\n')
    .addUnit('agent.service', {
      contents:
        '[Service]\nExecStart=/usr/local/bin/start-agent.sh\n[Install]\nWantedBy=multi-user.target\n',
      enabled: true,
    })
    .addUnit('node-zero.service', {
      contents:
        '[Service]\nType=oneshot\nExecStart=/usr/local/bin/set-node-zero.sh\n[Install]\nWantedBy=multi-user.target\n',
      enabled: true,
    })
    .addUnit('assisted-service.service', { contents: ASSISTED_SERVICE, enabled: true })
    .addUnit('agent-register-cluster.service', { contents: REGISTER_CLUSTER, enabled: true });
  return JSON.stringify(builder.build());
}

async function agentIso(name: string, release: string): Promise<string> {
  const path = join(work, name);
  const input = await CoreosIso.open(inputs.iso);
  try {
    await input.write(await input.planEmbedIgnition(Buffer.from(agentIgnition(release))), {
      kind: 'file',
      path,
    });
  } finally {
    await input.close();
  }
  return path;
}

async function embeddedConfig(path: string): Promise<{ text: string; config: IgnitionConfig }> {
  const iso = await CoreosIso.open(path);
  try {
    const area = await iso.ignitionAreaBytes();
    const bytes = await readInitrdFile(
      (async function* () {
        yield area;
      })(),
      IGNITION_MEMBER,
    );
    assert.ok(bytes !== undefined, `${path} embeds config.ign`);
    const text = Buffer.from(bytes).toString('utf8');
    return { text, config: JSON.parse(text) };
  } finally {
    await iso.close();
  }
}

function fileOf(config: IgnitionConfig, path: string): Buffer {
  const file = config.storage?.files?.find((entry) => entry.path === path);
  assert.ok(file?.contents !== undefined, `${path} is in the config`);
  return readDataResource(file.contents);
}

describe('build-iso once on an agent ISO', () => {
  let out: string;
  let manifests: string;
  let live: { text: string; config: IgnitionConfig };
  let report: Awaited<ReturnType<typeof buildMirrorIso>>['report'];

  before(async () => {
    const iso = await agentIso('agent.iso', `${RELEASE}:${inputs.release.tag}`);
    out = join(work, 'agent-mirror.iso');
    manifests = join(work, 'openshift');
    ({ report } = await buildMirrorIso(
      optionsFor(inputs, out, {
        iso,
        manifestsDir: manifests,
        registryBinary: await requireTool('docker-registry'),
      }),
    ));
    live = await embeddedConfig(out);
  });

  test('installs the agent ISO’s release, its tag resolved through the archive', () => {
    assert.equal(report.release.origin, 'agent-iso');
    assert.equal(report.release.digest, inputs.release.digest);
    assert.equal(report.agent?.release, `${RELEASE}:${inputs.release.tag}`);
    assert.equal(report.agent?.places.length, 2);
  });

  test('extra manifests hold exactly the --manifests-dir bytes, with a MachineConfig carrying the live CA', async () => {
    const names = (await readdir(manifests)).sort();
    assert.ok(names.includes('99-master-hostmirror.yaml'), names.join(' '));
    for (const name of names)
      assert.deepEqual(
        fileOf(live.config, `${EXTRA}/${name}`),
        await readFile(join(manifests, name)),
        name,
      );
    // The user's own extra manifest survives.
    assert.equal(
      fileOf(live.config, `${EXTRA}/user-manifest-0.yaml`).toString(),
      'kind: ConfigMap\nmetadata:\n  name: mine\n',
    );
    const machineConfig = parseYaml11(
      fileOf(live.config, `${EXTRA}/99-master-hostmirror.yaml`).toString('utf8'),
      '99-master-hostmirror.yaml',
    ) as { kind: string; spec: { config: IgnitionConfig } };
    assert.equal(machineConfig.kind, 'MachineConfig');
    const caInMachineConfig = fileOf(machineConfig.spec.config, CA_FILE);
    const liveCa = fileOf(live.config, CA_FILE);
    assert.ok(liveCa.toString().includes('BEGIN CERTIFICATE'));
    assert.deepEqual(caInMachineConfig, liveCa, 'the installed nodes trust the live CA');
    // In-pod pulls trust it too: image.config cluster names a ConfigMap keyed host..port.
    const trusted = parseYaml11(
      fileOf(live.config, `${EXTRA}/99-hostmirror-configmap-hostmirror-registry-ca.yaml`).toString(
        'utf8',
      ),
      'ca configmap',
    ) as { metadata: { namespace: string }; data: Record<string, string> };
    assert.equal(trusted.metadata.namespace, 'openshift-config');
    assert.deepEqual(trusted.data, { [HOST.replace(':', '..')]: liveCa.toString('utf8') });
    const image = parseYaml11(
      fileOf(live.config, `${EXTRA}/99-hostmirror-image-cluster.yaml`).toString('utf8'),
      'image config',
    ) as { kind: string; metadata: { name: string }; spec: unknown };
    assert.equal(image.kind, 'Image');
    assert.deepEqual(image.spec, { additionalTrustedCA: { name: 'hostmirror-registry-ca' } });
  });

  test('the main registries.conf and the CA bundle point at the mirror; the user’s entries survive', () => {
    const conf = loadRegistriesConf(fileOf(live.config, REGISTRIES_CONF).toString('utf8'));
    const release = conf.registries.find((table) => table.prefix === RELEASE);
    assert.equal(release?.mirrors[0]?.location, `${HOST}/openshift/release-images`);
    // The agent names the release by tag: its mirror serves tags too, in the main file and in
    // the drop-in that replaces it in mirror mode.
    assert.equal(release?.mirrors[0]?.pullFromMirror, 'all');
    const dropIn = loadRegistriesConf(fileOf(live.config, STAGED_REGISTRIES_CONF).toString('utf8'));
    assert.equal(
      dropIn.registries.find((table) => table.prefix === RELEASE)?.mirrors[0]?.pullFromMirror,
      'all',
    );
    assert.equal(
      dropIn.registries.find((table) => table.prefix.endsWith('/ocp-v4.0-art-dev'))?.mirrors[0]
        ?.pullFromMirror,
      'digest-only',
      'only the release repository serves tags',
    );
    const ubi = conf.registries.find((table) => table.prefix === 'registry.redhat.io/ubi9');
    assert.deepEqual(
      ubi?.mirrors.map((mirror) => mirror.location),
      ['corp.example.com:5000/ubi9'],
    );
    const bundle = fileOf(live.config, CA_BUNDLE).toString('utf8');
    assert.ok(bundle.startsWith(userCa), 'the user’s CA first, unchanged');
    assert.ok(bundle.includes(fileOf(live.config, CA_FILE).toString('utf8').trim()));
    for (const name of ['assisted-service.service', 'agent-register-cluster.service']) {
      const unit = live.config.systemd?.units?.find((entry) => entry.name === name);
      assert.match(
        unit?.contents ?? '',
        /podman run -v \/etc\/containers:\/etc\/containers /,
        name,
      );
      assert.ok(
        unit?.contents?.includes(
          '-v /etc/pki/ca-trust/source/anchors/domain.crt:/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem:z',
        ),
        `${name} mounts domain.crt as the containers' CA bundle`,
      );
      assert.equal(unit?.enabled, true, `${name} stays enabled`);
    }
    // The release mirror openshift-install would have set (GetMirrorFromRelease).
    const releaseMirror = `${HOST}/openshift/release-images@${inputs.release.digest}`;
    assert.match(
      fileOf(live.config, SERVICE_ENV).toString(),
      new RegExp(`^OPENSHIFT_INSTALL_RELEASE_IMAGE_MIRROR=${releaseMirror}$`, 'm'),
    );
    const register = live.config.systemd?.units?.find(
      (entry) => entry.name === 'agent-register-cluster.service',
    );
    assert.ok(
      register?.contents?.includes(
        `Environment=OPENSHIFT_INSTALL_RELEASE_IMAGE_MIRROR=${releaseMirror}\n`,
      ),
    );
    assert.ok(
      report.agent !== null && report.agent.changes.length >= 4,
      report.agent?.changes.join('\n'),
    );
  });

  test('real ignition-validate accepts the live config', async () => {
    const validate = await requireTool('ignition-validate');
    const file = join(work, 'live.ign');
    await writeFile(file, live.text);
    const result = await runTool(validate, [file], { timeoutMs: 30_000 });
    assert.equal(result.exitCode, 0, `${result.stdout}${result.stderr}`);
  });

  test('real skopeo, given only that registries.conf and CA bundle, pulls the release by digest over TLS', async () => {
    await requireTool('skopeo');
    const registry = await requireTool('docker-registry');
    const root = join(work, 'serve');
    const etc = join(root, 'etc-containers');
    await mkdir(join(root, 'storage'), { recursive: true });
    await mkdir(etc, { recursive: true });
    const tar = await runTool(
      'tar',
      ['-C', join(root, 'storage'), '-xf', inputs.archive, 'docker'],
      {
        timeoutMs: 30_000,
      },
    );
    assert.equal(tar.exitCode, 0, tar.stderr.toString());
    // The registry serves with the build's own TLS pair, as the hosts do.
    await writeFile(join(root, 'tls.crt'), fileOf(live.config, TLS_CERTIFICATE_FILE));
    await writeFile(join(root, 'tls.key'), fileOf(live.config, TLS_KEY_FILE), { mode: 0o600 });
    await writeFile(
      join(root, 'config.yml'),
      renderRegistryConfig({
        rootDirectory: join(root, 'storage'),
        listenAddress: '127.0.0.1:5000',
        tls: { certificate: join(root, 'tls.crt'), key: join(root, 'tls.key') },
      }),
    );
    // Only the agent Ignition's two files: registries.conf, and domain.crt as the trust store.
    await writeFile(join(etc, 'registries.conf'), fileOf(live.config, REGISTRIES_CONF));
    await writeFile(join(root, 'domain.crt'), fileOf(live.config, CA_BUNDLE));
    await writeFile(join(root, 'hosts'), '127.0.0.1 localhost registry.hostmirror.internal\n');
    const ref = `docker://${RELEASE}@${report.release.digest}`;
    const result = await inNamespace(
      `
cp /etc/containers/policy.json ${etc}/policy.json
mount --bind ${etc} /etc/containers
mount --bind ${root}/hosts /etc/hosts
${registry} serve ${root}/config.yml >${root}/registry.log 2>&1 &
HM_DAEMON_PIDS+=("$!")
for _ in $(seq 100); do curl -sf --cacert ${root}/domain.crt https://registry.hostmirror.internal:5000/v2/ >/dev/null && break; sleep 0.1; done
skopeo inspect --no-tags ${ref} >/dev/null 2>&1 && echo "TRUST system-only accepted" || echo "TRUST system-only refused"
SSL_CERT_FILE=${root}/domain.crt skopeo inspect --no-tags ${ref} >/dev/null && echo "PULL inspect ok"
SSL_CERT_FILE=${root}/domain.crt skopeo copy -q ${ref} dir:${root}/pulled && echo "PULL copy ok"
SSL_CERT_FILE=${root}/domain.crt skopeo inspect --no-tags docker://${HOST}/openshift/release-images@${report.release.digest} >/dev/null && echo "PULL release mirror ok"
SSL_CERT_FILE=${root}/domain.crt skopeo inspect --no-tags docker://${RELEASE}:${inputs.release.tag} >/dev/null && echo "PULL by tag ok"
`,
      {},
    );
    const output = result.stdout.toString('utf8');
    const explain = `exit ${result.exitCode}\n${output}\n${result.stderr}`;
    assert.equal(result.exitCode, 0, explain);
    // Without the bundle the registry's certificate is not trusted: the bundle is what works.
    assert.ok(output.includes('TRUST system-only refused'), explain);
    assert.ok(output.includes('PULL inspect ok'), explain);
    assert.ok(output.includes('PULL copy ok'), explain);
    assert.ok(output.includes('PULL release mirror ok'), explain);
    // The agent ISO names its release by tag: release-image-download.sh pulls that tag.
    assert.ok(output.includes('PULL by tag ok'), explain);
    assert.ok((await stat(join(root, 'pulled', 'manifest.json'))).size > 0);
  });
});

describe('build-iso on an agent ISO refuses, before any output exists', () => {
  async function refused(name: string, options: Parameters<typeof optionsFor>[2]) {
    const out = join(work, `${name}.iso`);
    const report = join(work, `${name}.json`);
    const folder = join(work, `${name}-manifests`);
    const error = await buildMirrorIso(
      optionsFor(inputs, out, { report, manifestsDir: folder, ...options }),
    ).then(
      () => assert.fail('the build succeeded'),
      (caught: Error & { code?: string }) => caught,
    );
    for (const path of [out, folder]) await assert.rejects(stat(path), { code: 'ENOENT' });
    // The report is the one output a refused build writes: what stopped it (issue #18).
    const written = JSON.parse(await readFile(report, 'utf8'));
    assert.equal(written.ok, false);
    assert.equal(written.error.code, error.code);
    return error;
  }

  test('an agent ISO for another release, naming both digests', async () => {
    const other = `sha256:${'ab'.repeat(32)}`;
    const error = await refused('other-release', {
      iso: await agentIso('other.iso', `${RELEASE}@${other}`),
    });
    assert.equal(error.code, 'AGENT_RELEASE_NOT_IN_ARCHIVE');
    assert.ok(error.message.includes(other), error.message);
    assert.ok(error.message.includes(inputs.release.digest), error.message);
    // boot-sequence --iso makes the same decision (chooseAgentRelease): the same message,
    // before the archives are hashed; the agent ISO for the archived release prints.
    const bootSequence = async (iso: string) => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const code = await runCli(
        [
          'boot-sequence',
          ...['--mode', 'node0', '--topology', 'sno', '--rendezvous-ip', DEMO_RENDEZVOUS_IP],
          ...['--format', 'ignition', '--archive', inputs.archive, '--iso', iso],
        ],
        { stdout, stderr, cwd: work, env: {} },
      );
      return {
        code,
        stdout: stdout.read()?.toString() ?? '',
        stderr: stderr.read()?.toString() ?? '',
      };
    };
    const printed = await bootSequence(join(work, 'other.iso'));
    assert.equal(printed.code, 1, `${printed.stderr}\n${printed.stdout.slice(0, 500)}`);
    assert.ok(printed.stderr.includes(error.message), printed.stderr);
    const same = await bootSequence(
      await agentIso('same.iso', `${RELEASE}@${inputs.release.digest}`),
    );
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /"path":"\/etc\/assisted\/agent-installer.env"/);
  });

  test('an install-config whose mirror for the release is not in the archive, naming the entry', async () => {
    const installConfig = join(work, 'install-config-wrong-mirror.yaml');
    await writeFile(
      installConfig,
      (await readFile(inputs.installConfig, 'utf8')).replace(
        `${HOST}/openshift/release-images`,
        `${HOST}/ocp-release`,
      ),
    );
    const error = await refused('wrong-mirror', {
      iso: await agentIso('agent2.iso', `${RELEASE}@${inputs.release.digest}`),
      installConfig,
    });
    assert.equal(error.code, 'INSTALL_CONFIG_MIRROR_INVALID');
    assert.match(
      error.message,
      /imageDigestSources\[0\]\.mirrors\[0\] registry\.hostmirror\.internal:5000\/ocp-release/,
    );
  });
});
