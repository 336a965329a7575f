/** Shared set-up of the build-iso tests: demo inputs in a temporary folder, build options over them. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildMirrorIsoOptions } from '@hostmirror/build-iso';
import { type DemoInputs, writeDemoInputs } from '@hostmirror/fixtures';

export const FIXED_EPOCH = 1_700_000_000;

export async function demoInputs(prefix: string): Promise<{ work: string; inputs: DemoInputs }> {
  const work = await mkdtemp(join(tmpdir(), `hm-build-iso-${prefix}-`));
  return { work, inputs: await writeDemoInputs(join(work, 'inputs'), FIXED_EPOCH) };
}

/** Options for a build of the demo inputs into `out` (no SOURCE_DATE_EPOCH: fast random TLS keys). */
export function optionsFor(
  inputs: DemoInputs,
  output: string,
  extra: Partial<BuildMirrorIsoOptions> = {},
): BuildMirrorIsoOptions {
  return {
    iso: inputs.iso,
    installConfig: inputs.installConfig,
    agentConfig: inputs.agentConfig,
    mirror: [inputs.archive],
    output,
    allowMissingRegistry: true,
    registryBinary: '/bin/busybox',
    env: {},
    ...extra,
  };
}
