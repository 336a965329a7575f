import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';

/** Debian package `ignition` (bookworm 2.14.0): the validator and the multi-call binary. */
export const ignitionValidatePath = '/usr/bin/ignition-validate';
export const ignitionBinaryPath = '/usr/lib/dracut/modules.d/30ignition/ignition';
/** The Ignition release of Debian's package. */
export const debianIgnitionRelease = '2.14.0';
/** Specs Debian's 2.14 accepts (docs/ignition.md#versions). */
export const debianIgnitionSpecs = ['3.0.0', '3.1.0', '3.2.0', '3.3.0', '3.4.0-experimental'];

/** Fail (never skip) when the Debian package is missing: CI installs it. */
export async function requireIgnitionPackage(): Promise<void> {
  for (const path of [ignitionValidatePath, ignitionBinaryPath]) {
    try {
      await access(path, constants.X_OK);
    } catch {
      throw new Error(
        `${path} is missing: install the Debian package "ignition" (apt-get install ignition).`,
      );
    }
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; argv0?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 20_000,
        encoding: 'utf8',
        maxBuffer: 16 << 20,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
