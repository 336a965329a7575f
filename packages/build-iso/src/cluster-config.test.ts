import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkClusterForRelease,
  controlPlaneSizesFor,
  parseYaml11,
  readClusterConfig,
} from './cluster-config.ts';
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
      'CONFIG_INVALID',
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

  it('deepNestingIsOneLine: 20,000 nested collections are CONFIG_PARSE naming the file (issue 20, tools/fuzz)', () => {
    try {
      read(installConfig(1, 0, `deep: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`));
      assert.fail('expected a parse error');
    } catch (error) {
      assert.ok(error instanceof BuildIsoError, String(error));
      assert.equal(error.code, 'CONFIG_PARSE');
      assert.match(
        error.message,
        /^install-config\.yaml:\d+:\d+: collections nested too deeply to read/,
      );
      assert.ok(!error.message.includes('\n'), error.message);
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

  describe('as openshift-install reads them (derived from openshift/installer)', () => {
    const hostsYaml = (
      hosts: { name: string; role?: string; ip?: string; ip6?: string }[],
    ) => `hosts:
${hosts
  .map(
    (host) => `  - hostname: ${host.name}
${host.role === undefined ? '' : `    role: ${host.role}\n`}    networkConfig:
      interfaces:
        - name: enp1s0
          type: ethernet
${host.ip === undefined ? '' : `          ipv4:\n            address:\n              - ip: ${host.ip}\n                prefix-length: 23\n`}${host.ip6 === undefined ? '' : `          ipv6:\n            address:\n              - ip: ${host.ip6}\n                prefix-length: 64\n`}`,
  )
  .join('')}`;
    const agent = (body: string) => `apiVersion: v1alpha1\nmetadata:\n  name: ostest\n${body}`;
    const message = (action: () => unknown): string => {
      try {
        action();
      } catch (error) {
        assert.ok(error instanceof BuildIsoError, String(error));
        return `${error.code} ${error.message}`;
      }
      return 'accepted';
    };
    const withoutCompute = (cp: number, platform = 'none: {}') =>
      `apiVersion: v1\nbaseDomain: example.com\nmetadata:\n  name: demo\ncontrolPlane:\n  name: master\n  replicas: ${cp}\nplatform:\n  ${platform}\n`;

    // pkg/types/defaults/installconfig.go + machinepools.go: no compute pools → one pool of 3.
    it('aMissingComputeSectionIsThreeWorkers', () => {
      const ha = read(withoutCompute(3));
      assert.equal(ha.computeReplicas, 3);
      assert.equal(ha.topology, 'ha');
      assert.equal(ha.networkType, 'OVNKubernetes');
      assert.equal(ha.platform, 'none');
      // ... so an SNO config without compute is refused (agent installconfig.go validateSNOConfiguration).
      assert.match(
        message(() => read(withoutCompute(1))),
        /^CONFIG_INVALID .*Total number of compute replicas must be 0 when controlPlane\.replicas is 1 for platform none or external\. Found 3/,
      );
    });

    // cmd/openshift-install/testdata/agent/image/validations/sno_invalid_workers.txt (22b8e9d7).
    it('snoWithAWorkerIsRefused', () => {
      assert.match(
        message(() => read(installConfig(1, 1))),
        /must be 0 when controlPlane\.replicas is 1.*Found 1/,
      );
    });

    // .../validations/sno_invalid_network_type.txt (186cb916): SNO is OVN only.
    it('snoWithAnotherNetworkTypeIsRefused', () => {
      assert.match(
        message(() => read(installConfig(1, 0, 'networking:\n  networkType: OpenShiftSDN\n'))),
        /networking\.networkType: Invalid value: "OpenShiftSDN": Only OVNKubernetes network type is allowed for Single Node OpenShift/,
      );
    });

    // installconfig.go validateSNOConfiguration: SNO only on platform none or external.
    it('snoOnBaremetalIsRefused', () => {
      assert.match(
        message(() =>
          read(
            withoutCompute(1, 'baremetal: {}').replace(
              'platform:',
              'compute:\n- name: worker\n  replicas: 0\nplatform:',
            ),
          ),
        ),
        /Only platform none and external supports 1 ControlPlane and 0 Compute nodes/,
      );
      assert.equal(
        read(installConfig(1, 0).replace('none: {}', 'external:\n    platformName: oci')).topology,
        'sno',
      );
    });

    // installconfig.go validateControlPlaneConfiguration: 1, 3, 4 and 5 control planes.
    it('fourAndFiveControlPlanesAreAccepted', () => {
      assert.equal(read(installConfig(4, 0)).topology, 'compact');
      assert.equal(read(installConfig(5, 2)).topology, 'ha');
      assert.match(
        message(() => read(installConfig(6, 0))),
        /controlPlane\.replicas: Unsupported value: 6/,
      );
      assert.match(
        message(() => read(installConfig(0, 3))),
        /controlPlane\.replicas: Unsupported value: 0/,
      );
    });

    // .../validations/compact_invalid_controlPlane_replicas.txt (006d4573): two control planes
    // need exactly two fencing credentials; with them the installer builds a two-node cluster.
    it('twoNodeNeedsTwoFencingCredentials', () => {
      assert.match(
        message(() => read(installConfig(2, 0))),
        /controlPlane\.fencing\.credentials: Forbidden: there should be exactly two fencing credentials to support the two node cluster, instead 0 credentials were found/,
      );
      const fencing = installConfig(2, 0).replace(
        '  replicas: 2\n',
        '  replicas: 2\n  fencing:\n    credentials:\n    - hostname: master-0\n      address: redfish+https://10.0.0.1/redfish/v1/Systems/1\n    - hostname: master-1\n      address: redfish+https://10.0.0.2/redfish/v1/Systems/1\n',
      );
      const twoNode = read(fencing);
      assert.equal(twoNode.topology, 'compact');
      assert.equal(twoNode.controlPlaneReplicas, 2);
    });

    // .../validations/compact_too_many_workers.txt (ad068a8e) and validateHostCount.
    it('moreHostsThanReplicasIsRefused', () => {
      const hosts = hostsYaml([
        { name: 'master-0', role: 'master', ip: '10.19.17.126' },
        { name: 'master-1', role: 'master', ip: '10.19.17.127' },
        { name: 'master-2', role: 'master', ip: '10.19.17.128' },
        { name: 'worker-0', role: 'worker', ip: '10.19.17.129' },
      ]);
      assert.match(
        message(() => read(installConfig(3, 0), agent(`rendezvousIP: 192.168.111.20\n${hosts}`))),
        /the number of worker hosts defined \(1\) exceeds the configured Compute replicas \(0\)/,
      );
      // Hosts without a role fill the control plane first, then count as workers.
      const roleless = hostsYaml([
        { name: 'a', ip: '10.0.0.1' },
        { name: 'b', ip: '10.0.0.2' },
        { name: 'c', ip: '10.0.0.3' },
        { name: 'd', ip: '10.0.0.4' },
      ]);
      assert.match(
        message(() => read(installConfig(3, 0), agent(roleless))),
        /the number of worker hosts defined \(1\) exceeds the configured Compute replicas \(0\)/,
      );
      assert.match(
        message(() =>
          read(
            installConfig(1, 0),
            agent(
              hostsYaml([
                { name: 'a', role: 'master', ip: '10.0.0.1' },
                { name: 'b', role: 'master', ip: '10.0.0.2' },
              ]),
            ),
          ),
        ),
        /the number of master hosts defined \(2\) exceeds the configured ControlPlane replicas \(1\)/,
      );
      // Fewer hosts than replicas is only a warning there (compact_not_enough_hosts.txt).
      assert.equal(
        read(
          installConfig(3, 0),
          agent(`rendezvousIP: 10.0.0.1\n${hostsYaml([{ name: 'a', role: 'master' }])}`),
        ).topology,
        'compact',
      );
    });

    // .../validations/no-rendezvousip.txt (56b4fb23): without rendezvousIP, node0 is the first
    // control-plane host's first IP (the worker listed first is skipped): 10.19.17.126.
    it('rendezvousIPFromTheFirstControlPlaneHost', () => {
      const hosts = hostsYaml([
        { name: 'worker-0', role: 'worker', ip: '10.19.17.129' },
        { name: 'master-0', role: 'master', ip: '10.19.17.126' },
        { name: 'master-1', role: 'master', ip: '10.19.17.127' },
        { name: 'master-2', role: 'master', ip: '10.19.17.128' },
      ]);
      const config = read(installConfig(3, 1), agent(hosts));
      assert.equal(config.rendezvousIP, '10.19.17.126');
      assert.match(config.rendezvousIPSource, /hosts\.1 \(master-0\) networkConfig/);
      // Role-less hosts come after the masters; IPv6 is written as Go's net.IP.String() does.
      const v6 = hostsYaml([
        { name: 'w', role: 'worker', ip: '10.0.0.9' },
        { name: 'x', ip6: 'FD00:0:0:0::0010' },
      ]);
      assert.equal(read(installConfig(3, 1), agent(v6)).rendezvousIP, 'fd00::10');
      assert.match(
        message(() => read(installConfig(3, 1), agent(hostsYaml([{ name: 'm', role: 'master' }])))),
        /missing rendezvousIP in agent-config, at least one host networkConfig, or at least one NMStateConfig manifest/,
      );
    });

    // pkg/types/validation: a platform is required; agent supports baremetal, vsphere, none, external.
    it('platformIsRequiredAndAgentSupported', () => {
      const noPlatform = installConfig(3, 0).replace('platform:\n  none: {}\n', '');
      assert.match(
        message(() => read(noPlatform)),
        /platform: Invalid value: "": must specify one of the platforms/,
      );
      assert.match(
        message(() => read(installConfig(3, 0).replace('none: {}', 'aws: {}'))),
        /platform: Unsupported value: "aws": supported values: "baremetal", "vsphere", "none", "external"/,
      );
    });

    it('anArbiterIsNotInTheBootSequenceYet', () => {
      assert.equal(
        codeOf(() => read(installConfig(2, 0, 'arbiter:\n  name: arbiter\n  replicas: 1\n'))),
        'TOPOLOGY_UNSUPPORTED',
      );
    });
  });
});

// The release's own openshift-install: 1 or 3 until 4.17 (openshift/installer#8082), 4 and 5 from
// 4.18 (#9154), two nodes with fencing from 4.21 (#9946).
describe('control-plane sizes per release', () => {
  it('followsTheReleasesInstaller', () => {
    assert.deepEqual(controlPlaneSizesFor('4.14.3-x86_64'), [1, 3]);
    assert.deepEqual(controlPlaneSizesFor('4.17.0'), [1, 3]);
    assert.deepEqual(controlPlaneSizesFor('4.18.1'), [1, 3, 4, 5]);
    assert.deepEqual(controlPlaneSizesFor('4.21.0-rc.1'), [1, 2, 3, 4, 5]);
    const five = read(installConfig(5, 0));
    assert.throws(() => checkClusterForRelease(five, '4.16.2', 'install-config.yaml'), {
      code: 'CONFIG_INVALID',
      message: /release 4\.16\.2, which takes 1, 3/,
    });
    checkClusterForRelease(five, '4.18.0', 'install-config.yaml');
    checkClusterForRelease(five, undefined, 'install-config.yaml');
  });
});
