import { readFileSync } from 'node:fs';
import type { TEARDOWN_SCRIPT } from './constants.ts';

/** The scripts of the sequence, shipped beside this file in `scripts/`. */
export const STEP_SCRIPTS = [
  'hostmirror-lib.sh',
  'hostmirror-volume.sh',
  'hostmirror-verify.sh',
  'hostmirror-unpack.sh',
  'hostmirror-registry-files.sh',
  'hostmirror-serve.sh',
  'hostmirror-configure.sh',
  'hostmirror-wait-ready.sh',
  'hostmirror-preload.sh',
  'hostmirror-sync.sh',
] as const;

/** The control-plane copy's script: only where its unit is (the master pool's MachineConfig). */
export const SYNC_SCRIPT = 'hostmirror-sync.sh';

/** The dracut pre-pivot hook that rides in the initrd overlay. */
export const PRE_PIVOT_HOOK_SCRIPT = '90-hostmirror-registry.sh';

export type ScriptName =
  | (typeof STEP_SCRIPTS)[number]
  | typeof PRE_PIVOT_HOOK_SCRIPT
  | typeof TEARDOWN_SCRIPT;

const cache = new Map<ScriptName, string>();

/**
 * The scripts' text as the `hostmirror` CLI bundle carries it (tools/bundle-cli.ts puts it there
 * with esbuild's `define`): a bundle is one file per entry and has no `scripts/` beside it.
 * Absent when running from `src/` (tsx) or a package's `dist/`, which read the files.
 */
interface BundledScripts {
  HOSTMIRROR_BUNDLED_SCRIPTS?: Readonly<Partial<Record<ScriptName, string>>>;
}

/** The text of one of our scripts. */
export function scriptText(name: ScriptName): string {
  let text = cache.get(name);
  if (text === undefined) {
    text =
      (globalThis as BundledScripts).HOSTMIRROR_BUNDLED_SCRIPTS?.[name] ??
      readFileSync(new URL(`./scripts/${name}`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}
