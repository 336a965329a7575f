/**
 * `build-iso --demo -o DIR`: generate the inputs (demo/), then run the real pipeline on them.
 * Reproducible by default: SOURCE_DATE_EPOCH is the demo's fixed time unless set.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveBackend } from '@hostmirror/codecs';
import { DEMO_DEFAULT_EPOCH, writeDemoInputs } from './demo/index.ts';
import {
  type BuildMirrorIsoOptions,
  type BuildProgress,
  type BuildResult,
  buildMirrorIso,
  sourceDateEpoch,
} from './pipeline.ts';

/** Where iPXE would fetch the demo's PXE files (TEST-NET-1, RFC 5737: an example, not a server). */
export const DEMO_PXE_BASE_URL = 'http://192.0.2.10/hostmirror';

export interface DemoOptions {
  folder: string;
  registryBinary?: string;
  overwrite?: boolean;
  env?: NodeJS.ProcessEnv;
  /** More pipeline options (extra kargs, mode…). */
  extra?: Partial<BuildMirrorIsoOptions>;
}

/** The output paths of a demo run in `folder`. */
export function demoPaths(folder: string) {
  return {
    inputs: join(folder, 'inputs'),
    iso: join(folder, 'hostmirror-demo.iso'),
    pxeDir: join(folder, 'pxe'),
    manifestsDir: join(folder, 'manifests'),
    imageSetConfig: join(folder, 'imageset-config.yaml'),
    report: join(folder, 'report.json'),
  };
}

export async function runDemo(
  options: DemoOptions,
  progress?: BuildProgress,
): Promise<BuildResult> {
  const baseEnv = options.env ?? process.env;
  const epoch = sourceDateEpoch(baseEnv) ?? DEMO_DEFAULT_EPOCH;
  const env = { ...baseEnv, SOURCE_DATE_EPOCH: String(epoch) };
  const paths = demoPaths(options.folder);
  // zstd needs zstd-napi or the zstd command; a bare Node machine may have neither, gzip always works.
  const compress = await resolveBackend('zstd').then(
    () => 'zstd' as const,
    () => 'gzip' as const,
  );
  await mkdir(paths.pxeDir, { recursive: true });
  progress?.start('generating the demo inputs (CoreOS-layout ISO, v2 archive, configs)');
  const inputs = await writeDemoInputs(paths.inputs, epoch);
  progress?.done();
  return buildMirrorIso(
    {
      iso: inputs.iso,
      installConfig: inputs.installConfig,
      agentConfig: inputs.agentConfig,
      mirror: [inputs.archive],
      output: paths.iso,
      ...(options.registryBinary === undefined ? {} : { registryBinary: options.registryBinary }),
      allowMissingRegistry: true,
      pxeDir: paths.pxeDir,
      pxeBaseUrl: DEMO_PXE_BASE_URL,
      manifestsDir: paths.manifestsDir,
      imageSetConfig: paths.imageSetConfig,
      report: paths.report,
      overwrite: options.overwrite ?? false,
      compress,
      env,
      ...options.extra,
    },
    progress,
  );
}
