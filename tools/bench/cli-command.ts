/**
 * Which `hostmirror` the benchmarks start, as `node` arguments (run from the repository root):
 *
 *   HOSTMIRROR_CLI=tsx   (default) node --import tsx packages/cli/src/main.ts — what `pnpm hostmirror` runs
 *   HOSTMIRROR_CLI=built node --conditions=hostmirror-built packages/cli/dist/main.js — the
 *                        JavaScript `pnpm build` emits, as the published package runs (no tsx);
 *                        the condition makes `@hostmirror/*` resolve to each package's dist/
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const builtMain = 'packages/cli/dist/main.js';
/** The export condition each package.json maps to its dist/ (publishConfig drops it on pack). */
const builtCondition = '--conditions=hostmirror-built';

export type CliVariant = 'tsx' | 'built';

export function cliVariant(): CliVariant {
  const value = process.env.HOSTMIRROR_CLI ?? 'tsx';
  if (value !== 'tsx' && value !== 'built') {
    throw new Error(`HOSTMIRROR_CLI=${value}: expected "tsx" (default) or "built"`);
  }
  return value;
}

/** The `node` arguments before the verb (default: HOSTMIRROR_CLI), relative to the repository root. */
export function cliNodeArgs(variant: CliVariant = cliVariant()): string[] {
  if (variant === 'tsx') return ['--import', 'tsx', 'packages/cli/src/main.ts'];
  if (!existsSync(resolve(repoRoot, builtMain))) {
    throw new Error(`HOSTMIRROR_CLI=built: ${builtMain} is missing; run \`pnpm build\` first`);
  }
  return [builtCondition, builtMain];
}

/** What the start-up includes, for row labels: "Node+tsx" or "Node (built)". */
export function cliStartupLabel(): string {
  return cliVariant() === 'tsx' ? 'Node+tsx' : 'Node (built)';
}
