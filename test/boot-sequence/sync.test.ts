/**
 * Issue #15 item 1, mode node0: after the install the other control-plane nodes copy node0's
 * registry storage (the `sync` step) and serve it themselves, so a pull succeeds with node0 gone.
 * Real tools throughout: node0 runs the installed file set (the master MachineConfig's files)
 * from its volume with the real docker-registry; a control-plane node without the volume runs the
 * master file set's steps and then `hostmirror-sync.sh`, which fetches the registry program and
 * the inventory node0 published, checks their sha256, copies with real skopeo into a temporary
 * registry and then serves with TLS; real skopeo pulls by digest. Each host is its own network
 * namespace on one bridge (cluster.sh, as failover.test.ts), inside `unshare -n`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type BootAssets,
  type BootPlan,
  bootFileSet,
  type ClusterManifestReport,
  MANIFEST_FILE,
  prepareBootSequence,
  renderMachineConfigs,
  renderTeardown,
  SYNC_REPOSITORY,
} from '@hostmirror/boot-sequence';
import { requireTool, runTool } from '@hostmirror/fixtures';
import { renderRegistryConfig } from '@hostmirror/host-config';
import { enableUnits, makeContainerRoot, nspawnBootArguments } from './container.ts';
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
const NODE0 = { name: 'cp0', address: '10.78.0.1' } as const;
const CP1 = { name: 'cp1', address: '10.78.0.2' } as const;
const WORKER = { name: 'worker', address: '10.78.0.9' } as const;

let work: string;
let fixtures: string;
let releaseDigest: string;
let registryProgram: string;
let prepared: { plan: BootPlan; assets: BootAssets; manifests: ClusterManifestReport };

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hostmirror-sync-'));
  fixtures = join(work, 'fixtures');
  await mkdir(fixtures);
  // A 24 MiB image beside the release: the copy has something to take its time over.
  releaseDigest = await makeArchives(fixtures, { port: 5058, bigMib: 24, timeoutMs: 180_000 });
  registryProgram = await requireTool('docker-registry');
  const program = createHash('sha256')
    .update(await readFile(registryProgram))
    .digest('hex');
  prepared = await prepareBootSequence(
    {
      mode: 'node0',
      topology: 'ha',
      controlPlaneReplicas: 3,
      computeReplicas: 1,
      rendezvousIP: NODE0.address,
      clusterDomain: CLUSTER_DOMAIN,
    },
    { archives: ARCHIVES.map((name) => join(fixtures, name)), registryProgramSha256: program },
  );
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * A cluster in `dir`: node0 with its volume (the archives, and the program, TLS pair and
 * inventory its live ISO's persist step keeps there), other hosts without; each host's root
 * holds its pool's installed file set, the MCO-style registries.conf and the cluster's DNS for
 * api-int (node0 first). Returns shell helpers for the scenario body.
 */
async function makeCluster(dir: string, hosts: readonly { name: string; address: string }[]) {
  const { plan, assets, manifests } = prepared;
  const registriesConf = mcoRegistriesConf(
    manifests.manifests.filter((m) => m.kind === 'ImageDigestMirrorSet').map((m) => m.yaml),
  );
  const roots: Record<string, string> = {};
  for (const host of hosts) {
    const root = join(dir, host.name, 'root');
    roots[host.name] = root;
    const pool = host.name === WORKER.name ? 'worker' : 'master';
    const set = bootFileSet(plan, 'installed', assets, { pool });
    await writeFileSet(root, set);
    const phase = { ...plan.phases.installed, steps: plan.phases.installed.steps };
    // The sync step runs on its own below (the test controls it); the rest in plan order.
    await writeFile(
      join(dir, host.name, 'steps.tsv'),
      stepsTable({
        ...phase,
        steps: phase.steps.filter((step) => step.id !== 'sync' && step.pools.includes(pool)),
      }),
    );
    await mkdir(join(root, 'etc/containers'), { recursive: true });
    await writeFile(join(root, 'etc/containers/registries.conf'), registriesConf);
    await writeFile(
      join(root, 'etc/hosts'),
      `127.0.0.1 localhost\n${[NODE0, CP1].map((cp) => `${cp.address} ${API_INT}`).join('\n')}\n`,
    );
    // How the sync step starts the serving registry here (systemctl on a real host).
    await writeFile(
      join(dir, host.name, 'start-registry.sh'),
      `#!/bin/bash\n"${root}/usr/local/bin/hostmirror-serve.sh" >>"${root}/hostmirror-registry.service.log" 2>&1 &\necho $! >>"${dir}/${host.name}/daemons"\n`,
      { mode: 0o755 },
    );
  }
  const volume = join(roots[NODE0.name] as string, 'srv/volume');
  await mkdir(join(volume, 'hostmirror/bin'), { recursive: true });
  await mkdir(join(volume, 'hostmirror/tls'), { recursive: true });
  for (const name of ARCHIVES) await copyFile(join(fixtures, name), join(volume, name));
  await copyFile(registryProgram, join(volume, 'hostmirror/bin/registry'));
  await writeFile(join(volume, 'hostmirror/tls/tls.crt'), assets.tls.certificate);
  await writeFile(join(volume, 'hostmirror/tls/tls.key'), assets.tls.key, { mode: 0o600 });
  await writeFile(join(volume, 'hostmirror/inventory'), assets.sync?.inventory ?? '');

  const scenario = clusterScenario({
    dir,
    roots,
    hosts,
    release: { source: RELEASE_SOURCE, digest: releaseDigest },
    settings: (host) => {
      const volumeDir = host === NODE0.name ? '/srv/volume' : '/srv/none';
      return `export HOSTMIRROR_ROOT='${roots[host]}' HOSTMIRROR_VOLUME_DIR=${volumeDir} HOSTMIRROR_VOLUME_WAIT=0
export HOSTMIRROR_READY_TIMEOUT=120 HOSTMIRROR_LOCAL_READY_TIMEOUT=120 HOSTMIRROR_UPDATE_CA_TRUST=true
export HOSTMIRROR_START_REGISTRY='${join(dir, host, 'start-registry.sh')}'`;
    },
  });
  return { roots, ...scenario };
}

const data = (root: string) => join(root, 'var/lib/hostmirror');

test('copiesAndServes: a control-plane node without the volume copies node0 over TLS, verified, then serves on its own; with node0 gone it and a worker (through api-int) still pull the release by digest', async () => {
  const dir = join(work, 'copy');
  const cluster = await makeCluster(dir, [NODE0, CP1, WORKER]);
  const { roots, on, runSteps, pull, served } = cluster;
  const cp1 = roots[CP1.name] as string;
  const body = `${cluster.prologue}
${runSteps(NODE0.name)}
${runSteps(CP1.name)}
${runSteps(WORKER.name)}
echo "CP1 markers before: $(ls ${cp1}/run/hostmirror | tr '\\n' ' ')"
echo "== sync (at $SECONDS s)"
started=$SECONDS
${on(CP1.name, `"${cp1}/usr/local/bin/hostmirror-sync.sh" 2>&1 | sed 's/^/SYNC /'; [ "\${PIPESTATUS[0]}" -eq 0 ]`)}
echo "SYNC TOOK $((SECONDS - started)) s"
echo "CP1 markers after: $(ls ${cp1}/run/hostmirror | tr '\\n' ' ')"
echo "CP1 alias $(grep '# hostmirror' ${cp1}/etc/hosts)"
echo "CP1 complete $(cat ${data(cp1)}/state/complete)"
echo "== cp1 listens on every address (at $SECONDS s)"
${on(WORKER.name, `curl -s -o /dev/null -w 'WORKER TO CP1 %{http_code}\\n' --max-time 20 --cacert ${roots[WORKER.name]}/etc/hostmirror/ca.crt --resolve ${API_INT}:5000:${CP1.address} https://${API_INT}:5000/v2/`)}
echo "== cp1 pulls from itself (at $SECONDS s)"
${pull(CP1.name)}
${served(CP1.name)}
${served(NODE0.name)}
echo "== node0 off the network (at $SECONDS s)"
kill "$(grep -m1 . ${dir}/${NODE0.name}/daemons)"
hm_host_off ${NODE0.name}
${pull(CP1.name)}
${served(CP1.name)}
echo "== the worker with node0 gone (at $SECONDS s)"
${pull(WORKER.name)}
${served(CP1.name)}
echo "== teardown on cp1 (at $SECONDS s)"
# The settings as systemd's EnvironmentFile= reads them (values may hold spaces).
(while IFS='=' read -r key value; do [[ $key =~ ^HOSTMIRROR_ ]] && export "$key=$value"; done <${cp1}/etc/hostmirror-teardown/teardown.env
  HOSTMIRROR_ROOT=${cp1} HOSTMIRROR_VOLUME_DIR=/srv/none HOSTMIRROR_UPDATE_CA_TRUST=true \
    bash ${cp1}/usr/local/bin/hostmirror-teardown.sh) 2>&1 | sed 's/^/TEARDOWN /'
for path in var/lib/hostmirror usr/local/bin/hostmirror-sync.sh usr/local/bin/hostmirror-registry \
  etc/systemd/system/hostmirror-sync.service etc/hostmirror/tls/tls.key etc/hostmirror run/hostmirror; do
  if [ -e "${cp1}/$path" ]; then echo "LEFT $path"; fi
done
grep -q '# hostmirror' ${cp1}/etc/hosts && echo "LEFT the hosts alias" || true
`;
  // The way out on the copy host: the master pool's teardown MachineConfig files, as MCO writes
  // them when our MachineConfig is replaced by it.
  const teardown = renderTeardown(
    renderMachineConfigs(prepared.plan, prepared.assets).map((config) => ({
      fileName: config.fileName,
      text: config.yaml,
    })),
  );
  const masterTeardown = teardown.machineConfigs.find((config) => config.pool === 'master');
  assert.ok(masterTeardown);
  await writeFileSet(cp1, masterTeardown.files);
  await cluster.writeScripts();
  const result = await inNamespace(body, {}, 420_000);
  const out = result.stdout.toString('utf8');
  if (process.env.HOSTMIRROR_TEST_DEBUG) console.log(out);
  assert.equal(result.exitCode, 0, explain(result));
  assert.match(out, /^cp0 STEP hostmirror-restore\.service ok$/m, explain(result));
  assert.match(out, /^cp1 STEP hostmirror-registry\.service skipped$/m, explain(result));
  assert.match(out, /^CP1 markers before: mirror sync $/m, explain(result));
  // node0 published the program and the inventory; cp1 fetched and checked both.
  for (const what of ['registry program', 'inventory'])
    assert.match(
      result.stderr.toString('utf8'),
      new RegExp(`^hostmirror: published the ${what} as ${SYNC_REPOSITORY}@sha256:`, 'm'),
      explain(result),
    );
  assert.match(
    out,
    /^SYNC hostmirror: installed the registry program from node0 /m,
    explain(result),
  );
  assert.match(out, /^SYNC hostmirror: copied \d+ inventory lines from node0/m, explain(result));
  const lines = (prepared.assets.sync?.inventory ?? '').trim().split('\n').length;
  assert.match(
    out,
    new RegExp(`^SYNC hostmirror: all ${lines} inventory lines resolve by digest`, 'm'),
    explain(result),
  );
  assert.match(out, /^CP1 markers after: copy mirror serve $/m, explain(result));
  assert.match(
    out,
    /^CP1 alias 127\.0\.0\.1 registry\.hostmirror\.internal # hostmirror$/m,
    explain(result),
  );
  // The same `complete` the unpack step writes: the sha256 of the archive manifest.
  const manifest = bootFileSet(prepared.plan, 'installed', prepared.assets).files.find(
    (file) => file.path === MANIFEST_FILE,
  );
  const id = createHash('sha256')
    .update(manifest?.contents ?? '')
    .digest('hex');
  assert.match(out, new RegExp(`^CP1 complete ${id}$`, 'm'), explain(result));
  assert.match(out, /^WORKER TO CP1 200$/m, explain(result));

  const sections = out.split(/^== /m);
  const section = (title: string) => {
    const found = sections.find((part) => part.startsWith(title));
    assert.ok(found !== undefined, `no "${title}" section\n${explain(result)}`);
    return found;
  };
  const tried = (text: string) => [...text.matchAll(/^TRIED (\S+)$/gm)].map((m) => m[1]);
  const release = (host: string) => `${host}:5000/openshift/release-images@${releaseDigest}`;
  const servedBy = (text: string, host: string) =>
    Number(new RegExp(`^SERVED ${host} (\\d+)$`, 'm').exec(text)?.[1] ?? '0');

  const own = section('cp1 pulls from itself');
  assert.match(own, /^PULLED$/m, explain(result));
  assert.deepEqual(tried(own), [release('registry.hostmirror.internal')], explain(result));
  assert.ok(servedBy(own, CP1.name) >= 1, `cp1's own registry served nothing\n${explain(result)}`);

  const off = section('node0 off the network');
  assert.match(off, /^PULLED$/m, explain(result));
  assert.deepEqual(tried(off), [release('registry.hostmirror.internal')], explain(result));
  assert.ok(servedBy(off, CP1.name) > servedBy(own, CP1.name), explain(result));

  const worker = section('the worker with node0 gone');
  assert.match(worker, /^PULLED$/m, explain(result));
  assert.deepEqual(
    tried(worker),
    [release('registry.hostmirror.internal'), release(API_INT)],
    explain(result),
  );
  assert.ok(servedBy(worker, CP1.name) > servedBy(off, CP1.name), explain(result));
  // The way out removes the sync step, the program it fetched, the copied storage and the alias.
  const removed = section('teardown on cp1');
  assert.doesNotMatch(removed, /^LEFT /m, explain(result));
  assert.match(
    removed,
    /^TEARDOWN hostmirror-teardown: removed \/var\/lib\/hostmirror and everything in it$/m,
  );
  const took = /^SYNC TOOK (\d+) s$/m.exec(out)?.[1];
  console.log(`sync copy of ${lines} inventory lines took ${took} s`);
});

test('resumable: a copy killed after some lines resumes, skipping the lines done, and ends verified', async () => {
  const dir = join(work, 'resume');
  const cluster = await makeCluster(dir, [NODE0, CP1]);
  const { roots, on, runSteps, pull } = cluster;
  const cp1 = roots[CP1.name] as string;
  const state = `${data(cp1)}/state`;
  const body = `${cluster.prologue}
${runSteps(NODE0.name)}
${runSteps(CP1.name)}
echo "== killed"
${on(
  CP1.name,
  `setsid "${cp1}/usr/local/bin/hostmirror-sync.sh" >${dir}/sync-1.log 2>&1 &
pid=$!
killed=
for _ in $(seq 1200); do
  if [ "$(wc -l <${state}/copied 2>/dev/null || echo 0)" -ge 1 ]; then kill -9 -- "-$pid"; killed=yes; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
wait "$pid" 2>/dev/null || true
echo "KILLED \${killed:-no}"
echo "COPIED LINES $(wc -l <${state}/copied)"
echo "COMPLETE $([ -e ${state}/complete ] && echo yes || echo no)"
sed 's/^/FIRST /' ${dir}/sync-1.log`,
)}
echo "== resumed"
${on(CP1.name, `"${cp1}/usr/local/bin/hostmirror-sync.sh" 2>&1 | sed 's/^/SYNC /'; [ "\${PIPESTATUS[0]}" -eq 0 ]`)}
echo "COMPLETE $([ -e ${state}/complete ] && echo yes || echo no)"
${pull(CP1.name)}
`;
  await cluster.writeScripts();
  const result = await inNamespace(body, {}, 420_000);
  const out = result.stdout.toString('utf8');
  if (process.env.HOSTMIRROR_TEST_DEBUG) console.log(out);
  assert.equal(result.exitCode, 0, explain(result));
  const total = (prepared.assets.sync?.inventory ?? '').trim().split('\n').length;
  assert.match(
    out,
    /^KILLED yes$/m,
    `the copy ended before it could be killed\n${explain(result)}`,
  );
  const done = Number(/^COPIED LINES (\d+)$/m.exec(out)?.[1] ?? 'NaN');
  assert.ok(
    done >= 1 && done < total,
    `killed after ${done} of ${total} lines\n${explain(result)}`,
  );
  const [killed, resumed] = out.split(/^== resumed$/m);
  assert.match(killed ?? '', /^COMPLETE no$/m, explain(result));
  // The rerun skipped what the state file held (at least the lines done when killed) and
  // verified every line of the inventory.
  const skipped = Number(
    /^SYNC hostmirror: copied (\d+) inventory lines from node0 in \d+ s \((\d+) were done/m.exec(
      resumed ?? '',
    )?.[2] ?? 'NaN',
  );
  assert.ok(skipped >= done, `skipped ${skipped}, ${done} were done\n${explain(result)}`);
  assert.match(
    resumed ?? '',
    new RegExp(`^SYNC hostmirror: all ${total} inventory lines resolve by digest`, 'm'),
    explain(result),
  );
  assert.match(resumed ?? '', /^COMPLETE yes$/m, explain(result));
  assert.match(resumed ?? '', /^PULLED$/m, explain(result));
  console.log(`resumable: killed after ${done} of ${total} lines; the rerun skipped ${skipped}`);
});

test('verified: no room on the disk, a tampered program or blob on node0: each refused, naming it, and nothing is marked complete', async () => {
  const dir = join(work, 'tampered');
  const cluster = await makeCluster(dir, [NODE0, CP1]);
  const { roots, on, runSteps } = cluster;
  const cp1 = roots[CP1.name] as string;
  const node0Tree = `${roots[NODE0.name]}/srv/volume/hostmirror/registry/docker/registry/v2`;
  const program = prepared.assets.sync?.registryProgramSha256 ?? '';
  const body = `${cluster.prologue}
${runSteps(NODE0.name)}
${runSteps(CP1.name)}
echo "== no room"
# A tree larger than the disk: refused before anything is fetched.
${on(CP1.name, `status=0; HOSTMIRROR_SYNC_TREE_BYTES=$((1 << 60)) "${cp1}/usr/local/bin/hostmirror-sync.sh" >${dir}/sync-0.log 2>&1 || status=$?; echo "STATUS $status"; sed 's/^/SYNC /' ${dir}/sync-0.log`)}
echo "COMPLETE $([ -e ${data(cp1)}/state/complete ] && echo yes || echo no)"
echo "PROGRAM $([ -e ${cp1}/usr/local/bin/hostmirror-registry ] && echo yes || echo no)"
echo "== program tampered"
blob=${node0Tree}/blobs/sha256/${program.slice(0, 2)}/${program}/data
cp "$blob" ${dir}/program.saved
printf 'not the registry' >"$blob"
${on(CP1.name, `status=0; "${cp1}/usr/local/bin/hostmirror-sync.sh" >${dir}/sync-1.log 2>&1 || status=$?; echo "STATUS $status"; sed 's/^/SYNC /' ${dir}/sync-1.log`)}
echo "COMPLETE $([ -e ${data(cp1)}/state/complete ] && echo yes || echo no)"
echo "MARKERS $(ls ${cp1}/run/hostmirror | tr '\\n' ' ')"
cp ${dir}/program.saved "$blob"
echo "== blob tampered"
# The release's layer: the first layer its manifest names.
layer=$(sed -n 's/.*"layers":\\[{[^}]*"digest":"sha256:\\([0-9a-f]*\\)".*/\\1/p' ${node0Tree}/blobs/sha256/${releaseDigest.slice(7, 9)}/${releaseDigest.slice(7)}/data)
echo "LAYER $layer"
printf 'tampered' >>"${node0Tree}/blobs/sha256/\${layer:0:2}/$layer/data"
${on(CP1.name, `status=0; "${cp1}/usr/local/bin/hostmirror-sync.sh" >${dir}/sync-2.log 2>&1 || status=$?; echo "STATUS $status"; sed 's/^/SYNC /' ${dir}/sync-2.log`)}
echo "COMPLETE $([ -e ${data(cp1)}/state/complete ] && echo yes || echo no)"
echo "MARKERS $(ls ${cp1}/run/hostmirror | tr '\\n' ' ')"
echo "ALIAS $(grep '# hostmirror' ${cp1}/etc/hosts)"
`;
  await cluster.writeScripts();
  const result = await inNamespace(body, {}, 420_000);
  const out = result.stdout.toString('utf8');
  if (process.env.HOSTMIRROR_TEST_DEBUG) console.log(out);
  assert.equal(result.exitCode, 0, explain(result));
  const [, roomPart, programPart, blobPart] = out.split(/^== /m);
  assert.match(roomPart ?? '', /^STATUS 1$/m, explain(result));
  assert.match(
    roomPart ?? '',
    /^SYNC <3>hostmirror: not enough room for the copy of node0's storage on \S+: it needs \d{19} bytes more, \d+ are free, and \d+ \(15% of the file system/m,
    explain(result),
  );
  assert.match(roomPart ?? '', /^COMPLETE no$/m, explain(result));
  assert.match(roomPart ?? '', /^PROGRAM no$/m, explain(result));
  assert.match(programPart ?? '', /^STATUS 1$/m, explain(result));
  assert.match(
    programPart ?? '',
    new RegExp(
      `^SYNC <3>hostmirror: the registry program fetched from node0 has sha256 [0-9a-f]{64}, not sha256:${program} as this build's settings name: refusing it`,
      'm',
    ),
    explain(result),
  );
  assert.match(programPart ?? '', /^COMPLETE no$/m, explain(result));
  assert.match(programPart ?? '', /^MARKERS mirror sync $/m, explain(result));
  const layer = /^LAYER ([0-9a-f]{64})$/m.exec(blobPart ?? '')?.[1];
  assert.ok(layer, `the release's layer was not found\n${explain(result)}`);
  assert.match(blobPart ?? '', /^STATUS 1$/m, explain(result));
  assert.match(
    blobPart ?? '',
    /^SYNC <3>hostmirror: copying openshift\/release(-images)?@sha256:[0-9a-f]{64} (\(tag \S+\) )?from node0 \(registry\.hostmirror\.internal:5000\) failed: .*([Dd]igest|size)/m,
    explain(result),
  );
  assert.match(blobPart ?? '', /^COMPLETE no$/m, explain(result));
  assert.match(blobPart ?? '', /^MARKERS mirror sync $/m, explain(result));
  // Still pulling from node0: the alias was never switched.
  assert.match(
    blobPart ?? '',
    new RegExp(
      `^ALIAS ${NODE0.address.replaceAll('.', '\\.')} registry\\.hostmirror\\.internal`,
      'm',
    ),
    explain(result),
  );
});

/**
 * The same under this machine's systemd as PID 1 (systemd-nspawn, container.ts): the unit's
 * retry (node0 answers only after the first try failed), the serving registry started by
 * `systemctl start` through its Requires= chain (verify, unpack, restore have nothing to do on a
 * copy), and the next boot serving the copy at once, without node0 and without the sync step.
 * node0 is a stand-in unit in the same container: the registry program over node0's storage
 * (made and published by node0's own steps beforehand), on 127.0.0.2, the rendezvous IP here.
 */
test('underSystemd: the sync unit retries until node0 answers, starts the registry through systemd, and the next boot serves the copy without node0', async () => {
  const nspawn = await requireTool('systemd-nspawn', 'systemd-container');
  const dir = join(work, 'systemd');
  const { plan, assets } = prepared;
  const rendezvous = '127.0.0.2';
  // node0's storage: its installed steps on a folder volume (verify, unpack, restore publishes).
  const node0 = join(dir, 'node0');
  await writeFileSet(node0, bootFileSet(plan, 'installed', assets));
  const volume = join(node0, 'srv/volume');
  await mkdir(join(volume, 'hostmirror/bin'), { recursive: true });
  await mkdir(join(volume, 'hostmirror/tls'), { recursive: true });
  for (const name of ARCHIVES) await copyFile(join(fixtures, name), join(volume, name));
  await copyFile(registryProgram, join(volume, 'hostmirror/bin/registry'));
  await writeFile(join(volume, 'hostmirror/tls/tls.crt'), assets.tls.certificate);
  await writeFile(join(volume, 'hostmirror/tls/tls.key'), assets.tls.key, { mode: 0o600 });
  await writeFile(join(volume, 'hostmirror/inventory'), assets.sync?.inventory ?? '');
  const bin = join(node0, 'usr/local/bin');
  const made = await runTool(
    'bash',
    [
      '-c',
      `set -e; ${bin}/hostmirror-volume.sh; ${bin}/hostmirror-verify.sh; ${bin}/hostmirror-unpack.sh; ${bin}/hostmirror-registry-files.sh restore`,
    ],
    {
      timeoutMs: 120_000,
      env: {
        ...process.env,
        HOSTMIRROR_ROOT: node0,
        HOSTMIRROR_VOLUME_DIR: '/srv/volume',
        HOSTMIRROR_VOLUME_WAIT: '0',
      },
    },
  );
  assert.equal(made.exitCode, 0, explain(made));
  assert.match(made.stderr.toString('utf8'), /published the inventory/, explain(made));

  // The control-plane node: the master MachineConfig's files, no volume.
  const root = join(dir, 'cp1');
  await makeContainerRoot(root);
  await writeFileSet(root, bootFileSet(plan, 'installed', assets, { pool: 'master' }));
  await writeFile(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  await appendFile(
    join(root, 'etc/hostmirror/hostmirror.env'),
    `HOSTMIRROR_RENDEZVOUS_IP=${rendezvous}\nHOSTMIRROR_VOLUME_DIR=/srv/none\nHOSTMIRROR_VOLUME_WAIT=0\nHOSTMIRROR_READY_TIMEOUT=120\n`,
  );
  await mkdir(join(root, 'srv/node0'), { recursive: true });
  await writeFile(
    join(root, 'etc/node0-registry.yml'),
    renderRegistryConfig({
      rootDirectory: '/srv/node0/hostmirror/registry',
      listenAddress: `${rendezvous}:5000`,
      tls: {
        certificate: '/srv/node0/hostmirror/tls/tls.crt',
        key: '/srv/node0/hostmirror/tls/tls.key',
      },
      readOnly: true,
    }),
  );
  // node0 answers 20 s after the sync step first started: after its first try (curl gives up
  // after 1+2+4 s of refused connections), before its retry 30 s later. It shares this container's
  // network (one port 5000), so it stands aside when this node's own registry starts, which
  // listens on every address: a real node0 is another host (the first run of this test, without
  // Conflicts=, had this node's registry fail on "bind: address already in use").
  await writeFile(
    join(root, 'etc/systemd/system/node0-registry.service'),
    `[Unit]
Description=stand-in for node0's registry (the rendezvous IP)
Conflicts=hostmirror-registry.service
After=hostmirror-sync.service
[Service]
Type=simple
Environment=OTEL_TRACES_EXPORTER=none
ExecStartPre=/bin/sleep 20
ExecStart=/usr/bin/docker-registry serve /etc/node0-registry.yml
[Install]
WantedBy=multi-user.target
`,
  );
  const release = `registry.hostmirror.internal:5000/openshift/release-images@${releaseDigest}`;
  // Records the outcome once the copy serves (or 240 s passed), with node0 stopped first so the
  // pull can only come from this node, then powers off.
  await writeFile(
    join(root, 'usr/local/bin/end.sh'),
    `#!/bin/bash
# Done: the sync step exited successfully (active, exited), or was skipped (a complete copy),
# and the registry serves.
sync_done() {
  [ "$(systemctl show -p SubState --value hostmirror-sync)" = exited ] ||
    [ "$(systemctl show -p ConditionResult --value hostmirror-sync)" = no ]
}
for _ in $(seq 240); do
  sync_done && [ "$(systemctl is-active hostmirror-registry)" = active ] && break
  sleep 1
done
systemctl stop node0-registry.service
{
  for u in hostmirror-volume hostmirror-sync hostmirror-registry hostmirror-verify hostmirror-unpack hostmirror-restore node0-registry; do echo "STATE $u $(systemctl is-active $u)"; done
  echo "RESTARTS $(systemctl show -p NRestarts --value hostmirror-sync)"
  echo "MARKERS $(ls /run/hostmirror | tr '\\n' ' ')"
  echo "ALIAS $(grep '# hostmirror' /etc/hosts)"
  if skopeo inspect --raw docker://${release} >/dev/null 2>/root/pull.err; then echo PULLED; else echo "PULL FAILED $(tail -2 /root/pull.err)"; fi
  journalctl -b --no-pager -o cat -u hostmirror-sync -u hostmirror-registry -u hostmirror-volume | sed 's/^/JOURNAL /'
} >/root/end 2>&1
systemctl --no-block poweroff
`,
    { mode: 0o755 },
  );
  await writeFile(
    join(root, 'etc/systemd/system/end.service'),
    `[Unit]
Description=record the outcome and power off
After=hostmirror-ready.service
[Service]
Type=oneshot
ExecStart=/usr/local/bin/end.sh
[Install]
WantedBy=multi-user.target
`,
  );
  const ours = bootFileSet(plan, 'installed', assets, { pool: 'master' }).units.map((u) => u.name);
  await enableUnits(root, 'multi-user.target', [...ours, 'node0-registry.service', 'end.service']);
  const boot = async () => {
    await rm(join(root, 'root/end'), { force: true });
    const result = await runTool(
      nspawn,
      nspawnBootArguments(root, ['--private-network', `--bind-ro=${volume}:/srv/node0`]),
      { timeoutMs: 400_000 },
    );
    assert.equal(result.timedOut, false, `the container did not power off: ${result.stderr}`);
    return readFile(join(root, 'root/end'), 'utf8').catch(
      () => `no record: ${result.stdout}${result.stderr}`,
    );
  };

  const first = await boot();
  assert.match(first, /^STATE hostmirror-registry active$/m, first);
  assert.match(
    first,
    /^STATE hostmirror-sync active$/m,
    `done, and kept active (exited)\n${first}`,
  );
  assert.ok(
    Number(/^RESTARTS (\d+)$/m.exec(first)?.[1] ?? '0') >= 1,
    `the first try (node0 not there yet) failed and systemd ran it again\n${first}`,
  );
  assert.match(
    first,
    /^JOURNAL <3>hostmirror: cannot fetch the registry program|^JOURNAL hostmirror: cannot fetch the registry program/m,
    first,
  );
  // Started through the registry's Requires= chain: each volume step had nothing to do.
  for (const step of ['verify', 'unpack', 'restore'])
    assert.match(first, new RegExp(`^STATE hostmirror-${step} active$`, 'm'), first);
  assert.match(first, /^MARKERS copy mirror serve $/m, first);
  assert.match(first, /^ALIAS 127\.0\.0\.1 registry\.hostmirror\.internal # hostmirror$/m, first);
  assert.match(first, /^PULLED$/m, first);

  // The next boot: node0 is gone for good; the copy serves at once, nothing copies.
  await rm(join(root, 'etc/systemd/system/multi-user.target.wants/node0-registry.service'));
  const second = await boot();
  assert.match(second, /^STATE hostmirror-registry active$/m, second);
  assert.match(second, /^STATE hostmirror-sync inactive$/m, second);
  assert.match(second, /^MARKERS copy mirror serve $/m, second);
  assert.match(second, /^PULLED$/m, second);
  assert.match(second, /serves its copy of node0's storage from \/var\/lib\/hostmirror/, second);
});
