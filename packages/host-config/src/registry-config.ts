import { MirrorFormatError } from '@hostmirror/oc-mirror-archive';
import { stringify } from 'yaml';

/**
 * The distribution registry's `config.yml` (Debian docker-registry 2.8.2,
 * `configuration.md`; docs/mirror.md#registry): filesystem root on disk (the tree lands at
 * `<root>/docker/registry/v2`), read-only maintenance mode (pushes get 405), deletes off,
 * upload purging off (it would write to a read-only tree), TLS, a debug address serving
 * `/debug/health`, and the storage health check.
 */

/** The registry config format version ("version: 0.1" is the only one). */
const REGISTRY_CONFIG_VERSION = '0.1';
/** Where the tree lives when the registry runs on a host (docs/design.md#mirror-mode: on disk, never the RAM-backed /var of the live ISO). */
export const DEFAULT_REGISTRY_ROOT = '/var/lib/hostmirror/registry';

export interface RegistryConfigOptions {
  /** `storage.filesystem.rootdirectory`. */
  rootDirectory: string;
  /** `http.addr`, e.g. `0.0.0.0:5000` on node0, `127.0.0.1:5000` for every-node. */
  listenAddress: string;
  /** `http.tls`: paths of the server certificate chain and key on the host; plain HTTP when absent. */
  tls?: { certificate: string; key: string };
  /** `http.debug.addr` for `GET /debug/health`; none when absent. */
  debugAddress?: string;
  /** `maintenance.readonly.enabled` (default true: the mirror is served, never written). */
  readOnly?: boolean;
  /** `http.secret`: any fixed string silences the "No HTTP secret provided" warning (one instance, no uploads). */
  httpSecret?: string;
  /** `log.level` (default info). */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
}

const listenPattern = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/;

function checkAddress(what: string, value: string): void {
  const port = Number(value.slice(value.lastIndexOf(':') + 1));
  if (!listenPattern.test(value) || port < 1 || port > 65535) {
    throw new MirrorFormatError(
      'BAD_REGISTRY_OPTIONS',
      `${what} ${JSON.stringify(value)} must be host:port or :port with a port from 1 to 65535.`,
    );
  }
}

export function registryConfigDocument(options: RegistryConfigOptions): Record<string, unknown> {
  checkAddress('The listen address', options.listenAddress);
  if (options.debugAddress !== undefined) checkAddress('The debug address', options.debugAddress);
  if (!options.rootDirectory.startsWith('/'))
    throw new MirrorFormatError(
      'BAD_REGISTRY_OPTIONS',
      `The registry root ${JSON.stringify(options.rootDirectory)} must be an absolute path.`,
    );
  const readOnly = options.readOnly ?? true;
  const http: Record<string, unknown> = {
    addr: options.listenAddress,
    secret: options.httpSecret ?? 'hostmirror-read-only',
    headers: { 'X-Content-Type-Options': ['nosniff'] },
  };
  if (options.tls) http.tls = { certificate: options.tls.certificate, key: options.tls.key };
  if (options.debugAddress !== undefined) http.debug = { addr: options.debugAddress };
  return {
    version: REGISTRY_CONFIG_VERSION,
    log: { level: options.logLevel ?? 'info', fields: { service: 'hostmirror-registry' } },
    storage: {
      filesystem: { rootdirectory: options.rootDirectory },
      delete: { enabled: false },
      maintenance: {
        uploadpurging: { enabled: false },
        readonly: { enabled: readOnly },
      },
    },
    http,
    health: { storagedriver: { enabled: true, interval: '10s', threshold: 3 } },
  };
}

/** `config.yml` text for `registry serve` / `docker-registry serve`. */
export function renderRegistryConfig(options: RegistryConfigOptions): string {
  return stringify(registryConfigDocument(options), { version: '1.1' });
}
