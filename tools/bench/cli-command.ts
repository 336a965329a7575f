/**
 * Which `hostmirror` the benchmarks start, as `node` arguments (run from the repository root):
 *
 *   HOSTMIRROR_CLI=bundle (default) node tools/hostmirror.mjs — what `pnpm hostmirror` runs: the
 *                         esbuild bundle packages/cli/dist/bin/hostmirror.js (the published bin),
 *                         made again first if a source changed (tools/bundle-cli.ts)
 *   HOSTMIRROR_CLI=tsx    node --import tsx packages/cli/src/main.ts — the sources through tsx
 *                         (`pnpm hostmirror:src`), for comparison
 */
export type CliVariant = 'bundle' | 'tsx';

const launcher = 'tools/hostmirror.mjs';

export function cliVariant(): CliVariant {
  const value = process.env.HOSTMIRROR_CLI ?? 'bundle';
  if (value !== 'tsx' && value !== 'bundle') {
    throw new Error(`HOSTMIRROR_CLI=${value}: expected "bundle" (default) or "tsx"`);
  }
  return value;
}

/** The `node` arguments before the verb (default: HOSTMIRROR_CLI), relative to the repository root. */
export function cliNodeArgs(variant: CliVariant = cliVariant()): string[] {
  if (variant === 'tsx') return ['--import', 'tsx', 'packages/cli/src/main.ts'];
  return [launcher];
}

/** What the start-up includes, for row labels: "Node+tsx" or "Node (bundle)". */
export function cliStartupLabel(): string {
  return cliVariant() === 'tsx' ? 'Node+tsx' : 'Node (bundle)';
}
