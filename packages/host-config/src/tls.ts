import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { MirrorFormatError } from '@hostmirror/oc-mirror-archive';
import type Forge from 'node-forge';
import { seededRsaKey } from './seeded-rsa.ts';

/**
 * A CA and a server certificate for the mirror registry, made at build time (docs/design.md#mirror-mode):
 * the hosts trust the CA through `/etc/containers/certs.d/<host:port>/ca.crt`, so no mirror
 * needs `insecure`. RSA 2048 with SHA-256 signatures: every TLS client accepts them, and
 * PKCS#1 v1.5 signatures are deterministic, so with a seed the same inputs give the same
 * bytes: keys from `seededRsaKey` (a seeded HMAC-SHA256 stream, native primality tests),
 * serials from a seeded SHA-256 stream. Without a seed the keys come from Node's native
 * generator. node-forge only encodes and signs the certificates.
 */

export const RSA_KEY_BITS = 2048;

/** node-forge is loaded on first use: reading an archive should not pay for the X.509 code. */
let forgeModule: typeof Forge | undefined;
function loadForge(): typeof Forge {
  forgeModule ??= createRequire(import.meta.url)('node-forge') as typeof Forge;
  return forgeModule;
}
const rsaPublicExponent = 0x10001;
/** Ten years: the mirror lives as long as the cluster's first install media. */
export const DEFAULT_VALIDITY_DAYS = 3650;
/** Names always in the server certificate, so node0 can reach itself (docs/design.md#mirror-mode modes). */
const ALWAYS_TRUSTED_NAMES = ['localhost', '127.0.0.1'] as const;
/** Serial numbers: 16 random bytes, positive (RFC 5280 §4.1.2.2 allows up to 20 octets). */
const serialBytes = 16;
const msPerDay = 86_400_000;

export interface MirrorTlsOptions {
  /** DNS names and IP addresses the mirror is reached by (node0's IP, its name…). */
  hosts: string[];
  /** Make the same bytes every time for the same options (tests, reproducible builds). */
  seed?: string;
  /** Start of validity; default SOURCE_DATE_EPOCH when set, else now. */
  notBefore?: Date;
  validityDays?: number;
  /** Organisation name in both subjects. */
  organization?: string;
}

export interface MirrorTls {
  caCertificatePem: string;
  caKeyPem: string;
  serverCertificatePem: string;
  serverKeyPem: string;
  /** The SANs of the server certificate, DNS names then IP addresses. */
  subjectAltNames: string[];
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
 * The key as Node holds it (its PKCS#8 PEM is what we write) and as forge needs it to put the
 * public key in a certificate and sign. Seeded keys come from `seededRsaKey` (native
 * primality tests, see seeded-rsa.ts), others from Node's native generator.
 */
interface KeyPair {
  pem: string;
  forge: Forge.pki.rsa.KeyPair;
}

function keyPair(seed: string | undefined, purpose: string): KeyPair {
  const privateKey =
    seed === undefined
      ? generateKeyPairSync('rsa', {
          modulusLength: RSA_KEY_BITS,
          publicExponent: rsaPublicExponent,
        }).privateKey
      : seededRsaKey(seed, purpose);
  const forgeKey = loadForge().pki.privateKeyFromPem(
    privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  );
  return {
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    forge: {
      privateKey: forgeKey,
      publicKey: loadForge().pki.setRsaPublicKey(forgeKey.n, forgeKey.e),
    },
  };
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

export function createMirrorTls(options: MirrorTlsOptions): MirrorTls {
  const { seed } = options;
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

  const caKeys = keyPair(seed, 'ca-key');
  const caSubject = [
    { name: 'organizationName', value: organization },
    { name: 'commonName', value: `${organization} mirror CA` },
  ];
  const ca = certificate(caSubject, caKeys.forge.publicKey, serial(seed, 'ca'), notBefore, days);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true, pathLenConstraint: 0 },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.forge.privateKey, forge.md.sha256.create());

  const serverKeys = keyPair(seed, 'server-key');
  const server = certificate(
    [
      { name: 'organizationName', value: organization },
      { name: 'commonName', value: dns[0] ?? ips[0] ?? 'localhost' },
    ],
    serverKeys.forge.publicKey,
    serial(seed, 'server'),
    notBefore,
    days,
  );
  server.setIssuer(caSubject);
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
  server.sign(caKeys.forge.privateKey, forge.md.sha256.create());

  return {
    caCertificatePem: forge.pki.certificateToPem(ca),
    caKeyPem: caKeys.pem,
    serverCertificatePem: forge.pki.certificateToPem(server),
    serverKeyPem: serverKeys.pem,
    subjectAltNames: [...dns, ...ips],
  };
}
