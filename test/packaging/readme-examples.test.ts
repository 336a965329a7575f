/**
 * The READMEs' examples are programs: every ```ts block of README.md and packages/<p>/README.md
 * is written out as a module, type-checked against the workspace packages with the project's
 * compiler settings (strict), and run with `node --import tsx` in a folder holding the inputs
 * the examples name (made here: a CoreOS-layout live ISO, cluster configs, an oc-mirror archive,
 * initrd archives, a static program standing in for the registry). A block that does not
 * compile, throws or exits non-zero fails, naming its README and line.
 *
 * The `hostmirror` command lines of the READMEs' ```sh blocks are checked too: each names a verb
 * that exists, only options that verb declares, and as many operands as it takes; those whose
 * inputs this test can make run for real (`SHELL_RUNS`), the others are named in `SHELL_PARSED_ONLY`
 * with the reason, so a new example is never silently skipped.
 */
import assert from 'node:assert/strict';
import {
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseArgs } from 'node:util';
import { repoRoot, requireTool, runTool, writeDemoInputs } from '@hostmirror/fixtures';
import { buildOverlayFile } from '@hostmirror/initrd';
import { commonOptions, parseArgsOptions } from '../../packages/cli/src/command.ts';
import { verbGroups } from '../../packages/cli/src/verbs.ts';

interface Block {
  /** README path relative to the repository, and the line of the opening fence. */
  readme: string;
  line: number;
  language: string;
  text: string;
}

async function readmes(): Promise<string[]> {
  const packages = (await readdir(join(repoRoot, 'packages'))).sort();
  return ['README.md', ...packages.map((name) => `packages/${name}/README.md`)];
}

async function fencedBlocks(): Promise<Block[]> {
  const blocks: Block[] = [];
  for (const readme of await readmes()) {
    let text: string;
    try {
      text = await readFile(join(repoRoot, readme), 'utf8');
    } catch {
      continue;
    }
    const lines = text.split('\n');
    for (let index = 0; index < lines.length; index++) {
      const open = /^```(\w+)\s*$/.exec(lines[index] ?? '');
      if (open === null) continue;
      const end = lines.findIndex((line, at) => at > index && line.startsWith('```'));
      assert.ok(end > index, `${readme}:${index + 1}: unclosed code block`);
      blocks.push({
        readme,
        line: index + 1,
        language: open[1] ?? '',
        text: lines.slice(index + 1, end).join('\n'),
      });
      index = end;
    }
  }
  return blocks;
}

/** tsx by URL: `--import tsx` resolves from the working folder, which has no node_modules. */
const tsxLoader = import.meta.resolve('tsx');
const TYPESCRIPT = new Set(['ts', 'typescript']);
const SHELL = new Set(['sh', 'bash', 'shell']);

let work = '';
let examples = '';
let inputs = '';
const typescriptBlocks: Array<Block & { file: string }> = [];
let shellBlocks: Block[] = [];

/** The file an example is written to: `<package or root>-<line>.ts`. */
function exampleFile(block: Block): string {
  const owner = block.readme === 'README.md' ? 'root' : (block.readme.split('/')[1] ?? 'x');
  return `${owner}-${block.line}.ts`;
}

/** The inputs the examples name, in one folder each example runs in a copy of. */
async function makeInputs(folder: string): Promise<void> {
  const demo = await writeDemoInputs(join(folder, '.demo'), 1_700_000_000);
  await copyFile(demo.iso, join(folder, 'live.iso'));
  await copyFile(demo.iso, join(folder, 'rhcos-live.x86_64.iso'));
  await copyFile(demo.installConfig, join(folder, 'install-config.yaml'));
  await copyFile(demo.agentConfig, join(folder, 'agent-config.yaml'));
  await mkdir(join(folder, 'oc-mirror-out'));
  await copyFile(demo.archive, join(folder, 'oc-mirror-out', 'mirror_000001.tar'));
  await rm(join(folder, '.demo'), { recursive: true });
  // A static program where the examples name the registry program (build-iso vets it: an ELF
  // for the hosts' architecture that runs without the build machine's libraries).
  await copyFile(
    await requireTool('busybox', 'busybox (Debian: busybox-static)'),
    join(folder, 'registry'),
  );
  await writeFile(
    join(folder, 'overlay.yaml'),
    [
      'files:',
      '  - path: /usr/local/bin/registry',
      '    source: ./registry',
      '    mode: 0755',
      '  - path: /etc/hostmirror/config.yml',
      '    contents: "version: 0.1\\n"',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(folder, 'base.yaml'),
    'files:\n  - path: /init\n    contents: "#!/bin/sh\\n"\n    mode: 0755\n',
  );
  const overwrite = false;
  await buildOverlayFile(join(folder, 'base.yaml'), join(folder, 'initrd.img'), {
    compress: 'gzip',
    overwrite,
  });
  await buildOverlayFile(join(folder, 'overlay.yaml'), join(folder, 'overlay.img'), {
    compress: 'gzip',
    overwrite,
  });
  await buildOverlayFile(join(folder, 'overlay.yaml'), join(folder, 'overlay.cpio'), {
    compress: 'none',
    overwrite,
  });
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-readme-'));
  examples = join(work, 'examples');
  inputs = join(work, 'inputs');
  await mkdir(examples);
  await mkdir(inputs);
  const blocks = await fencedBlocks();
  shellBlocks = blocks.filter((block) => SHELL.has(block.language));
  for (const block of blocks.filter((found) => TYPESCRIPT.has(found.language))) {
    const file = exampleFile(block);
    await writeFile(join(examples, file), `${block.text}\n`);
    typescriptBlocks.push({ ...block, file });
  }
  // The examples resolve @hostmirror/* (and tsx) as a program beside the workspace would.
  await symlink(join(repoRoot, 'node_modules'), join(examples, 'node_modules'), 'dir');
  await writeFile(join(examples, 'package.json'), JSON.stringify({ type: 'module' }));
  await writeFile(
    join(examples, 'tsconfig.json'),
    JSON.stringify({
      extends: join(repoRoot, 'tsconfig.json'),
      compilerOptions: { typeRoots: [join(repoRoot, 'node_modules', '@types')] },
      include: ['*.ts'],
    }),
  );
  await makeInputs(inputs);
});

after(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

/** `examples/x.ts(3,5): error …` as `packages/p/README.md:LINE: error …`. */
function toReadmeLines(output: string): string {
  return output.replace(/^(\S+?\.ts)\((\d+),(\d+)\)/gm, (all, file: string, line: string) => {
    const block = typescriptBlocks.find((candidate) => candidate.file === file);
    return block === undefined ? all : `${block.readme}:${block.line + Number(line)}`;
  });
}

test('everyTypeScriptExampleCompiles (strict, against the workspace packages)', async () => {
  assert.ok(typescriptBlocks.length >= 11, `only ${typescriptBlocks.length} ts blocks found`);
  const tsc = join(repoRoot, 'node_modules', '.bin', 'tsc');
  const check = await runTool(tsc, ['-p', 'tsconfig.json', '--pretty', 'false'], {
    cwd: examples,
    timeoutMs: 240_000,
  });
  assert.equal(check.timedOut, false, 'tsc timed out');
  const output = toReadmeLines(`${check.stdout}${check.stderr}`).trim();
  assert.equal(check.exitCode, 0, `the README examples do not type-check:\n${output}`);
});

describe('everyTypeScriptExampleRuns', () => {
  test('each example exits 0 in a folder with the inputs it names', async (t) => {
    assert.ok(typescriptBlocks.length > 0);
    for (const block of typescriptBlocks) {
      await t.test(`${block.readme}:${block.line}`, async () => {
        const cwd = join(work, `run-${block.file.replace(/\.ts$/, '')}`);
        await cp(inputs, cwd, { recursive: true });
        const run = await runTool(
          process.execPath,
          ['--import', tsxLoader, join(examples, block.file)],
          {
            cwd,
            timeoutMs: 120_000,
          },
        );
        assert.equal(
          run.exitCode,
          0,
          `${block.readme}:${block.line} exited ${run.exitCode}${run.timedOut ? ' (timed out)' : ''} in ${cwd}:\n${run.stderr}${run.stdout}`,
        );
      });
    }
  });
});

/** A `hostmirror …` line of a shell block, continuation lines joined, comment dropped. */
interface ShellCommand {
  where: string;
  argv: string[];
}

function hostmirrorCommands(): ShellCommand[] {
  const commands: ShellCommand[] = [];
  for (const block of shellBlocks) {
    const lines = block.text.split('\n');
    for (let index = 0; index < lines.length; index++) {
      let text = lines[index] ?? '';
      const first = index;
      while (text.trimEnd().endsWith('\\') && index + 1 < lines.length)
        text = `${text.trimEnd().slice(0, -1)} ${lines[++index] ?? ''}`;
      const command = text.replace(/\s+#.*$/, '').trim();
      const words = command.split(/\s+/);
      const start =
        words[0] === 'pnpm' && words[1] === 'hostmirror' ? 2 : words[0] === 'hostmirror' ? 1 : -1;
      if (start < 0) continue;
      commands.push({
        where: `${block.readme}:${block.line + first + 1}`,
        argv: words.slice(start),
      });
    }
  }
  return commands;
}

/**
 * Shell examples this test runs, by their first words after `hostmirror` and an output they
 * leave; inputs the README names but this machine cannot have are replaced (the replacement is
 * the reason).
 */
const SHELL_RUNS: ReadonlyArray<{ verb: string; leaves: string }> = [
  { verb: 'mirror image-set-config', leaves: 'isc.yaml' },
  { verb: 'install-config', leaves: 'cluster/install-config.yaml' },
  { verb: 'build-iso --iso rhcos-live.x86_64.iso', leaves: 'agent-mirror.iso' },
  { verb: 'build-iso --demo', leaves: 'out' },
];
/** Parsed, not run, and why. */
const SHELL_PARSED_ONLY: Record<string, string> = {
  'volume prepare': 'writes a disk image with mkfs; test/build-iso covers it with the same inputs',
  'build-iso --iso cluster/agent.x86_64.iso':
    'needs the agent ISO openshift-install writes (test/build-iso/agent.test.ts builds on one)',
};

function classify(argv: readonly string[]): { run: boolean; key: string } {
  const text = argv.join(' ');
  const runs = SHELL_RUNS.find(({ verb }) => text.startsWith(verb));
  if (runs !== undefined) return { run: true, key: runs.verb };
  const parsed = Object.keys(SHELL_PARSED_ONLY).find((verb) => text.startsWith(verb));
  return { run: false, key: parsed ?? '' };
}

test('everyShellExampleNamesRealVerbsAndOptions', async () => {
  const commands = hostmirrorCommands();
  assert.ok(commands.length >= 6, `only ${commands.length} hostmirror command lines found`);
  const problems: string[] = [];
  for (const { where, argv } of commands) {
    const [groupName = '', ...afterGroup] = argv;
    const group = verbGroups[groupName];
    if (group === undefined) {
      problems.push(`${where}: no verb ${groupName}`);
      continue;
    }
    const { commands: verbs } = await group.load();
    const twoWords = verbs[`${afterGroup[0]} ${afterGroup[1]}`];
    const command = verbs[''] ?? twoWords ?? verbs[afterGroup[0] ?? ''];
    if (command === undefined) {
      problems.push(`${where}: no verb ${groupName} ${afterGroup[0]}`);
      continue;
    }
    const rest =
      verbs[''] !== undefined ? afterGroup : afterGroup.slice(twoWords === undefined ? 1 : 2);
    try {
      const { positionals } = parseArgs({
        args: rest,
        options: parseArgsOptions({ ...commonOptions, ...command.options }),
        allowPositionals: true,
        strict: true,
      });
      const [min, max] = command.positionals;
      if (positionals.length < min || positionals.length > max)
        problems.push(`${where}: ${positionals.length} operands, the verb takes ${min}..${max}`);
    } catch (error) {
      problems.push(`${where}: ${(error as Error).message}`);
    }
    const { key } = classify(argv);
    if (key === '')
      problems.push(`${where}: neither run nor listed in SHELL_PARSED_ONLY with a reason`);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});

test('theShellExamplesThatCanRunHereRun', async () => {
  const ran: string[] = [];
  for (const [index, { where, argv }] of hostmirrorCommands().entries()) {
    const { run, key } = classify(argv);
    if (!run) continue;
    // Each in a fresh copy of the inputs: two examples may write the same output name.
    const cwd = join(work, `run-shell-${index}`);
    await cp(inputs, cwd, { recursive: true });
    const leaves = SHELL_RUNS.find(({ verb }) => verb === key)?.leaves ?? '';
    // A directory the README's command writes into is made as the README's `mkdir` does.
    await mkdir(join(cwd, dirname(leaves)), { recursive: true });
    // /usr/bin/docker-registry is Debian's; this machine may not have it: the static stand-in.
    // Run as `pnpm hostmirror` runs it (the launcher of the bundled CLI), from the inputs' folder.
    const args = argv.map((word) => (word === '/usr/bin/docker-registry' ? './registry' : word));
    const result = await runTool(
      process.execPath,
      [join(repoRoot, 'tools/hostmirror.mjs'), ...args, '--quiet'],
      { cwd, timeoutMs: 180_000 },
    );
    assert.equal(result.exitCode, 0, `${where}: hostmirror ${args.join(' ')}:\n${result.stderr}`);
    await readdir(join(cwd, dirname(leaves))).then((names) =>
      assert.ok(
        names.includes(relative(dirname(leaves), leaves)),
        `${where}: ${leaves} was not written (${names.join(', ')})`,
      ),
    );
    ran.push(key);
  }
  for (const { verb } of SHELL_RUNS)
    assert.ok(ran.includes(verb), `no README runs ${verb} any more`);
});
