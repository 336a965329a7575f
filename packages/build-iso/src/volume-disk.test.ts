import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ClusterConfig, ClusterHost } from './cluster-config.ts';
import { BuildIsoError } from './errors.ts';
import { checkVolumeDiskHints, parseVolumeDiskHint } from './volume-disk.ts';

function host(
  index: number,
  name: string,
  addresses: string[],
  hints?: Record<string, unknown>,
): ClusterHost {
  return { jsonPath: `$.hosts[${index}]`, hostname: name, rootDeviceHints: hints, addresses };
}

function cluster(hosts: ClusterHost[], rendezvousIP = '192.0.2.10'): ClusterConfig {
  return {
    clusterName: 'c',
    baseDomain: 'example.com',
    controlPlaneReplicas: 3,
    computeReplicas: 0,
    topology: 'compact',
    platform: 'none',
    networkType: 'OVNKubernetes',
    rendezvousIP,
    rendezvousIPSource: 'agent-config rendezvousIP',
    hostnames: hosts.flatMap((h) => (h.hostname === undefined ? [] : [h.hostname])),
    hosts,
    imageDigestSources: [],
    fips: false,
    architecture: 'amd64',
  };
}

function refusedFor(jsonPath: string, why: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof BuildIsoError);
    assert.equal(error.code, 'VOLUME_DISK_AMBIGUOUS');
    assert.match(error.message, why);
    assert.equal(error.jsonPath, `${jsonPath}.rootDeviceHints`);
    assert.match(error.fix ?? '', /rootDeviceHints\.deviceName/);
    return true;
  };
}

describe('the install disk of a host with the mirror volume', () => {
  const node0 = (hints?: Record<string, unknown>) => host(0, 'node0', ['192.0.2.10'], hints);
  const other = host(1, 'master1', ['192.0.2.11']);

  test('mode node0: node0 without rootDeviceHints is refused, naming it; the others need none', () => {
    assert.throws(
      () => checkVolumeDiskHints(cluster([node0(), other]), 'node0', 'agent-config.yaml'),
      refusedFor(
        '$.hosts[0]',
        /host \$\.hosts\[0\] \(node0\) carries the mirror volume \(mode node0\) but its rootDeviceHints are not set/,
      ),
    );
    assert.deepEqual(
      checkVolumeDiskHints(
        cluster([node0({ deviceName: '/dev/disk/by-path/pci-0000:00:05.0' }), other]),
        'node0',
        'a.yaml',
      ),
      [],
    );
  });

  test('hints that can match any disk (size, model) do not keep the installer off the volume', () => {
    assert.throws(
      () =>
        checkVolumeDiskHints(
          cluster([node0({ minSizeGigabytes: 100, model: 'QEMU' })]),
          'node0',
          'a.yaml',
        ),
      refusedFor('$.hosts[0]', /rootDeviceHints \(minSizeGigabytes, model\) do not name one disk/),
    );
    for (const key of ['hctl', 'serialNumber', 'wwn'])
      assert.deepEqual(
        checkVolumeDiskHints(cluster([node0({ [key]: 'x' })]), 'node0', 'a.yaml'),
        [],
      );
  });

  test('modes every-node and preload: every host carries a volume', () => {
    const pinned = node0({ serialNumber: 'S1' });
    for (const mode of ['every-node', 'preload'] as const)
      assert.throws(
        () => checkVolumeDiskHints(cluster([pinned, other]), mode, 'a.yaml'),
        refusedFor('$.hosts[1]', /host \$\.hosts\[1\] \(master1\) carries the mirror volume/),
      );
  });

  test('node0 found by its rendezvous IP however IPv6 is written; no hosts listed: a warning, not a guess', () => {
    const v6 = host(0, 'node0', ['fd00:0:0::0001']);
    assert.throws(
      () => checkVolumeDiskHints(cluster([v6], 'fd00::1'), 'node0', 'a.yaml'),
      refusedFor('$.hosts[0]', /\(node0\)/),
    );
    const [warning] = checkVolumeDiskHints(cluster([]), 'node0', 'a.yaml');
    assert.match(
      warning ?? '',
      /lists no hosts, so whether the installer could pick the disk .* was not checked/,
    );
    const [missing] = checkVolumeDiskHints(cluster([other]), 'node0', 'a.yaml');
    assert.match(missing ?? '', /No host of a\.yaml has the rendezvous IP 192\.0\.2\.10/);
  });
});

describe('the volume on the install disk (--volume-disk-hint)', () => {
  const node0 = (hints: Record<string, unknown>) => host(0, 'node0', ['192.0.2.10'], hints);
  const check = (hints: Record<string, unknown>, volume: string[]) =>
    checkVolumeDiskHints(
      cluster([node0(hints)]),
      'node0',
      'agent-config.yaml',
      volume.reduce((into, text) => parseVolumeDiskHint(text, into), {}),
    );

  test('a host whose hints name the volume disk is refused, naming the host, the hint and the busy partitions', () => {
    assert.throws(
      () =>
        check({ deviceName: '/dev/disk/by-path/pci-0000:00:05.0' }, [
          'deviceName=/dev/disk/by-path/pci-0000:00:05.0',
        ]),
      (error: unknown) => {
        assert.ok(error instanceof BuildIsoError);
        assert.equal(error.code, 'VOLUME_SAME_DISK');
        assert.match(error.message, /host \$\.hosts\[0\] \(node0\)/);
        assert.match(error.message, /found busy partitions/);
        assert.equal(error.jsonPath, '$.hosts[0].rootDeviceHints.deviceName');
        return true;
      },
    );
    assert.throws(
      () => check({ serialNumber: 'S1', model: 'QEMU' }, ['serialNumber=S1']),
      /VOLUME_SAME_DISK|rootDeviceHints\.serialNumber is S1/,
    );
  });

  test('a hint that cannot match the volume disk keeps the host (every hint must hold)', () => {
    assert.deepEqual(check({ serialNumber: 'S1' }, ['serialNumber=S2']), []);
    assert.deepEqual(
      check({ deviceName: '/dev/sda', hctl: '0:0:0:0' }, ['deviceName=/dev/sda', 'hctl=1:0:0:0']),
      [],
    );
  });

  test('no kind in common, or deviceName in two forms: a warning, not a guess', () => {
    const [warning] = check({ wwn: '0x5000' }, ['serialNumber=S2']);
    assert.match(warning ?? '', /node0.*not checked/);
    assert.equal(
      check({ deviceName: '/dev/sdb' }, ['deviceName=/dev/disk/by-path/pci-0000:00:06.0']).length,
      1,
    );
  });

  test('wwnWithExtension alone does not pin the install disk: assisted-service does not check it', () => {
    assert.throws(
      () =>
        checkVolumeDiskHints(cluster([node0({ wwnWithExtension: '0x5000' })]), 'node0', 'a.yaml'),
      /VOLUME_DISK_AMBIGUOUS|do not name one disk/,
    );
  });

  test('a volume disk hint that is not KEY=VALUE of a naming kind is refused', () => {
    for (const text of ['model=QEMU', 'deviceName=', 'serialNumber'])
      assert.throws(
        () => parseVolumeDiskHint(text),
        (error: unknown) =>
          error instanceof BuildIsoError && error.code === 'VOLUME_DISK_HINT_INVALID',
      );
  });
});
