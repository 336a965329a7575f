/**
 * Every CLI verb on every finding of issue #20 (tools/fuzz/seeds.ts): the finding is given as
 * every positional argument and as each string option in turn (once all together, once each
 * alone), and — so that it reaches its reader instead of failing on a missing neighbour — as
 * each input option with the verb's other inputs valid (the demo ISO, configs and archive),
 * outputs going to a scratch folder. Whatever the verb says, it says it in one `hostmirror: …`
 * line: no stack trace, no uncaught error.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeDemoInputs } from '@hostmirror/fixtures';
import { runCliCaptured } from '../../packages/cli/src/capture.ts';
import type { Command } from '../../packages/cli/src/command.ts';
import { verbGroups } from '../../packages/cli/src/verbs.ts';
import { type Finding, findings } from '../../tools/fuzz/seeds.ts';

/** Options that name something written: they get a fresh path in the scratch folder. */
const OUTPUTS = new Set([
  'output',
  'output-dir',
  'report',
  'pxe-dir',
  'manifests-dir',
  'image',
  'tls-dir',
  'save',
]);
/** A stack frame: `    at fn (file:line:col)`. */
const STACK = /\n\s+at .+:\d+(:\d+)?\)?/;
/** The YAML alias and Ignition depth findings (issue #20 item 3). */
const ITEM_3 = new Set([
  'undefined-alias.yaml',
  'alias-bomb.yaml',
  'spec-alias-bomb.yaml',
  'idms-alias-bomb.yaml',
  'deep-nesting.ign',
]);
/** Found by the fuzz harness itself (tools/fuzz/README.md): YAML size, duplicate keys, nesting. */
const FUZZ_FOUND = [
  'flow-list-1mib.yaml',
  'duplicate-keys.yaml',
  'deep-flow-nesting.yaml',
  'unclosed-flow-list.yaml',
];

let scratch: string;
let found: Finding[];
/** Valid inputs by option name (and the positional of the groups that take one kind of file). */
let valid: Record<string, string>;
const verbs: { name: string; command: Command; argv: string[] }[] = [];

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hm-cli-findings-'));
  found = await findings();
  const demo = await writeDemoInputs(join(scratch, 'demo'), 1_700_000_000);
  valid = {
    iso: demo.iso,
    'install-config': demo.installConfig,
    input: demo.installConfig,
    'agent-config': demo.agentConfig,
    mirror: demo.folder,
    archive: demo.archive,
  };
  for (const finding of found) await writeFile(join(scratch, finding.name), finding.bytes);
  for (const [group, entry] of Object.entries(verbGroups)) {
    const { commands } = await entry.load();
    for (const [verb, command] of Object.entries(commands))
      verbs.push({
        name: `${group} ${verb}`.trim(),
        command,
        argv: verb === '' ? [group] : [group, verb],
      });
  }
});
after(() => rm(scratch, { recursive: true, force: true }));

/** The positional a group's verbs take when it is one kind of file. */
const POSITIONAL_KIND: Record<string, string> = {
  iso: 'iso',
  mirror: 'archive',
  'install-config': 'archive',
};

function argumentSets(command: Command, argv: string[], file: string): string[][] {
  const [min, max] = command.positionals;
  const count = Math.max(min, Math.min(max, 1));
  const positionals = Array<string>(count).fill(file);
  const strings = Object.entries(command.options).filter(([, option]) => option.type === 'string');
  let outputs = 0;
  const output = () => join(scratch, `out-${outputs++}`);
  const valueFor = (name: string) => (OUTPUTS.has(name) ? output() : file);
  const all = strings.flatMap(([name]) => [`--${name}`, valueFor(name)]);
  const outputsBut = (name: string) =>
    strings
      .filter(([other]) => OUTPUTS.has(other) && other !== name)
      .flatMap(([other]) => [`--${other}`, output()]);
  const each = strings
    .filter(([name]) => !OUTPUTS.has(name))
    .map(([name]) => [`--${name}`, file, ...outputsBut(name)]);
  const sets = [
    [...positionals, ...all],
    ...each.map((set) => [...positionals, ...set]),
    positionals,
  ];
  // The finding in one input slot, every other input valid.
  const kind = POSITIONAL_KIND[argv[0] as string];
  const validPositionals = Array<string>(count).fill(
    kind === undefined ? file : (valid[kind] as string),
  );
  const inputs = strings.filter(([name]) => valid[name] !== undefined).map(([name]) => name);
  const validInputs = (except?: string) =>
    inputs
      .filter((name) => name !== except)
      .flatMap((name) => [`--${name}`, valid[name] as string]);
  if (inputs.length > 0 || kind !== undefined)
    sets.push([...positionals, ...validInputs(), ...outputsBut('')]);
  for (const name of inputs)
    sets.push([...validPositionals, `--${name}`, file, ...validInputs(name), ...outputsBut('')]);
  return sets;
}

async function noStackTrace(finding: Finding): Promise<string[]> {
  const problems: string[] = [];
  const file = join(scratch, finding.name);
  for (const { name, command, argv } of verbs)
    for (const args of argumentSets(command, argv, file)) {
      const line = `hostmirror ${[...argv, ...args].join(' ')}`.replaceAll(scratch, '.');
      try {
        const run = await runCliCaptured([...argv, ...args], { cwd: scratch });
        if (STACK.test(run.stderr) || STACK.test(run.stdout))
          problems.push(`${line}: a stack trace: ${run.stderr.slice(0, 300)}`);
      } catch (error) {
        problems.push(
          `${line} (${name}): uncaught ${(error as Error).name}: ${(error as Error).message.slice(0, 200)}`,
        );
      }
    }
  return problems;
}

for (const name of [
  'igninfo-multi-extent.iso',
  'embed-area-over-descriptors.iso',
  'symlink-then-directory.cpio',
  'registry-root-symlink.tar',
  ...ITEM_3,
  ...FUZZ_FOUND,
])
  test(`every verb on ${name}: one-line errors, no stack trace`, async () => {
    const finding = found.find((entry) => entry.name === name);
    assert.ok(finding, `no finding ${name}`);
    assert.ok(verbs.length >= 20, `only ${verbs.length} verbs found`);
    assert.deepEqual(await noStackTrace(finding), []);
  });
