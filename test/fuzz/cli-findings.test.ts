/**
 * Every CLI verb on every finding of issue #20 (tools/fuzz/seeds.ts): the finding is given as
 * every positional argument and as each file-like option in turn (once all together, once
 * each alone), outputs going to a scratch folder. Whatever the verb says, it says it in one
 * `hostmirror: …` line: no stack trace, no uncaught error.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
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
/** Findings whose fix is issue #20 item 3 (YAML aliases, Ignition depth), landing apart. */
const ITEM_3 = new Set([
  'undefined-alias.yaml',
  'alias-bomb.yaml',
  'spec-alias-bomb.yaml',
  'idms-alias-bomb.yaml',
  'deep-nesting.ign',
]);

let scratch: string;
let found: Finding[];
const verbs: { name: string; command: Command; argv: string[] }[] = [];

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'hm-cli-findings-'));
  found = await findings();
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

function argumentSets(command: Command, file: string): string[][] {
  const [min, max] = command.positionals;
  const positionals = Array<string>(Math.max(min, Math.min(max, 1))).fill(file);
  const strings = Object.entries(command.options).filter(([, option]) => option.type === 'string');
  let outputs = 0;
  const valueFor = (name: string) => (OUTPUTS.has(name) ? join(scratch, `out-${outputs++}`) : file);
  const all = strings.flatMap(([name]) => [`--${name}`, valueFor(name)]);
  const each = strings
    .filter(([name]) => !OUTPUTS.has(name))
    .map(([name]) => [
      `--${name}`,
      file,
      ...strings
        .filter(([other]) => OUTPUTS.has(other) && other !== name)
        .flatMap(([other]) => [`--${other}`, valueFor(other)]),
    ]);
  return [[...positionals, ...all], ...each.map((set) => [...positionals, ...set]), positionals];
}

async function noStackTrace(finding: Finding): Promise<string[]> {
  const problems: string[] = [];
  const file = join(scratch, finding.name);
  for (const { name, command, argv } of verbs)
    for (const args of argumentSets(command, file)) {
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
])
  test(
    `every verb on ${name}: one-line errors, no stack trace`,
    ITEM_3.has(name) ? { todo: 'issue #20 item 3 (YAML aliases, Ignition depth) lands apart' } : {},
    async () => {
      const finding = found.find((entry) => entry.name === name);
      assert.ok(finding, `no finding ${name}`);
      assert.ok(verbs.length >= 20, `only ${verbs.length} verbs found`);
      assert.deepEqual(await noStackTrace(finding), []);
    },
  );
