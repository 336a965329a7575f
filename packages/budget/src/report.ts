import type { BudgetCheck, BudgetReport } from './budget.ts';
import { BudgetExceededError, type ExceededLimit } from './errors.ts';
import { formatBytes } from './sizes.ts';

/** `initramfs tmpfs: 9795571712 > 8589934592 bytes (9.12 GiB > 8.00 GiB, 50% of 16.00 GiB RAM); give …` */
export function describeExceeded(limit: ExceededLimit): string {
  return (
    `${limit.label}: ${limit.needBytes} > ${limit.haveBytes} bytes ` +
    `(${formatBytes(limit.needBytes)} > ${formatBytes(limit.haveBytes)}, ${limit.limitSource}); ` +
    `${limit.fix}.`
  );
}

/** Throw `BudgetExceededError` naming every failed check, or return the report unchanged. */
export function assertWithinBudget(report: BudgetReport): BudgetReport {
  const failed = report.checks.filter((check) => !check.ok);
  const host = report.host === null ? '' : `${report.host} (${formatBytes(report.ramBytes)} RAM): `;
  if (failed.length > 0)
    throw new BudgetExceededError(failed, (limit) => `${host}${describeExceeded(limit)}`);
  return report;
}

const labelWidth = 64;
const bytesWidth = 14;
const sizeWidth = 11;

function row(label: string, bytes: number | string, size: string, status = ''): string {
  const shown = label.length > labelWidth ? `${label.slice(0, labelWidth - 1)}…` : label;
  return `${shown.padEnd(labelWidth)} ${String(bytes).padStart(bytesWidth)} ${size.padStart(sizeWidth)}${status === '' ? '' : `  ${status}`}`.trimEnd();
}

function checkRows(check: BudgetCheck): string[] {
  const lines = [row(`${check.label}`, '', '', check.ok ? 'ok' : 'OVER')];
  for (const term of check.terms)
    lines.push(
      row(
        `  ${term.label}`,
        term.counted ? term.bytes : '-',
        term.counted ? formatBytes(term.bytes) : 'not given',
      ),
    );
  lines.push(row('  = total', check.needBytes, formatBytes(check.needBytes)));
  lines.push(row(`  limit: ${check.limitSource}`, check.haveBytes, formatBytes(check.haveBytes)));
  lines.push(row('  headroom', check.headroomBytes, formatBytes(check.headroomBytes)));
  return lines;
}

/** The report as a plain-text table: every term, its total, the limit and the headroom. */
export function formatBudgetTable(report: BudgetReport): string {
  const fromRam = report.fromRam ? ', coreos.liveiso.fromram' : '';
  const lines = [
    `budget for ${report.host ?? `a ${report.role}`}${report.host === null ? '' : ` (${report.role})`}, ${report.boot.toUpperCase()} boot${fromRam}, ${formatBytes(report.ramBytes)} RAM`,
    row('', 'bytes', 'size'),
  ];
  for (const check of report.checks) lines.push(...checkRows(check));
  for (const missing of report.notCounted) lines.push(`not counted: ${missing}`);
  // Never "within budget" alone for a host whose holdings were not all counted.
  lines.push(
    !report.ok
      ? 'OVER BUDGET'
      : report.notCounted.length === 0
        ? 'within budget'
        : 'within budget for what was counted; the holdings "not counted" above may not fit',
  );
  return lines.join('\n');
}
