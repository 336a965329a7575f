import { PassThrough, type Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type VerifyReport, verifyInitrd } from './verify.ts';

/** Bytes queued for the verifier before the writer waits for it. */
const VERIFY_FEED_BYTES = 4 * 1024 * 1024;

/**
 * Pass chunks through and write each to `copy` too, waiting while `copy` is full. Once `done`
 * settles (the reader stopped, e.g. at a fatal fault) the copy is no longer fed or waited for.
 */
function teeTo(copy: PassThrough, done: Promise<unknown>): Transform {
  let settled = false;
  let waiting: (() => void) | undefined;
  const release = (): void => {
    settled = true;
    waiting?.();
    waiting = undefined;
  };
  done.then(release, release);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (settled || copy.write(chunk)) {
        callback(null, chunk);
        return;
      }
      waiting = () => callback(null, chunk);
      copy.once('drain', () => {
        const resume = waiting;
        waiting = undefined;
        resume?.();
      });
    },
    flush(callback) {
      copy.end();
      callback();
    },
    // Also called after a normal end (autoDestroy): only a failure cuts the verifier off.
    destroy(error, callback) {
      if (error !== null) copy.destroy();
      callback(error);
    },
  });
}

/**
 * Write `source` to `destination` and verify the same bytes with the kernel's rules as they
 * pass, instead of reading the written file again afterwards: one pass less over the output.
 */
export async function writeVerified(
  source: Readable | AsyncIterable<Uint8Array>,
  destination: Writable,
): Promise<VerifyReport> {
  const copy = new PassThrough({ highWaterMark: VERIFY_FEED_BYTES });
  const verifying = verifyInitrd(copy);
  await pipeline(source, teeTo(copy, verifying), destination);
  return verifying;
}
