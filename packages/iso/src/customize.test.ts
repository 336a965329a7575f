/**
 * `iso customize` / `pxe customize` as coreos-installer makes them (customize.ts cites the
 * upstream code), on coreos-installer's own fixtures: its ISOs (test/fixtures/coreos-installer)
 * and the configs and keyfile of its customize test (test/fixtures/coreos-installer/customize,
 * used by upstream tests/images/customize.sh).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeNewc } from '@hostmirror/cpio-stream';
import { fixtureFacts, fixtureFile, repoRoot, scratchDir } from '@hostmirror/fixtures';
import { validateConfig } from '@hostmirror/ignition';
import { walkInitrd } from '@hostmirror/initrd';
import { CoreosIso } from './coreos-iso.ts';
import {
  customizeLiveInitrd,
  customizePxeInitrd,
  INITRD_LIVE_STAMP,
  type LiveCustomization,
  type NamedInput,
  parseConsole,
} from './customize.ts';
import { IsoError } from './errors.ts';

const upstream = join(repoRoot, 'test/fixtures/coreos-installer/customize');
const input = async (name: string): Promise<NamedInput> => ({
  name: join(upstream, name),
  bytes: await readFile(join(upstream, name)),
});
const allFeatures = { 'installer-config': true, 'live-initrd-network': true };
const code = (expected: string, message?: RegExp) => (error: unknown) =>
  error instanceof IsoError &&
  error.code === expected &&
  (message === undefined || message.test(error.message));

interface Resource {
  source: string;
  compression: string;
}
/** A resource coreos-installer writes: gzip in a base64 data URL. */
function decode(resource: Resource | undefined): Buffer {
  assert.ok(resource, 'a resource');
  assert.equal(resource.compression, 'gzip');
  assert.match(resource.source, /^data:;base64,/);
  return gunzipSync(Buffer.from(resource.source.slice('data:;base64,'.length), 'base64'));
}
interface LiveConfig {
  ignition: {
    version: string;
    config?: { merge: Resource[] };
    security?: { tls: { certificateAuthorities: Resource[] } };
  };
  storage?: { files: Array<{ path: string; mode: number; contents: Resource }> };
}
const liveConfigOf = (members: Map<string, Buffer>): LiveConfig =>
  JSON.parse(members.get('config.ign')?.toString('utf8') ?? 'null') as LiveConfig;
const fileOf = (config: LiveConfig, path: string) =>
  config.storage?.files.find((file) => file.path === path);

test('everything at once: merges, CAs, the dest config wrapper, the installer config, keyfiles', async () => {
  const [live, live2, dest, dest2, keyfile, ca] = await Promise.all(
    [
      'live.ign',
      'live-2.ign',
      'dest.ign',
      'dest-2.ign',
      'installer-test.nmconnection',
      'cert.pem',
    ].map(input),
  );
  const customization: LiveCustomization = {
    liveIgnition: [live, live2] as NamedInput[],
    destIgnition: [dest, dest2] as NamedInput[],
    destDevice: '/dev/vda',
    networkKeyfiles: [keyfile] as NamedInput[],
    ignitionCa: [ca] as NamedInput[],
  };
  const { members, notes } = customizeLiveInitrd(customization, allFeatures);
  assert.deepEqual([...members.keys()].sort(), [
    'config.ign',
    'etc/coreos-firstboot-network/installer-test.nmconnection',
  ]);
  assert.deepEqual(
    members.get('etc/coreos-firstboot-network/installer-test.nmconnection'),
    keyfile?.bytes,
  );
  assert.deepEqual(notes, [
    'Boot media will automatically install to /dev/vda without confirmation.',
  ]);
  const config = liveConfigOf(members);
  assert.equal(validateConfig(members.get('config.ign') ?? '').valid, true);
  assert.equal(config.ignition.version, '3.3.0');
  // Live configs ride as merged children, in order, as the user wrote them (parsed).
  assert.deepEqual(
    config.ignition.config?.merge.map((child) => JSON.parse(decode(child).toString())),
    [JSON.parse(String(live?.bytes)), JSON.parse(String(live2?.bytes))],
  );
  assert.deepEqual(decode(config.ignition.security?.tls.certificateAuthorities[0]), ca?.bytes);
  // Two dest configs and a CA: coreos-installer's wrapper merges them and trusts the CA.
  const destFile = fileOf(config, '/etc/coreos/dest.ign');
  assert.equal(destFile?.mode, 0o600);
  const destConfig = JSON.parse(decode(destFile?.contents).toString()) as LiveConfig;
  assert.equal(destConfig.ignition.version, '3.3.0');
  assert.deepEqual(decode(destConfig.ignition.security?.tls.certificateAuthorities[0]), ca?.bytes);
  assert.deepEqual(
    destConfig.ignition.config?.merge.map((child) => JSON.parse(decode(child).toString())),
    [JSON.parse(String(dest?.bytes)), JSON.parse(String(dest2?.bytes))],
  );
  const installer = fileOf(config, '/etc/coreos/installer.d/0000-customize.yaml');
  assert.equal(installer?.mode, 0o600);
  assert.equal(
    decode(installer?.contents).toString(),
    'ignition-file: /etc/coreos/dest.ign\ncopy-network: true\ndest-device: /dev/vda\n',
  );
});

test('one dest config and nothing of ours: embedded as written (re-serialized); the installer runs', async () => {
  const dest = await input('dest.ign');
  const { members, notes } = customizeLiveInitrd({ destIgnition: [dest] }, allFeatures);
  const config = liveConfigOf(members);
  const destFile = fileOf(config, '/etc/coreos/dest.ign');
  assert.equal(
    decode(destFile?.contents).toString(),
    `${JSON.stringify(JSON.parse(dest.bytes.toString()))}\n`,
  );
  assert.equal(
    decode(fileOf(config, '/etc/coreos/installer.d/0000-customize.yaml')?.contents).toString(),
    'ignition-file: /etc/coreos/dest.ign\n',
  );
  assert.deepEqual(notes, ['Boot media will automatically run installer.']);
});

test('installer configs, dest kargs and install hooks: numbered installer.d files, ours last; hook scripts and units', async () => {
  const [install1, install2, pre, post, keyfile] = await Promise.all(
    [
      'install-1.conf',
      'install-2.conf',
      'pre-install-1',
      'post-install-1',
      'installer-test.nmconnection',
    ].map(input),
  );
  const { members, notes } = customizeLiveInitrd(
    {
      installerConfig: [install1, install2] as NamedInput[],
      destKargAppend: ['dest-karg', 'ignition.platform.id=qemu'],
      destKargDelete: ['ignition.platform.id=metal'],
      preInstall: [pre] as NamedInput[],
      postInstall: [post] as NamedInput[],
      networkKeyfiles: [keyfile] as NamedInput[],
    },
    allFeatures,
  );
  assert.deepEqual(notes, ['Boot media will automatically run installer.']);
  const config = liveConfigOf(members) as LiveConfig & {
    systemd?: { units: Array<{ name: string; contents: string; enabled: boolean }> };
  };
  assert.equal(validateConfig(members.get('config.ign') ?? '').valid, true);
  const text = (path: string) => decode(fileOf(config, path)?.contents).toString();
  assert.equal(
    text('/etc/coreos/installer.d/0000-install-1.conf'),
    'append-karg: [install-config-karg-1]\n',
  );
  assert.equal(
    text('/etc/coreos/installer.d/0001-install-2.conf'),
    'append-karg: [install-config-karg-2]\n',
  );
  assert.equal(
    text('/etc/coreos/installer.d/0002-customize.yaml'),
    'append-karg:\n- dest-karg\n- ignition.platform.id=qemu\ndelete-karg:\n- ignition.platform.id=metal\ncopy-network: true\n',
  );
  assert.equal(fileOf(config, '/usr/local/bin/pre-install-pre-install-1')?.mode, 0o700);
  assert.deepEqual(
    decode(fileOf(config, '/usr/local/bin/post-install-post-install-1')?.contents),
    post?.bytes,
  );
  const units = config.systemd?.units ?? [];
  assert.deepEqual(
    units.map((unit) => [unit.name, unit.enabled]),
    [
      ['pre-install-pre-install-1.service', true],
      ['post-install-post-install-1.service', true],
    ],
  );
  // customize.rs install_hook's unit, to the byte.
  assert.equal(
    units[0]?.contents,
    '# Generated by coreos-installer {iso|pxe} customize\n\n[Unit]\nDescription=Pre-Install Script (pre-install-1)\nDocumentation=https://coreos.github.io/coreos-installer/customizing-install/\nAfter=coreos-installer-pre.target\nBefore=coreos-installer.service\n\n[Service]\nType=oneshot\nExecStart=/usr/local/bin/pre-install-pre-install-1\nRemainAfterExit=true\nStandardOutput=kmsg+console\nStandardError=kmsg+console\n\n[Install]\nRequiredBy=coreos-installer.service',
  );
  assert.match(
    units[1]?.contents ?? '',
    /After=coreos-installer\.service\nBefore=coreos-installer\.target\n[\s\S]*RequiredBy=coreos-installer\.target$/,
  );
  // Hooks alone do not make the installer run; an installer config needs the feature.
  assert.deepEqual(customizeLiveInitrd({ preInstall: [pre] as NamedInput[] }, {}).notes, []);
  assert.throws(
    () => customizeLiveInitrd({ installerConfig: [install1] as NamedInput[] }, {}),
    code('UNSUPPORTED_CUSTOMIZATION', /customizing installer configuration/),
  );
  assert.throws(
    () =>
      customizeLiveInitrd(
        { installerConfig: [{ name: 'bad.yaml', bytes: Buffer.from('- a list') }] },
        allFeatures,
      ),
    code('BAD_CUSTOMIZATION', /parsing installer config bad\.yaml/),
  );
  // Read by the one bounded YAML reader: a duplicate key or an alias to nothing at its line.
  for (const text of ['console: [ttyS0]\nconsole: [tty0]\n', 'a: 1\nconsole: *nope\n'])
    assert.throws(
      () =>
        customizeLiveInitrd(
          { installerConfig: [{ name: 'twice.yaml', bytes: Buffer.from(text) }] },
          allFeatures,
        ),
      (error: unknown) =>
        error instanceof IsoError &&
        error.code === 'BAD_CUSTOMIZATION' &&
        error.line === 2 &&
        /^parsing installer config twice\.yaml:2:\d+: /.test(error.message),
    );
});

test("--dest-console: coreos-installer's console syntax, written in full; console= kargs get its note", async () => {
  const { members, notes } = customizeLiveInitrd(
    { destConsole: ['ttyS0,115200', 'tty0'], destKargAppend: ['console=ttyS1'] },
    { 'installer-config': true, 'installer-config-directives': { console: true } },
  );
  const config = liveConfigOf(members);
  assert.equal(
    decode(fileOf(config, '/etc/coreos/installer.d/0000-customize.yaml')?.contents).toString(),
    'console:\n- ttyS0,115200n8\n- tty0\nappend-karg:\n- console=ttyS1\n',
  );
  assert.deepEqual(notes, [
    'Note: consider using "--dest-console ttyS1" instead of "--dest-karg-append console=ttyS1" to configure both kernel and bootloader consoles.',
    'Boot media will automatically run installer.',
  ]);
  // console.rs's own cases: ttyS1 → ttyS1,9600n8; ttyAMA1,115200e7 kept; refusals.
  assert.equal(parseConsole('ttyS1'), 'ttyS1,9600n8');
  assert.equal(parseConsole('ttyAMA1,115200e7'), 'ttyAMA1,115200e7');
  assert.equal(parseConsole('hvc0'), 'hvc0');
  for (const bad of ['console=ttyS0', '/dev/ttyS0', 'ttyS0,115200x8', 'tty1'])
    assert.throws(() => parseConsole(bad), code('BAD_CUSTOMIZATION'), bad);
  assert.throws(
    () => customizeLiveInitrd({ destConsole: ['tty0'] }, allFeatures),
    code(
      'UNSUPPORTED_CUSTOMIZATION',
      /^This OS image does not support customizing the destination console\.$/,
    ),
  );
});

test('network keyfiles alone: no config.ign (an empty live config would turn autologin off)', async () => {
  const keyfile = await input('installer-test.nmconnection');
  const { members, notes } = customizeLiveInitrd({ networkKeyfiles: [keyfile] }, allFeatures);
  assert.deepEqual(
    [...members.keys()],
    ['etc/coreos-firstboot-network/installer-test.nmconnection'],
  );
  assert.deepEqual(notes, []);
  assert.throws(
    () => customizeLiveInitrd({ networkKeyfiles: [keyfile, keyfile] }, allFeatures),
    code('BAD_CUSTOMIZATION', /config already specifies keyfile installer-test\.nmconnection/),
  );
});

test("what the OS does not support is refused in coreos-installer's words; bad configs are named", async () => {
  const keyfile = await input('installer-test.nmconnection');
  const dest = await input('dest.ign');
  assert.throws(
    () => customizeLiveInitrd({ networkKeyfiles: [keyfile] }, {}),
    code(
      'UNSUPPORTED_CUSTOMIZATION',
      /^This OS image does not support customizing network settings\.$/,
    ),
  );
  assert.throws(
    () => customizeLiveInitrd({ destIgnition: [dest] }, { 'live-initrd-network': true }),
    code('UNSUPPORTED_CUSTOMIZATION', /customizing installer configuration/),
  );
  // A live config needs no feature.
  assert.ok(customizeLiveInitrd({ liveIgnition: [dest] }, {}).members.has('config.ign'));
  const broken = { name: 'broken.ign', bytes: Buffer.from('{"ignition":{"version":"9.9.9"}}') };
  assert.throws(
    () => customizeLiveInitrd({ liveIgnition: [broken] }, {}),
    code('BAD_CUSTOMIZATION', /broken\.ign is not a valid Ignition config/),
  );
});

test('iso customize on coreos-installer fixture ISOs: the area holds the customization, kargs from the default; a second is refused without force', async () => {
  const facts = fixtureFacts.find((fixture) => fixture.name === 'embed-areas-2022-09');
  assert.ok(facts?.kargs);
  const scratch = await scratchDir('customize');
  try {
    const path = await fixtureFile(facts.name, scratch.path);
    const customization: LiveCustomization = {
      destIgnition: [await input('dest.ign')],
      networkKeyfiles: [await input('installer-test.nmconnection')],
    };
    const out = join(scratch.path, 'out.iso');
    const iso = await CoreosIso.open(path);
    const { edit, notes } = await iso.planCustomize(customization, {
      kargs: { append: ['hostmirror.x=1'] },
    });
    assert.deepEqual(notes, ['Boot media will automatically run installer.']);
    await iso.write(edit, { kind: 'file', path: out });
    await iso.close();
    const customized = await CoreosIso.open(out);
    assert.deepEqual(
      await customized.embeddedMembers(),
      customizeLiveInitrd(customization, allFeatures).members,
    );
    assert.equal(await customized.currentKargs(), `${facts.kargs.default} hostmirror.x=1`);
    await assert.rejects(
      customized.planCustomize(customization),
      code('ALREADY_CUSTOMIZED', /already customized; use -f/),
    );
    // With force: the area holds only the new customization; kargs edits start from the default.
    const again = await customized.planCustomize(
      { liveIgnition: [await input('live.ign')] },
      { force: true, kargs: { append: ['hostmirror.y=2'] } },
    );
    const second = join(scratch.path, 'second.iso');
    await customized.write(again.edit, { kind: 'file', path: second });
    await customized.close();
    const reopened = await CoreosIso.open(second);
    assert.deepEqual([...(await reopened.embeddedMembers()).keys()], ['config.ign']);
    assert.equal(await reopened.currentKargs(), `${facts.kargs.default} hostmirror.y=2`);
    await reopened.close();
    // An OS without the features (2021-09) or without kargs areas (2020-09).
    const old = await CoreosIso.open(await fixtureFile('embed-areas-2021-09', scratch.path));
    await assert.rejects(
      old.planCustomize(customization),
      code('UNSUPPORTED_CUSTOMIZATION', /network settings/),
    );
    await old.close();
    const noKargs = await CoreosIso.open(await fixtureFile('embed-areas-2020-09', scratch.path));
    await assert.rejects(
      noKargs.planCustomize({}, { kargs: { append: ['a'] } }),
      code('NO_KARGS_AREA', /does not support customizing live kernel arguments/),
    );
    await noKargs.close();
  } finally {
    await scratch.dispose();
  }
});

/** A gzip newc live initramfs with the stamp and features.json, as CoreOS ships one. */
async function liveInitramfs(features: object): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of writeNewc([
    { path: '/init', type: 'file', mode: 0o755, data: '#!/bin/sh\n' },
    { path: `/${INITRD_LIVE_STAMP}`, type: 'file', data: '' },
    { path: '/etc/coreos/features.json', type: 'file', data: JSON.stringify(features) },
  ]))
    chunks.push(chunk as Buffer);
  return gzipSync(Buffer.concat(chunks));
}

test('pxe customize: the initramfs unchanged, then the customization segment; not live or customized inputs refused', async () => {
  const scratch = await scratchDir('pxe-customize');
  try {
    const base = join(scratch.path, 'initrd.img');
    const bytes = await liveInitramfs(allFeatures);
    await writeFile(base, bytes);
    const customization: LiveCustomization = {
      liveIgnition: [await input('live.ign')],
      networkKeyfiles: [await input('installer-test.nmconnection')],
    };
    const out = join(scratch.path, 'customized.img');
    const result = await customizePxeInitrd(base, customization, out);
    assert.match(result.notes.join('\n'), /ignition\.firstboot ignition\.platform\.id=metal/);
    const written = await readFile(out);
    assert.deepEqual(written.subarray(0, bytes.length), bytes);
    assert.equal(result.append.archiveOffset % 4, 0);
    const walk = await walkInitrd(out);
    assert.deepEqual(walk.faults, []);
    const last = walk.segments.at(-1);
    assert.equal(last?.codec, 'xz');
    assert.deepEqual(
      last?.entries.filter((entry) => entry.type === 'file').map((entry) => entry.path),
      ['config.ign', 'etc/coreos-firstboot-network/installer-test.nmconnection'],
    );
    await assert.rejects(
      customizePxeInitrd(out, customization, join(scratch.path, 'twice.img')),
      code('ALREADY_CUSTOMIZED', /already customized \(it carries config\.ign\)/),
    );
    const plain = join(scratch.path, 'plain.img');
    await writeFile(
      plain,
      gzipSync(
        Buffer.concat(
          await Readable.from(writeNewc([{ path: '/init', type: 'file', data: 'x' }])).toArray(),
        ),
      ),
    );
    await assert.rejects(
      customizePxeInitrd(plain, customization, join(scratch.path, 'never.img')),
      code('NOT_LIVE_INITRD', /not a CoreOS live initramfs image/),
    );
    await assert.rejects(
      customizePxeInitrd(base, customization, out),
      (error: unknown) => (error as { code?: string }).code === 'OUTPUT_EXISTS',
    );
  } finally {
    await scratch.dispose();
  }
});
