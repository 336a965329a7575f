import type { BootPhase, BootPlan, BootStep, PhasePlan } from './types.ts';

const PHASE_TITLES: Record<BootPhase, string> = {
  live: 'live ISO (Ignition + initrd overlay)',
  installed: 'installed system (MachineConfigs 99-<pool>-hostmirror)',
};

const CONDITION_TEXT = {
  serve: 'hosts that serve',
  mirror: 'hosts that use the mirror',
  sync: 'control-plane nodes copying node0',
} as const;

function conditionText(step: BootStep): string {
  return step.condition === null ? 'every host' : CONDITION_TEXT[step.condition];
}

function localName(unit: string): string {
  return unit.replace(/^hostmirror-/, '').replace(/\.service$/, '');
}

function headline(plan: BootPlan): string[] {
  const { settings } = plan;
  const volume = `${settings.volumeMatch.join(' or ')} "${settings.volumeLabel}"`;
  return [
    `hostmirror boot sequence: mode ${settings.mode}, topology ${settings.topology}`,
    `registry ${settings.registryName}:${settings.registryPort}, volume by ${volume}` +
      (settings.rendezvousIP === null ? '' : `, rendezvous IP ${settings.rendezvousIP}`),
  ];
}

function phaseLines(phase: PhasePlan): string[] {
  const lines = [`${PHASE_TITLES[phase.phase]}:`];
  phase.steps.forEach((step, index) => {
    const needs = [
      ...step.requires.map((unit) => `requires ${localName(unit)}`),
      ...step.wants.map((unit) => `wants ${localName(unit)}`),
    ];
    lines.push(
      `  ${index + 1}. ${step.unit.padEnd(29)} ${step.description.replace(/^hostmirror: /, '')}`,
      `     runs on ${conditionText(step)}${needs.length === 0 ? '' : `; ${needs.join(', ')}`}`,
    );
  });
  const relation = phase.gate.relation === 'requires' ? 'Requires=' : 'Wants=';
  lines.push(
    `  gate: ${phase.gate.units.join(', ')}`,
    `        get After= and ${relation} ${phase.gate.steps.join(' ')} (drop-in)`,
  );
  if (phase.console !== null)
    lines.push(
      `  console: ${phase.console.units.join(', ')}`,
      `        get After= ${phase.console.after.join(' ')} (drop-in; ordering only)`,
    );
  return lines;
}

/** The plan as text: steps per phase, the gate, and which units run on each kind of host. */
export function renderBootText(plan: BootPlan): string {
  const lines = [...headline(plan), ''];
  for (const phase of Object.values(plan.phases)) lines.push(...phaseLines(phase), '');
  lines.push('hosts:');
  for (const role of plan.roles) {
    const part =
      role.part === 'server'
        ? 'serves the mirror from its own volume'
        : `pulls from node0 (${plan.settings.rendezvousIP})`;
    lines.push(`  ${role.role} ×${role.count} (${role.pool} pool): ${part}`);
    for (const phase of ['live', 'installed'] as const)
      lines.push(`    ${phase}: ${role.units[phase].map(localName).join(' → ')}`);
  }
  lines.push(
    plan.settings.mode === 'node0'
      ? '  the volume decides: a host with it serves, one without it pulls from node0 (node0 without it fails "ready").'
      : '  any host without its volume runs only "volume": normal mode.',
  );
  return `${lines.join('\n')}\n`;
}

function mermaidId(phase: BootPhase, unit: string): string {
  return `${phase}_${localName(unit).replace(/[^a-z0-9]/g, '_')}`;
}

/** The plan as a Mermaid flowchart: solid arrows are Requires=, dotted ones Wants=. */
export function renderBootMermaid(plan: BootPlan): string {
  const lines = ['flowchart TD'];
  for (const phase of Object.values(plan.phases)) {
    lines.push(`  subgraph ${phase.phase}["${PHASE_TITLES[phase.phase]}"]`);
    for (const step of phase.steps)
      lines.push(
        `    ${mermaidId(phase.phase, step.unit)}["${step.unit}<br/><small>${conditionText(step)}</small>"]`,
      );
    const gate = `${phase.phase}_gate`;
    lines.push(`    ${gate}{{"${phase.gate.units.join('<br/>')}"}}`, '  end');
    for (const step of phase.steps) {
      const to = mermaidId(phase.phase, step.unit);
      for (const unit of step.requires) lines.push(`  ${mermaidId(phase.phase, unit)} --> ${to}`);
      for (const unit of step.wants)
        if (unit.startsWith('hostmirror-'))
          lines.push(`  ${mermaidId(phase.phase, unit)} -.-> ${to}`);
    }
    const arrow = phase.gate.relation === 'requires' ? '==>' : '-.->';
    for (const unit of phase.gate.steps)
      lines.push(`  ${mermaidId(phase.phase, unit)} ${arrow} ${gate}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Depth of each step: the longest chain of dependencies above it. */
function ranks(phase: PhasePlan): Map<string, number> {
  const rank = new Map<string, number>();
  for (const step of phase.steps) {
    const parents = [...step.requires, ...step.wants].filter((unit) => rank.has(unit));
    rank.set(
      step.unit,
      parents.length === 0 ? 0 : Math.max(...parents.map((u) => rank.get(u) ?? 0)) + 1,
    );
  }
  return rank;
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const BOX = { width: 250, height: 44, gapX: 30, gapY: 36, margin: 20, title: 28 } as const;

/**
 * The plan as an SVG picture: one column per phase, steps placed by dependency depth, solid
 * lines for Requires=, dashed for Wants=, and the gated units at the bottom.
 */
export function renderBootSvg(plan: BootPlan): string {
  const parts: string[] = [];
  const phases = Object.values(plan.phases);
  let columnX = BOX.margin;
  let height = 0;
  for (const phase of phases) {
    const rank = ranks(phase);
    const rows = new Map<number, string[]>();
    for (const step of phase.steps) {
      const row = rank.get(step.unit) ?? 0;
      rows.set(row, [...(rows.get(row) ?? []), step.unit]);
    }
    const widest = Math.max(...[...rows.values()].map((row) => row.length));
    const columnWidth = widest * BOX.width + (widest - 1) * BOX.gapX;
    const position = new Map<string, { x: number; y: number }>();
    for (const [row, units] of rows) {
      const rowWidth = units.length * BOX.width + (units.length - 1) * BOX.gapX;
      units.forEach((unit, index) => {
        position.set(unit, {
          x: columnX + (columnWidth - rowWidth) / 2 + index * (BOX.width + BOX.gapX),
          y: BOX.margin + BOX.title + row * (BOX.height + BOX.gapY),
        });
      });
    }
    parts.push(
      `<text x="${columnX}" y="${BOX.margin + 14}" font-weight="bold">${escapeXml(PHASE_TITLES[phase.phase])}</text>`,
    );
    for (const step of phase.steps) {
      const to = position.get(step.unit);
      if (to === undefined) continue;
      for (const [unit, dashed] of [
        ...step.requires.map((u) => [u, false] as const),
        ...step.wants.map((u) => [u, true] as const),
      ]) {
        const from = position.get(unit);
        if (from === undefined) continue;
        parts.push(
          `<line x1="${from.x + BOX.width / 2}" y1="${from.y + BOX.height}" x2="${to.x + BOX.width / 2}" y2="${to.y}" stroke="#555"${dashed ? ' stroke-dasharray="5,4"' : ''} marker-end="url(#arrow)"/>`,
        );
      }
    }
    for (const step of phase.steps) {
      const at = position.get(step.unit);
      if (at === undefined) continue;
      const fill =
        step.condition === 'serve'
          ? '#dbeafe'
          : step.condition === 'mirror'
            ? '#dcfce7'
            : step.condition === 'sync'
              ? '#fef3c7'
              : '#f3f4f6';
      parts.push(
        `<rect x="${at.x}" y="${at.y}" width="${BOX.width}" height="${BOX.height}" rx="6" fill="${fill}" stroke="#333"/>`,
        `<text x="${at.x + 8}" y="${at.y + 18}">${escapeXml(step.unit)}</text>`,
        `<text x="${at.x + 8}" y="${at.y + 35}" font-size="11" fill="#444">${escapeXml(conditionText(step))}</text>`,
      );
    }
    const gateY = BOX.margin + BOX.title + rows.size * (BOX.height + BOX.gapY);
    const gateText = `${phase.gate.relation === 'requires' ? 'Requires' : 'Wants'}: ${phase.gate.units.join(', ')}`;
    parts.push(
      `<text x="${columnX}" y="${gateY + 14}" font-size="11">${escapeXml(gateText)}</text>`,
    );
    height = Math.max(height, gateY + 30);
    columnX += columnWidth + 3 * BOX.gapX;
  }
  const width = columnX - 3 * BOX.gapX + BOX.margin;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>',
    `<text x="${BOX.margin}" y="${height - 6}" font-size="11" fill="#444">${escapeXml(headline(plan).join(' — '))}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
