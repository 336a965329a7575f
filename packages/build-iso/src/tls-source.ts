import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CA_FILE, TRUSTED_CA_CONFIGMAP, TRUSTED_CA_NAMESPACE } from '@hostmirror/boot-sequence';
import {
  certificateFingerprint,
  createMirrorTls,
  drawMirrorKeys,
  type MirrorKeys,
  type MirrorTls,
  namesRefusedByCa,
  TLS_FILES,
  writeMirrorTls,
} from '@hostmirror/host-config';
import type { IgnitionConfig } from '@hostmirror/ignition';
import { readDataResource } from '@hostmirror/ignition';
import { readYaml } from '@hostmirror/oc-mirror-archive';
import { BuildIsoError } from './errors.ts';

/**
 * Where a build's CA comes from (one place decides, the report says which). The CA's private
 * key is never derived from public inputs (issue 20: with SOURCE_DATE_EPOCH the old seed was
 * a hash of the inputs, so anyone holding them re-derived the key):
 *
 * - `imported`: `--tls-dir DIR` holds `ca.crt` and `ca.key` (a previous build's): this build
 *   signs with that CA, so one cluster keeps one CA across rebuilds (issue 11). The server key
 *   is derived from the CA key, a secret, so the same DIR and inputs give the same bytes.
 * - `seed-file`: a secret seed the user supplies (`--tls-seed-file`): reproducible builds.
 * - `generated-random`: neither: random keys (a reproducible build then differs in its TLS
 *   files only). With `--tls-dir` naming an empty or missing folder, the new CA is written
 *   there (ca.crt, ca.key 0600, and this build's server pair) for the next build to import.
 */
export type TlsSource = 'generated-random' | 'imported' | 'seed-file';

export interface TlsChoice {
  tls: MirrorTls;
  source: TlsSource;
  /** `--tls-dir`, when given. */
  dir: string | null;
  /** Whether this build writes its new CA into `dir` (it held none). */
  writesDir: boolean;
}

export interface TlsRequest {
  hosts: string[];
  tlsDir?: string;
  seed?: string;
  /** A file holding the secret seed (read here, trimmed). */
  seedFile?: string;
  notBefore?: Date;
  validityDays?: number;
  /** The keys, drawn ahead by `drawKeysAhead` for the same seed (not with `tlsDir`). */
  keysAhead?: Promise<MirrorKeys>;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BuildIsoError(
      'INPUT_MISSING',
      `Cannot read ${path} (${(error as NodeJS.ErrnoException).code}); check the --tls-dir folder.`,
    );
  }
}

/** Fewer bytes than this could be guessed: a seed is the CA's private key in disguise. */
const minimumSeedBytes = 16;

async function readSeed(request: TlsRequest): Promise<string | undefined> {
  if (request.seedFile === undefined) return request.seed;
  let text: string;
  try {
    text = (await readFile(request.seedFile, 'utf8')).trim();
  } catch (error) {
    throw new BuildIsoError(
      'INPUT_MISSING',
      `Cannot read the TLS seed file ${request.seedFile} (${(error as NodeJS.ErrnoException).code}); check the path.`,
    );
  }
  if (Buffer.byteLength(text) < minimumSeedBytes)
    throw new BuildIsoError(
      'TLS_SEED_WEAK',
      `The TLS seed file ${request.seedFile} holds ${Buffer.byteLength(text)} bytes; a seed is as secret as the CA key it makes, so give at least ${minimumSeedBytes} random bytes: head -c 32 /dev/urandom | base64 > ${request.seedFile}.`,
    );
  return text;
}

/**
 * Whether the CA already in `--tls-dir` (an earlier build's) does not permit `name`: a CA made
 * before the control-plane mirror name existed permits the registry name and node0's address
 * only, and its name constraints cannot change without a new CA (and so new trust on every
 * host). False when the folder holds no CA (this build makes one with every name) or the CA
 * cannot be read (chooseMirrorTls then says why).
 */
export async function tlsDirCaRefuses(tlsDir: string, name: string): Promise<boolean> {
  const pem = await readOptional(join(tlsDir, TLS_FILES.caCertificate));
  if (pem === undefined) return false;
  try {
    return namesRefusedByCa(pem, [name]).length > 0;
  } catch {
    return false;
  }
}

/**
 * Start drawing the RSA keys `chooseMirrorTls` will sign with, on libuv's thread pool
 * (`drawMirrorKeys`), so that the key search runs while the build indexes and hashes its
 * inputs instead of after. Undefined with `--tls-dir`: that folder may hold the CA to import.
 * A failure (an unreadable or weak seed file) is raised by `chooseMirrorTls`, which reads the
 * seed again, where it always was.
 */
export function drawKeysAhead(
  request: Pick<TlsRequest, 'tlsDir' | 'seed' | 'seedFile'>,
): Promise<MirrorKeys> | undefined {
  if (request.tlsDir !== undefined) return undefined;
  const drawing = readSeed({ hosts: [], ...request }).then((seed) => drawMirrorKeys(seed));
  drawing.catch(() => {}); // awaited by chooseMirrorTls; unawaited when the build fails first
  return drawing;
}

export async function chooseMirrorTls(given: TlsRequest): Promise<TlsChoice> {
  const seed = await readSeed(given);
  const request = { ...given, ...(seed === undefined ? {} : { seed }) };
  const common = {
    hosts: request.hosts,
    ...(request.notBefore === undefined ? {} : { notBefore: request.notBefore }),
    ...(request.validityDays === undefined ? {} : { validityDays: request.validityDays }),
  };
  const fromSeed = (keys?: MirrorKeys) =>
    createMirrorTls({
      ...common,
      ...(request.seed === undefined ? {} : { seed: request.seed }),
      ...(keys === undefined ? {} : { keys }),
    });
  const source: TlsSource = request.seed === undefined ? 'generated-random' : 'seed-file';
  if (request.tlsDir === undefined) {
    const keys = given.keysAhead === undefined ? undefined : await given.keysAhead;
    return { tls: fromSeed(keys), source, dir: null, writesDir: false };
  }
  const dir = request.tlsDir;
  const certificatePath = join(dir, TLS_FILES.caCertificate);
  const keyPath = join(dir, TLS_FILES.caKey);
  const [certificatePem, keyPem] = await Promise.all([
    readOptional(certificatePath),
    readOptional(keyPath),
  ]);
  if (certificatePem === undefined && keyPem === undefined) {
    const exists = await stat(dir).then(
      (info) => info.isDirectory(),
      () => undefined,
    );
    if (exists === false)
      throw new BuildIsoError(
        'INPUT_MISSING',
        `--tls-dir ${dir} is a file; give a folder (empty for a new CA, or holding ca.crt and ca.key).`,
      );
    return { tls: fromSeed(), source, dir, writesDir: true };
  }
  if (certificatePem === undefined || keyPem === undefined)
    throw new BuildIsoError(
      'TLS_DIR_INCOMPLETE',
      `--tls-dir ${dir} holds ${certificatePem === undefined ? keyPath : certificatePath} but not ${certificatePem === undefined ? certificatePath : keyPath}; a CA needs both (the files a previous build wrote there), or give an empty folder for a new CA.`,
    );
  const tls = createMirrorTls({ ...common, ca: { certificatePem, keyPem } });
  if (request.seed !== undefined) {
    const seeded = fromSeed();
    if (seeded.caFingerprint !== tls.caFingerprint)
      throw new BuildIsoError(
        'CA_MISMATCH',
        `--tls-dir ${dir} holds the CA with SHA-256 fingerprint ${tls.caFingerprint}, but --tls-seed-file makes the CA ${seeded.caFingerprint}; one cluster needs one CA: give only --tls-dir (keep that CA) or only the seed.`,
      );
  }
  return { tls, source: 'imported', dir, writesDir: false };
}

/** Write a new CA (and this build's server pair) into `--tls-dir`, keys 0600. */
export async function writeTlsDir(choice: TlsChoice): Promise<void> {
  if (!choice.writesDir || choice.dir === null) return;
  await writeMirrorTls(choice.tls, choice.dir);
}

/**
 * The mirror CA a manifest carries: the `CA_FILE` of a hostmirror MachineConfig (the
 * post-reboot registry's trust) or the certificate in our `additionalTrustedCA` ConfigMap
 * (in-pod pulls' trust), or undefined for any other manifest.
 */
export function manifestCa(text: string): string | undefined {
  let document: unknown;
  try {
    document = readYaml(text, { path: 'manifest', aliases: 'refuse' });
  } catch {
    return undefined;
  }
  if (typeof document !== 'object' || document === null) return undefined;
  const { kind, spec } = document as { kind?: unknown; spec?: { config?: IgnitionConfig } };
  if (kind === 'ConfigMap') return trustedCaConfigMapCa(document);
  if (kind !== 'MachineConfig') return undefined;
  const file = [...(spec?.config?.storage?.files ?? [])]
    .reverse()
    .find((entry) => entry.path === CA_FILE);
  if (file?.contents?.source === undefined || file.contents.source === null) return undefined;
  try {
    return readDataResource(file.contents).toString('utf8');
  } catch {
    return undefined;
  }
}

/** The one certificate of our trusted-CA ConfigMap (`openshift-config/hostmirror-registry-ca`). */
function trustedCaConfigMapCa(document: object): string | undefined {
  const { metadata, data } = document as {
    metadata?: { name?: unknown; namespace?: unknown };
    data?: Record<string, unknown>;
  };
  if (metadata?.name !== TRUSTED_CA_CONFIGMAP || metadata.namespace !== TRUSTED_CA_NAMESPACE)
    return undefined;
  const [certificate] = Object.values(data ?? {});
  return typeof certificate === 'string' ? certificate : undefined;
}

/**
 * Refuse when a manifest given to this build (an earlier build's MachineConfig in the agent
 * ISO or in `--manifests-dir`) trusts another CA than the one this build's registry presents:
 * after the reboot every node would reject the registry's certificate (issue 11).
 */
export function refuseOtherCa(
  given: readonly { where: string; text: string }[],
  choice: TlsChoice,
): void {
  for (const { where, text } of given) {
    const pem = manifestCa(text);
    if (pem === undefined) continue;
    let theirs: string;
    try {
      theirs = certificateFingerprint(pem);
    } catch {
      continue;
    }
    if (theirs === choice.tls.caFingerprint) continue;
    throw new BuildIsoError(
      'CA_MISMATCH',
      `${where} trusts the mirror CA with SHA-256 fingerprint ${theirs}, but this build's CA is ${choice.tls.caFingerprint} (${choice.source}); one cluster needs one CA: build with --tls-dir holding the earlier build's ca.crt and ca.key, or remove that manifest.`,
    );
  }
}
