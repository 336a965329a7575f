/**
 * Issue 20 item 3: hostile configs give one line, never a stack. The findings: a YAML alias
 * to nothing (`x: *nope`) and an alias bomb in install-config, agent-config and an archive's
 * cluster-resources crashed build-iso, `mirror check` and `mirror registries-conf` with a
 * ReferenceError; an Ignition config nested 5,000 levels under an unknown key crashed
 * `ignition translate`, `merge` and `build-iso --ignition` (stack overflow). Each verb is run
 * as a user runs it: exit 0 with a result, or exit 1 with exactly one `hostmirror:` line and
 * no stack frame.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeImage, writeChunk } from '@hostmirror/fixtures';
import { type HostmirrorRun, hostmirror } from '../foundation/hostmirror-cli.ts';
import { demoInputs } from './support.ts';

let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

before(async () => {
  ({ work, inputs } = await demoInputs('hostile'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A billion-laughs document: ten references per level, `levels` deep. */
function aliasBomb(levels: number): string {
  const lines = ['lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let level = 1; level <= levels; level++)
    lines.push(
      `lol${level}: &a${level} [${Array(10)
        .fill(`*a${level - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

/** An Ignition config with `depth` levels of objects under an unknown key. */
function deepIgnition(depth: number): string {
  return `{"ignition":{"version":"3.2.0"},"x":${'{"a":'.repeat(depth - 1)}1${'}'.repeat(depth - 1)}}`;
}

function oneLine(run: HostmirrorRun, pattern: RegExp): void {
  const lines = run.stderrText.split('\n').filter((line) => line.startsWith('hostmirror: '));
  assert.equal(run.exitCode, 1, run.stderrText);
  assert.equal(lines.length, 1, run.stderrText);
  assert.match(lines[0] ?? '', pattern);
  assert.doesNotMatch(run.stderrText, /^\s+at /m, 'no stack frame');
  assert.doesNotMatch(run.stderrText, /ReferenceError|RangeError|Maximum call stack/);
}

const buildArgs = (installConfig: string, agentConfig: string, extra: string[] = []) => [
  'build-iso',
  '--iso',
  inputs.iso,
  '--install-config',
  installConfig,
  '--agent-config',
  agentConfig,
  '--mirror',
  inputs.folder,
  '--registry-binary',
  '/bin/busybox',
  ...extra,
];

describe('hostile configs: one line, no stack, in every verb', () => {
  test('build-iso: `x: *nope` in install-config and an alias bomb in agent-config', async () => {
    const nope = join(work, 'install-config-nope.yaml');
    await writeFile(nope, `${await readFile(inputs.installConfig, 'utf8')}x: *nope\n`);
    const lines = (await readFile(inputs.installConfig, 'utf8')).split('\n').length;
    oneLine(
      await hostmirror([...buildArgs(nope, inputs.agentConfig), '-o', join(work, 'a.iso')]),
      new RegExp(`install-config-nope\\.yaml:${lines}:4: the alias \\*nope is refused`),
    );
    const bomb = join(work, 'agent-config-bomb.yaml');
    await writeFile(bomb, `${await readFile(inputs.agentConfig, 'utf8')}${aliasBomb(9)}`);
    oneLine(
      await hostmirror([...buildArgs(inputs.installConfig, bomb), '-o', join(work, 'b.iso')]),
      /agent-config-bomb\.yaml:\d+:\d+: the alias \*a0 is refused/,
    );
  });

  test('mirror check and mirror registries-conf: aliases in the archive’s cluster-resources', async () => {
    const release = makeImage({
      repository: 'openshift/release-images',
      tag: '4.14.3-x86_64',
      layers: ['x'],
    });
    for (const [name, text, pattern] of [
      ['nope', 'apiVersion: v1\nkind: *nope\n', /idms\.yaml:2:7: the alias \*nope is refused/],
      ['bomb', aliasBomb(9), /idms\.yaml:2:\d+: the alias \*a0 is refused/],
    ] as const) {
      const folder = join(work, `archive-${name}`);
      await mkdir(folder, { recursive: true });
      const chunk = join(folder, 'mirror_000001.tar');
      await writeChunk(chunk, { images: [release], clusterResources: { 'idms.yaml': text } });
      oneLine(await hostmirror(['mirror', 'check', chunk]), pattern);
      oneLine(
        await hostmirror([
          'mirror',
          'registries-conf',
          chunk,
          '--host',
          'registry.example:5000',
          '--insecure',
        ]),
        pattern,
      );
    }
  });

  test('ignition validate, translate, merge: 5,000 deep works as Ignition does; 10,001 deep is one line', async () => {
    const deep = join(work, 'deep.ign');
    await writeFile(deep, deepIgnition(5000));
    const validated = await hostmirror(['ignition', 'validate', deep]);
    assert.equal(validated.exitCode, 0, validated.stderrText);
    assert.match(validated.stdoutText + validated.stderrText, /unused key x/);
    const translated = await hostmirror(['ignition', 'translate', deep, '--to', '3.4.0']);
    assert.equal(translated.exitCode, 0, translated.stderrText);
    // Ignition's typed unmarshal drops a key no spec defines; so does translate.
    assert.deepEqual(JSON.parse(translated.stdoutText), { ignition: { version: '3.4.0' } });
    const merged = await hostmirror(['ignition', 'merge', deep, deep]);
    assert.equal(merged.exitCode, 0, merged.stderrText);
    assert.deepEqual(JSON.parse(merged.stdoutText), { ignition: { version: '3.2.0' } });
    const deeper = join(work, 'deeper.ign');
    await writeFile(deeper, deepIgnition(10_001));
    for (const verb of [
      ['translate', deeper, '--to', '3.4.0'],
      ['merge', deep, deeper],
    ])
      oneLine(
        await hostmirror(['ignition', ...verb]),
        /deeper\.ign is not a valid Ignition config/,
      );
    const refused = await hostmirror(['ignition', 'validate', deeper]);
    assert.equal(refused.exitCode, 1);
    assert.match(
      refused.stdoutText + refused.stderrText,
      /exceeded max depth: the config nests 10001 levels/,
    );
    assert.doesNotMatch(refused.stderrText, /^\s+at /m);
  });

  test('build-iso --ignition: a 5,000-deep extra config builds; a 10,001-deep one is one line', async () => {
    const deep = join(work, 'extra-deep.ign');
    await writeFile(deep, deepIgnition(5000));
    const built = await hostmirror([
      ...buildArgs(inputs.installConfig, inputs.agentConfig, ['--ignition', deep]),
      '-o',
      join(work, 'deep.iso'),
    ]);
    assert.equal(built.exitCode, 0, built.stderrText);
    const deeper = join(work, 'extra-deeper.ign');
    await writeFile(deeper, deepIgnition(10_001));
    oneLine(
      await hostmirror([
        ...buildArgs(inputs.installConfig, inputs.agentConfig, ['--ignition', deeper]),
        '-o',
        join(work, 'deeper.iso'),
      ]),
      /extra-deeper\.ign/,
    );
  });
});
