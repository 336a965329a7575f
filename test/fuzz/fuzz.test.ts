/**
 * The fuzz harness (tools/fuzz) in brief, as CI runs it: a few hundred deterministic inputs per
 * reader, seeds first (the findings of issue #20 among them). A crash is any error that is not
 * a typed project error; a hang an input over the CPU time limit. The long runs (100,000 inputs per
 * reader) and their figures are in tools/fuzz/README.md.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz, type TargetSummary } from '../../tools/fuzz/run.ts';

function report(summary: TargetSummary): string {
  return `${summary.target}: ${summary.crashes} crashes, ${summary.hangs} hangs in ${summary.inputs} inputs\n${summary.incidents
    .slice(0, 5)
    .map((incident) => `  #${incident.index} ${incident.kind}: ${incident.detail}`)
    .join('\n')}`;
}

test('readers: 300 inputs each of cpio, initrd, ISO, archive index, manifest and registries.conf, 0 crashes, 0 hangs', async () => {
  const summaries = await runFuzz({
    targets: ['cpio', 'initrd', 'iso', 'archive', 'manifest', 'registries-conf'],
    count: 300,
    seed: 1,
    timeoutMs: 10_000,
  });
  assert.equal(summaries.length, 6);
  for (const summary of summaries) {
    assert.equal(summary.crashes + summary.hangs, 0, report(summary));
    assert.ok(
      summary.peakRssMiB > 0 && summary.peakRssMiB <= 256,
      `${summary.target}: ${summary.peakRssMiB} MiB`,
    );
  }
});

test('configs: 150 inputs each of Ignition, install/agent-config, cluster resources and overlay spec, 0 crashes, 0 hangs', async () => {
  const summaries = await runFuzz({
    targets: ['ignition', 'cluster-config', 'cluster-resources', 'initrd-spec'],
    // Half the readers' count: a config input costs 3-5 ms of CPU (tools/fuzz/README.md).
    count: 150,
    seed: 1,
    timeoutMs: 10_000,
  });
  const failing = summaries.filter((summary) => summary.crashes + summary.hangs > 0);
  assert.deepEqual(failing.map(report), []);
  for (const summary of summaries)
    assert.ok(summary.peakRssMiB <= 256, `${summary.target}: ${summary.peakRssMiB} MiB`);
});
