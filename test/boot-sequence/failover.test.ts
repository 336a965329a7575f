/**
 * Issue #15 item 1, with real tools: after the install every control-plane node that carries the
 * mirror serves it, and a client lists the mirrors in the order `mirrorEndpoints` decides — the
 * registry name (this host, or node0), then `api-int.<cluster domain>`, which reaches any
 * control-plane node — so a worker still pulls the release by digest when node0's registry is
 * stopped, and when node0 is gone from the network altogether.
 *
 * Four hosts, each its own network namespace on one bridge (cluster.sh), run the installed file
 * set (what the MachineConfigs carry) with the real docker-registry, curl and skopeo. The
 * worker's containers read an MCO-style /etc/containers/registries.conf rendered from the IDMS
 * our cluster manifests carry (as openshift/machine-config-operator
 * pkg/controller/container-runtime-config/helpers.go updateRegistriesConfig renders an IDMS:
 * location = the source, one [[registry.mirror]] per mirror, pull-from-mirror = "digest-only").
 * `api-int` resolves through the worker's /etc/hosts to the three control-plane addresses, node0
 * first, as a round-robin DNS name would.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bootFileSet, mirrorEndpoints, prepareBootSequence } from '@hostmirror/boot-sequence';
import { requireTool } from '@hostmirror/fixtures';
import {
  clusterScenario,
  explain,
  inNamespace,
  makeArchives,
  mcoRegistriesConf,
  stepsTable,
  writeFileSet,
} from './support.ts';

const ARCHIVES = ['mirror_000001.tar', 'mirror_000002.tar'];
const RELEASE_SOURCE = 'quay.io/openshift-release-dev/ocp-release';
const CLUSTER_DOMAIN = 'ocp.example.internal';
const API_INT = `api-int.${CLUSTER_DOMAIN}`;
const CONTROL_PLANE = [
  { name: 'cp0', address: '10.77.0.1' },
  { name: 'cp1', address: '10.77.0.2' },
  { name: 'cp2', address: '10.77.0.3' },
] as const;
const WORKER = { name: 'worker', address: '10.77.0.9' } as const;

let work: string;
let fixtures: string;
let releaseDigest: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hostmirror-failover-'));
  fixtures = join(work, 'fixtures');
  await mkdir(fixtures);
  releaseDigest = await makeArchives(fixtures, { port: 5057, bigMib: 1, timeoutMs: 120_000 });
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('controlPlaneFailover: node0 registry stopped, then node0 off the network: the worker still pulls the release by digest from another control-plane node through api-int; a control-plane node pulls from itself first', async () => {
  const { plan, assets, manifests } = await prepareBootSequence(
    {
      mode: 'node0',
      topology: 'ha',
      controlPlaneReplicas: 3,
      computeReplicas: 1,
      rendezvousIP: CONTROL_PLANE[0].address,
      clusterDomain: CLUSTER_DOMAIN,
    },
    { archives: ARCHIVES.map((name) => join(fixtures, name)) },
  );
  // The one decision: this host (or node0) first, then any control-plane node.
  assert.deepEqual(
    mirrorEndpoints(plan.settings).map((endpoint) => endpoint.hostPort),
    ['registry.hostmirror.internal:5000', `${API_INT}:5000`],
  );
  const idms = manifests.manifests
    .filter((manifest) => manifest.kind === 'ImageDigestMirrorSet')
    .map((manifest) => manifest.yaml);
  assert.ok(idms.length > 0, 'the cluster manifests carry an IDMS');
  const registriesConf = mcoRegistriesConf(idms);
  assert.match(registriesConf, new RegExp(`location = "${API_INT}:5000/openshift/release-images"`));

  const installed = bootFileSet(plan, 'installed', assets);
  const registry = await requireTool('docker-registry');
  const steps = stepsTable(plan.phases.installed);
  const roots: Record<string, string> = {};
  for (const host of [...CONTROL_PLANE, WORKER]) {
    const root = join(work, host.name, 'root');
    roots[host.name] = root;
    await writeFileSet(root, installed);
    await writeFile(join(work, host.name, 'steps.tsv'), steps);
    await mkdir(join(root, 'etc/containers'), { recursive: true });
    await writeFile(join(root, 'etc/containers/registries.conf'), registriesConf);
    // The cluster's DNS for api-int (here the hosts file): every control-plane node, node0 first.
    await writeFile(
      join(root, 'etc/hosts'),
      `127.0.0.1 localhost\n${CONTROL_PLANE.map((cp) => `${cp.address} ${API_INT}`).join('\n')}\n`,
    );
  }
  // Every control-plane node carries the mirror: its volume holds the archives, and the program
  // and TLS pair the live ISO's persist step keeps there for the installed system.
  for (const cp of CONTROL_PLANE) {
    const volume = join(roots[cp.name] as string, 'srv/volume');
    await mkdir(join(volume, 'hostmirror/bin'), { recursive: true });
    await mkdir(join(volume, 'hostmirror/tls'), { recursive: true });
    for (const name of ARCHIVES) await copyFile(join(fixtures, name), join(volume, name));
    await copyFile(registry, join(volume, 'hostmirror/bin/registry'));
    await writeFile(join(volume, 'hostmirror/tls/tls.crt'), assets.tls.certificate);
    await writeFile(join(volume, 'hostmirror/tls/tls.key'), assets.tls.key, { mode: 0o600 });
  }

  const { on, runSteps, pull, served, prologue, writeScripts } = clusterScenario({
    dir: work,
    roots,
    hosts: [...CONTROL_PLANE, WORKER],
    release: { source: RELEASE_SOURCE, digest: releaseDigest },
    settings: (host) =>
      `export HOSTMIRROR_ROOT='${roots[host]}' HOSTMIRROR_VOLUME_DIR=/srv/volume HOSTMIRROR_VOLUME_WAIT=0
export HOSTMIRROR_READY_TIMEOUT=90 HOSTMIRROR_LOCAL_READY_TIMEOUT=90 HOSTMIRROR_UPDATE_CA_TRUST=true`,
  });
  const body = `${prologue}
${CONTROL_PLANE.map((cp) => runSteps(cp.name)).join('\n')}
${runSteps('worker')}
echo "WORKER alias $(grep '# hostmirror' ${roots.worker}/etc/hosts)"
ls ${roots.worker}/etc/containers/certs.d | sed 's/^/WORKER certs.d /'
echo "== all serve (at $SECONDS s)"
${pull('worker')}
${served('cp0')}
echo "== node0's registry stopped (at $SECONDS s)"
kill "$(grep -m1 . ${work}/cp0/daemons)"
down=
for _ in $(seq 150); do
  if ! ${on('cp0', 'curl -s -o /dev/null --max-time 2 -k https://127.0.0.1:5000/v2/')}; then down=yes; break; fi
  sleep 0.2
done
echo "NODE0 registry down: \${down:-no}"
${on('worker', `${roots.worker}/usr/local/bin/hostmirror-wait-ready.sh 2>&1 | sed 's/^/READY /'`)}
${pull('worker')}
${served('cp1')}
${served('cp2')}
echo "== node0 off the network (at $SECONDS s)"
hm_host_off cp0
${pull('worker')}
echo "== a control-plane node pulls from itself first (at $SECONDS s)"
${pull('cp1')}
${served('cp1')}
`;
  await writeScripts();
  const result = await inNamespace(body, {}, 240_000);
  const out = result.stdout.toString('utf8');
  if (process.env.HOSTMIRROR_TEST_DEBUG) console.log(out);
  assert.equal(result.exitCode, 0, explain(result));
  for (const host of CONTROL_PLANE)
    for (const unit of ['restore', 'ready'])
      assert.match(
        out,
        new RegExp(`^${host.name} STEP hostmirror-${unit}\\.service ok$`, 'm'),
        explain(result),
      );
  assert.match(out, /^worker STEP hostmirror-registry\.service skipped$/m, explain(result));
  assert.match(out, /^NODE0 registry down: yes$/m, explain(result));
  assert.match(out, /^worker STEP hostmirror-ready\.service ok$/m, explain(result));
  assert.match(
    out,
    /^WORKER alias 10\.77\.0\.1 registry\.hostmirror\.internal # hostmirror$/m,
    explain(result),
  );
  assert.match(
    out,
    new RegExp(`^WORKER certs.d ${API_INT.replaceAll('.', '\\.')}:5000$`, 'm'),
    explain(result),
  );

  const sections = out.split(/^== /m);
  const section = (title: string) => {
    const found = sections.find((part) => part.startsWith(title));
    assert.ok(found !== undefined, `no "${title}" section\n${explain(result)}`);
    return found;
  };
  const tried = (text: string) => [...text.matchAll(/^TRIED (\S+)$/gm)].map((match) => match[1]);
  const release = (host: string) => `${host}:5000/openshift/release-images@${releaseDigest}`;

  // All up: the first mirror (node0 through the alias) serves.
  const allUp = section('all serve');
  assert.match(allUp, /^PULLED$/m, explain(result));
  assert.deepEqual(tried(allUp), [release('registry.hostmirror.internal')], explain(result));
  assert.match(allUp, /^SERVED cp0 [1-9]/m, explain(result));

  // node0's registry stopped: the first mirror is refused, api-int reaches cp1 (or cp2).
  const stopped = section("node0's registry stopped");
  assert.match(
    stopped,
    new RegExp(
      `READY hostmirror: the registry at https://${API_INT.replaceAll('.', '\\.')}:5000 answers`,
    ),
    explain(result),
  );
  assert.match(stopped, /^PULLED$/m, explain(result));
  assert.deepEqual(
    tried(stopped),
    [release('registry.hostmirror.internal'), release(API_INT)],
    explain(result),
  );
  const servedBy = (text: string, host: string) =>
    Number(new RegExp(`^SERVED ${host} (\\d+)$`, 'm').exec(text)?.[1] ?? '0');
  assert.ok(
    servedBy(stopped, 'cp1') + servedBy(stopped, 'cp2') > 0,
    `neither cp1 nor cp2 served the release manifest\n${explain(result)}`,
  );

  // node0 gone from the network: the same, after the unanswered attempts at its address.
  const off = section('node0 off the network');
  assert.match(off, /^PULLED$/m, explain(result));
  assert.deepEqual(
    tried(off),
    [release('registry.hostmirror.internal'), release(API_INT)],
    explain(result),
  );

  // A control-plane node that serves: its own registry (the alias is 127.0.0.1) first, and only.
  const own = section('a control-plane node pulls from itself first');
  assert.match(own, /^PULLED$/m, explain(result));
  assert.deepEqual(tried(own), [release('registry.hostmirror.internal')], explain(result));
  assert.ok(
    servedBy(own, 'cp1') > servedBy(stopped, 'cp1'),
    `cp1's own registry did not serve cp1's pull\n${explain(result)}`,
  );
});
