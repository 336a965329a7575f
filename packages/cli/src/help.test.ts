/**
 * `--help` comes from the option declarations (src/command.ts `OptionDeclaration`): every option
 * of every verb must say what it does. When this fails it names the verb, the option and the
 * file to edit: add `description: '…'` to that option's declaration (and `value`, `default`,
 * `choices`, `env` where they apply).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCliCaptured } from './capture.ts';
import type { Command } from './command.ts';
import { optionSignature } from './help.ts';
import { verbGroups } from './verbs.ts';

/** Every verb: its command line name and where its declarations live. */
async function everyVerb(): Promise<{ verb: string; file: string; command: Command }[]> {
  const verbs = [];
  for (const [group, { load }] of Object.entries(verbGroups)) {
    const { commands } = await load();
    for (const [name, command] of Object.entries(commands))
      verbs.push({
        verb: name === '' ? group : `${group} ${name}`,
        file: `packages/cli/src/verbs/${group === 'mirror' && name === 'check' ? 'mirror-check' : group}.ts`,
        command,
      });
  }
  return verbs;
}

test('every option of every verb has a description for --help', async () => {
  const missing: string[] = [];
  for (const { verb, file, command } of await everyVerb())
    for (const [name, option] of Object.entries(command.options))
      if (option.description === undefined || option.description.trim() === '')
        missing.push(
          `hostmirror ${verb} --${name}: add description: '…' to its declaration in ${file} (and value, default, choices, env where they apply)`,
        );
  assert.deepEqual(missing, [], `\n${missing.join('\n')}\n`);
});

test('every verb has a summary, and its --help shows every option with its description, default and choices', async () => {
  for (const { verb, command } of await everyVerb()) {
    assert.ok(command.summary.trim() !== '', `hostmirror ${verb} has no summary`);
    const { code, stdout } = await runCliCaptured([...verb.split(' '), '--help']);
    assert.equal(code, 0, verb);
    const flat = stdout.replace(/\s+/g, ' ');
    for (const [name, option] of Object.entries(command.options)) {
      assert.ok(stdout.includes(optionSignature(name, option)), `${verb} --help lacks --${name}`);
      assert.ok(flat.includes(option.description ?? '\0'), `${verb} --help lacks --${name}'s text`);
      if (option.default !== undefined)
        assert.ok(flat.includes(`default: ${option.default}`), `${verb} --${name} default`);
      if (option.choices !== undefined)
        assert.ok(flat.includes(`one of: ${option.choices.join(', ')}`), `${verb} --${name}`);
    }
    for (const variable of Object.keys(command.environment ?? {}))
      assert.match(stdout, new RegExp(`^ {2}${variable}$`, 'm'), `${verb} environment`);
    assert.match(stdout, /^ {2}-h, --help/m);
  }
});

test('build-iso --help names its environment variables', async () => {
  const { stdout } = await runCliCaptured(['build-iso', '--help']);
  assert.match(stdout, /^environment:\n {2}SOURCE_DATE_EPOCH\n/m);
  assert.match(stdout, /^ {2}OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE$/m);
  assert.match(
    stdout,
    /--release-image PULLSPEC[\s\S]*environment: OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE/,
  );
});

test('the top-level help lists every verb with a line and the common workflows; no verb is usage exit 2 on stderr', async () => {
  const help = await runCliCaptured(['--help']);
  assert.equal(help.code, 0);
  for (const [name, group] of Object.entries(verbGroups)) {
    assert.match(help.stdout, new RegExp(`^ {2}${name} +\\S`, 'm'), name);
    assert.ok(help.stdout.replace(/\s+/g, ' ').includes(group.summary), name);
  }
  assert.match(help.stdout, /^workflows:$/m);
  for (const step of ['hostmirror mirror check', 'hostmirror build-iso --iso', 'oc-mirror --v2'])
    assert.ok(help.stdout.includes(step), step);
  assert.equal((await runCliCaptured(['help'])).stdout, help.stdout);
  const bare = await runCliCaptured([]);
  assert.equal(bare.code, 2);
  assert.equal(bare.stdout, '');
  assert.match(bare.stderr, /^verbs:$/m);
});
