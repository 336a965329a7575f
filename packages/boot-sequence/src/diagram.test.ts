import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderBootMermaid, renderBootSvg, renderBootText } from './diagram.ts';
import { planBootSequence } from './plan.ts';

const plan = planBootSequence({ mode: 'node0', topology: 'ha', rendezvousIP: '192.0.2.10' });

test('textNamesEveryUnitAndRole', () => {
  const text = renderBootText(plan);
  for (const phase of Object.values(plan.phases))
    for (const step of phase.steps) assert.ok(text.includes(step.unit), step.unit);
  assert.match(text, /^ {2}worker ×2\+ \(worker pool\): pulls from node0 \(192\.0\.2\.10\)$/m);
  assert.match(text, /Requires= hostmirror-ready\.service/);
});

test('mermaidHasAnEdgePerDependency', () => {
  const mermaid = renderBootMermaid(plan);
  assert.ok(mermaid.startsWith('flowchart TD\n'));
  for (const phase of Object.values(plan.phases))
    for (const step of phase.steps)
      for (const unit of step.requires) {
        const from = `${phase.phase}_${unit.replace(/^hostmirror-|\.service$/g, '')}`;
        const to = `${phase.phase}_${step.id}`;
        assert.ok(mermaid.includes(`  ${from} --> ${to}\n`), `${from} --> ${to}`);
      }
  assert.match(mermaid, /live_ready ==> live_gate/);
  assert.match(mermaid, /installed_ready -\.-> installed_gate/);
});

test('svgHasABoxPerStepAndBalancedTags', () => {
  const svg = renderBootSvg(plan);
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  const steps = plan.phases.live.steps.length + plan.phases.installed.steps.length;
  assert.equal(svg.match(/<rect /g)?.length, steps);
  assert.equal(svg.match(/<text[ >]/g)?.length, svg.match(/<\/text>/g)?.length);
  assert.ok(svg.trimEnd().endsWith('</svg>'));
});
