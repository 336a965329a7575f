import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFinding, validateConfig } from '../../packages/ignition/src/index.ts';
import { caseOptions, caseText, loadValidateCases } from './conformance.ts';

const cases = loadValidateCases();

test('conformance suite has every case of docs/ignition.md#conformance', () => {
  assert.ok(cases.length >= 60, `only ${cases.length} cases`);
});

for (const testCase of cases) {
  test(`validate: ${testCase.name}`, () => {
    const report = validateConfig(caseText(testCase), caseOptions(testCase));
    assert.equal(report.parseFailure?.code, testCase.expect.parseFailure);
    assert.equal(report.valid, testCase.expect.valid);
    if (testCase.expect.findings !== undefined) {
      const findings = [...report.errors, ...report.warnings].map(formatFinding).sort();
      assert.deepEqual(findings, [...testCase.expect.findings].sort());
    }
  });
}
