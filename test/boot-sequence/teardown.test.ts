/**
 * Issue #15 item 3, the way out, under this machine's systemd (nspawn) and real skopeo: a host
 * boots the installed file set (what our MachineConfig carries) and serves the mirror; the
 * teardown that `hostmirror teardown-manifests` writes from the build's manifests is put on it
 * (its MachineConfig's files and unit) and it boots again: the registry is stopped, its storage
 * freed, and every file hostmirror wrote is gone — the MachineConfig's files, units and drop-ins
 * and everything the scripts wrote at run time (restored program and TLS pair, certs.d, the
 * /etc/hosts alias, the live ISO's drop-in and trust anchor planted as an earlier phase would
 * have left them). Then skopeo, with the registries.conf MCO renders from the administrator's
 * own IDMS (ours deleted), pulls the release by digest from the administrator's registry alone.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import {
  bootFileSet,
  prepareBootSequence,
  renderMachineConfigs,
  renderTeardown,
  renderTrustedCaManifests,
  TEARDOWN_SCRIPT,
  TEARDOWN_UNIT,
} from '@hostmirror/boot-sequence';
import { repoRoot, requireTool, runTool } from '@hostmirror/fixtures';
import { parse } from 'yaml';
import { runCli } from '../../packages/cli/src/run.ts';
import { enableUnits, makeContainerRoot, nspawnBootArguments } from './container.ts';
import { explain, inNamespace, makeArchives, writeFileSet } from './support.ts';

const ARCHIVES = ['mirror_000001.tar', 'mirror_000002.tar'];
const RELEASE_SOURCE = 'quay.io/openshift-release-dev/ocp-release';

let work: string;
let fixtures: string;
let releaseDigest: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hostmirror-teardown-'));
  fixtures = join(work, 'fixtures');
  await mkdir(fixtures);
  releaseDigest = await makeArchives(fixtures, { port: 5058, bigMib: 1, timeoutMs: 120_000 });
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Every path under `root` (relative, folders with a trailing `/`). */
async function tree(root: string): Promise<string[]> {
  const paths: string[] = [];
  const walk = async (folder: string) => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      // The borrowed /usr folders are bind mounts only while the container runs.
      if (entry.isDirectory()) {
        paths.push(`${relative(root, path)}/`);
        await walk(path);
      } else paths.push(relative(root, path));
    }
  };
  await walk(root);
  return paths.sort();
}

/** Boot `root` under systemd; the container powers itself off (end.service). */
async function boot(root: string): Promise<string> {
  const nspawn = await requireTool('systemd-nspawn', 'systemd-container');
  const result = await runTool(nspawn, nspawnBootArguments(root, ['--private-network']), {
    timeoutMs: 150_000,
  });
  assert.equal(result.timedOut, false, `the container did not power off: ${result.stderr}`);
  return readFile(join(root, 'root/end'), 'utf8').catch(
    () => `no record: ${result.stdout}${result.stderr}`,
  );
}

/** The stand-in that records the outcome after `after` and powers the container off. */
async function writeEndUnit(root: string, after: string, record: string): Promise<void> {
  await writeFile(
    join(root, 'etc/systemd/system/end.service'),
    `[Unit]
Description=record the outcome and power off
After=${after}
[Service]
Type=oneshot
ExecStart=/bin/bash -c '{ ${record}; } > /root/end 2>&1; journalctl -b --no-pager -o short-monotonic >> /root/end 2>&1; systemctl --no-block poweroff'
[Install]
WantedBy=multi-user.target
`,
  );
}

test('teardownRemovesEveryTrace: the registry stops, its storage is freed, every file hostmirror wrote is gone, and skopeo then uses only the administrator mirror', async () => {
  const { plan, assets, manifests } = await prepareBootSequence(
    { mode: 'every-node', topology: 'compact', clusterDomain: 'ocp.example.internal' },
    { archives: ARCHIVES.map((name) => join(fixtures, name)) },
  );
  // The build's manifests folder, as build-iso --manifests-dir writes it.
  const manifestsDir = join(work, 'manifests');
  await mkdir(manifestsDir);
  for (const config of renderMachineConfigs(plan, assets))
    await writeFile(join(manifestsDir, config.fileName), config.yaml);
  for (const manifest of [
    ...manifests.manifests,
    ...renderTrustedCaManifests(plan.settings, assets.caCertificate),
  ])
    await writeFile(join(manifestsDir, manifest.fileName), manifest.yaml);

  // The verb: the CLI only parses and calls the library.
  const outDir = join(work, 'teardown');
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const printed: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => printed.push(chunk));
  const code = await runCli(
    ['teardown-manifests', '--manifests', manifestsDir, '-o', outDir, '--json'],
    { stdout, stderr, cwd: work, env: {} },
  );
  assert.equal(code, 0, `${Buffer.concat(printed)}${stderr.read() ?? ''}`);
  const summary = JSON.parse(Buffer.concat(printed).toString('utf8'));
  assert.deepEqual(summary.machineConfigs, ['99-master-hostmirror-teardown']);
  assert.deepEqual(summary.deleteMachineConfigs, ['99-master-hostmirror']);
  assert.equal(summary.unsetTrustedCa, true);
  assert.deepEqual(
    summary.deleteObjects
      .map((object: { kind: string; name: string }) => `${object.kind}/${object.name}`)
      .sort(),
    ['ConfigMap/hostmirror-registry-ca', 'ImageDigestMirrorSet/idms-release-0'],
  );
  const script = await readFile(join(outDir, 'remove-hostmirror.sh'), 'utf8');
  for (const line of [
    'oc delete --ignore-not-found imagedigestmirrorset.config.openshift.io idms-release-0',
    'oc delete --ignore-not-found configmap hostmirror-registry-ca -n openshift-config',
    'oc apply -f "$here/99-master-hostmirror-teardown.yaml"',
    'oc delete --ignore-not-found machineconfig 99-master-hostmirror',
  ])
    assert.ok(script.includes(line), `remove-hostmirror.sh lacks "${line}"\n${script}`);
  const bash = await requireTool('bash');
  const syntax = await runTool(bash, ['-n', join(outDir, 'remove-hostmirror.sh')], {
    timeoutMs: 10_000,
  });
  assert.equal(syntax.exitCode, 0, explain(syntax));
  const teardownConfig = parse(
    await readFile(join(outDir, '99-master-hostmirror-teardown.yaml'), 'utf8'),
    { version: '1.1' },
  );
  assert.equal(teardownConfig.metadata.labels['machineconfiguration.openshift.io/role'], 'master');

  // Boot 1: the installed system serves the mirror from its volume.
  const root = join(work, 'host');
  await makeContainerRoot(root);
  await writeFileSet(root, bootFileSet(plan, 'installed', assets));
  await writeFile(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  await writeFile(
    join(root, 'etc/hostmirror/hostmirror.env'),
    `${await readFile(join(root, 'etc/hostmirror/hostmirror.env'), 'utf8')}HOSTMIRROR_VOLUME_DIR=/srv/volume\nHOSTMIRROR_READY_TIMEOUT=90\nHOSTMIRROR_LOCAL_READY_TIMEOUT=90\n`,
  );
  const volume = join(root, 'srv/volume');
  await mkdir(join(volume, 'hostmirror/bin'), { recursive: true });
  await mkdir(join(volume, 'hostmirror/tls'), { recursive: true });
  for (const name of ARCHIVES) await copyFile(join(fixtures, name), join(volume, name));
  await copyFile(await requireTool('docker-registry'), join(volume, 'hostmirror/bin/registry'));
  await writeFile(join(volume, 'hostmirror/tls/tls.crt'), assets.tls.certificate);
  await writeFile(join(volume, 'hostmirror/tls/tls.key'), assets.tls.key, { mode: 0o600 });
  const ours = plan.phases.installed.steps.map((step) => step.unit);
  await writeEndUnit(
    root,
    'hostmirror-ready.service',
    'for u in hostmirror-registry hostmirror-ready; do echo "STATE $u $(systemctl is-active $u)"; done',
  );
  await enableUnits(root, 'multi-user.target', [...ours, 'end.service']);
  const first = await boot(root);
  assert.match(first, /^STATE hostmirror-registry active$/m, first);
  assert.match(first, /^STATE hostmirror-ready active$/m, first);
  // What the scripts wrote at run time: the restored program and TLS pair, certs.d, the alias.
  for (const path of [
    'usr/local/bin/hostmirror-registry',
    'etc/hostmirror/tls/tls.key',
    'etc/containers/certs.d/registry.hostmirror.internal:5000/ca.crt',
    'etc/containers/certs.d/api-int.ocp.example.internal:5000/ca.crt',
    'srv/volume/hostmirror/registry/docker/registry/v2/repositories/',
    'srv/volume/hostmirror/state/complete',
  ])
    assert.ok((await tree(root)).includes(path), `boot 1 did not write ${path}\n${first}`);
  assert.match(
    await readFile(join(root, 'etc/hosts'), 'utf8'),
    /registry\.hostmirror\.internal # hostmirror/,
  );
  // What the live ISO's configure step leaves (an earlier phase on this disk, or a host MCO
  // does not manage): its registries.conf drop-in and system trust anchor.
  await mkdir(join(root, 'etc/containers/registries.conf.d'), { recursive: true });
  await writeFile(
    join(root, 'etc/containers/registries.conf.d/99-hostmirror.conf'),
    assets.registriesConf,
  );
  await mkdir(join(root, 'etc/pki/ca-trust/source/anchors'), { recursive: true });
  await writeFile(
    join(root, 'etc/pki/ca-trust/source/anchors/hostmirror-ca.crt'),
    assets.caCertificate,
  );

  // Boot 2: the teardown MachineConfig's files and unit are on the host (and, the hard case,
  // our own units are still there and start before it).
  const pool = summary.paths.master as string[];
  // The same teardown as the verb wrote, with its file set (the MachineConfig's contents).
  const teardown = renderTeardown(
    await Promise.all(
      (await readdir(manifestsDir)).map(async (fileName) => ({
        fileName,
        text: await readFile(join(manifestsDir, fileName), 'utf8'),
      })),
    ),
  );
  assert.equal(
    teardown.machineConfigs[0]?.yaml,
    await readFile(join(outDir, '99-master-hostmirror-teardown.yaml'), 'utf8'),
  );
  const files = teardown.machineConfigs[0]?.files;
  assert.ok(files, 'a teardown file set');
  await writeFileSet(root, files);
  await writeFile(
    join(root, 'etc/hostmirror-teardown/teardown.env'),
    `${await readFile(join(root, 'etc/hostmirror-teardown/teardown.env'), 'utf8')}HOSTMIRROR_VOLUME_DIR=/srv/volume\nHOSTMIRROR_UPDATE_CA_TRUST=true\n`,
  );
  await writeEndUnit(
    root,
    TEARDOWN_UNIT,
    `echo "STATE teardown $(systemctl is-active ${TEARDOWN_UNIT})"; systemctl list-unit-files --no-legend "hostmirror-*" | sed "s/^/UNITFILE /"; systemctl list-units --all --no-legend --plain "hostmirror-*" | sed "s/^/UNIT /"; pgrep -a hostmirror-reg | sed "s/^/PROCESS /"`,
  );
  await enableUnits(root, 'multi-user.target', [TEARDOWN_UNIT]);
  const second = await boot(root);
  assert.match(second, /^STATE teardown active$/m, second);
  assert.match(second, /hostmirror-teardown: removed \d+ traces of hostmirror/, second);
  const unitFiles = [...second.matchAll(/^UNITFILE (\S+)/gm)].map((match) => match[1]);
  assert.deepEqual(unitFiles, [TEARDOWN_UNIT], second);
  // Our units are gone: no unit file, nothing loaded or running. (systemd still lists them as
  // not-found while the teardown unit's After= names them.)
  const units = [...second.matchAll(/^UNIT (\S+)\s+(\S+)\s+(\S+)/gm)].map((match) => ({
    unit: match[1],
    load: match[2],
    active: match[3],
  }));
  assert.ok(units.length > 0, second);
  for (const { unit, load, active } of units)
    if (unit !== TEARDOWN_UNIT)
      assert.deepEqual(
        { unit, load, active },
        { unit, load: 'not-found', active: 'inactive' },
        second,
      );
  assert.doesNotMatch(second, /^PROCESS /m, second);

  // Every trace: no path named hostmirror but the teardown's own files; nothing in certs.d or
  // registries.conf.d (the configure step names neither after us); /etc/hosts without the alias;
  // the volume holds its archives only; every path the teardown lists is gone.
  const teardownOwn = new Set([
    'etc/hostmirror-teardown/',
    'etc/hostmirror-teardown/paths',
    'etc/hostmirror-teardown/teardown.env',
    'usr/local/bin/hostmirror-teardown.sh',
    `etc/systemd/system/${TEARDOWN_UNIT}`,
    `etc/systemd/system/multi-user.target.wants/${TEARDOWN_UNIT}`,
  ]);
  const all = await tree(root);
  const traces = all.filter((path) => path.includes('hostmirror') && !teardownOwn.has(path));
  assert.deepEqual(traces, [], `hostmirror paths left:\n${traces.join('\n')}`);
  assert.deepEqual(
    all.filter((path) => path.startsWith('srv/volume/') && path !== 'srv/volume/').sort(),
    ['srv/volume/mirror_000001.tar', 'srv/volume/mirror_000002.tar'],
    'the archives stay on the volume, our storage folder is gone',
  );
  assert.doesNotMatch(await readFile(join(root, 'etc/hosts'), 'utf8'), /hostmirror/);
  assert.deepEqual(
    all.filter((path) => /^etc\/containers\/(certs\.d|registries\.conf\.d)\/./.test(path)),
    [],
  );
  for (const path of pool.filter((entry) => !entry.endsWith('/')))
    assert.ok(!all.includes(path.slice(1)), `${path} is still there`);

  // The administrator's own mirror now serves: MCO's registries.conf from their IDMS only.
  await writeFile(
    join(root, 'etc/containers/registries.conf'),
    `unqualified-search-registries = []
short-name-mode = ""

[[registry]]
  prefix = ""
  location = "${RELEASE_SOURCE}"

  [[registry.mirror]]
    location = "admin-mirror.example.internal:5001/openshift/release-images"
    pull-from-mirror = "digest-only"
    insecure = true
`,
  );
  const result = await inNamespace(
    `hm_use_root_config ${root}
echo "127.0.0.3 admin-mirror.example.internal" >> /etc/hosts
ip addr add 127.0.0.3/8 dev lo 2>/dev/null || true
admin=$(mktemp -d)
for archive in ${ARCHIVES.map((name) => join(fixtures, name)).join(' ')}; do tar -xf "$archive" -C "$admin" docker; done
printf 'version: 0.1\\nstorage:\\n  filesystem:\\n    rootdirectory: %s\\n  maintenance:\\n    readonly:\\n      enabled: true\\nhttp:\\n  addr: 127.0.0.3:5001\\n' "$admin" > "$admin.yml"
docker-registry serve "$admin.yml" >"$admin.log" 2>&1 &
HM_DAEMON_PIDS+=($!)
for _ in $(seq 150); do curl -s -o /dev/null http://127.0.0.3:5001/v2/ && break; sleep 0.2; done
getent hosts registry.hostmirror.internal || echo "NO ALIAS"
pulled=$(mktemp -d)
if skopeo --debug copy docker://${RELEASE_SOURCE}@${releaseDigest} dir:$pulled 2>$pulled.log >/dev/null; then echo PULLED; else echo "PULL FAILED: $(tail -3 $pulled.log)"; fi
grep -o 'Trying to access [^ ]*' $pulled.log | tr -d '\\\\"' | sed 's/^Trying to access /TRIED /' || true
`,
    {},
  );
  const out = result.stdout.toString('utf8');
  assert.equal(result.exitCode, 0, explain(result));
  assert.match(out, /^NO ALIAS$/m, explain(result));
  assert.match(out, /^PULLED$/m, explain(result));
  assert.deepEqual(
    [...out.matchAll(/^TRIED (\S+)$/gm)].map((match) => match[1]),
    [`admin-mirror.example.internal:5001/openshift/release-images@${releaseDigest}`],
    explain(result),
  );
});

test('teardownScriptLints: shellcheck and bash -n find nothing in hostmirror-teardown.sh', async () => {
  const shellcheck = await requireTool('shellcheck', 'shellcheck');
  const script = join(repoRoot, 'packages/boot-sequence/src/scripts', TEARDOWN_SCRIPT);
  const lint = await runTool(shellcheck, ['-x', script], { timeoutMs: 60_000 });
  assert.equal(lint.exitCode, 0, explain(lint));
  const syntax = await runTool(await requireTool('bash'), ['-n', script], { timeoutMs: 10_000 });
  assert.equal(syntax.exitCode, 0, explain(syntax));
});
