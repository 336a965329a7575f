/**
 * Run the `hostmirror` command as a user does: `pnpm hostmirror <verb> …` from the repository
 * root, in a child process (README). `--silent` keeps pnpm's own script echo off stderr.
 */
import { join } from 'node:path';
import { type RunResult, repoRoot, requireTool, runTool } from '@hostmirror/fixtures';

/** pnpm is not a Debian package: `tools/ensure-pnpm.sh` installs it into `.tools/`. */
async function findPnpm(): Promise<string> {
  try {
    return await requireTool('pnpm', 'pnpm (not Debian: run tools/ensure-pnpm.sh)');
  } catch {
    return requireTool(
      join(repoRoot, '.tools', 'node_modules', '.bin', 'pnpm'),
      'pnpm (not Debian: run tools/ensure-pnpm.sh)',
    );
  }
}

export interface HostmirrorRun extends RunResult {
  stdoutText: string;
  stderrText: string;
}

/** `pnpm --silent hostmirror …args`; never throws for a non-zero exit (tests check it). */
export async function hostmirror(
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<HostmirrorRun> {
  const pnpm = await findPnpm();
  const result = await runTool(pnpm, ['--silent', 'hostmirror', ...args], {
    cwd: repoRoot,
    timeoutMs,
  });
  return {
    ...result,
    stdoutText: result.stdout.toString('utf8'),
    stderrText: result.stderr.toString('utf8'),
  };
}

/** `hostmirror …` that must exit 0; otherwise throws with its stderr. */
export async function hostmirrorOk(
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<HostmirrorRun> {
  const run = await hostmirror(args, timeoutMs);
  if (run.exitCode !== 0)
    throw new Error(
      `hostmirror ${args.join(' ')} exited ${run.exitCode}${run.timedOut ? ' (timed out)' : ''}:\n${run.stderrText}${run.stdoutText}`,
    );
  return run;
}
