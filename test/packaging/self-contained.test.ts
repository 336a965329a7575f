/**
 * A clone is the whole project: no file of the repository reads or cites a document outside it,
 * and every `docs/…md#section` it cites exists. The facts the code relies on live in `docs/`
 * (with their upstream links), the data the tests read in `test/fixtures` and
 * `packages/ignition-config-types/schemas` (with their licenses); a user's clone has nothing beside
 * it, so a path that leaves the repository, or a citation of a document that is not in it, is a
 * broken promise to the next maintainer.
 *
 * Files are those git lists (tracked, plus untracked ones not ignored), so a new file is judged
 * before it is committed. Binary files are skipped.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '@hostmirror/fixtures';

const thisFile = relative(repoRoot, new URL(import.meta.url).pathname);

/** Every text file of the repository, with its path relative to the root. */
function repositoryTextFiles(): Array<{ path: string; text: string }> {
  const listed = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  )
    .split('\0')
    .filter((path) => path !== '');
  const files: Array<{ path: string; text: string }> = [];
  for (const path of listed) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(repoRoot, path));
    } catch {
      continue; // listed by git but deleted in the work tree
    }
    if (bytes.subarray(0, 8000).includes(0)) continue;
    files.push({ path, text: bytes.toString('utf8') });
  }
  return files;
}

const files = repositoryTextFiles();

/** 1-based line of `index` in `text`. */
function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/**
 * What points outside the repository. The documents that used to sit beside it (a design file and a
 * research folder) are named by pattern pieces so this file does not match itself.
 */
const outsideReferences: ReadonlyArray<{ what: string; pattern: RegExp; fix: string }> = [
  {
    what: 'a path into the folder beside the repository',
    pattern: new RegExp(
      String.raw`\.\./${'shared'}\b|/work/${'shared'}\b|'\.\.', '${'shared'}'`,
      'g',
    ),
    fix: 'commit the data in the repository (with its license and provenance) or make it in the test',
  },
  {
    what: 'a citation of the design document outside the repository',
    pattern: new RegExp(String.raw`(?<![\w/.-])${'DESIGN'}\.md`, 'g'),
    fix: 'cite the section of docs/design.md',
  },
  {
    what: 'a citation of the research notes outside the repository',
    pattern: new RegExp(
      String.raw`\b${'research'}(?:/|\s+§)|(?<![\w/.-])(?:coreos-iso|deps|ignition|installer|mirror|boot|iso-relocation|aesthetics)\.md\s*(?:§|section|design implication)`,
      'g',
    ),
    fix: 'cite docs/<file>.md#<section> or the upstream source (repository, path, commit)',
  },
];

test('noFileReadsOrCitesAPathOutsideTheRepository', () => {
  assert.ok(files.length > 100, `git listed only ${files.length} text files under ${repoRoot}`);
  const found: string[] = [];
  for (const { path, text } of files) {
    if (path === thisFile) continue;
    for (const { what, pattern, fix } of outsideReferences) {
      for (const match of text.matchAll(pattern))
        found.push(
          `${path}:${lineOf(text, match.index)}: ${what} (${JSON.stringify(match[0])}); ${fix}`,
        );
    }
  }
  assert.deepEqual(
    found,
    [],
    `${found.length} reference(s) outside the repository:\n${found.join('\n')}`,
  );
});

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

const anchorsByDoc = new Map<string, Set<string>>();
function anchorsOf(docPath: string): Set<string> | undefined {
  if (!anchorsByDoc.has(docPath)) {
    const file = files.find((candidate) => candidate.path === docPath);
    if (file === undefined) return undefined;
    const anchors = new Set<string>();
    let fenced = false;
    for (const line of file.text.split('\n')) {
      if (line.startsWith('```')) fenced = !fenced;
      const heading = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
      if (heading?.[1] !== undefined) anchors.add(headingAnchor(heading[1]));
    }
    anchorsByDoc.set(docPath, anchors);
  }
  return anchorsByDoc.get(docPath);
}

/** `docs/x.md#y` anywhere, and relative `x.md#y` / `#y` links inside docs/. */
function citedSections(
  path: string,
  text: string,
): Array<{ doc: string; anchor: string; index: number }> {
  const cited: Array<{ doc: string; anchor: string; index: number }> = [];
  for (const match of text.matchAll(/(?<![\w/.:-])docs\/([\w.-]+\.md)(?:#([\w-]+))?/g))
    cited.push({ doc: `docs/${match[1]}`, anchor: match[2] ?? '', index: match.index });
  if (path.startsWith('docs/') && path.endsWith('.md')) {
    for (const match of text.matchAll(/\]\(((?:[\w./-]+\.md)?)(?:#([\w-]+))?\)/g)) {
      const target = match[1] === '' ? path : normalize(join(dirname(path), match[1] ?? ''));
      if (!target.startsWith('docs/')) continue;
      cited.push({ doc: target, anchor: match[2] ?? '', index: match.index });
    }
  }
  return cited;
}

test('everyCitedDocsSectionExists', () => {
  const broken: string[] = [];
  let count = 0;
  for (const { path, text } of files) {
    if (path === thisFile) continue;
    for (const { doc, anchor, index } of citedSections(path, text)) {
      count++;
      const anchors = anchorsOf(doc);
      if (anchors === undefined)
        broken.push(`${path}:${lineOf(text, index)}: ${doc} does not exist`);
      else if (anchor !== '' && !anchors.has(anchor))
        broken.push(
          `${path}:${lineOf(text, index)}: ${doc} has no section #${anchor} (it has: ${[...anchors].join(', ')})`,
        );
    }
  }
  assert.ok(count >= 10, `only ${count} citations of docs/ found: is the pattern still right?`);
  assert.deepEqual(broken, [], `${broken.length} broken citation(s):\n${broken.join('\n')}`);
});

test('headingAnchorFollowsGitHub', () => {
  assert.equal(headingAnchor('Kernel initramfs rules'), 'kernel-initramfs-rules');
  assert.equal(
    headingAnchor('Registries conf in the installer'),
    'registries-conf-in-the-installer',
  );
  assert.equal(headingAnchor('`iso` (CoreOS)'), 'iso-coreos');
});
