/**
 * The boot-sequence scripts run for real against temporary roots, with Debian's
 * docker-registry and skopeo, in private network and mount namespaces (docs/design.md#testing).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  appendFile,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  type ArchiveDigest,
  type BootAssets,
  type BootPhase,
  type BootPlan,
  type BootSettingsInput,
  bootFileSet,
  INITRD_REGISTRY_BINARY,
  PRE_PIVOT_HOOK_SCRIPT,
  planBootSequence,
  prepareBootSequence,
  scriptText,
} from '@hostmirror/boot-sequence';
import { requireTool, runTool } from '@hostmirror/fixtures';
import { runCli } from '../../packages/cli/src/run.ts';
import { decodeDataUrl, validateConfig } from '../../packages/ignition/src/index.ts';
import { enableUnits, makeContainerRoot, nspawnBootArguments } from './container.ts';
import {
  explain,
  inNamespace,
  makeArchives,
  stepsTable,
  testAssets,
  writeFileSet,
} from './support.ts';

const ARCHIVES = ['mirror_000001.tar', 'mirror_000002.tar'];
const RELEASE_SOURCE = 'quay.io/openshift-release-dev/ocp-release';
/** MiB of random data in the second archive: enough for tar to be caught half-way. */
const BIG_MIB = 32;

let work: string;
let fixtures: string;
let releaseDigest: string;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface HostRoot {
  root: string;
  steps: string;
  initrd: string;
}

/**
 * A temporary host root with the live file set of `settings`, the steps table and an initrd
 * folder. The assets come from the fixture archives as a build makes them (sha256 manifest,
 * registries.conf from the archive's IDMS, release digest), unless `archives` overrides the
 * manifest for a hand-made archive.
 */
async function makeHost(
  name: string,
  settings: BootSettingsInput,
  archives?: ArchiveDigest[],
  phase: BootPhase = 'live',
): Promise<HostRoot> {
  const fixed = testAssets(['127.0.0.2']);
  const tls = { caCertificate: fixed.caCertificate, ...fixed.tls };
  let plan: BootPlan;
  let assets: BootAssets;
  if (archives === undefined) {
    ({ plan, assets } = await prepareBootSequence(settings, {
      archives: ARCHIVES.map((archive) => join(fixtures, archive)),
      tls,
    }));
    assert.deepEqual(plan.settings.release, {
      repository: 'openshift/release-images',
      digest: releaseDigest,
    });
  } else {
    plan = planBootSequence(settings);
    assets = { ...fixed, archives };
  }
  const root = join(work, name, 'root');
  const initrd = join(work, name, 'initrd');
  await writeFileSet(root, bootFileSet(plan, phase, assets));
  await mkdir(join(root, 'etc'), { recursive: true });
  await writeFile(join(root, 'etc/hosts'), '127.0.0.1 localhost\n');
  const steps = join(work, name, 'steps.tsv');
  await writeFile(steps, stepsTable(plan.phases[phase]));
  await mkdir(join(initrd, 'usr/lib/hostmirror'), { recursive: true });
  await copyFile(await requireTool('docker-registry'), join(initrd, INITRD_REGISTRY_BINARY));
  await writeFile(join(initrd, 'hook.sh'), scriptText(PRE_PIVOT_HOOK_SCRIPT));
  return { root, steps, initrd };
}

/** Shell lines: the pre-pivot hook sourced as dracut does, then the environment the steps read. */
function hostEnv(
  host: HostRoot,
  extra: Record<string, string> = {},
  options: { hook?: boolean } = {},
): string {
  const env: Record<string, string> = {
    HOSTMIRROR_ROOT: host.root,
    HOSTMIRROR_UPDATE_CA_TRUST: `touch ${host.root}/ca-trust-updated`,
    HOSTMIRROR_READY_TIMEOUT: '20',
    HOSTMIRROR_VOLUME_WAIT: '0',
    ...extra,
  };
  const hook = `NEWROOT=${host.root} HOSTMIRROR_INITRD_ROOT=${host.initrd} sh -c '. ${host.initrd}/hook.sh'`;
  return [
    ...(options.hook === false ? [] : [hook]),
    ...Object.entries(env).map(([key, value]) => `export ${key}='${value}'`),
  ].join('\n');
}

async function copyArchivesTo(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (const name of ARCHIVES) await copyFile(join(fixtures, name), join(folder, name));
}

/** Pull the release by digest through the host's emitted configuration; check tag and push refusals. */
/**
 * What MCO writes as the installed node's /etc/containers/registries.conf from the extra
 * manifests' IDMS (ours), with any day-2 IDMS mirrors for the same source merged into the same
 * [[registry]] before ours: openshift/machine-config-operator
 * pkg/controller/container-runtime-config/helpers.go (updateRegistriesConfig at 02910734)
 * renders an IDMS as location = the source and one [[registry.mirror]] per mirror with
 * pull-from-mirror = "digest-only". The installed system carries no drop-in of ours.
 */
async function writeMcoRegistriesConf(root: string, adminMirror?: string): Promise<void> {
  const admin =
    adminMirror === undefined
      ? ''
      : `
  [[registry.mirror]]
    location = "${adminMirror}"
    pull-from-mirror = "digest-only"
    insecure = true
`;
  await mkdir(join(root, 'etc/containers'), { recursive: true });
  await writeFile(
    join(root, 'etc/containers/registries.conf'),
    `unqualified-search-registries = []
short-name-mode = ""

[[registry]]
  prefix = ""
  location = "${RELEASE_SOURCE}"
${admin}
  [[registry.mirror]]
    location = "registry.hostmirror.internal:5000/openshift/release-images"
    pull-from-mirror = "digest-only"
`,
  );
}

function pullChecks(host: HostRoot): string {
  return `
hm_use_root_config ${host.root}
skopeo inspect --no-tags docker://${RELEASE_SOURCE}@${releaseDigest} >/dev/null && echo "PULL inspect ok"
skopeo copy -q docker://${RELEASE_SOURCE}@${releaseDigest} dir:$(mktemp -d) && echo "PULL copy ok"
skopeo inspect --no-tags docker://${RELEASE_SOURCE}:4.14.3-x86_64 >/dev/null 2>&1 || echo "PULL tag refused"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert ${host.root}/etc/hostmirror/ca.crt -X POST https://registry.hostmirror.internal:5000/v2/openshift/release/blobs/uploads/ || true)
echo "PUSH $code"
`;
}

function stdoutOf(result: { stdout: Buffer; stderr: Buffer; exitCode: number | null }): string {
  return result.stdout.toString('utf8');
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hostmirror-boot-'));
  fixtures = join(work, 'fixtures');
  await mkdir(fixtures);
  releaseDigest = await makeArchives(fixtures, { port: 5055, bigMib: BIG_MIB, timeoutMs: 60_000 });
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('boot sequence, run for real', () => {
  let firstState = '';

  test('folderVolume: unpacks, serves read-only with TLS, digest pull through the emitted registries.conf; a rerun keeps the same state', async () => {
    const host = await makeHost('folder', { mode: 'every-node', topology: 'ha' });
    await copyArchivesTo(join(host.root, 'srv/volume'));
    const result = await inNamespace(
      `${hostEnv(host, { HOSTMIRROR_VOLUME_DIR: '/srv/volume' })}
hm_run_steps ${host.root} ${host.steps}
${pullChecks(host)}
hm_stop_daemons
hm_tree_state ${host.root}/srv/volume/hostmirror > ${host.root}/../state1
hm_run_steps ${host.root} ${host.steps}
hm_stop_daemons
hm_tree_state ${host.root}/srv/volume/hostmirror > ${host.root}/../state2
echo "ALIASES $(grep -c '# hostmirror$' ${host.root}/etc/hosts)"
cmp -s ${host.root}/etc/hostmirror/registries.conf ${host.root}/etc/containers/registries.conf.d/99-hostmirror.conf && echo "DROPIN installed"
cmp -s ${host.root}/etc/hostmirror/ca.crt ${host.root}/etc/containers/certs.d/registry.hostmirror.internal:5000/ca.crt && echo "CERTS.D installed"
[ -e ${host.root}/ca-trust-updated ] && echo "CA trust updated"
`,
      {},
    );
    const out = stdoutOf(result);
    assert.equal(result.exitCode, 0, explain(result));
    for (const line of [
      'STEP hostmirror-volume.service ok',
      'STEP hostmirror-unpack.service ok',
      'STEP hostmirror-registry.service started',
      'STEP hostmirror-ready.service ok',
      'PULL inspect ok',
      'PULL copy ok',
      'PULL tag refused',
      'PUSH 405',
      'ALIASES 1',
      'DROPIN installed',
      'CERTS.D installed',
      'CA trust updated',
    ])
      assert.ok(out.includes(line), `missing "${line}"\n${explain(result)}`);
    const state1 = await readFile(join(host.root, '../state1'), 'utf8');
    const state2 = await readFile(join(host.root, '../state2'), 'utf8');
    assert.equal(state2, state1);
    assert.match(state1, /\.\/registry\/docker\/registry\/v2\/blobs/);
    assert.doesNotMatch(state1, /working-dir/, 'only docker/registry/v2 members are unpacked');
    assert.match(state1, /\.\/state\/complete/);
    assert.match(state1, /\.\/bin\/registry/, 'the registry program is kept on the volume');
    firstState = state1;
  });

  test('killedMidUnpack: a rerun after a kill during the unpack converges to the same state', async () => {
    assert.ok(firstState !== '', 'folderVolume ran first');
    const host = await makeHost('killed', { mode: 'every-node', topology: 'compact' });
    await copyArchivesTo(join(host.root, 'srv/volume'));
    const data = `${host.root}/srv/volume/hostmirror`;
    const bin = `${host.root}/usr/local/bin`;
    const result = await inNamespace(
      `${hostEnv(host, { HOSTMIRROR_VOLUME_DIR: '/srv/volume' })}
${bin}/hostmirror-volume.sh
${bin}/hostmirror-verify.sh
# The largest member of the second archive: the blob tar is writing when the kill comes.
big=${data}/registry/$(tar -tvf ${host.root}/srv/volume/mirror_000002.tar | sort -k3,3n | tail -n1 | awk '{print $6}')
setsid ${bin}/hostmirror-unpack.sh >/dev/null &
pid=$!
# Spin on a shell builtin: tar writes the blob in tens of milliseconds.
until [ -s "$big" ]; do :; done
kill -9 -- "-$pid"
wait "$pid" || true
echo "KILLED $(stat -c %s "$big")"
ls ${data}/state | sed 's/^/MARKER /'
hm_run_steps ${host.root} ${host.steps}
${pullChecks(host)}
hm_stop_daemons
hm_tree_state ${data} > ${host.root}/../state
`,
      {},
    );
    const out = stdoutOf(result);
    assert.equal(result.exitCode, 0, explain(result));
    assert.match(out, /^KILLED \d+$/m, explain(result));
    assert.ok(!out.includes('MARKER complete'), `the kill came after the unpack finished\n${out}`);
    assert.ok(!out.includes('MARKER mirror_000002.tar.done'), out);
    assert.ok(out.includes('MARKER in-progress'), out);
    assert.ok(out.includes('PULL copy ok'), explain(result));
    assert.equal(await readFile(join(host.root, '../state'), 'utf8'), firstState);
  });

  test('newManifest: a volume unpacked for another archive set is unpacked again from scratch', async () => {
    const host = await makeHost('new-manifest', { mode: 'every-node', topology: 'sno' });
    const volume = join(host.root, 'srv/volume');
    await copyArchivesTo(volume);
    const manifest = join(host.root, 'etc/hostmirror/archives.sha256');
    const both = await readFile(manifest, 'utf8');
    const first = `${both.split('\n')[0]}\n`;
    const result = await inNamespace(
      `${hostEnv(host, { HOSTMIRROR_VOLUME_DIR: '/srv/volume' })}
hm_run_steps ${host.root} ${host.steps} >/dev/null
hm_stop_daemons
find ${volume}/hostmirror/registry -name data | wc -l | sed 's/^/BLOBS /'
printf '%s' '${first}' > ${manifest}
hm_run_steps ${host.root} ${host.steps} >/dev/null
hm_stop_daemons
find ${volume}/hostmirror/registry -name data | wc -l | sed 's/^/BLOBS /'
cat ${volume}/hostmirror/state/complete | sed 's/^/COMPLETE /'
sha256sum < ${manifest} | cut -c1-64 | sed 's/^/MANIFEST /'
`,
      {},
    );
    const out = stdoutOf(result);
    assert.equal(result.exitCode, 0, explain(result));
    const blobs = [...out.matchAll(/^BLOBS (\d+)$/gm)].map((match) => Number(match[1]));
    assert.equal(blobs.length, 2, out);
    assert.ok(
      (blobs[0] ?? 0) > (blobs[1] ?? 0),
      `the second tree holds only the first archive\n${out}`,
    );
    assert.equal(/^COMPLETE (\w+)$/m.exec(out)?.[1], /^MANIFEST (\w+)$/m.exec(out)?.[1], out);
    assert.match(
      result.stderr.toString('utf8'),
      /starting a fresh storage tree[\s\S]*starting a fresh storage tree/,
    );
  });

  test('gptVolume: finds the partition by its GPT label on a loop device, mounts it and serves', async () => {
    await requireTool('sfdisk', 'fdisk');
    await requireTool('mkfs.ext4', 'e2fsprogs');
    await requireTool('losetup', 'util-linux');
    const label = `hmtest${process.pid}`;
    const host = await makeHost('gpt', { mode: 'every-node', topology: 'sno', volumeLabel: label });
    const image = join(work, 'gpt.img');
    const result = await inNamespace(
      `${hostEnv(host, { HOSTMIRROR_VOLUME_MATCH: 'partlabel' })}
truncate -s 224M ${image}
printf 'label: gpt\nsize=192M, name=${label}\n' | sfdisk -q ${image}
loop=$(losetup --find --show --partscan ${image})
detach() { hm_stop_daemons; umount ${host.root}/var/mnt/hostmirror 2>/dev/null || true; umount ${work}/gpt-mnt 2>/dev/null || true; partx -d "$loop" 2>/dev/null || true; losetup -d "$loop"; }
trap detach EXIT
[ -e "\${loop}p1" ] || partx -a "$loop"
mkfs.ext4 -q "\${loop}p1"
mkdir -p ${work}/gpt-mnt
mount "\${loop}p1" ${work}/gpt-mnt
cp ${ARCHIVES.map((name) => join(fixtures, name)).join(' ')} ${work}/gpt-mnt/
umount ${work}/gpt-mnt
hm_run_steps ${host.root} ${host.steps}
findmnt -n -o SOURCE ${host.root}/var/mnt/hostmirror | sed 's/^/MOUNTED /'
${pullChecks(host)}
`,
      {},
    );
    const out = stdoutOf(result);
    assert.equal(result.exitCode, 0, explain(result));
    assert.match(out, /^MOUNTED \/dev\/loop\d+p1$/m, explain(result));
    assert.ok(out.includes('PULL copy ok'), explain(result));
  });

  test('readOnlyFolder: a volume bind-mounted read-only is never written; the tree goes to the host, the registry serves it, skopeo pulls by digest', async () => {
    const host = await makeHost('ro-folder', {
      mode: 'every-node',
      topology: 'sno',
      volumeAccess: 'read-only',
    });
    const source = join(work, 'ro-folder-volume');
    await copyArchivesTo(source);
    const result = await inNamespace(
      `${hostEnv(host, { HOSTMIRROR_VOLUME_DIR: '/srv/volume' })}
mkdir -p ${host.root}/srv/volume
mount --bind ${source} ${host.root}/srv/volume
mount -o remount,bind,ro ${host.root}/srv/volume
hm_tree_state ${source} > ${work}/ro-folder-before
hm_run_steps ${host.root} ${host.steps}
${pullChecks(host)}
hm_stop_daemons
hm_run_steps ${host.root} ${host.steps} | grep -c ' ok$' | sed 's/^/RERUN ok steps /'
hm_stop_daemons
hm_tree_state ${source} > ${work}/ro-folder-after
[ -e ${host.root}/var/lib/hostmirror/state/complete ] && echo "COMPLETE on the host"
[ -d ${host.root}/var/lib/hostmirror/registry/docker/registry/v2/blobs ] && echo "TREE on the host"
`,
      {},
    );
    const out = stdoutOf(result);
    assert.equal(result.exitCode, 0, explain(result));
    for (const line of [
      'STEP hostmirror-unpack.service ok',
      'STEP hostmirror-persist.service ok',
      'STEP hostmirror-registry.service started',
      'PULL copy ok',
      'PUSH 405',
      'COMPLETE on the host',
      'TREE on the host',
    ])
      assert.ok(out.includes(line), `missing "${line}"\n${explain(result)}`);
    const before = await readFile(join(work, 'ro-folder-before'), 'utf8');
    assert.match(before, /mirror_000002\.tar/);
    assert.equal(await readFile(join(work, 'ro-folder-after'), 'utf8'), before);
    assert.deepEqual((await readdir(source)).sort(), [...ARCHIVES].sort());
    assert.match(result.stderr.toString('utf8'), /the volume is read-only: the registry program/);
  });

  test('readOnlyGpt: a GPT volume on a read-only loop device (losetup -r) is mounted ro and left bit for bit as it was; a read-write ISO refuses it naming --volume-access', async () => {
    await requireTool('sfdisk', 'fdisk');
    await requireTool('mkfs.ext4', 'e2fsprogs');
    await requireTool('losetup', 'util-linux');
    const label = `hmro${process.pid}`;
    const host = await makeHost('ro-gpt', {
      mode: 'every-node',
      topology: 'sno',
      volumeLabel: label,
      volumeAccess: 'read-only',
    });
    const image = join(work, 'ro-gpt.img');
    const result = await inNamespace(
      `${hostEnv(host, { HOSTMIRROR_VOLUME_MATCH: 'partlabel' })}
truncate -s 224M ${image}
printf 'label: gpt\nsize=192M, name=${label}\n' | sfdisk -q ${image}
loop=$(losetup --find --show --partscan ${image})
[ -e "\${loop}p1" ] || partx -a "$loop"
mkfs.ext4 -q "\${loop}p1"
mkdir -p ${work}/ro-gpt-mnt
mount "\${loop}p1" ${work}/ro-gpt-mnt
cp ${ARCHIVES.map((name) => join(fixtures, name)).join(' ')} ${work}/ro-gpt-mnt/
umount ${work}/ro-gpt-mnt
partx -d "$loop" 2>/dev/null || true
losetup -d "$loop"
sha256sum ${image} | cut -c1-64 | sed 's/^/IMAGE before /'
loop=$(losetup -r --find --show --partscan ${image})
detach() { hm_stop_daemons; umount ${host.root}/var/mnt/hostmirror 2>/dev/null || true; partx -d "$loop" 2>/dev/null || true; losetup -d "$loop"; }
trap detach EXIT
[ -e "\${loop}p1" ] || partx -a "$loop"
echo "DEVICE read-only $(blockdev --getro "\${loop}p1")"
HOSTMIRROR_VOLUME_ACCESS=read-write ${host.root}/usr/local/bin/hostmirror-volume.sh || echo "READ-WRITE refused"
hm_run_steps ${host.root} ${host.steps}
findmnt -n -o OPTIONS ${host.root}/var/mnt/hostmirror | tr , '\n' | grep -x ro | sed 's/^/MOUNTED /'
hm_tree_state ${host.root}/var/mnt/hostmirror > ${work}/ro-gpt-files
${pullChecks(host)}
detach
trap - EXIT
sha256sum ${image} | cut -c1-64 | sed 's/^/IMAGE after /'
`,
      {},
    );
    const out = stdoutOf(result);
    assert.equal(result.exitCode, 0, explain(result));
    assert.ok(out.includes('DEVICE read-only 1'), explain(result));
    assert.ok(out.includes('READ-WRITE refused'), explain(result));
    assert.match(
      result.stderr.toString('utf8'),
      /is a read-only device[^\n]*--volume-access read-only/,
    );
    assert.ok(out.includes('MOUNTED ro'), explain(result));
    assert.ok(out.includes('PULL copy ok'), explain(result));
    const files = await readFile(join(work, 'ro-gpt-files'), 'utf8');
    assert.doesNotMatch(files, /hostmirror/, 'nothing of ours on the volume');
    const before = /^IMAGE before (\w{64})$/m.exec(out)?.[1];
    assert.ok(before, explain(result));
    assert.equal(/^IMAGE after (\w{64})$/m.exec(out)?.[1], before, 'the image is unchanged');
  });

  test('noVolume: without the volume the host stays in normal mode and nothing else runs', async () => {
    const host = await makeHost('none', {
      mode: 'every-node',
      topology: 'ha',
      volumeLabel: `hmnone${process.pid}`,
    });
    const result = await inNamespace(
      `${hostEnv(host)}
hm_run_steps ${host.root} ${host.steps}
ls ${host.root}/run/hostmirror | sed 's/^/MARKER /'
[ -e ${host.root}/etc/containers/registries.conf.d/99-hostmirror.conf ] && echo "DROPIN written"
[ -e ${host.root}/usr/local/bin/hostmirror-registry ] && echo "REGISTRY installed by the hook"
true
`,
      {},
    );
    const out = stdoutOf(result);
    assert.equal(result.exitCode, 0, explain(result));
    assert.ok(out.includes('STEP hostmirror-volume.service ok'), out);
    for (const step of ['verify', 'unpack', 'persist', 'registry', 'configure', 'ready'])
      assert.ok(out.includes(`STEP hostmirror-${step}.service skipped`), `${step}\n${out}`);
    assert.ok(out.includes('MARKER normal'), out);
    assert.ok(!out.includes('DROPIN written'), out);
    assert.ok(out.includes('REGISTRY installed by the hook'), out);
  });

  test('badChecksum: a changed archive is refused with its name, and no registry starts', async () => {
    const host = await makeHost('bad', { mode: 'every-node', topology: 'ha' });
    const volume = join(host.root, 'srv/volume');
    await copyArchivesTo(volume);
    await appendFile(join(volume, 'mirror_000002.tar'), 'x');
    const result = await inNamespace(
      `${hostEnv(host, { HOSTMIRROR_VOLUME_DIR: '/srv/volume' })}
hm_run_steps ${host.root} ${host.steps} || echo "SEQUENCE stopped"
curl -s --max-time 2 -o /dev/null https://127.0.0.1:5000/v2/ -k && echo "REGISTRY answers"
[ -e ${volume}/hostmirror/state/complete ] && echo "COMPLETE"
true
`,
      {},
    );
    const out = stdoutOf(result);
    const err = result.stderr.toString('utf8');
    assert.equal(result.exitCode, 0, explain(result));
    assert.ok(out.includes('STEP hostmirror-verify.service failed'), explain(result));
    assert.ok(out.includes('SEQUENCE stopped'), out);
    assert.ok(!out.includes('hostmirror-registry.service started'), out);
    assert.ok(!out.includes('REGISTRY answers'), out);
    assert.ok(!out.includes('COMPLETE'), out);
    assert.match(
      err,
      /^<3>hostmirror: archive \S*\/mirror_000002\.tar has sha256 [0-9a-f]{64}/m,
      err,
    );
  });

  test('unsafeMembers: an archive with a ".." member or a link in the storage is refused before anything is written', async () => {
    for (const [name, entries] of [
      ['dotdot', [{ name: 'docker/registry/v2/../../../../escaped', type: '0' as const }]],
      [
        'symlink',
        [
          { name: 'docker/registry/v2/blobs', type: '2' as const, link: '/etc' },
          { name: 'docker/registry/v2/blobs/passwd', type: '0' as const },
        ],
      ],
    ] as const) {
      const archive = join(work, `${name}.tar`);
      await writeFile(archive, tarOf(entries));
      const host = await makeHost(`unsafe-${name}`, { mode: 'every-node', topology: 'sno' }, [
        { name: 'mirror_000001.tar', sha256: await sha256File(archive) },
      ]);
      await mkdir(join(host.root, 'srv/volume'), { recursive: true });
      await copyFile(archive, join(host.root, 'srv/volume/mirror_000001.tar'));
      const result = await inNamespace(
        `${hostEnv(host, { HOSTMIRROR_VOLUME_DIR: '/srv/volume' })}
hm_run_steps ${host.root} ${host.steps} || echo "SEQUENCE stopped"
find ${host.root}/srv -name escaped -o -name passwd | sed 's/^/WRITTEN /'
`,
        {},
      );
      const out = stdoutOf(result);
      assert.equal(result.exitCode, 0, explain(result));
      assert.ok(
        out.includes('STEP hostmirror-unpack.service failed'),
        `${name}\n${explain(result)}`,
      );
      assert.ok(!out.includes('WRITTEN'), out);
      assert.match(result.stderr.toString('utf8'), /refusing to unpack it/);
    }
  });

  for (const [rendezvousIP, clientAddress] of [
    ['127.0.0.2', '127.0.0.3'],
    ['::1', 'fd00::3'],
  ] as const)
    test(`node0Client: in mode node0 a host without the rendezvous IP pulls from node0 over its address (${rendezvousIP})`, async () => {
      const settings = { mode: 'node0', topology: 'compact', rendezvousIP } as const;
      const node0 = await makeHost(`node0-${rendezvousIP}`, settings);
      const client = await makeHost(`client-${rendezvousIP}`, settings);
      await copyArchivesTo(join(node0.root, 'srv/volume'));
      const result = await inNamespace(
        `${hostEnv(node0, { HOSTMIRROR_VOLUME_DIR: '/srv/volume', HOSTMIRROR_HOST_ADDRESSES: `${rendezvousIP} 10.0.0.1` })}
hm_run_steps ${node0.root} ${node0.steps} > >(sed 's/^/NODE0 /')
unset HOSTMIRROR_VOLUME_DIR
${hostEnv(client, { HOSTMIRROR_HOST_ADDRESSES: clientAddress })}
hm_run_steps ${client.root} ${client.steps} > >(sed 's/^/CLIENT /')
grep registry.hostmirror.internal ${client.root}/etc/hosts | sed 's/^/HOSTS /'
${pullChecks(client)}
`,
        {},
      );
      const out = stdoutOf(result);
      assert.equal(result.exitCode, 0, explain(result));
      assert.ok(out.includes('NODE0 STEP hostmirror-registry.service started'), explain(result));
      assert.ok(out.includes('CLIENT STEP hostmirror-unpack.service skipped'), out);
      assert.ok(out.includes('CLIENT STEP hostmirror-registry.service skipped'), out);
      assert.ok(out.includes('CLIENT STEP hostmirror-ready.service ok'), explain(result));
      assert.ok(
        out.includes(`HOSTS ${rendezvousIP} registry.hostmirror.internal # hostmirror\n`),
        out,
      );
      assert.ok(out.includes('PULL copy ok'), explain(result));
    });

  test('node0WithVolumeOnly: in mode node0 the volume decides, not the address; node0 without its volume fails the wait at once, naming the fix', async () => {
    const settings = { mode: 'node0', topology: 'compact', rendezvousIP: '127.0.0.2' } as const;
    const bare = await makeHost('node0-bare', settings);
    const result = await inNamespace(
      `${hostEnv(bare, { HOSTMIRROR_HOST_ADDRESSES: '127.0.0.2 10.0.0.1' })}
hm_run_steps ${bare.root} ${bare.steps} || echo "BARE stopped"
ls ${bare.root}/run/hostmirror | sed 's/^/MARKER /'
`,
      {},
    );
    const out = stdoutOf(result);
    assert.equal(result.exitCode, 0, explain(result));
    // Decided without the network: no volume in mode node0 means "pull from node0".
    assert.match(out, /^STEP hostmirror-volume\.service ok$/m, out);
    assert.match(out, /^MARKER mirror$/m, out);
    assert.doesNotMatch(out, /^MARKER serve$/m, out);
    // Once online, the ready step sees it holds the rendezvous IP and stops at once.
    assert.match(out, /^STEP hostmirror-ready\.service failed$/m, out);
    assert.match(
      result.stderr.toString('utf8'),
      /holds the rendezvous IP 127\.0\.0\.2, so it is node0, but it has no mirror volume labelled 'data'/,
    );
  });

  test('readyRetriesTheReleaseHead: a connection error on the release HEAD (the registry restarting) is retried; an HTTP 404 fails at once', async () => {
    // Found by the rehearsal (tools/rehearse.sh --scenario registry-killed): node0's registry was
    // killed between another host's GET /v2/ and its release HEAD, and that host's install stopped
    // with "does not have the release image". curl's exit 7 (connection refused) is stood in for
    // by a wrapper that fails the first HEAD and then runs the real curl.
    const host = await makeHost('ready-retry', { mode: 'every-node', topology: 'sno' });
    await copyArchivesTo(join(host.root, 'srv/volume'));
    const wrappers = join(work, 'ready-retry', 'bin');
    await mkdir(wrappers, { recursive: true });
    const curl = await requireTool('curl', 'curl');
    await writeFile(
      join(wrappers, 'curl'),
      `#!/bin/bash\ncase " $* " in *" --head "*) if [ ! -e ${wrappers}/refused ]; then : > ${wrappers}/refused; echo "curl: (7) Failed to connect: Connection refused" >&2; exit 7; fi ;; esac\nexec ${curl} "$@"\n`,
      { mode: 0o755 },
    );
    const result = await inNamespace(
      `${hostEnv(host, { HOSTMIRROR_VOLUME_DIR: '/srv/volume' })}
hm_run_steps ${host.root} ${host.steps}
PATH=${wrappers}:$PATH ${host.root}/usr/local/bin/hostmirror-wait-ready.sh && echo "READY after a refused HEAD"
[ -e ${wrappers}/refused ] && echo "HEAD was refused once"
HOSTMIRROR_RELEASE_DIGEST=sha256:${'0'.repeat(64)} ${host.root}/usr/local/bin/hostmirror-wait-ready.sh 2>${host.root}/../missing.err || echo "MISSING failed"
hm_stop_daemons
`,
      {},
    );
    const out = stdoutOf(result);
    assert.equal(result.exitCode, 0, explain(result));
    assert.match(out, /^HEAD was refused once$/m, explain(result));
    assert.match(out, /^READY after a refused HEAD$/m, explain(result));
    assert.match(out, /^MISSING failed$/m, explain(result));
    assert.match(
      await readFile(join(host.root, '../missing.err'), 'utf8'),
      /does not have the release image openshift\/release-images@sha256:0{64}/,
    );
  });

  test("acrossTheReboot: the installed system (MachineConfig file set) restores the registry from the volume and serves again; the mirror rules are MCO's, so an administrator's day-2 mirror is tried first", async () => {
    const settings = { mode: 'every-node', topology: 'sno' } as const;
    const live = await makeHost('reboot-live', settings);
    const installed = await makeHost('reboot-installed', settings, undefined, 'installed');
    await copyArchivesTo(join(live.root, 'srv/volume'));
    await mkdir(join(installed.root, 'srv'), { recursive: true });
    await symlink(join(live.root, 'srv/volume'), join(installed.root, 'srv/volume'));
    // MCO's file with a day-2 IDMS an administrator added for the same source, listed first. The
    // administrator's mirror is a second real registry on another loopback address, serving nothing.
    await writeMcoRegistriesConf(installed.root, 'admin-mirror.example.internal:5001/ocp/release');
    const result = await inNamespace(
      `${hostEnv(live, { HOSTMIRROR_VOLUME_DIR: '/srv/volume' })}
hm_run_steps ${live.root} ${live.steps} >/dev/null
hm_stop_daemons
mkdir -p ${installed.root}/etc/containers/registries.conf.d
cp ${live.root}/etc/containers/registries.conf.d/99-hostmirror.conf ${installed.root}/etc/containers/registries.conf.d/
${hostEnv(installed, { HOSTMIRROR_VOLUME_DIR: '/srv/volume' }, { hook: false })}
[ -e ${installed.root}/usr/local/bin/hostmirror-registry ] && echo "REGISTRY before restore"
[ -e ${installed.root}/etc/hostmirror/tls/tls.key ] && echo "KEY before restore"
hm_run_steps ${installed.root} ${installed.steps}
ls ${installed.root}/etc/containers/registries.conf.d | sed 's/^/DROPIN /'
[ -e ${installed.root}/etc/hostmirror/registries.conf ] && echo "STAGED drop-in"
echo "127.0.0.3 admin-mirror.example.internal" >> ${installed.root}/etc/hosts
ip addr add 127.0.0.3/8 dev lo 2>/dev/null || true
admin=$(mktemp -d)
printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.3:5001\n' "$admin" > "$admin.yml"
docker-registry serve "$admin.yml" >"$admin.log" 2>&1 &
HM_DAEMON_PIDS+=($!)
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.3:5001/v2/ && break; sleep 0.1; done
${pullChecks(installed)}
skopeo --debug inspect --no-tags docker://${RELEASE_SOURCE}@${releaseDigest} 2>&1 >/dev/null | grep -o 'Trying to access [^ ]*' | tr -d '\\\\"' | sed 's/^Trying to access /TRIED /'
grep -o '"GET /v2/ocp/release/manifests/sha256:[0-9a-f]*' "$admin.log" | head -1 | sed 's/^/ADMIN saw /'
`,
      {},
    );
    const out = stdoutOf(result);
    assert.equal(result.exitCode, 0, explain(result));
    assert.ok(!out.includes('before restore'), out);
    for (const line of [
      'STEP hostmirror-verify.service ok',
      'STEP hostmirror-restore.service ok',
      'STEP hostmirror-registry.service started',
      'STEP hostmirror-ready.service ok',
      'PULL copy ok',
    ])
      assert.ok(out.includes(line), `missing "${line}"\n${explain(result)}`);
    assert.match(result.stderr.toString('utf8'), /not verifying again/);
    // The hand-over: the live ISO's drop-in (copied in as an earlier build would have left it)
    // is removed, none is staged, and skopeo reads MCO's file: the administrator's mirror first.
    assert.doesNotMatch(out, /^DROPIN /m, out);
    assert.doesNotMatch(out, /^STAGED /m, out);
    const tried = [...out.matchAll(/^TRIED (.*)$/gm)].map((match) => match[1]);
    assert.deepEqual(
      tried,
      [
        `admin-mirror.example.internal:5001/ocp/release@${releaseDigest}`,
        `registry.hostmirror.internal:5000/openshift/release-images@${releaseDigest}`,
      ],
      explain(result),
    );
    assert.match(
      out,
      new RegExp(`^ADMIN saw "GET /v2/ocp/release/manifests/${releaseDigest}`, 'm'),
      out,
    );
  });

  test('readOnlyAcrossTheReboot: the installed system unpacks the read-only volume again onto its own /var; it serves only once the volume carries the program and TLS pair', async () => {
    const settings = { mode: 'every-node', topology: 'sno', volumeAccess: 'read-only' } as const;
    const live = await makeHost('ro-reboot-live', settings);
    const installed = await makeHost('ro-reboot-installed', settings, undefined, 'installed');
    await writeMcoRegistriesConf(installed.root);
    const source = join(work, 'ro-reboot-volume');
    await copyArchivesTo(source);
    const roBind = (root: string) => `mkdir -p ${root}/srv/volume
mount --bind ${source} ${root}/srv/volume
mount -o remount,bind,ro ${root}/srv/volume`;
    const result = await inNamespace(
      `${roBind(live.root)}
${roBind(installed.root)}
hm_tree_state ${source} > ${work}/ro-reboot-before
${hostEnv(live, { HOSTMIRROR_VOLUME_DIR: '/srv/volume' })}
hm_run_steps ${live.root} ${live.steps} >/dev/null
hm_stop_daemons
${hostEnv(installed, { HOSTMIRROR_VOLUME_DIR: '/srv/volume' }, { hook: false })}
hm_run_steps ${installed.root} ${installed.steps} | sed 's/^/FIRST /' || true
hm_tree_state ${source} > ${work}/ro-reboot-after
# What the user puts on the volume (here through its writable source) for the installed system.
mkdir -p ${source}/hostmirror/bin ${source}/hostmirror/tls
cp ${live.root}/usr/local/bin/hostmirror-registry ${source}/hostmirror/bin/registry
cp ${live.root}/etc/hostmirror/tls/tls.crt ${live.root}/etc/hostmirror/tls/tls.key ${source}/hostmirror/tls/
hm_run_steps ${installed.root} ${installed.steps} | sed 's/^/SECOND /'
${pullChecks(installed)}
`,
      {},
    );
    const out = stdoutOf(result);
    assert.equal(result.exitCode, 0, explain(result));
    for (const line of [
      'FIRST STEP hostmirror-unpack.service ok',
      'FIRST STEP hostmirror-restore.service failed',
      'SECOND STEP hostmirror-restore.service ok',
      'SECOND STEP hostmirror-registry.service started',
      'PULL copy ok',
    ])
      assert.ok(out.includes(line), `missing "${line}"\n${explain(result)}`);
    assert.match(
      result.stderr.toString('utf8'),
      /read-only volume does not carry the registry program/,
    );
    assert.equal(
      await readFile(join(work, 'ro-reboot-after'), 'utf8'),
      await readFile(join(work, 'ro-reboot-before'), 'utf8'),
      'neither the live nor the installed system wrote to the volume',
    );
    assert.deepEqual(await readdir(join(installed.root, 'var/lib/hostmirror/state')), ['complete']);
  });

  test('preloadMode: the release images land in container storage by digest and by tag; a rerun copies nothing', async () => {
    const host = await makeHost('preload', { mode: 'preload', topology: 'sno' });
    await copyArchivesTo(join(host.root, 'srv/volume'));
    const storageConf = join(host.root, 'storage.conf');
    await writeFile(
      storageConf,
      `[storage]\ndriver = "vfs"\ngraphroot = "${host.root}/var/lib/containers/storage"\nrunroot = "${host.root}/run/containers/storage"\n`,
    );
    const result = await inNamespace(
      `${hostEnv(host, { HOSTMIRROR_VOLUME_DIR: '/srv/volume', CONTAINERS_STORAGE_CONF: storageConf })}
# The host's /etc/containers and /etc/hosts are this root's from the preload step on.
grep -v hostmirror-preload ${host.steps} > ${host.steps}.before
grep hostmirror-preload ${host.steps} > ${host.steps}.preload
hm_run_steps ${host.root} ${host.steps}.before
hm_use_root_config ${host.root}
hm_run_steps ${host.root} ${host.steps}.preload
skopeo inspect --no-tags containers-storage:${RELEASE_SOURCE}@${releaseDigest} >/dev/null && echo "STORED by digest"
skopeo inspect --no-tags containers-storage:${RELEASE_SOURCE}:4.14.3-x86_64 >/dev/null && echo "STORED by tag"
${host.root}/usr/local/bin/hostmirror-preload.sh 2>&1 | grep -c 'already in container storage' | sed 's/^/AGAIN /'
`,
      {},
    );
    const out = stdoutOf(result);
    assert.equal(result.exitCode, 0, explain(result));
    assert.ok(out.includes('STEP hostmirror-preload.service ok'), explain(result));
    assert.ok(out.includes('STORED by digest'), explain(result));
    assert.ok(out.includes('STORED by tag'), explain(result));
    const again = /^AGAIN (\d+)$/m.exec(out);
    assert.ok(again?.[1] !== undefined && Number(again[1]) >= 3, out);
    assert.doesNotMatch(
      result.stderr.toString('utf8'),
      /copied into container storage[\s\S]*copied into container storage[\s\S]*AGAIN/,
    );
  });

  test('cliIgnition: `boot-sequence --format ignition` builds the live config from the archives', async () => {
    const fixed = testAssets(['127.0.0.2']);
    const tlsDir = join(work, 'cli-tls');
    await mkdir(tlsDir, { recursive: true });
    // The names writeMirrorTls writes (TLS_FILES).
    await writeFile(join(tlsDir, 'ca.crt'), fixed.caCertificate);
    await writeFile(join(tlsDir, 'server.crt'), fixed.tls.certificate);
    await writeFile(join(tlsDir, 'server.key'), fixed.tls.key);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    stdout.on('data', (chunk: Buffer) => out.push(chunk));
    const code = await runCli(
      [
        'boot-sequence',
        ...['--mode', 'node0', '--topology', 'compact', '--rendezvous-ip', '192.0.2.10'],
        ...['--format', 'ignition', '--spec', '3.3.0', '--tls-dir', tlsDir],
        ...ARCHIVES.flatMap((name) => ['--archive', join(fixtures, name)]),
      ],
      { stdout, stderr, cwd: work, env: {} },
    );
    assert.equal(code, 0, stderr.read()?.toString());
    const text = Buffer.concat(out).toString('utf8');
    const report = validateConfig(text);
    assert.equal(report.valid, true, JSON.stringify(report.errors));
    assert.equal(report.config?.ignition.version, '3.3.0');
    const fileText = (path: string) => {
      const file = report.config?.storage?.files?.find((entry) => entry.path === path);
      assert.ok(file?.contents?.source, path);
      const bytes = decodeDataUrl(file.contents.source);
      return (file.contents.compression === 'gzip' ? gunzipSync(bytes) : bytes).toString('utf8');
    };
    const manifest = fileText('/etc/hostmirror/archives.sha256');
    for (const name of ARCHIVES)
      assert.match(
        manifest,
        new RegExp(`^${await sha256File(join(fixtures, name))}  ${name}$`, 'm'),
      );
    assert.match(
      fileText('/etc/hostmirror/hostmirror.env'),
      new RegExp(`^HOSTMIRROR_RELEASE_DIGEST=${releaseDigest}$`, 'm'),
    );
    assert.match(
      fileText('/etc/hostmirror/registries.conf'),
      /location = "registry\.hostmirror\.internal:5000\/openshift\/release-images"/,
    );
  });
});

/**
 * Make `host.root` bootable by systemd-nspawn with this machine's systemd (`container.ts`):
 * our units are enabled as Ignition's presets would, and two stubs stand for the live ISO:
 * `agent.service` pulls the release by digest, `end.service` records what happened and
 * powers off.
 */
async function makeBootable(
  host: HostRoot,
  env: Record<string, string>,
  options: { hook?: boolean } = {},
): Promise<void> {
  const { root } = host;
  await makeContainerRoot(root);
  await appendFile(
    join(root, 'etc/hostmirror/hostmirror.env'),
    Object.entries(env)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
  await writeFile(
    join(root, 'etc/systemd/system/agent.service'),
    `[Unit]
Description=stand-in for the agent: pulls the release by digest
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'echo AGENT-RAN >> /root/result; if skopeo inspect --no-tags docker://${RELEASE_SOURCE}@${releaseDigest} >/dev/null; then echo AGENT-PULLED >> /root/result; fi'
[Install]
WantedBy=multi-user.target
`,
  );
  await writeFile(
    join(root, 'etc/systemd/system/end.service'),
    `[Unit]
Description=record the outcome and power off
After=agent.service hostmirror-ready.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'for u in agent hostmirror-verify hostmirror-registry hostmirror-ready; do echo "STATE $u $(systemctl is-active $u)"; done > /root/end; journalctl -b --no-pager -o short-monotonic >> /root/end 2>&1; systemctl --no-block poweroff'
[Install]
WantedBy=multi-user.target
`,
  );
  const units = (await readdir(join(root, 'etc/systemd/system'))).filter(
    (name) =>
      name.endsWith('.service') &&
      (name.startsWith('hostmirror-') || name === 'agent.service' || name === 'end.service'),
  );
  await enableUnits(root, 'multi-user.target', units);
  if (options.hook === false) return;
  const hook = await runTool('sh', ['-c', `. ${host.initrd}/hook.sh`], {
    timeoutMs: 10_000,
    env: { ...process.env, NEWROOT: root, HOSTMIRROR_INITRD_ROOT: host.initrd },
  });
  assert.equal(hook.exitCode, 0, hook.stderr.toString());
}

/** Boot the root in a container with only loopback; returns what end.service recorded. */
async function bootRoot(root: string, extra: readonly string[] = []): Promise<string> {
  const nspawn = await requireTool('systemd-nspawn', 'systemd-container');
  const result = await runTool(nspawn, nspawnBootArguments(root, ['--private-network', ...extra]), {
    timeoutMs: 120_000,
  });
  assert.equal(result.timedOut, false, `the container did not power off: ${result.stderr}`);
  return readFile(join(root, 'root/end'), 'utf8').catch(
    () => `no record: ${result.stdout}${result.stderr}`,
  );
}

describe("boot sequence under systemd (nspawn, this machine's systemd as PID 1)", () => {
  test('goodVolume: the units run in order and the agent pulls the release through the mirror', async () => {
    const host = await makeHost('nspawn-good', { mode: 'every-node', topology: 'sno' });
    await copyArchivesTo(join(host.root, 'srv/volume'));
    await makeBootable(host, {
      HOSTMIRROR_VOLUME_DIR: '/srv/volume',
      HOSTMIRROR_UPDATE_CA_TRUST: 'true',
      HOSTMIRROR_READY_TIMEOUT: '60',
    });
    const end = await bootRoot(host.root);
    assert.match(end, /^STATE agent active$/m, end);
    assert.match(end, /^STATE hostmirror-registry active$/m, end);
    assert.equal(
      await readFile(join(host.root, 'root/result'), 'utf8'),
      'AGENT-RAN\nAGENT-PULLED\n',
      end,
    );
  });

  test('registryKilled: kill -9 of the running registry, and it serves again within 10 s; systemctl status shows it active', async () => {
    const host = await makeHost('nspawn-killed', { mode: 'every-node', topology: 'sno' });
    await copyArchivesTo(join(host.root, 'srv/volume'));
    await makeBootable(host, {
      HOSTMIRROR_VOLUME_DIR: '/srv/volume',
      HOSTMIRROR_UPDATE_CA_TRUST: 'true',
      HOSTMIRROR_READY_TIMEOUT: '60',
    });
    // Replaces the stand-in that records the outcome: once the mirror is ready, kill the
    // registry's main process with SIGKILL twice in a row (a start limit would show on the
    // second), and each time time how long until the readiness probe passes again. The second
    // kill comes as soon as the registry answers again, often while systemd still runs its
    // start-up probe (activating): that probe must end with it, not wait out its timeout.
    await writeFile(
      join(host.root, 'usr/local/bin/kill-registry.sh'),
      `#!/bin/bash
set -u
for round in 1 2; do
  pid=$(systemctl show -p MainPID --value hostmirror-registry)
  echo "ROUND $round pid $pid active $(systemctl is-active hostmirror-registry)"
  start=$(date +%s%N)
  kill -9 "$pid"
  until [ "$(systemctl show -p MainPID --value hostmirror-registry)" != "$pid" ] &&
    HOSTMIRROR_READY_TIMEOUT=1 HOSTMIRROR_LOCAL_READY_TIMEOUT=1 /usr/local/bin/hostmirror-wait-ready.sh >/dev/null 2>&1; do
    [ $(( $(date +%s%N) - start )) -lt 30000000000 ] || break
    sleep 0.2
  done
  echo "ROUND $round serves-again-ms $(( ($(date +%s%N) - start) / 1000000 ))"
done
for _ in $(seq 50); do [ "$(systemctl is-active hostmirror-registry)" = active ] && break; sleep 0.2; done
systemctl is-active hostmirror-registry | sed 's/^/FINAL /'
systemctl status --no-pager hostmirror-registry | sed 's/^/STATUS /'
`,
      { mode: 0o755 },
    );
    await writeFile(
      join(host.root, 'etc/systemd/system/end.service'),
      `[Unit]
Description=kill the registry, time its return, power off
After=agent.service hostmirror-ready.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c '/usr/local/bin/kill-registry.sh > /root/end 2>&1; journalctl -b --no-pager -u hostmirror-registry >> /root/end 2>&1; systemctl --no-block poweroff'
[Install]
WantedBy=multi-user.target
`,
    );
    const end = await bootRoot(host.root);
    for (const round of [1, 2]) {
      assert.match(
        end,
        new RegExp(`^ROUND ${round} pid [1-9][0-9]* active (active|activating)$`, 'm'),
        end,
      );
      const ms = Number(end.match(new RegExp(`^ROUND ${round} serves-again-ms (\\d+)$`, 'm'))?.[1]);
      assert.ok(ms < 10_000, `round ${round}: served again after ${ms} ms\n${end}`);
    }
    assert.match(end, /^FINAL active$/m, end);
    assert.match(end, /^STATUS .*Active: active \(running\)/m, end);
    assert.match(
      end,
      /hostmirror-registry\.service: Main process exited, code=killed, status=9\/KILL/,
      end,
    );
  });

  test("readOnlyVolume: under systemd, a volume bound read-only into the container serves the agent's pull and is left as it was", async () => {
    const host = await makeHost('nspawn-ro', {
      mode: 'every-node',
      topology: 'sno',
      volumeAccess: 'read-only',
    });
    const source = join(work, 'nspawn-ro-volume');
    await copyArchivesTo(source);
    const state = async () => {
      const names = (await readdir(source)).sort();
      return Promise.all(
        names.map(async (name) => `${name} ${await sha256File(join(source, name))}`),
      );
    };
    const before = await state();
    await mkdir(join(host.root, 'srv/volume'), { recursive: true });
    await makeBootable(host, {
      HOSTMIRROR_VOLUME_DIR: '/srv/volume',
      HOSTMIRROR_UPDATE_CA_TRUST: 'true',
      HOSTMIRROR_READY_TIMEOUT: '60',
    });
    const end = await bootRoot(host.root, [`--bind-ro=${source}:/srv/volume`]);
    assert.match(end, /^STATE agent active$/m, end);
    assert.equal(
      await readFile(join(host.root, 'root/result'), 'utf8'),
      'AGENT-RAN\nAGENT-PULLED\n',
      end,
    );
    assert.deepEqual(await state(), before);
    assert.deepEqual(await readdir(join(host.root, 'var/lib/hostmirror/state')), ['complete']);
  });

  test('badChecksum: the agent never starts, systemd says the dependency failed and why', async () => {
    const host = await makeHost('nspawn-bad', { mode: 'every-node', topology: 'sno' });
    const volume = join(host.root, 'srv/volume');
    await copyArchivesTo(volume);
    await appendFile(join(volume, 'mirror_000001.tar'), 'x');
    await makeBootable(host, {
      HOSTMIRROR_VOLUME_DIR: '/srv/volume',
      HOSTMIRROR_UPDATE_CA_TRUST: 'true',
      HOSTMIRROR_READY_TIMEOUT: '60',
    });
    const end = await bootRoot(host.root);
    assert.match(end, /^STATE agent inactive$/m, end);
    assert.match(end, /^STATE hostmirror-verify failed$/m, end);
    assert.match(end, /^STATE hostmirror-registry inactive$/m, end);
    assert.match(
      end,
      /archive \S*mirror_000001\.tar has sha256 [0-9a-f]{64} but the manifest/,
      end,
    );
    // systemd 252 names the unit, older ones (RHCOS 8's 239) only its description.
    assert.match(end, /Dependency failed for (agent\.service|stand-in for the agent)/, end);
    assert.match(
      end,
      /agent\.service: Job agent\.service\/start failed with result 'dependency'/,
      end,
    );
    await assert.rejects(readFile(join(host.root, 'root/result'), 'utf8'), { code: 'ENOENT' });
  });

  test('registryMissing: without the registry program the install stops before the agent, naming it', async () => {
    const host = await makeHost('nspawn-noregistry', { mode: 'every-node', topology: 'sno' });
    await copyArchivesTo(join(host.root, 'srv/volume'));
    await makeBootable(
      host,
      { HOSTMIRROR_VOLUME_DIR: '/srv/volume', HOSTMIRROR_UPDATE_CA_TRUST: 'true' },
      { hook: false },
    );
    const end = await bootRoot(host.root);
    assert.match(end, /^STATE agent inactive$/m, end);
    assert.match(end, /\/usr\/local\/bin\/hostmirror-registry is missing; cannot copy it/, end);
    assert.match(end, /Dependency failed for (agent\.service|stand-in for the agent)/, end);
  });

  test('registryFails: a registry that does not come up fails the readiness wait, and the agent never starts', async () => {
    const host = await makeHost('nspawn-badkey', { mode: 'every-node', topology: 'sno' });
    await copyArchivesTo(join(host.root, 'srv/volume'));
    await makeBootable(host, {
      HOSTMIRROR_VOLUME_DIR: '/srv/volume',
      HOSTMIRROR_UPDATE_CA_TRUST: 'true',
      HOSTMIRROR_LOCAL_READY_TIMEOUT: '3',
    });
    await writeFile(
      join(host.root, 'etc/hostmirror/tls/tls.key'),
      '-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n',
    );
    const end = await bootRoot(host.root);
    assert.match(end, /^STATE agent inactive$/m, end);
    assert.match(end, /^STATE hostmirror-ready failed$/m, end);
    assert.match(end, /did not answer GET \/v2\/ within 3s/, end);
    assert.match(end, /Dependency failed for (agent\.service|stand-in for the agent)/, end);
  });

  test('noVolume: normal mode, the agent starts as if hostmirror were not there', async () => {
    const host = await makeHost('nspawn-none', {
      mode: 'every-node',
      topology: 'sno',
      volumeLabel: `hmnone${process.pid}`,
    });
    await makeBootable(host, { HOSTMIRROR_VOLUME_WAIT: '0', HOSTMIRROR_UPDATE_CA_TRUST: 'true' });
    const end = await bootRoot(host.root);
    assert.match(end, /^STATE agent active$/m, end);
    assert.match(end, /^STATE hostmirror-ready inactive$/m, end);
    assert.match(end, /normal mode, the mirror is not used/, end);
    assert.equal(await readFile(join(host.root, 'root/result'), 'utf8'), 'AGENT-RAN\n');
  });
});

interface TarEntrySpec {
  name: string;
  type: '0' | '2';
  link?: string;
}

/** A ustar archive of empty files and symlinks, with any names (the tar tools refuse to write these). */
function tarOf(entries: readonly TarEntrySpec[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const header = Buffer.alloc(512);
    header.write(entry.name, 0, 100, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write('00000000000\0', 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write(entry.type, 156);
    if (entry.link) header.write(entry.link, 157, 100, 'utf8');
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header);
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
