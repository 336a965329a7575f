import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from 'node:crypto';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { MirrorFormatError } from '@hostmirror/oc-mirror-archive';
import type Forge from 'node-forge';
import { seededRsaKey, seededRsaKeyOffThread } from './seeded-rsa.ts';

/**
 * A CA and a server certificate for the mirror registry, made at build time (docs/design.md#mirror-mode):
 * the hosts trust the CA through `/etc/containers/certs.d/<host:port>/ca.crt`, so no mirror
 * needs `insecure`. RSA 2048 with SHA-256 signatures: every TLS client accepts them, and
 * PKCS#1 v1.5 signatures are deterministic, so with a seed the same inputs give the same
 * bytes: keys from `seededRsaKey` (a seeded HMAC-SHA256 stream, native primality tests),
 * serials from a seeded SHA-256 stream. Without a seed the keys come from Node's native
 * generator. node-forge only builds and encodes the certificates; OpenSSL (`crypto.sign`)
 * signs them, giving the bytes forge's JavaScript RSA gave, ~50 times faster.
 *
 * The CA vouches for the mirror only: a critical X.509 name-constraints extension (RFC 5280
 * §4.2.1.10) permits exactly the mirror's DNS names and addresses (the hosts given, plus
 * `localhost` and 127.0.0.1), so a certificate it signed for any other name is refused by
 * OpenSSL and by Go's crypto/x509 (containers/image, CRI-O), even where the CA sits in the
 * system trust store. An existing CA can be given instead (`ca`, a build's `--tls-dir`):
 * it must carry name constraints that permit every name the server certificate needs.
 */

export const RSA_KEY_BITS = 2048;

/** node-forge is loaded on first use: reading an archive should not pay for the X.509 code. */
let forgeModule: typeof Forge | undefined;
function loadForge(): typeof Forge {
  forgeModule ??= createRequire(import.meta.url)('node-forge') as typeof Forge;
  return forgeModule;
}
const rsaPublicExponent = 0x10001;
/** sha256WithRSAEncryption (RFC 4055 §5), the signature algorithm of both certificates. */
const sha256WithRsaEncryption = '1.2.840.113549.1.1.11';
/**
 * One year: long enough to install and run until a permanent registry takes over, short
 * enough that a leaked key stops mattering. Give more (build-iso `--tls-validity-days`) for a
 * cluster that keeps pulling from the hosts' mirror longer; the mirror is not trusted after.
 */
export const DEFAULT_VALIDITY_DAYS = 365;
/** Names always in the server certificate, so node0 can reach itself (docs/design.md#mirror-mode modes). */
const ALWAYS_TRUSTED_NAMES = ['localhost', '127.0.0.1'] as const;
/** Serial numbers: 16 random bytes, positive (RFC 5280 §4.1.2.2 allows up to 20 octets). */
const serialBytes = 16;
const msPerDay = 86_400_000;

/** An existing CA: its certificate and private key (PEM). */
export interface MirrorCa {
  certificatePem: string;
  keyPem: string;
}

export interface MirrorTlsOptions {
  /** DNS names and IP addresses the mirror is reached by (node0's IP, its name…). */
  hosts: string[];
  /**
   * A secret: the same secret and options give the same bytes (reproducible builds). Never
   * derive it from public inputs: whoever has the seed has the CA's private key.
   */
  seed?: string;
  /**
   * Sign with this CA instead of making one. Without a seed the server key is derived from
   * the CA's private key (a secret), so the same CA and options give the same bytes.
   */
  ca?: MirrorCa;
  /** Start of validity; default SOURCE_DATE_EPOCH when set, else now. */
  notBefore?: Date;
  validityDays?: number;
  /** Organisation name in both subjects. */
  organization?: string;
  /**
   * The CA and server keys, drawn ahead by `drawMirrorKeys` with the same `seed` (so that the
   * search runs while the caller does other work); without them they are drawn here. Not with
   * `ca`, whose key is given.
   */
  keys?: MirrorKeys;
}

/** The two RSA keys of a mirror's TLS, drawn ahead of `createMirrorTls` by `drawMirrorKeys`. */
export interface MirrorKeys {
  /** The seed they were drawn for (undefined: random keys). */
  readonly seed: string | undefined;
  readonly ca: KeyObject;
  readonly server: KeyObject;
}

export interface MirrorTls {
  caCertificatePem: string;
  caKeyPem: string;
  serverCertificatePem: string;
  serverKeyPem: string;
  /** The SANs of the server certificate, DNS names then IP addresses. */
  subjectAltNames: string[];
  /** The CA certificate's SHA-256 fingerprint, as `openssl x509 -fingerprint -sha256` prints it. */
  caFingerprint: string;
  /** When the server certificate (and so the mirror's TLS) stops being valid. */
  notAfter: Date;
}

/** A certificate's SHA-256 fingerprint (`AB:CD:…`, as OpenSSL and Node print it). */
export function certificateFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/** A deterministic byte stream (SHA-256 in counter mode over the seed) for serial numbers. */
function seededBytes(seed: string, purpose: string, count: number): Buffer {
  const parts: Buffer[] = [];
  let have = 0;
  for (let counter = 0; have < count; counter++) {
    const block = createHash('sha256').update(`${purpose}\0${seed}\0${counter}`).digest();
    parts.push(block);
    have += block.length;
  }
  return Buffer.concat(parts).subarray(0, count);
}

/**
 * The key as Node holds it (it signs; its PKCS#8 PEM is what we write) and its public half as
 * forge needs it to put in a certificate. Seeded keys come from `seededRsaKey` (native
 * primality tests, see seeded-rsa.ts), others from Node's native generator.
 */
interface KeyPair {
  pem: string;
  privateKey: KeyObject;
  forgePublicKey: Forge.pki.rsa.PublicKey;
}

function keyPair(seed: string | undefined, purpose: string, drawn?: KeyObject): KeyPair {
  return keyPairOf(
    drawn ??
      (seed === undefined
        ? generateKeyPairSync('rsa', {
            modulusLength: RSA_KEY_BITS,
            publicExponent: rsaPublicExponent,
          }).privateKey
        : seededRsaKey(seed, purpose)),
  );
}

function randomRsaKeyOffThread(): Promise<KeyObject> {
  return new Promise((resolve, reject) =>
    generateKeyPair(
      'rsa',
      { modulusLength: RSA_KEY_BITS, publicExponent: rsaPublicExponent },
      (error, _publicKey, privateKey) => (error ? reject(error) : resolve(privateKey)),
    ),
  );
}

/**
 * The keys `createMirrorTls({ seed, keys })` would draw, drawn on libuv's thread pool
 * (`crypto.generateKeyPair`, `crypto.checkPrime`): the same keys as `createMirrorTls` draws
 * itself for the same seed, while the main thread goes on (build-iso starts this before it
 * indexes the archives). With a seed both keys are searched at once; without one the server
 * key's seed comes from the CA key, as in `createMirrorTls`.
 */
export async function drawMirrorKeys(seed?: string): Promise<MirrorKeys> {
  if (seed !== undefined) {
    const [ca, server] = await Promise.all([
      seededRsaKeyOffThread(seed, 'ca-key'),
      seededRsaKeyOffThread(seed, 'server-key'),
    ]);
    return { seed, ca, server };
  }
  const ca = await randomRsaKeyOffThread();
  const caPem = ca.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { seed, ca, server: await seededRsaKeyOffThread(seedFromCaKey(caPem), 'server-key') };
}

function keyPairOf(privateKey: KeyObject): KeyPair {
  return {
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey,
    // Only the public key crosses over to forge (its SubjectPublicKeyInfo goes into the
    // certificate): n and e read from OpenSSL's SPKI encoding by forge's own parser.
    forgePublicKey: loadForge().pki.publicKeyFromPem(
      createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
    ) as Forge.pki.rsa.PublicKey,
  };
}

/**
 * Sign `cert` as forge's `cert.sign(key, forge.md.sha256.create())` does (node-forge 1.4.3
 * lib/x509.js, `cert.sign`: set the signature algorithm, encode the TBSCertificate as DER,
 * RSASSA-PKCS1-v1_5 over its SHA-256), but with OpenSSL: `crypto.sign('sha256', tbs, key)` is
 * the same RSASSA-PKCS1-v1_5 (Node's default padding for RSA keys), which is deterministic, so
 * the signature — and the certificate — are the bytes forge's JavaScript RSA made, at a
 * fraction of its CPU (`signsAsForgeDid` in tls.test.ts compares the two).
 */
function signCertificate(cert: Forge.pki.Certificate, privateKey: KeyObject): void {
  const forge = loadForge();
  // Not in forge's typings; `cert.sign` calls it the same way.
  const pki = forge.pki as unknown as {
    getTBSCertificate(cert: Forge.pki.Certificate): Forge.asn1.Asn1;
  };
  cert.signatureOid = sha256WithRsaEncryption;
  cert.siginfo.algorithmOid = sha256WithRsaEncryption;
  cert.tbsCertificate = pki.getTBSCertificate(cert);
  const tbs = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, privateKey).toString('binary');
}

function serial(seed: string | undefined, purpose: string): string {
  const bytes =
    seed === undefined
      ? randomBytes(serialBytes)
      : seededBytes(seed, `${purpose}-serial`, serialBytes);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01; // positive and without a leading zero octet
  return bytes.toString('hex');
}

function startDate(options: MirrorTlsOptions): Date {
  if (options.notBefore) return options.notBefore;
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000);
  return new Date(Math.floor(Date.now() / 1000) * 1000);
}

function altNames(hosts: string[]): { dns: string[]; ips: string[] } {
  const dns: string[] = [];
  const ips: string[] = [];
  for (const host of [...hosts, ...ALWAYS_TRUSTED_NAMES]) {
    const name = host.replace(/^\[(.*)\]$/, '$1');
    if (isIP(name) !== 0) {
      if (!ips.includes(name)) ips.push(name);
    } else if (
      /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(
        name,
      )
    ) {
      if (!dns.includes(name.toLowerCase())) dns.push(name.toLowerCase());
    } else {
      throw new MirrorFormatError(
        'BAD_TLS_OPTIONS',
        `${JSON.stringify(host)} is neither a DNS name nor an IP address; give the mirror's host names and addresses without ports.`,
      );
    }
  }
  return { dns, ips };
}

function certificate(
  subject: Forge.pki.CertificateField[],
  publicKey: Forge.pki.PublicKey,
  serialNumber: string,
  notBefore: Date,
  days: number,
): Forge.pki.Certificate {
  const cert = loadForge().pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber;
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + days * msPerDay);
  cert.setSubject(subject);
  return cert;
}

/** `a.b.c.d` or an IPv6 address as bytes, the form of an iPAddress GeneralName. */
function ipBytes(ip: string): Buffer {
  // forge's own parser (its typings omit it), the one that encodes the SAN's iPAddress.
  const util = loadForge().util as unknown as { bytesFromIP(ip: string): string | null };
  return Buffer.from(util.bytesFromIP(ip) ?? '', 'binary');
}

/**
 * The critical nameConstraints extension permitting exactly these DNS names and single
 * addresses (RFC 5280 §4.2.1.10: a dNSName subtree permits the name and names below it; an
 * iPAddress subtree is address + mask, here all ones).
 */
function nameConstraintsExtension(dns: string[], ips: string[]) {
  const { asn1 } = loadForge();
  const subtree = (tag: number, bytes: string) =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.CONTEXT_SPECIFIC, tag, false, bytes),
    ]);
  const permitted = [
    ...dns.map((name) => subtree(2, name)),
    ...ips.map((ip) => {
      const address = ipBytes(ip);
      return subtree(
        7,
        Buffer.concat([address, Buffer.alloc(address.length, 0xff)]).toString('binary'),
      );
    }),
  ];
  return {
    id: '2.5.29.30',
    critical: true,
    value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, permitted),
    ]),
  };
}

interface ParsedSubtree {
  type: number;
  value: string;
}

function permits(subtrees: ParsedSubtree[], dns: string[], ips: string[]): string[] {
  const refused: string[] = [];
  for (const name of dns) {
    const ok = subtrees.some(
      (tree) =>
        tree.type === 2 &&
        (name === tree.value.toLowerCase() || name.endsWith(`.${tree.value.toLowerCase()}`)),
    );
    if (!ok) refused.push(name);
  }
  for (const ip of ips) {
    const address = ipBytes(ip);
    const ok = subtrees.some((tree) => {
      if (tree.type !== 7) return false;
      const bytes = Buffer.from(tree.value, 'binary');
      if (bytes.length !== address.length * 2) return false;
      return address.every(
        (byte, index) =>
          (byte & (bytes[address.length + index] ?? 0)) ===
          ((bytes[index] ?? 0) & (bytes[address.length + index] ?? 0)),
      );
    });
    if (!ok) refused.push(ip);
  }
  return refused;
}

/**
 * Check an existing CA before signing with it: the key is the certificate's, the certificate
 * is a CA, valid at `at`, and its critical name constraints permit every name the server
 * certificate needs (else it would vouch for more than the mirror, or clients would refuse
 * the server certificate). Throws `TLS_CA_INVALID` / `TLS_CA_MISMATCH` with the fix.
 */
function importCa(ca: MirrorCa, dns: string[], ips: string[], at: Date): Forge.pki.Certificate {
  const forge = loadForge();
  const fix =
    'give the ca.crt and ca.key a hostmirror build wrote (build-iso --tls-dir), or an empty --tls-dir for a new CA';
  let certificate: Forge.pki.Certificate;
  let x509: X509Certificate;
  let key: KeyObject;
  try {
    x509 = new X509Certificate(ca.certificatePem);
    certificate = forge.pki.certificateFromPem(ca.certificatePem);
    key = createPrivateKey(ca.keyPem);
  } catch (error) {
    throw new MirrorFormatError(
      'TLS_CA_INVALID',
      `The CA certificate or key cannot be read (${(error as Error).message}); ${fix}.`,
      { fix },
    );
  }
  const spki = (object: KeyObject) =>
    createHash('sha256')
      .update(object.export({ type: 'spki', format: 'der' }))
      .digest('hex')
      .replace(/(..)(?!$)/g, '$1:')
      .toUpperCase();
  const certificateKey = spki(x509.publicKey);
  const keyKey = spki(createPublicKey(key));
  if (certificateKey !== keyKey)
    throw new MirrorFormatError(
      'TLS_CA_MISMATCH',
      `The CA key is not the CA certificate's: the certificate's public key has SHA-256 fingerprint ${certificateKey}, the key's ${keyKey}; ${fix}.`,
      { value: keyKey, fix },
    );
  if (!x509.ca)
    throw new MirrorFormatError(
      'TLS_CA_INVALID',
      `The certificate ${x509.fingerprint256} (${x509.subject.replaceAll('\n', ', ')}) is not a CA (basicConstraints CA:false); ${fix}.`,
      { value: x509.fingerprint256, fix },
    );
  if (new Date(x509.validTo) <= at || new Date(x509.validFrom) > at)
    throw new MirrorFormatError(
      'TLS_CA_INVALID',
      `The CA ${x509.fingerprint256} is valid from ${x509.validFrom} to ${x509.validTo}, not at ${at.toISOString()}; ${fix}.`,
      { value: x509.fingerprint256, fix },
    );
  requireConstraints(certificate, x509.fingerprint256, dns, ips, fix);
  return certificate;
}

function requireConstraints(
  certificate: Forge.pki.Certificate,
  fingerprint: string,
  dns: string[],
  ips: string[],
  fix: string,
): void {
  const constraints = certificate.getExtension('nameConstraints') as {
    critical?: boolean;
    permittedSubtrees?: ParsedSubtree[];
  } | null;
  if (!constraints?.critical || (constraints.permittedSubtrees ?? []).length === 0)
    throw new MirrorFormatError(
      'TLS_CA_INVALID',
      `The CA ${fingerprint} has no critical name constraints, so it would vouch for any name wherever it is trusted; ${fix}.`,
      { value: fingerprint, fix },
    );
  const refused = permits(constraints.permittedSubtrees ?? [], dns, ips);
  if (refused.length > 0)
    throw new MirrorFormatError(
      'TLS_CA_INVALID',
      `The CA ${fingerprint}'s name constraints do not permit ${refused.join(', ')}, which the mirror's certificate needs; ${fix}.`,
      { value: refused.join(', '), fix },
    );
}

/**
 * Refuse a CA (PEM, no key needed) that would vouch for more than the mirror: it must carry
 * critical name constraints permitting the mirror's names and addresses (`hosts`, plus
 * `localhost` and 127.0.0.1). For a CA made elsewhere and handed to the boot sequence
 * (`boot-sequence --tls-dir`).
 */
export function requireMirrorOnlyCa(caPem: string, hosts: string[]): void {
  const fix = 'use a CA hostmirror made (build-iso --tls-dir writes one), or leave out --tls-dir';
  let certificate: Forge.pki.Certificate;
  let fingerprint: string;
  try {
    certificate = loadForge().pki.certificateFromPem(caPem);
    fingerprint = certificateFingerprint(caPem);
  } catch (error) {
    throw new MirrorFormatError(
      'TLS_CA_INVALID',
      `The CA certificate cannot be read (${(error as Error).message}); ${fix}.`,
      { fix },
    );
  }
  const { dns, ips } = altNames(hosts);
  requireConstraints(certificate, fingerprint, dns, ips, fix);
}

/**
 * The names and addresses among `hosts` that the CA (PEM) would not vouch for: all of them when
 * it has no critical name constraints. For a caller that can do without some names (build-iso
 * leaves out the control-plane mirror name an older CA does not permit) rather than refuse.
 */
export function namesRefusedByCa(caPem: string, hosts: string[]): string[] {
  const certificate = loadForge().pki.certificateFromPem(caPem);
  const { dns, ips } = altNames(hosts);
  const constraints = certificate.getExtension('nameConstraints') as {
    critical?: boolean;
    permittedSubtrees?: ParsedSubtree[];
  } | null;
  if (!constraints?.critical || (constraints.permittedSubtrees ?? []).length === 0)
    return [...dns, ...ips];
  return permits(constraints.permittedSubtrees ?? [], dns, ips);
}

/** The server key's seed when an existing CA signs: a secret derived from the CA's private key. */
function seedFromCaKey(keyPem: string): string {
  const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  return createHmac('sha256', der).update('hostmirror server key v1').digest('hex');
}

export function createMirrorTls(options: MirrorTlsOptions): MirrorTls {
  const forge = loadForge();
  const days = options.validityDays ?? DEFAULT_VALIDITY_DAYS;
  if (!Number.isInteger(days) || days < 1)
    throw new MirrorFormatError(
      'BAD_TLS_OPTIONS',
      `validityDays ${days} must be a whole number of days, at least 1.`,
    );
  const notBefore = startDate(options);
  const organization = options.organization ?? 'hostmirror';
  const { dns, ips } = altNames(options.hosts);

  let ca: Forge.pki.Certificate;
  let caKeyPem: string;
  let caPrivateKey: KeyObject;
  let seed = options.seed;
  const { keys } = options;
  if (keys !== undefined && (options.ca !== undefined || keys.seed !== options.seed))
    throw new MirrorFormatError(
      'BAD_TLS_OPTIONS',
      options.ca !== undefined
        ? 'keys drawn ahead cannot be used with a given CA, whose key is given.'
        : 'the keys drawn ahead were drawn for another seed; draw them with drawMirrorKeys(seed) for the same seed.',
    );
  if (options.ca !== undefined) {
    ca = importCa(options.ca, dns, ips, notBefore);
    const imported = keyPairOf(createPrivateKey(options.ca.keyPem));
    caKeyPem = imported.pem;
    caPrivateKey = imported.privateKey;
    seed ??= seedFromCaKey(options.ca.keyPem);
  } else {
    const caKeys = keyPair(seed, 'ca-key', keys?.ca);
    const caSubject = [
      { name: 'organizationName', value: organization },
      { name: 'commonName', value: `${organization} mirror CA` },
    ];
    ca = certificate(caSubject, caKeys.forgePublicKey, serial(seed, 'ca'), notBefore, days);
    ca.setIssuer(caSubject);
    ca.setExtensions([
      { name: 'basicConstraints', cA: true, critical: true, pathLenConstraint: 0 },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      nameConstraintsExtension(dns, ips),
      { name: 'subjectKeyIdentifier' },
    ]);
    signCertificate(ca, caKeys.privateKey);
    caKeyPem = caKeys.pem;
    caPrivateKey = caKeys.privateKey;
    // As for an imported CA: the server key follows from the CA key, so a later build that
    // imports this CA (build-iso --tls-dir) makes the same server certificate.
    seed ??= seedFromCaKey(caKeyPem);
  }

  const serverKeys = keyPair(seed, 'server-key', keys?.server);
  // Never valid past the CA: clients would refuse the chain from then on anyway.
  const serverDays = Math.min(
    days,
    Math.floor((ca.validity.notAfter.getTime() - notBefore.getTime()) / msPerDay),
  );
  const server = certificate(
    [
      { name: 'organizationName', value: organization },
      { name: 'commonName', value: dns[0] ?? ips[0] ?? 'localhost' },
    ],
    serverKeys.forgePublicKey,
    serial(seed, 'server'),
    notBefore,
    serverDays,
  );
  server.setIssuer(ca.subject.attributes);
  server.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        ...dns.map((value) => ({ type: 2, value })),
        ...ips.map((ip) => ({ type: 7, ip })),
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  signCertificate(server, caPrivateKey);

  const caCertificatePem =
    options.ca === undefined ? forge.pki.certificateToPem(ca) : options.ca.certificatePem;
  return {
    caCertificatePem,
    caKeyPem,
    serverCertificatePem: forge.pki.certificateToPem(server),
    serverKeyPem: serverKeys.pem,
    subjectAltNames: [...dns, ...ips],
    caFingerprint: certificateFingerprint(caCertificatePem),
    notAfter: server.validity.notAfter,
  };
}
