/**
 * build-iso end to end on generated inputs: the demo is reproducible (ISO, PXE files,
 * manifests, ImageSetConfiguration byte-identical with the same SOURCE_DATE_EPOCH), its
 * outputs read back as a CoreOS ISO with our Ignition, kargs and a kernel-valid initrd; the
 * errors a user meets stop the build before anything is written.
 */
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { buildMirrorIso, sha256File } from '@hostmirror/build-iso';
import { repoRoot, runDemo, TarBuilder } from '@hostmirror/fixtures';
import { decodeDataUrl } from '../../packages/ignition/src/index.ts';
import { readInitrdFile, verifyInitrd } from '../../packages/initrd/src/index.ts';
import { CoreosIso, IGNITION_MEMBER } from '../../packages/iso/src/index.ts';
import { demoInputs, FIXED_EPOCH, optionsFor } from './support.ts';

let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

before(async () => {
  ({ work, inputs } = await demoInputs('unit'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function treeDigests(folder: string, skip: string[]): Promise<Map<string, string>> {
  const digests = new Map<string, string>();
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const name = path.slice(folder.length + 1);
    if (skip.some((prefix) => name.startsWith(prefix))) continue;
    digests.set(name, await sha256File(path));
  }
  return digests;
}

describe('build-iso --demo', () => {
  test('reproducible: two builds with one secret seed file give byte-identical ISO, PXE files, manifests and ISC', async () => {
    const env = { SOURCE_DATE_EPOCH: String(FIXED_EPOCH) };
    // The TLS keys come from a secret the user supplies (--tls-seed-file), never from the inputs.
    const seedFile = join(work, 'tls-seed');
    await writeFile(seedFile, 'a secret of at least sixteen bytes\n');
    const extra = { tlsSeedFile: seedFile };
    const first = await runDemo({ folder: join(work, 'demo1'), env, extra });
    const second = await runDemo({ folder: join(work, 'demo2'), env, extra });
    const one = await treeDigests(join(work, 'demo1'), ['report.json']);
    const two = await treeDigests(join(work, 'demo2'), ['report.json']);
    assert.ok(one.has('hostmirror-demo.iso') && one.has('pxe/hostmirror-demo-initrd.img'));
    assert.ok([...one.keys()].some((name) => name.startsWith('manifests/99-master-hostmirror')));
    assert.deepEqual(one, two);
    assert.equal(first.report.outputs.iso?.sha256, second.report.outputs.iso?.sha256);
    assert.equal(first.report.registry.tlsReproducible, true);
    assert.equal(first.report.tls.source, 'seed-file');
  });

  test('the output ISO carries our Ignition, kargs and a kernel-valid extended initrd; the input is unchanged', async () => {
    const before = await sha256File(inputs.iso);
    const out = join(work, 'kargs.iso');
    const result = await buildMirrorIso(
      optionsFor(inputs, out, {
        kargsAppend: ['hostmirror.test=1'],
        pxeDir: work,
        report: join(work, 'kargs.json'),
      }),
    );
    assert.equal(await sha256File(inputs.iso), before);
    const iso = await CoreosIso.open(out);
    try {
      assert.match((await iso.currentKargs()) ?? '', / hostmirror\.test=1$/);
      const area = await iso.ignitionAreaBytes();
      const config = await readInitrdFile(
        (async function* () {
          yield area;
        })(),
        IGNITION_MEMBER,
      );
      assert.ok(config !== undefined);
      assert.equal(
        (await import('node:crypto')).createHash('sha256').update(config).digest('hex'),
        result.report.ignition.sha256,
      );
      const initrd = iso.metadata.initrd;
      assert.ok(initrd !== undefined);
      const report = await verifyInitrd(iso.image.fileChunks(initrd));
      assert.deepEqual(report.faults, []);
      assert.equal(report.segments.length, 2, 'base initrd + our overlay');
      const registry = await readInitrdFile(
        iso.image.fileChunks(initrd),
        'usr/lib/hostmirror/registry',
      );
      assert.ok(registry !== undefined);
      assert.deepEqual(Buffer.from(registry), await readFile('/bin/busybox'));
      // The overlay's digest is taken while it is built: it must match its bytes in the ISO,
      // which start at the input initrd's end rounded up to 4.
      const input = await CoreosIso.open(inputs.iso);
      const baseSize = input.metadata.initrd?.size ?? 0;
      await input.close();
      const start = baseSize + ((4 - (baseSize % 4)) % 4);
      const overlayBytes = (await iso.image.readFile(initrd)).subarray(
        start,
        start + result.report.overlay.size,
      );
      assert.equal(overlayBytes.length, result.report.overlay.size);
      assert.equal(
        (await import('node:crypto')).createHash('sha256').update(overlayBytes).digest('hex'),
        result.report.overlay.sha256,
      );
    } finally {
      await iso.close();
    }
    const pxe = await verifyInitrd(join(work, 'kargs-initrd.img'));
    assert.deepEqual(pxe.faults, []);
    assert.equal(pxe.segments.length, 3, 'base + overlay + Ignition archive');
    const written = JSON.parse(await readFile(join(work, 'kargs.json'), 'utf8'));
    assert.equal(written.outputs.iso.sha256, await sha256File(out));
    // The PXE digests are taken while the files stream out: they must match the files.
    for (const name of ['kernel', 'initrd', 'rootfs']) {
      const file = written.outputs[`pxe-${name}`];
      assert.equal(file.sha256, await sha256File(file.path), `pxe-${name}`);
      assert.equal(file.size, (await stat(file.path)).size, `pxe-${name}`);
    }
    assert.equal(written.inputs.iso.sha256, before);
    // Config digests are of the files' bytes, as sha256sum would give them.
    for (const name of ['installConfig', 'agentConfig'] as const) {
      assert.equal(written.inputs[name].sha256, await sha256File(inputs[name]), name);
    }
    assert.ok(written.budget[0].checks.length >= 4);
  });
});

test('no registry program found: built with the hook only, and the report says it cannot serve', async () => {
  const out = join(work, 'noprogram.iso');
  const { report } = await buildMirrorIso(
    optionsFor(inputs, out, {
      registryBinary: undefined,
      defaultRegistryBinary: join(work, 'none'),
      allowMissingRegistry: true,
    }),
  );
  assert.equal(report.registry.canServe, false);
  assert.equal(report.inputs.registryProgram, null);
  assert.ok(report.warnings.some((warning) => warning.includes('cannot serve')));
  assert.ok(!report.overlay.entries.includes('/usr/lib/hostmirror/registry'));
  assert.ok(
    report.overlay.entries.includes('/usr/lib/dracut/hooks/pre-pivot/90-hostmirror-registry.sh'),
  );
  await assert.rejects(
    buildMirrorIso(
      optionsFor(inputs, join(work, 'noprogram2.iso'), {
        registryBinary: undefined,
        defaultRegistryBinary: join(work, 'none'),
        allowMissingRegistry: false,
      }),
    ),
    { code: 'REGISTRY_BINARY_MISSING' },
  );
});

test('an agent ISO keeps its embedded config: ours and the extra --ignition are merged into it', async () => {
  const agentIso = join(work, 'agent-input.iso');
  const agentConfig = JSON.stringify({
    ignition: { version: '3.2.0' },
    storage: {
      files: [
        { path: '/etc/assisted/agent-marker', contents: { source: 'data:,agent' }, mode: 420 },
      ],
    },
  });
  const input = await CoreosIso.open(inputs.iso);
  try {
    await input.write(await input.planEmbedIgnition(Buffer.from(agentConfig)), {
      kind: 'file',
      path: agentIso,
    });
  } finally {
    await input.close();
  }
  const extra = join(work, 'extra.ign');
  await writeFile(
    extra,
    JSON.stringify({
      ignition: { version: '3.3.0' },
      storage: {
        files: [{ path: '/etc/extra-marker', contents: { source: 'data:,extra' }, mode: 420 }],
      },
    }),
  );
  const out = join(work, 'agent-mirror.iso');
  const { report } = await buildMirrorIso(
    optionsFor(inputs, out, { iso: agentIso, ignition: [extra] }),
  );
  assert.equal(report.inputs.embeddedIgnition, 'merged');
  assert.deepEqual(report.inputs.extraIgnition, [
    { path: extra, size: (await stat(extra)).size, sha256: await sha256File(extra) },
  ]);
  const iso = await CoreosIso.open(out);
  try {
    const area = await iso.ignitionAreaBytes();
    const bytes = await readInitrdFile(
      (async function* () {
        yield area;
      })(),
      IGNITION_MEMBER,
    );
    assert.ok(bytes !== undefined);
    const config = JSON.parse(Buffer.from(bytes).toString('utf8'));
    assert.equal(config.ignition.version, '3.3.0', 'translated up to the newest spec merged');
    const paths = config.storage.files.map((file: { path: string }) => file.path);
    for (const path of [
      '/etc/assisted/agent-marker',
      '/etc/extra-marker',
      '/etc/hostmirror/hostmirror.env',
    ])
      assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
    assert.ok(
      config.systemd.units.some(
        (unit: { name: string }) => unit.name === 'hostmirror-registry.service',
      ),
    );
  } finally {
    await iso.close();
  }
});

test('every mode builds: every-node serves on loopback, preload lists the archive images by source', async () => {
  for (const mode of ['every-node', 'preload'] as const) {
    const { report } = await buildMirrorIso(
      optionsFor(inputs, join(work, `${mode}.iso`), { mode }),
    );
    assert.equal(report.bootPlan.settings.mode, mode);
    const iso = await CoreosIso.open(join(work, `${mode}.iso`));
    try {
      const area = await iso.ignitionAreaBytes();
      const bytes = await readInitrdFile(
        (async function* () {
          yield area;
        })(),
        IGNITION_MEMBER,
      );
      assert.ok(bytes !== undefined);
      const config = JSON.parse(Buffer.from(bytes).toString('utf8'));
      const paths: string[] = config.storage.files.map((file: { path: string }) => file.path);
      assert.equal(paths.includes('/etc/hostmirror/preload.list'), mode === 'preload', mode);
      assert.ok(
        config.systemd.units.some(
          (unit: { name: string }) => unit.name === 'hostmirror-preload.service',
        ) ===
          (mode === 'preload'),
      );
    } finally {
      await iso.close();
    }
  }
});

test('--volume-access read-only: the hosts mount the volume ro, and the budget of each serving host counts the tree it unpacks into its live /var', async () => {
  const budgetTerm = /read-only volume: registry tree in/;
  for (const access of ['read-write', 'read-only'] as const) {
    const { report, budgetTable } = await buildMirrorIso(
      optionsFor(inputs, join(work, `volume-${access}.iso`), { volumeAccess: access }),
    );
    assert.equal(report.bootPlan.settings.volumeAccess, access);
    const iso = await CoreosIso.open(join(work, `volume-${access}.iso`));
    try {
      const area = await iso.ignitionAreaBytes();
      const bytes = await readInitrdFile(
        (async function* () {
          yield area;
        })(),
        IGNITION_MEMBER,
      );
      assert.ok(bytes !== undefined);
      const config = JSON.parse(Buffer.from(bytes).toString('utf8'));
      const env = config.storage.files.find(
        (file: { path: string }) => file.path === '/etc/hostmirror/hostmirror.env',
      );
      const raw = decodeDataUrl(env.contents.source);
      const text = (env.contents.compression === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      assert.match(text, new RegExp(`^HOSTMIRROR_VOLUME_ACCESS=${access}$`, 'm'));
    } finally {
      await iso.close();
    }
    if (access === 'read-write') {
      assert.doesNotMatch(budgetTable, budgetTerm);
      continue;
    }
    assert.match(budgetTable, budgetTerm, budgetTable);
    assert.match(JSON.stringify(report.budget), /registry tree in \/var\/lib\/hostmirror/);
    assert.ok(
      report.warnings.some(
        (warning) => warning.includes('never written') && warning.includes('RAM'),
      ),
      report.warnings.join('\n'),
    );
  }
});

test('an HA cluster gets MachineConfigs for both pools and node0 serving its peers', async () => {
  const ha = join(work, 'install-config-ha.yaml');
  await writeFile(
    ha,
    (await readFile(inputs.installConfig, 'utf8'))
      .replace('  replicas: 1\n', '  replicas: 3\n')
      .replace('  replicas: 0\n', '  replicas: 2\n'),
  );
  const manifests = join(work, 'ha-manifests');
  const { report, budgetTable } = await buildMirrorIso(
    optionsFor(inputs, join(work, 'ha.iso'), { installConfig: ha, manifestsDir: manifests }),
  );
  assert.equal(report.cluster.topology, 'ha');
  assert.deepEqual(
    report.bootPlan.roles.map((role) => `${role.role}:${role.part}`),
    ['node0:server', 'master:client', 'worker:client'],
  );
  const names = await readdir(manifests);
  assert.ok(
    names.includes('99-master-hostmirror.yaml') && names.includes('99-worker-hostmirror.yaml'),
    names.join(' '),
  );
  // One budget per kind of host, each at its role's minimum RAM; only node0 holds the day-1
  // bootstrap in its live /var (OCPBUGS-62790, installer PR #10133).
  assert.deepEqual(
    report.budget.map((budget) => `${budget.host}:${budget.role}:${budget.ramBytes / 1024 ** 3}`),
    ['node0 (the rendezvous host):master:16', 'masters (×2):master:16', 'workers (×2):worker:8'],
  );
  const reserve = (index: number) =>
    report.budget[index]?.checks
      .find((check) => check.id === 'live-tmpfs')
      ?.terms.some((term) => term.label.startsWith('node0 day-1 bootstrap in /var'));
  assert.deepEqual([reserve(0), reserve(1), reserve(2)], [true, false, false]);
  assert.match(budgetTable, /^budget for node0 \(the rendezvous host\) \(master\)/m);
  // Disk for the mirror after the install: node0 serves from its volume (the archives, the tree
  // beside them, the program); the other masters copy node0's tree onto their install disk (the
  // control-plane copy, on by default in mode node0); the workers (clients) need none.
  const archiveBytes = report.inputs.archives.reduce((sum, file) => sum + file.size, 0);
  assert.deepEqual(
    report.disk.map((need) => `${need.host}:${need.serves}:${need.copiesFromNode0}`),
    [
      'node0 (the rendezvous host):true:false',
      'masters (×2):true:true',
      'workers (×2):false:false',
    ],
  );
  const tree = report.disk[0]?.volume.terms.find((term) =>
    term.label.startsWith('registry storage tree'),
  )?.bytes;
  assert.ok(tree !== undefined && tree > 0, JSON.stringify(report.disk));
  assert.ok(
    (report.disk[1]?.installDisk.totalBytes ?? 0) >= tree,
    `the masters' install disk holds the copy\n${JSON.stringify(report.disk)}`,
  );
  assert.match(budgetTable, /^ {2}masters \(×2\): copies node0's storage after the install/m);
  // The master pool's MachineConfig carries the copy (its step and the TLS pair); the workers' not.
  const master = await readFile(join(manifests, '99-master-hostmirror.yaml'), 'utf8');
  const worker = await readFile(join(manifests, '99-worker-hostmirror.yaml'), 'utf8');
  assert.match(master, /name: hostmirror-sync\.service/);
  assert.match(master, /path: \/etc\/hostmirror\/tls\/tls\.key/);
  assert.doesNotMatch(worker, /hostmirror-sync|\/etc\/hostmirror\/tls\//);
  const node0Disk = report.disk[0];
  assert.ok(
    node0Disk !== undefined && node0Disk.volume.totalBytes > archiveBytes,
    JSON.stringify(report.disk),
  );
  assert.equal(
    node0Disk.volume.terms.find((term) => term.label === 'the archives')?.bytes,
    archiveBytes,
  );
  assert.ok(node0Disk.installDisk.totalBytes >= (report.inputs.registryProgram?.size ?? 0));
  assert.equal(report.disk[1]?.volume.totalBytes, 0);
  assert.equal(report.disk[2]?.installDisk.totalBytes, 0);
  assert.match(budgetTable, /^Disk for the mirror after the install \(per host\):$/m, budgetTable);
  // The cluster domain gives the installed hosts their second mirror, any control-plane node.
  assert.equal(
    report.bootPlan.settings.controlPlaneName,
    `api-int.${report.cluster.clusterName}.${report.cluster.baseDomain}`,
  );
});

test('a live config too large for the embed area rides as /config.ign in the initrd overlay, the area left empty', async () => {
  const big = join(work, 'big.ign');
  const { randomBytes, createHash } = await import('node:crypto');
  await writeFile(
    big,
    JSON.stringify({
      ignition: { version: '3.2.0' },
      storage: {
        files: [
          {
            path: '/etc/noise',
            contents: { source: `data:;base64,${randomBytes(300_000).toString('base64')}` },
          },
        ],
      },
    }),
  );
  const out = join(work, 'overflow.iso');
  const keyfile = join(
    repoRoot,
    'test/fixtures/coreos-installer/customize/installer-test.nmconnection',
  );
  const { report } = await buildMirrorIso(
    optionsFor(inputs, out, { ignition: [big], pxeDir: work, networkKeyfiles: [keyfile] }),
  );
  assert.equal(report.ignition.carrier, 'initrd');
  assert.equal(report.ignition.embedArchiveBytes, 0);
  assert.ok(report.overlay.entries.includes('/config.ign'), report.overlay.entries.join(' '));
  assert.ok(report.warnings.some((warning) => warning.includes('/config.ign')));
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  const iso = await CoreosIso.open(out);
  try {
    const area = await iso.ignitionAreaBytes();
    assert.ok(
      area.every((byte) => byte === 0),
      'the embed area is empty, or its config.ign would replace ours',
    );
    const initrd = iso.metadata.initrd;
    assert.ok(initrd !== undefined);
    assert.deepEqual((await verifyInitrd(iso.image.fileChunks(initrd))).faults, []);
    const config = await readInitrdFile(iso.image.fileChunks(initrd), 'config.ign');
    assert.ok(config !== undefined, 'the ISO initrd carries config.ign');
    assert.equal(sha256(config), report.ignition.sha256);
    assert.ok(Buffer.from(config).toString('utf8').includes('/etc/noise'));
    // The keyfile rides with the config it would have been beside in the area.
    const network = await readInitrdFile(
      iso.image.fileChunks(initrd),
      'etc/coreos-firstboot-network/installer-test.nmconnection',
    );
    assert.deepEqual(network, new Uint8Array(await readFile(keyfile)));
  } finally {
    await iso.close();
  }
  const pxe = join(work, 'overflow-initrd.img');
  assert.deepEqual((await verifyInitrd(pxe)).faults, []);
  const pxeConfig = await readInitrdFile(pxe, 'config.ign');
  assert.ok(pxeConfig !== undefined && sha256(pxeConfig) === report.ignition.sha256);
});

test('network keyfiles: those the input ISO embeds are kept, --network-keyfile ones added beside config.ign', async () => {
  // The input as `coreos-installer iso customize --network-keyfile` (or `iso network embed`) leaves it.
  const upstreamKeyfile = join(
    repoRoot,
    'test/fixtures/coreos-installer/customize/installer-test.nmconnection',
  );
  const networked = join(work, 'networked-input.iso');
  const input = await CoreosIso.open(inputs.iso);
  const { edit } = await input.planCustomize({
    networkKeyfiles: [{ name: upstreamKeyfile, bytes: await readFile(upstreamKeyfile) }],
  });
  await input.write(edit, { kind: 'file', path: networked });
  await input.close();
  const added = join(work, 'static.nmconnection');
  await writeFile(
    added,
    '[connection]\nid=static\ntype=ethernet\n\n[ipv4]\nmethod=manual\naddress1=192.168.111.20/24\n',
  );
  const out = join(work, 'networked.iso');
  const { report } = await buildMirrorIso(
    optionsFor({ ...inputs, iso: networked }, out, { networkKeyfiles: [added] }),
  );
  assert.deepEqual(report.inputs.networkKeyfiles, [
    { path: added, size: (await stat(added)).size, sha256: await sha256File(added) },
  ]);
  const iso = await CoreosIso.open(out);
  try {
    const members = await iso.embeddedMembers();
    assert.deepEqual([...members.keys()].sort(), [
      IGNITION_MEMBER,
      'etc/coreos-firstboot-network/installer-test.nmconnection',
      'etc/coreos-firstboot-network/static.nmconnection',
    ]);
    assert.deepEqual(
      members.get('etc/coreos-firstboot-network/installer-test.nmconnection'),
      await readFile(upstreamKeyfile),
    );
    assert.deepEqual(
      members.get('etc/coreos-firstboot-network/static.nmconnection'),
      await readFile(added),
    );
  } finally {
    await iso.close();
  }
});

describe('build-iso refuses, before writing anything', () => {
  async function refusal(name: string, extra: Parameters<typeof optionsFor>[2], code: string) {
    const out = join(work, `${name}.iso`);
    await assert.rejects(
      buildMirrorIso(optionsFor(inputs, out, { report: join(work, `${name}.json`), ...extra })),
      { code },
    );
    await assert.rejects(stat(out), { code: 'ENOENT' });
    // The report says the build failed and why (ok: false, the error), once its outputs were
    // free: a refusal for an existing output writes none.
    const reportPath = join(work, `${name}.json`);
    if (code === 'OUTPUT_EXISTS') await assert.rejects(stat(reportPath), { code: 'ENOENT' });
    else {
      const failed = JSON.parse(await readFile(reportPath, 'utf8'));
      assert.equal(failed.ok, false);
      assert.equal(failed.error?.code, code);
    }
  }

  test("node0's install disk named as the volume's disk (--volume-disk-hint): the busy-partition refusal", async () => {
    await refusal(
      'same-disk',
      { volumeDisk: { deviceName: '/dev/disk/by-path/pci-0000:00:05.0' } },
      'VOLUME_SAME_DISK',
    );
    // Another disk: the demo builds.
    const { report } = await buildMirrorIso(
      optionsFor(inputs, join(work, 'other-disk.iso'), {
        volumeDisk: { deviceName: '/dev/disk/by-path/pci-0000:00:06.0' },
      }),
    );
    assert.equal(report.ok, true);
  });

  test('a release that is not in the archive, naming its digest', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    await refusal(
      'norelease',
      { releaseImage: `quay.io/openshift-release-dev/ocp-release@${digest}` },
      'RELEASE_NOT_IN_ARCHIVE',
    );
    await assert.rejects(
      buildMirrorIso(
        optionsFor(inputs, join(work, 'x.iso'), {
          env: {
            OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE: `quay.io/openshift-release-dev/ocp-release@${digest}`,
          },
        }),
      ),
      (error: Error) => error.message.includes(digest),
    );
  });

  test('a v1 archive, with the oc-mirror advice', async () => {
    const v1 = join(work, 'mirror_seq1_000000.tar');
    await copyFile(inputs.archive, v1);
    await refusal('v1', { mirror: [v1] }, 'ARCHIVE_V1');
  });

  test('an ISO that is not CoreOS', async () => {
    const plain = join(work, 'plain-input.iso');
    await writeFile(plain, Buffer.alloc(64 * 2048));
    await refusal('plain', { iso: plain }, 'NOT_ISO9660');
  });

  test('a cluster of another architecture than the ISO', async () => {
    const arm = join(work, 'install-config-arm.yaml');
    await writeFile(
      arm,
      (await readFile(inputs.installConfig, 'utf8')).replace(
        'architecture: amd64',
        'architecture: arm64',
      ),
    );
    await refusal('arch', { installConfig: arm }, 'WRONG_ARCH');
  });

  test('a registry program that does not exist', async () => {
    await refusal(
      'noregistry',
      { registryBinary: join(work, 'no-such-registry') },
      'REGISTRY_BINARY_MISSING',
    );
    await refusal(
      'noregistry2',
      {
        registryBinary: undefined,
        defaultRegistryBinary: join(work, 'none'),
        allowMissingRegistry: false,
      },
      'REGISTRY_BINARY_MISSING',
    );
  });

  test('a registry program that is a script (not an ELF program)', async () => {
    const script = join(work, 'registry-wrapper.sh');
    await writeFile(script, '#!/bin/sh\nexec /usr/bin/docker-registry "$@"\n', { mode: 0o755 });
    await refusal('script', { registryBinary: script }, 'REGISTRY_BINARY_UNFIT');
    await assert.rejects(
      buildMirrorIso(optionsFor(inputs, join(work, 'script2.iso'), { registryBinary: script })),
      /registry-wrapper\.sh is not an ELF program/,
    );
  });

  test("preload on a 16 GiB SNO of an archive whose images cannot fit node0's live /var, naming the numbers", async () => {
    // A second chunk with one 4 GiB blob (sparse: its header, then zeros): node0's /var (8 GiB)
    // must hold the day-1 bootstrap (4.4 GiB, OCPBUGS-62790 / installer PR #10133) and the copies.
    const big = join(work, 'mirror_000002.tar');
    const blobBytes = 4 * 1024 ** 3;
    const name = `docker/registry/v2/blobs/sha256/ee/${'e'.repeat(64)}/data`;
    const tar = await TarBuilder.create(big);
    await tar.sparseFile(name, blobBytes);
    await tar.end();
    try {
      const out = join(work, 'preload-big.iso');
      await assert.rejects(
        buildMirrorIso(optionsFor(inputs, out, { mode: 'preload', mirror: [inputs.archive, big] })),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, 'BUDGET_EXCEEDED');
          assert.match(
            error.message,
            /^node0 \(the rendezvous host\) \(16\.00 GiB RAM\): live \/etc \+ \/var tmpfs: \d+ > 8589934592 bytes \(\d+\.\d\d GiB > 8\.00 GiB, 50% of 16\.00 GiB RAM/m,
          );
          assert.match(error.message, /give the host at least \d+\.00 GiB of RAM/);
          return true;
        },
      );
      await assert.rejects(stat(out), { code: 'ENOENT' });
    } finally {
      await rm(big, { force: true });
    }
  });

  test('a budget over the host RAM', async () => {
    await refusal('budget', { ramBytes: 16 * 1024 * 1024 }, 'BUDGET_EXCEEDED');
  });

  test('an existing output without overwrite', async () => {
    const out = join(work, 'exists.iso');
    await writeFile(out, 'keep me');
    await assert.rejects(buildMirrorIso(optionsFor(inputs, out)), { code: 'OUTPUT_EXISTS' });
    assert.equal(await readFile(out, 'utf8'), 'keep me');
    // An existing PXE file is found before the ISO is written, not after.
    await writeFile(join(work, 'pxe-exists-initrd.img'), 'keep me');
    await refusal('pxe-exists', { pxeDir: work }, 'OUTPUT_EXISTS');
  });
});
