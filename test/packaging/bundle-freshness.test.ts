/**
 * `pnpm hostmirror` runs the CLI bundle and makes it again first when it is stale
 * (tools/hostmirror.mjs, tools/bundle-freshness.mjs). Stale means: a file it was made from
 * changed, or a folder whose listing decided what went in (the packages, the boot scripts) gained
 * or lost an entry — a new boot script changes no file the bundle tracked, only its folder.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot, runTool } from '@hostmirror/fixtures';
import { bundleIsCurrent } from '../../tools/bundle-freshness.mjs';

/** An hour ago: file systems stamp mtimes with a coarse clock, so "now" twice can be equal. */
const anHourAgo = new Date(Date.now() - 3_600_000);

describe('the CLI bundle is made again when its inputs change', () => {
  let root: string;
  let rootUrl: URL;

  /** A tree with a bundle made from scripts/ (listed) and src/a.ts, recorded as bundle-cli does. */
  async function freshTree(): Promise<void> {
    await rm(root, { recursive: true, force: true });
    await mkdir(join(root, 'packages/cli/dist/bin'), { recursive: true });
    await mkdir(join(root, 'scripts'));
    await mkdir(join(root, 'src'));
    await writeFile(join(root, 'packages/cli/dist/bin/hostmirror.js'), '// bundle\n');
    await writeFile(join(root, 'scripts/a.sh'), 'echo a\n');
    await writeFile(join(root, 'src/a.ts'), 'export const a = 1;\n');
    for (const path of ['scripts/a.sh', 'src/a.ts', 'scripts'])
      await utimes(join(root, path), anHourAgo, anHourAgo);
    const files = await Promise.all(
      ['scripts', 'scripts/a.sh', 'src/a.ts'].map(async (path) => {
        const info = await stat(join(root, path));
        return [path, info.size, info.mtimeMs];
      }),
    );
    await writeFile(join(root, 'packages/cli/dist/bin/inputs.json'), JSON.stringify({ files }));
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hostmirror-bundle-freshness-'));
    rootUrl = pathToFileURL(`${root}/`);
  });
  after(async () => rm(root, { recursive: true, force: true }));

  test('untouched inputs: the bundle is current', async () => {
    await freshTree();
    assert.equal(bundleIsCurrent(rootUrl), true);
  });

  test('a file added to a listed folder makes it stale, though no tracked file changed', async () => {
    await freshTree();
    await writeFile(join(root, 'scripts/b.sh'), 'echo b\n');
    assert.equal(bundleIsCurrent(rootUrl), false);
  });

  test('a file removed from a listed folder makes it stale', async () => {
    await freshTree();
    await rm(join(root, 'scripts/a.sh'));
    assert.equal(bundleIsCurrent(rootUrl), false);
  });

  test('a tracked file edited to the same size makes it stale', async () => {
    await freshTree();
    await writeFile(join(root, 'src/a.ts'), 'export const a = 2;\n');
    assert.equal(bundleIsCurrent(rootUrl), false);
  });

  test('no bundle, or no inputs.json, or a malformed one: stale', async () => {
    await freshTree();
    await rm(join(root, 'packages/cli/dist/bin/hostmirror.js'));
    assert.equal(bundleIsCurrent(rootUrl), false);
    await freshTree();
    await rm(join(root, 'packages/cli/dist/bin/inputs.json'));
    assert.equal(bundleIsCurrent(rootUrl), false);
    await freshTree();
    await writeFile(join(root, 'packages/cli/dist/bin/inputs.json'), '{"files": 3}');
    assert.equal(bundleIsCurrent(rootUrl), false);
  });

  test('the real bundle records the packages folder and the boot scripts folder', async () => {
    // The launcher makes the bundle when it is missing or stale, then runs it.
    const run = await runTool(
      process.execPath,
      [join(repoRoot, 'tools/hostmirror.mjs'), '--version'],
      {
        timeoutMs: 180_000,
      },
    );
    assert.equal(run.exitCode, 0, run.stderr.toString('utf8'));
    const { files } = JSON.parse(
      await readFile(join(repoRoot, 'packages/cli/dist/bin/inputs.json'), 'utf8'),
    ) as { files: [string, number, number][] };
    const paths = files.map(([path]) => path);
    for (const folder of ['packages', 'packages/boot-sequence/src/scripts'])
      assert.ok(
        paths.includes(folder),
        `inputs.json lacks the folder ${folder}: ${paths.slice(0, 5).join(', ')}…`,
      );
    assert.equal(bundleIsCurrent(pathToFileURL(`${repoRoot}/`)), true);
  });
});
