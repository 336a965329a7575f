import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  mirrorEndpoints,
  mirrorTlsHosts,
  registryEndpoint,
  registryListensOnEveryAddress,
} from './endpoints.ts';
import { renderEnvFile } from './files.ts';
import { planBootSequence } from './plan.ts';

const ha = planBootSequence({
  mode: 'node0',
  topology: 'ha',
  rendezvousIP: '192.0.2.10',
  clusterDomain: 'OCP.Example.com',
  // The endpoints do not depend on the copy; its settings lines are files.test's.
  controlPlaneCopy: false,
}).settings;

describe('mirror endpoints', () => {
  test('order: our registry name (this host or node0) first, then api-int.<cluster domain> (any control-plane node)', () => {
    assert.deepEqual(
      mirrorEndpoints(ha).map((endpoint) => [endpoint.hostPort, endpoint.reaches]),
      [
        ['registry.hostmirror.internal:5000', 'this-host-or-node0'],
        ['api-int.ocp.example.com:5000', 'any-control-plane'],
      ],
    );
  });

  test('onlyOneNameWithoutAControlPlaneGroup: SNO, or no cluster domain', () => {
    const sno = planBootSequence({
      mode: 'every-node',
      topology: 'sno',
      clusterDomain: 'ocp.example.com',
    }).settings;
    const unknown = planBootSequence({ mode: 'every-node', topology: 'compact' }).settings;
    for (const settings of [sno, unknown]) {
      assert.equal(settings.controlPlaneName, null);
      assert.deepEqual(
        mirrorEndpoints(settings).map((endpoint) => endpoint.hostPort),
        ['registry.hostmirror.internal:5000'],
      );
    }
  });

  test('registryEndpoint: the first endpoint, the live ISO and bootstrap name', () => {
    assert.equal(registryEndpoint(ha), mirrorEndpoints(ha)[0]?.hostPort);
    assert.equal(
      registryEndpoint({ registryName: 'mirror.example.internal', registryPort: 5443 }),
      'mirror.example.internal:5443',
    );
  });

  test('tlsHosts: every endpoint name and node0 address, for the certificate and its CA', () => {
    assert.deepEqual(mirrorTlsHosts(ha), [
      'registry.hostmirror.internal',
      'api-int.ocp.example.com',
      '192.0.2.10',
    ]);
  });

  test('badClusterDomain: refused with BOOT_BAD_NAME', () => {
    assert.throws(
      () => planBootSequence({ mode: 'every-node', topology: 'ha', clusterDomain: 'not a name' }),
      { code: 'BOOT_BAD_NAME' },
    );
  });

  test('listen: every address where other hosts pull (node0 live, every installed host), loopback on the live ISO otherwise', () => {
    const everyNode = planBootSequence({ mode: 'every-node', topology: 'ha' }).settings;
    assert.equal(registryListensOnEveryAddress(ha, 'live'), true);
    assert.equal(registryListensOnEveryAddress(ha, 'installed'), true);
    assert.equal(registryListensOnEveryAddress(everyNode, 'live'), false);
    assert.equal(registryListensOnEveryAddress(everyNode, 'installed'), true);
  });

  test('envFile: the scripts read the same order and listen decision', () => {
    const env = renderEnvFile(ha, 'installed');
    assert.match(
      env,
      /^HOSTMIRROR_MIRRORS=registry\.hostmirror\.internal:5000 api-int\.ocp\.example\.com:5000$/m,
    );
    assert.match(env, /^HOSTMIRROR_REGISTRY_LISTEN=all$/m);
    // The live ISO has no api-int yet: only our registry name.
    assert.match(
      renderEnvFile(ha, 'live'),
      /^HOSTMIRROR_MIRRORS=registry\.hostmirror\.internal:5000$/m,
    );
    const everyNode = planBootSequence({ mode: 'every-node', topology: 'ha' }).settings;
    assert.match(renderEnvFile(everyNode, 'live'), /^HOSTMIRROR_REGISTRY_LISTEN=loopback$/m);
  });
});
