/**
 * Differential test: every conformance case Debian's ignition-validate 2.14 can judge (specs up
 * to 3.3.0 and 3.4.0-experimental) is run through it, and our verdict, findings and parse
 * failures must agree with its output.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  formatFinding,
  type ValidationReport,
  validateConfig,
} from '../../packages/ignition/src/index.ts';
import { caseOptions, caseText, loadValidateCases, type ValidateCase } from './conformance.ts';
import {
  debianIgnitionRelease,
  debianIgnitionSpecs,
  ignitionValidatePath,
  requireIgnitionPackage,
  run,
} from './ignition-binaries.ts';

/** Where 2.14 words a message differently from upstream HEAD, which we follow. */
const debianWording: ReadonlyArray<[RegExp, string]> = [
  [/^Unused key /, 'unused key '],
  [
    /not supported in spec versions older than 3\.4\.0$/,
    'not supported or functional in spec versions older than 3.6.0',
  ],
];

function binaryLines(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => /^(error|warning) at \$/.test(line))
    .map((line) => {
      let normalized = line.replace(/, line \d+ col \d+: /, ': ');
      const colon = normalized.indexOf(': ');
      let message = normalized.slice(colon + 2);
      for (const [pattern, replacement] of debianWording)
        message = message.replace(pattern, replacement);
      normalized = `${normalized.slice(0, colon)}: ${message}`;
      return normalized;
    })
    .sort();
}

function judgeable(testCase: ValidateCase): boolean {
  if (testCase.ignitionRelease !== undefined && testCase.ignitionRelease !== debianIgnitionRelease)
    return false;
  if (testCase.binary !== undefined && !testCase.binary.startsWith('verdict only')) return false;
  const version = (testCase.input as { ignition?: { version?: unknown } } | undefined)?.ignition
    ?.version;
  return (
    typeof version !== 'string' ||
    debianIgnitionSpecs.includes(version) ||
    !version.startsWith('3.') ||
    testCase.expect.parseFailure !== undefined
  );
}

let folder = '';
before(async () => {
  await requireIgnitionPackage();
  folder = await mkdtemp(join(tmpdir(), 'hostmirror-ignition-validate-'));
});
after(async () => {
  if (folder !== '') await rm(folder, { recursive: true, force: true });
});

const cases = loadValidateCases().filter(judgeable);

test('the binary judges most cases', () => {
  assert.ok(cases.length >= 80, `only ${cases.length} cases can be judged`);
});

for (const [index, testCase] of cases.entries()) {
  test(`ignition-validate agrees: ${testCase.name}`, async () => {
    const text = caseText(testCase);
    const path = join(folder, `case-${index}.ign`);
    await writeFile(path, text);
    const result = await run(ignitionValidatePath, [path]);
    const ours: ValidationReport = validateConfig(text, caseOptions(testCase));
    assert.equal(
      result.code === 0,
      ours.valid,
      `verdicts differ; ignition-validate said:\n${result.stdout}${result.stderr}`,
    );
    if (ours.parseFailure !== undefined) {
      if (ours.parseFailure.code !== 'SYNTAX')
        assert.match(
          result.stdout + result.stderr,
          new RegExp(
            `couldn't parse config: ${ours.parseFailure.message.replace(/[()]/g, '\\$&')}`,
          ),
        );
      return;
    }
    if (testCase.binary?.startsWith('verdict only')) return;
    const findings = [...ours.errors, ...ours.warnings].map(formatFinding).sort();
    assert.deepEqual(findings, binaryLines(result.stdout + result.stderr));
  });
}
