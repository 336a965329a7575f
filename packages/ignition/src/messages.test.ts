import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import {
  ignitionMessages,
  invalidUnitContentMessage,
  noInstallSectionForInstantiableUnitMessage,
  noInstallSectionMessage,
  unusedKeyMessage,
} from './messages.ts';
import { validateConfig } from './validate.ts';

/**
 * Messages that come from other upstream code than `config/shared/errors/errors.go`, with their
 * source: Go's `encoding/json` (decode errors, simplified as our report words them), the data URL
 * lexer `vincent-petithory/dataurl` and Go's `encoding/base64` (Ignition passes their errors on).
 */
const fromOtherUpstreamCode = [
  /^cannot unmarshal /,
  /^invalid data character$/,
  /^invalid character for media type$/,
  /^missing media type slash$/,
  /^expected base64, got /,
  /^illegal base64 data at input byte \d+$/,
  /^rfc2396: /,
];

const vocabulary = new Set<string>(Object.values(ignitionMessages));

/** Whether `message` is one of Ignition's named messages (or a named formatter's output). */
function isNamed(message: string): boolean {
  if (vocabulary.has(message)) return true;
  const formatted: Array<[RegExp, (...parts: string[]) => string]> = [
    [/^unit "(.*)" is enabled, but/, (unit = '') => noInstallSectionMessage(unit)],
    [
      /^template unit "(.*)" for "(.*)" doesn't/,
      (template = '', instance = '') =>
        noInstallSectionForInstantiableUnitMessage(template, instance),
    ],
    [/^invalid unit content: (.*)$/s, (problem = '') => invalidUnitContentMessage(problem)],
    [/^unused key (.*)$/, (key = '') => unusedKeyMessage(key)],
  ];
  return formatted.some(([pattern, format]) => {
    const match = pattern.exec(message);
    return match !== null && format(...match.slice(1)) === message;
  });
}

test('everyConformanceFindingUsesTheNamedVocabulary', async () => {
  const suite = JSON.parse(
    await readFile(
      new URL('../../../test/ignition/conformance/validate.json', import.meta.url),
      'utf8',
    ),
  ) as { cases: Array<{ name: string; expect: { findings?: string[] } }> };
  let findings = 0;
  const unnamed: string[] = [];
  for (const testCase of suite.cases)
    for (const finding of testCase.expect.findings ?? []) {
      const match = /^(?:error|warning) at \$[^:]*: (.*)$/s.exec(finding);
      assert.ok(match?.[1] !== undefined, `${testCase.name}: unreadable finding ${finding}`);
      findings++;
      if (
        !isNamed(match[1]) &&
        !fromOtherUpstreamCode.some((pattern) => pattern.test(match[1] ?? ''))
      )
        unnamed.push(`${testCase.name}: ${match[1]}`);
    }
  assert.ok(findings > 100, `only ${findings} findings in the conformance suite`);
  assert.deepEqual(
    unnamed,
    [],
    'messages neither in ignitionMessages nor from a named upstream source',
  );
});

test('theRulesReportTheNamedTexts', () => {
  const report = validateConfig(
    JSON.stringify({
      ignition: { version: '3.3.0' },
      storage: {
        files: [{ path: 'etc/x' }, { path: '/etc/y/', mode: 8192 }],
        filesystems: [{ device: '/dev/sdb', format: 'ext4', label: 'a-label-of-17-chr' }],
      },
      systemd: { units: [{ name: 'a.service', enabled: true, contents: '[Unit]\n' }] },
    }),
  );
  const messages = [...report.errors, ...report.warnings].map((finding) => finding.message).sort();
  assert.deepEqual(
    messages,
    [
      ignitionMessages.ErrDirtyPath,
      ignitionMessages.ErrExt4LabelTooLong,
      ignitionMessages.ErrFileIllegalMode,
      ignitionMessages.ErrPathRelative,
      noInstallSectionMessage('a.service'),
    ].sort(),
  );
});

test('theVocabularyKeepsIgnitionsNamesAndTexts', () => {
  // Spot checks against coreos/ignition config/shared/errors/errors.go at a5d574a8.
  assert.equal(ignitionMessages.ErrNoPath, 'path not specified');
  assert.equal(ignitionMessages.ErrPathRelative, 'path not absolute');
  assert.equal(ignitionMessages.ErrDuplicate, 'duplicate entry defined');
  assert.equal(
    ignitionMessages.ErrDoesntMatchGUIDRegex,
    'doesn\'t match the form "01234567-89AB-CDEF-EDCB-A98765432101"',
  );
  assert.equal(Object.keys(ignitionMessages).length, new Set(Object.keys(ignitionMessages)).size);
});
