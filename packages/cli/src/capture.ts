import { PassThrough, Readable } from 'node:stream';
import { runCli } from './run.ts';

export interface CapturedRun {
  code: number;
  stdout: string;
  /** stdout as bytes, for verbs that stream binary output (`-o -`). */
  stdoutBytes: Buffer;
  stderr: string;
}

export interface CaptureOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** What `-` reads as stdin; without it stdin is not connected. */
  stdin?: string | Uint8Array;
  /** Make stdout claim to be a terminal (to test refusals of binary output to a TTY). */
  stdoutIsTTY?: boolean;
}

function collect(stream: PassThrough): Buffer[] {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return chunks;
}

/**
 * Run `hostmirror` in this process with in-memory stdout and stderr, and return what it
 * printed with its exit code: for programs that embed the CLI, and for tests.
 */
export async function runCliCaptured(
  argv: string[],
  options: CaptureOptions = {},
): Promise<CapturedRun> {
  const stdout = Object.assign(new PassThrough(), { isTTY: options.stdoutIsTTY === true });
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const code = await runCli(argv, {
    ...(options.stdin === undefined ? {} : { stdin: Readable.from([Buffer.from(options.stdin)]) }),
    stdout,
    stderr,
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? {},
  });
  const stdoutBytes = Buffer.concat(out);
  return {
    code,
    stdout: stdoutBytes.toString(),
    stdoutBytes,
    stderr: Buffer.concat(err).toString(),
  };
}
