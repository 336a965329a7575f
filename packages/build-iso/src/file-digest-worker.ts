import { Worker } from 'node:worker_threads';
import { BuildIsoError } from './errors.ts';

/**
 * The worker's program, a plain CommonJS script run with `eval` (so it needs no file of its
 * own beside the module: the same from src/, dist/ and the CLI bundle): reads the file in 1 MiB
 * pieces into one reused buffer and hashes them. Memory stays flat whatever the file's size.
 */
const WORKER_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(1 << 20);
const fd = openSync(workerData.path, 'r');
let size = 0;
try {
  for (;;) {
    const read = readSync(fd, buffer, 0, buffer.length, size);
    if (read === 0) break;
    hash.update(buffer.subarray(0, read));
    size += read;
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage({ sha256: hash.digest('hex'), size });
`;

export interface FileDigestResult {
  sha256: string;
  size: number;
}

/** A digest being computed: its result, and a way to stop the worker if it is not wanted. */
export interface FileDigestJob {
  result: Promise<FileDigestResult>;
  /** End the worker (no-op once it has answered); the result then never settles. */
  stop(): Promise<void>;
}

/**
 * The sha256 of a whole file, computed on a worker thread (the other core), so that hashing a
 * 1 GiB input ISO overlaps the build's other steps instead of adding ~0.6 s of main-thread CPU
 * to its write. A read error rejects with the path and the system's code. The caller stops the
 * job when it ends without the result (a build that failed early), so no worker keeps the
 * process alive to hash a file nobody waits for.
 */
export function digestFileOffThread(path: string): FileDigestJob {
  const worker = new Worker(WORKER_SCRIPT, { eval: true, workerData: { path } });
  let answered = false;
  const result = new Promise<FileDigestResult>((resolve, reject) => {
    worker.once('message', (message: FileDigestResult) => {
      answered = true;
      resolve(message);
    });
    worker.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new BuildIsoError(
          'INPUT_MISSING',
          `Cannot read ${path} to hash it (${error.code ?? error.message}); check that the file exists and is readable.`,
          { path },
        ),
      ),
    );
    worker.once('exit', (code) => {
      // Internal invariant, so a plain Error (a bug keeps its stack): a failure inside the worker
      // (a read error, its heap) emits 'error' first and settles the result as INPUT_MISSING,
      // and after stop() (terminate: exit code 1) nobody awaits the result.
      if (!answered && code !== 0)
        reject(new Error(`the digest worker for ${path} exited with ${code} and no result`));
    });
  });
  result.catch(() => {}); // the caller awaits it, or stops the job and never looks
  return {
    result,
    async stop() {
      if (!answered) await worker.terminate();
    },
  };
}
