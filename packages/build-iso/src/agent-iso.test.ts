import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadRegistriesConf, type MirrorRule } from '@hostmirror/host-config';
import { ConfigBuilder } from '@hostmirror/ignition';
import {
  AGENT_CA_BUNDLE,
  AGENT_CLUSTER_IMAGE_SET,
  AGENT_EXTRA_MANIFESTS_DIR,
  AGENT_INSTALLER_ENV,
  agentMirrorFragment,
  agentReleaseImage,
  CONTAINERS_MOUNT,
  chooseAgentRelease,
  ignitionFile,
  isAgentConfig,
  MAIN_REGISTRIES_CONF,
  mergeCaBundle,
  mergeMainRegistriesConf,
  releaseMirrorOf,
  withContainersMount,
  withEnvValue,
} from './agent-iso.ts';

const HOST = 'registry.hostmirror.internal:5000';
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const RELEASE = 'quay.io/openshift-release-dev/ocp-release';
const CA = '-----BEGIN CERTIFICATE-----\nMIIBhostmirror\n-----END CERTIFICATE-----\n';

const rules: MirrorRule[] = [
  {
    source: RELEASE,
    mirrors: [{ location: `${HOST}/openshift/release-images`, pullFromMirror: 'digest-only' }],
    blocked: true,
  },
  {
    source: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev',
    mirrors: [{ location: `${HOST}/openshift/release`, pullFromMirror: 'digest-only' }],
    blocked: true,
  },
];

/**
 * assisted-service.service as openshift/installer renders its template without mirrors
 * (data/data/agent/systemd/units/assisted-service.service.template @006d4573, HaveMirrorConfig
 * false, CaBundleMount the host's extracted bundle).
 */
const SERVICE_UNIT = `[Unit]
Description=Assisted Service container

[Service]
ExecStartPre=/bin/rm -f %t/%n.ctr-id
ExecStart=/usr/bin/podman run --net host --cidfile=%t/%n.ctr-id --name=service -v /opt/agent/tls:/opt/agent/tls:z  -v /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem:/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem:z --env-file=/etc/assisted/rendezvous-host.env $SERVICE_IMAGE
ExecStop=/usr/bin/podman stop --ignore --cidfile=%t/%n.ctr-id
`;

/** What openshift-install writes with imageDigestSources (registriesconf.go, go-toml style). */
const INSTALLER_REGISTRIES_CONF = `credential-helpers = []
short-name-mode = ""
unqualified-search-registries = []

[[registry]]
  location = "${RELEASE}"
  mirror-by-digest-only = true
  prefix = ""

  [[registry.mirror]]
    location = "corp.example.com:5000/ocp/release"

[[registry]]
  location = "registry.redhat.io/ubi9"
  mirror-by-digest-only = true
  prefix = ""

  [[registry.mirror]]
    location = "corp.example.com:5000/ubi9"
`;

function agentConfig(extra: (builder: ConfigBuilder) => void = () => {}) {
  const builder = new ConfigBuilder({ version: '3.2.0' })
    .addFile(
      AGENT_CLUSTER_IMAGE_SET,
      `apiVersion: hive.openshift.io/v1\nkind: ClusterImageSet\nmetadata:\n  name: openshift-4.14.3\nspec:\n  releaseImage: ${RELEASE}@${DIGEST_A}\n`,
      { mode: 0o600 },
    )
    .addFile(AGENT_INSTALLER_ENV, `RELEASE_IMAGE=${RELEASE}@${DIGEST_A}\n`)
    .addUnit('assisted-service.service', { contents: SERVICE_UNIT, enabled: true })
    .addUnit('agent.service', { contents: '[Service]\nExecStart=/usr/local/bin/start-agent.sh\n' });
  extra(builder);
  return builder.build();
}

describe('an agent ISO’s Ignition', () => {
  test('is recognised, and names its release in cluster-image-set.yaml and agent-installer.env', () => {
    const config = agentConfig();
    assert.equal(isAgentConfig(config), true);
    assert.equal(isAgentConfig(new ConfigBuilder().addFile('/etc/motd', 'hi').build()), false);
    assert.deepEqual(agentReleaseImage(config, 'agent.iso'), {
      reference: `${RELEASE}@${DIGEST_A}`,
      places: [
        `${AGENT_CLUSTER_IMAGE_SET} spec.releaseImage`,
        `${AGENT_INSTALLER_ENV} RELEASE_IMAGE`,
      ],
    });
  });

  test('whose two release places disagree is refused, naming both', () => {
    const config = new ConfigBuilder({ version: '3.2.0' })
      .addFile(
        AGENT_CLUSTER_IMAGE_SET,
        `kind: ClusterImageSet\nspec:\n  releaseImage: ${RELEASE}@${DIGEST_A}\n`,
      )
      .addFile(AGENT_INSTALLER_ENV, `RELEASE_IMAGE=${RELEASE}@${DIGEST_B}\n`)
      .build();
    assert.throws(() => agentReleaseImage(config, 'agent.iso'), {
      code: 'AGENT_ISO_INVALID',
      message: new RegExp(`${DIGEST_A}.*${DIGEST_B}`),
    });
  });
});

describe('the release of an agent ISO against the archive', () => {
  const archive = {
    repositories: () => ['openshift/release-images', 'openshift/release'],
    tags: () => [{ tag: '4.14.3-x86_64', digest: DIGEST_B }],
    manifests: (repository: string) =>
      repository === 'openshift/release-images' ? [DIGEST_B] : [],
    hasBlob: (digest: string) => digest === DIGEST_B,
  } as unknown as Parameters<typeof chooseAgentRelease>[0];

  test('another digest is refused, the message naming both digests', () => {
    assert.throws(
      () =>
        chooseAgentRelease(
          archive,
          { reference: `${RELEASE}@${DIGEST_A}`, places: ['x'] },
          'agent.iso',
          undefined,
        ),
      (error: Error & { code?: string; path?: string; subject?: string }) =>
        error.code === 'AGENT_RELEASE_NOT_IN_ARCHIVE' &&
        error.path === 'agent.iso' &&
        error.subject === `${RELEASE}@${DIGEST_A}` &&
        error.message.includes(DIGEST_A) &&
        error.message.includes(DIGEST_B),
    );
  });

  test('a tag is resolved through the archive', () => {
    const choice = chooseAgentRelease(
      archive,
      { reference: `${RELEASE}:4.14.3-x86_64`, places: ['x'] },
      'agent.iso',
      undefined,
    );
    assert.equal(choice.digest, DIGEST_B);
    assert.equal(choice.reference, `${RELEASE}@${DIGEST_B}`);
    assert.equal(choice.origin, 'agent-iso');
  });
});

describe('the main registries.conf', () => {
  test('written from nothing loads in containers/image with our mirrors, no blocked source', () => {
    const text = mergeMainRegistriesConf(undefined, rules, 'x');
    const conf = loadRegistriesConf(text);
    const release = conf.registries.find((table) => table.prefix === RELEASE);
    assert.deepEqual(
      release?.mirrors.map((mirror) => `${mirror.location} ${mirror.pullFromMirror}`),
      [`${HOST}/openshift/release-images digest-only`],
    );
    assert.equal(release?.blocked, false);
    assert.deepEqual(conf.unqualifiedSearchRegistries, []);
  });

  test('merged into the installer’s: the user’s tables and mirrors survive, ours come first', () => {
    const text = mergeMainRegistriesConf(INSTALLER_REGISTRIES_CONF, rules, 'x');
    const conf = loadRegistriesConf(text);
    assert.deepEqual(
      conf.registries.map((table) => table.prefix),
      [
        'quay.io/openshift-release-dev/ocp-release',
        'quay.io/openshift-release-dev/ocp-v4.0-art-dev',
        'registry.redhat.io/ubi9',
      ],
    );
    const release = conf.registries[0];
    assert.deepEqual(
      release?.mirrors.map((mirror) => `${mirror.location} ${mirror.pullFromMirror}`),
      [
        `${HOST}/openshift/release-images digest-only`,
        'corp.example.com:5000/ocp/release digest-only',
      ],
    );
    // mirror-by-digest-only with pull-from-mirror is a hard c/image error: it must be gone.
    assert.equal(release?.mirrorByDigestOnly, false);
    const ubi = conf.registries[2];
    assert.equal(ubi?.mirrorByDigestOnly, true, 'a table we do not touch keeps its keys');
    assert.deepEqual(
      ubi?.mirrors.map((mirror) => mirror.location),
      ['corp.example.com:5000/ubi9'],
    );
    // assisted-service needs a location and a mirror list in every table (generator.go).
    assert.ok(conf.registries.every((table) => table.location !== '' && table.mirrors.length > 0));
  });

  test('an invalid registries.conf in the ISO is refused, naming it', () => {
    assert.throws(() => mergeMainRegistriesConf('[[registry]\n', rules, 'agent.iso: x'), {
      code: 'AGENT_ISO_INVALID',
      message: /agent\.iso: x/,
    });
  });
});

test('the CA bundle gets our CA appended once, the user’s bundle kept', () => {
  const user = '-----BEGIN CERTIFICATE-----\nMIIBuser\n-----END CERTIFICATE-----';
  const merged = mergeCaBundle(Buffer.from(user), CA);
  assert.equal(merged, `${user}\n${CA}`);
  assert.equal(mergeCaBundle(Buffer.from(merged), CA), merged);
  assert.equal(mergeCaBundle(undefined, CA), CA);
});

test('the assisted-service units get /etc/containers and domain.crt mounted, once', () => {
  const mounted = withContainersMount(SERVICE_UNIT);
  assert.match(
    mounted,
    /^ExecStart=\/usr\/bin\/podman run -v \/etc\/containers:\/etc\/containers --net host/m,
  );
  assert.ok(
    mounted.includes(
      ' -v /etc/pki/ca-trust/source/anchors/domain.crt:/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem:z ',
    ),
    mounted,
  );
  assert.ok(!mounted.includes('-v /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem:'));
  assert.equal(withContainersMount(mounted), mounted);
  assert.ok(!mounted.includes(`ExecStop=/usr/bin/podman stop ${CONTAINERS_MOUNT}`));
});

test('the agent fragment: extra manifests, registries.conf, CA and units; stale copies of our manifests replaced', () => {
  const machineConfig =
    'apiVersion: machineconfiguration.openshift.io/v1\nkind: MachineConfig\nmetadata:\n  name: 99-master-hostmirror\n';
  const base = agentConfig((builder) =>
    builder
      .addFile(
        `${AGENT_EXTRA_MANIFESTS_DIR}/99-master-hostmirror-0.yaml`,
        `${machineConfig}# old CA\n`,
      )
      .addFile(
        `${AGENT_EXTRA_MANIFESTS_DIR}/user-0.yaml`,
        'kind: ConfigMap\nmetadata:\n  name: mine\n',
      )
      .addFile(
        AGENT_CA_BUNDLE,
        '-----BEGIN CERTIFICATE-----\nMIIBuser\n-----END CERTIFICATE-----\n',
        { mode: 0o600 },
      ),
  );
  const result = agentMirrorFragment(base, {
    rules,
    caCertificate: CA,
    manifests: [{ name: '99-master-hostmirror.yaml', text: machineConfig }],
    iso: 'agent.iso',
    spec: '3.2.0',
  });
  const paths = (result.base.storage?.files ?? []).map((file) => file.path);
  assert.ok(!paths.includes(`${AGENT_EXTRA_MANIFESTS_DIR}/99-master-hostmirror-0.yaml`));
  assert.ok(paths.includes(`${AGENT_EXTRA_MANIFESTS_DIR}/user-0.yaml`));
  assert.match(result.warnings.join('\n'), /MachineConfig\/99-master-hostmirror/);
  assert.equal(
    ignitionFile(
      result.fragment,
      `${AGENT_EXTRA_MANIFESTS_DIR}/99-master-hostmirror.yaml`,
    )?.toString(),
    machineConfig,
  );
  assert.match(
    ignitionFile(result.fragment, AGENT_CA_BUNDLE)?.toString() ?? '',
    /MIIBuser[\s\S]*MIIBhostmirror/,
  );
  assert.match(
    ignitionFile(result.fragment, MAIN_REGISTRIES_CONF)?.toString() ?? '',
    /openshift\/release-images/,
  );
  const unit = result.fragment.systemd?.units?.find(
    (entry) => entry.name === 'assisted-service.service',
  );
  assert.ok(unit?.contents?.includes(CONTAINERS_MOUNT));
  assert.equal(unit?.enabled, undefined, 'the agent ISO decides whether it is enabled');
});

test('the release mirror: the release by digest at its source’s first mirror, set where openshift-install sets it', () => {
  assert.equal(
    releaseMirrorOf(`${RELEASE}:4.14.3-x86_64`, DIGEST_A, rules),
    `${HOST}/openshift/release-images@${DIGEST_A}`,
  );
  assert.equal(
    releaseMirrorOf(`registry.example.com/ocp/release@${DIGEST_A}`, DIGEST_A, rules),
    undefined,
  );
  const env =
    'PUBLIC_CONTAINER_REGISTRIES=quay.io\nOPENSHIFT_INSTALL_RELEASE_IMAGE_MIRROR=\nSTORAGE=filesystem\n';
  assert.equal(
    withEnvValue(env, 'OPENSHIFT_INSTALL_RELEASE_IMAGE_MIRROR', 'm@d', false),
    'PUBLIC_CONTAINER_REGISTRIES=quay.io\nOPENSHIFT_INSTALL_RELEASE_IMAGE_MIRROR=m@d\nSTORAGE=filesystem\n',
  );
  assert.equal(withEnvValue('A=1', 'B', '2', false), 'A=1\nB=2\n');
  const unit =
    '[Service]\nEnvironment=OPENSHIFT_INSTALL_RELEASE_IMAGE_MIRROR=\nExecStart=podman run x\n';
  assert.equal(
    withEnvValue(unit, 'OPENSHIFT_INSTALL_RELEASE_IMAGE_MIRROR', 'm@d', true),
    '[Service]\nEnvironment=OPENSHIFT_INSTALL_RELEASE_IMAGE_MIRROR=m@d\nExecStart=podman run x\n',
  );
  assert.equal(
    withEnvValue('[Service]\n', 'X', 'y', true),
    '[Service]\n',
    'a unit without the line is left alone',
  );
});
