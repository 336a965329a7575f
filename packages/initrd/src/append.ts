import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { openAtomicOutput } from '@hostmirror/atomic-file';
import { padLength } from '@hostmirror/cpio-stream';
import { InitrdError } from './errors.ts';
import type { VerifyReport } from './verify.ts';
import { writeVerified } from './verify-while-writing.ts';

export interface AppendArchiveOptions {
  /** Replace an existing output (the CLI's `-f`). */
  overwrite?: boolean;
}

export interface AppendResult {
  path: string;
  /** Bytes of the original initrd, unchanged at the start of the output. */
  baseSize: number;
  /** Zero bytes added so the archive starts 4-aligned. */
  padding: number;
  /** Where the appended archive starts. */
  archiveOffset: number;
  size: number;
  report: VerifyReport;
}

async function* concatenated(
  basePath: string,
  padding: number,
  archivePath: string,
): AsyncGenerator<Uint8Array> {
  yield* createReadStream(basePath, { highWaterMark: 1024 * 1024 });
  if (padding > 0) yield new Uint8Array(padding);
  yield* createReadStream(archivePath, { highWaterMark: 1024 * 1024 });
}

/**
 * Append an archive to a (PXE) initrd: the original bytes unchanged, zeros to the next multiple
 * of 4 (docs/design.md#byte-formats), then the archive. The result is verified with the kernel's rules before
 * it is renamed into place; any fault refuses the output (VERIFY_FAILED), because the kernel
 * stops unpacking at the first broken segment and would never reach the appended archive.
 */
export async function appendArchive(
  basePath: string,
  archivePath: string,
  outPath: string,
  options: AppendArchiveOptions = {},
): Promise<AppendResult> {
  const baseSize = (await stat(basePath)).size;
  await stat(archivePath);
  const padding = padLength(baseSize);
  const archiveOffset = baseSize + padding;
  const output = await openAtomicOutput(outPath, { overwrite: options.overwrite ?? false });
  try {
    const report = await writeVerified(concatenated(basePath, padding, archivePath), output.stream);
    const [fault] = report.faults;
    if (fault !== undefined) {
      const where =
        fault.offset < archiveOffset
          ? `the base ${basePath} already breaks a kernel rule`
          : `the appended ${archivePath} breaks a kernel rule`;
      throw new InitrdError(
        'VERIFY_FAILED',
        `Appending gives an initrd the kernel would not fully unpack: ${where} at byte ${fault.offset}: ${fault.message}`,
        {
          offset: fault.offset,
        },
      );
    }
    const reached = report.segments.some((segment) => segment.offset >= archiveOffset);
    if (!reached) {
      throw new InitrdError(
        'VERIFY_FAILED',
        `No archive found in ${archivePath} after byte ${archiveOffset}; is it an empty file?`,
        {
          offset: archiveOffset,
        },
      );
    }
    await output.commit();
    return { path: outPath, baseSize, padding, archiveOffset, size: report.size, report };
  } catch (error) {
    await output.abort();
    throw error;
  }
}
