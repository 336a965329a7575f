import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseYaml11, readClusterConfig } from './cluster-config.ts';
import { BuildIsoError } from './errors.ts';

const agentConfig = `apiVersion: v1beta1
kind: AgentConfig
metadata:
  name: demo
rendezvousIP: 192.168.111.80
hosts:
  - hostname: master-0
    role: master
`;

function installConfig(controlPlane: number, compute: number, extra = ''): string {
  return `apiVersion: v1
baseDomain: example.com
metadata:
  name: demo
controlPlane:
  name: master
  replicas: ${controlPlane}
compute:
  - name: worker
    replicas: ${compute}
platform:
  none: {}
fips: no
${extra}`;
}

function read(install: string, agent = agentConfig) {
  return readClusterConfig(
    { text: install, file: 'install-config.yaml' },
    { text: agent, file: 'agent-config.yaml' },
  );
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof BuildIsoError);
    return error.code;
  }
  return undefined;
}

describe('cluster config', () => {
  it('yaml11Semantics', () => {
    assert.deepEqual(parseYaml11('fips: no\nmode: 0644\nenabled: yes\n', 'f.yaml'), {
      fips: false,
      mode: 420,
      enabled: true,
    });
  });

  it('topologyFromReplicas', () => {
    assert.equal(read(installConfig(1, 0)).topology, 'sno');
    assert.equal(read(installConfig(3, 0)).topology, 'compact');
    assert.equal(read(installConfig(3, 2)).topology, 'ha');
    assert.equal(
      codeOf(() => read(installConfig(2, 0))),
      'TOPOLOGY_UNSUPPORTED',
    );
  });

  it('readsRendezvousAndHosts', () => {
    const config = read(installConfig(1, 0));
    assert.equal(config.rendezvousIP, '192.168.111.80');
    assert.deepEqual(config.hostnames, ['master-0']);
    assert.equal(config.fips, false);
    assert.equal(config.clusterName, 'demo');
  });

  it('parseErrorNamesFileLineColumn', () => {
    try {
      read(installConfig(1, 0, 'bad: [unclosed\n'));
      assert.fail('expected a parse error');
    } catch (error) {
      assert.ok(error instanceof BuildIsoError);
      assert.equal(error.code, 'CONFIG_PARSE');
      assert.match(error.message, /^install-config\.yaml:\d+:\d+: /);
    }
  });

  it('refusesBadRendezvousIP', () => {
    const agent = agentConfig.replace('192.168.111.80', 'node0.example.com');
    assert.equal(
      codeOf(() => read(installConfig(1, 0), agent)),
      'CONFIG_INVALID',
    );
    assert.equal(
      codeOf(() => read(installConfig(1, 0), 'kind: AgentConfig\n')),
      'CONFIG_INVALID',
    );
  });

  it('mirrorSourcesExclusive', () => {
    const sources = `imageDigestSources:
  - source: quay.io/openshift-release-dev/ocp-release
    mirrors: [mirror.local:5000/openshift/release-images]
`;
    assert.deepEqual(read(installConfig(1, 0, sources)).imageDigestSources, [
      {
        source: 'quay.io/openshift-release-dev/ocp-release',
        mirrors: ['mirror.local:5000/openshift/release-images'],
      },
    ]);
    const both = `${sources}imageContentSources:\n  - source: a.io/b\n    mirrors: [c.io/d]\n`;
    assert.equal(
      codeOf(() => read(installConfig(1, 0, both))),
      'CONFIG_INVALID',
    );
  });
});
