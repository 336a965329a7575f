import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { Transform, type TransformCallback } from 'node:stream';
import { CodecError } from './errors.ts';

/** Longest stderr text kept for an error message. */
const STDERR_KEEP = 2000;

const availability = new Map<string, boolean>();

/** Whether `command --version` runs (cached per process). */
export function commandAvailable(command: string): boolean {
  let known = availability.get(command);
  if (known === undefined) {
    const result = spawnSync(command, ['--version'], { stdio: 'ignore', timeout: 10_000 });
    known = result.error === undefined && result.status === 0;
    availability.set(command, known);
  }
  return known;
}

/**
 * A Transform that pipes bytes through an external command (`xz`, `zstd`) with backpressure on
 * both sides. A non-zero exit becomes a CodecError('CODEC_FAILED') with the command's stderr.
 */
export class CommandTransform extends Transform {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly codec: string;
  private readonly commandLine: string;
  private stderrText = '';
  private readonly exited: Promise<number | null>;

  constructor(codec: string, command: string, args: string[]) {
    super();
    this.codec = codec;
    this.commandLine = [command, ...args].join(' ');
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code) => resolve(code));
      this.child.once('error', (error) => {
        this.destroy(
          new CodecError('CODEC_UNAVAILABLE', `Cannot run ${this.commandLine}: ${error.message}.`, {
            codec,
            cause: error,
          }),
        );
        resolve(null);
      });
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) this.child.stdout.pause();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      if (this.stderrText.length < STDERR_KEEP) this.stderrText += chunk.toString('utf8');
    });
    // EPIPE when the command exits early (corrupt input): the exit status reports it.
    this.child.stdin.on('error', () => undefined);
  }

  override _read(size: number): void {
    this.child.stdout.resume();
    super._read(size);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.child.stdin.write(chunk)) callback();
    else this.child.stdin.once('drain', () => callback());
  }

  override _flush(callback: TransformCallback): void {
    const stdoutDone = new Promise<void>((resolve) =>
      this.child.stdout.once('end', () => resolve()),
    );
    this.child.stdin.end();
    void Promise.all([stdoutDone, this.exited]).then(([, code]) => {
      if (code === 0) callback();
      else
        callback(
          new CodecError(
            'CODEC_FAILED',
            `${this.commandLine} failed (exit ${String(code)}): ${this.stderrText.trim() || 'no message'}.`,
            { codec: this.codec },
          ),
        );
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.child.exitCode === null) this.child.kill();
    callback(error);
  }
}
