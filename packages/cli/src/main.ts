#!/usr/bin/env -S node --import tsx
import { exitCodes, runCli } from './run.ts';

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
