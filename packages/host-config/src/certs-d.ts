import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@hostmirror/atomic-file';
import { isValidHost, MirrorFormatError } from '@hostmirror/oc-mirror-archive';
import type { MirrorTls } from './tls.ts';

/**
 * containers-certs.d(5): a registry `host:port` is trusted through
 * `/etc/containers/certs.d/<host:port>/ca.crt` (`*.crt` = CA; `*.cert`/`*.key` would be a
 * client pair). The folder name is the registry as clients name it, port included.
 */
export const CERTS_D_DIR = '/etc/containers/certs.d';
export const CERTS_D_CA_FILE = 'ca.crt';
/** Private keys are readable by their owner only. */
export const PRIVATE_KEY_MODE = 0o600;
const publicFileMode = 0o644;

/** The file names `writeMirrorTls` uses (the registry config points at the server pair). */
export const TLS_FILES = {
  caCertificate: 'ca.crt',
  caKey: 'ca.key',
  serverCertificate: 'server.crt',
  serverKey: 'server.key',
} as const;

export function certsDPath(registry: string, root = CERTS_D_DIR): string {
  if (!isValidHost(registry) || registry.includes('/')) {
    throw new MirrorFormatError(
      'BAD_TLS_OPTIONS',
      `certs.d folders are named host[:port]; ${JSON.stringify(registry)} is not.`,
    );
  }
  return join(root, registry, CERTS_D_CA_FILE);
}

/** Write `<root>/<host:port>/ca.crt`. */
export async function writeCertsD(
  registry: string,
  caCertificatePem: string,
  root = CERTS_D_DIR,
  overwrite = false,
): Promise<string> {
  const path = certsDPath(registry, root);
  await mkdir(join(root, registry), { recursive: true, mode: 0o755 });
  await writeFileAtomic(path, caCertificatePem, { mode: publicFileMode, overwrite });
  return path;
}

/** Write the four PEM files into `directory`; keys 0600. Returns their paths. */
export async function writeMirrorTls(
  tls: MirrorTls,
  directory: string,
  overwrite = false,
): Promise<Record<keyof typeof TLS_FILES, string>> {
  await mkdir(directory, { recursive: true, mode: 0o755 });
  const files = {
    caCertificate: [tls.caCertificatePem, publicFileMode],
    caKey: [tls.caKeyPem, PRIVATE_KEY_MODE],
    serverCertificate: [tls.serverCertificatePem, publicFileMode],
    serverKey: [tls.serverKeyPem, PRIVATE_KEY_MODE],
  } as const;
  const paths = {} as Record<keyof typeof TLS_FILES, string>;
  for (const [name, [pem, mode]] of Object.entries(files) as [
    keyof typeof TLS_FILES,
    readonly [string, number],
  ][]) {
    const path = join(directory, TLS_FILES[name]);
    await writeFileAtomic(path, pem, { mode, overwrite });
    paths[name] = path;
  }
  return paths;
}
