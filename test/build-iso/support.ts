/** Shared set-up of the build-iso tests: demo inputs in a temporary folder, build options over them. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { INITRD_REGISTRY_BINARY, PRE_PIVOT_HOOK } from '@hostmirror/boot-sequence';
import type { BuildMirrorIsoOptions } from '@hostmirror/build-iso';
import { type DemoInputs, writeDemoInputs } from '@hostmirror/fixtures';
import { readInitrdFile } from '../../packages/initrd/src/index.ts';
import { CoreosIso, IGNITION_MEMBER } from '../../packages/iso/src/index.ts';

/** Debian's Ignition binary is multi-call; as `ignition-apply` it writes a config into a root (docs/ignition.md#real-binaries). */
export const IGNITION_BINARY = '/usr/lib/dracut/modules.d/30ignition/ignition';

/**
 * Read a built ISO back as a host boots it: the live Ignition from its embed area (written to
 * `<work>/live.ign`, returned), and the pre-pivot hook and registry program from its extended
 * initrd into `initrdRoot`; `root` is created for `ignition-apply`.
 */
export async function readBackLiveIso(
  iso: string,
  work: string,
  root: string,
  initrdRoot: string,
): Promise<string> {
  const image = await CoreosIso.open(iso);
  try {
    const area = await image.ignitionAreaBytes();
    const config = await readInitrdFile(
      (async function* () {
        yield area;
      })(),
      IGNITION_MEMBER,
    );
    assert.ok(config !== undefined, 'the ISO embeds config.ign');
    const live = join(work, 'live.ign');
    await writeFile(live, config);
    const initrd = image.metadata.initrd;
    assert.ok(initrd !== undefined);
    for (const path of [PRE_PIVOT_HOOK, INITRD_REGISTRY_BINARY]) {
      const bytes = await readInitrdFile(image.image.fileChunks(initrd), path.slice(1));
      assert.ok(bytes !== undefined, `the extended initrd holds ${path}`);
      await mkdir(dirname(join(initrdRoot, path)), { recursive: true });
      await writeFile(join(initrdRoot, path), bytes, { mode: 0o755 });
    }
    await mkdir(root, { recursive: true });
    return live;
  } finally {
    await image.close();
  }
}

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
