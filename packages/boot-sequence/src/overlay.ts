import { DEFAULT_OVERLAY_CODEC, type OverlayDirectory, type OverlaySpec } from '@hostmirror/initrd';
import { INITRD_INVENTORY, INITRD_REGISTRY_BINARY, PRE_PIVOT_HOOK } from './constants.ts';
import { PRE_PIVOT_HOOK_SCRIPT, scriptText } from './scripts.ts';

export interface BootOverlayOptions {
  /** The registry program to carry (a local file, streamed into the archive). */
  registryBinary: string;
  compress?: OverlaySpec['compress'];
  /**
   * The control-plane copy's inventory (assets.sync.inventory): node0 publishes it for the other
   * control-plane nodes; the hook copies it to /etc/hostmirror/inventory.
   */
  inventory?: string;
}

/** Every folder above `path`, outermost first (`/usr`, `/usr/lib`, …). */
function ancestors(path: string): string[] {
  const parts = path.split('/').filter((part) => part !== '');
  return parts.slice(0, -1).map((_, index) => `/${parts.slice(0, index + 1).join('/')}`);
}

/**
 * What rides in the initrd: the registry program (too large for the 256 KiB Ignition area)
 * and the dracut pre-pivot hook that copies it into the real root with a program's SELinux
 * label; in mode node0 with the control-plane copy, the copy's inventory too (as large as the
 * archive set's manifests and tags), which the same hook copies. Parent folders are listed so the kernel never drops a file for a missing parent.
 */
export function renderInitrdOverlay(options: BootOverlayOptions): OverlaySpec {
  const folders = [...new Set([...ancestors(INITRD_REGISTRY_BINARY), ...ancestors(PRE_PIVOT_HOOK)])]
    .sort()
    .map((path): OverlayDirectory => ({ path, mode: 0o755 }));
  return {
    compress: options.compress ?? DEFAULT_OVERLAY_CODEC,
    directories: folders,
    files: [
      { path: INITRD_REGISTRY_BINARY, source: options.registryBinary, mode: 0o755 },
      { path: PRE_PIVOT_HOOK, contents: scriptText(PRE_PIVOT_HOOK_SCRIPT), mode: 0o755 },
      ...(options.inventory === undefined
        ? []
        : [{ path: INITRD_INVENTORY, contents: options.inventory, mode: 0o644 }]),
    ],
    symlinks: [],
  };
}
