import assert from 'node:assert/strict';
import { createHash, createPrivateKey, sign, verify, X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type Forge from 'node-forge';
import { createMirrorTls, type MirrorTls } from './tls.ts';

const forge = createRequire(import.meta.url)('node-forge') as typeof Forge;

const options = {
  hosts: ['mirror.local', '192.168.111.80', 'fd00::5'],
  seed: 'unit-test',
  notBefore: new Date('2026-01-01T00:00:00Z'),
  validityDays: 3650,
};

/** One DER element at `offset`: where its contents start and where it ends. */
function derElement(der: Buffer, offset: number): { start: number; end: number } {
  const first = der[offset + 1] ?? 0;
  if (first < 0x80) return { start: offset + 2, end: offset + 2 + first };
  const octets = first & 0x7f;
  const length = der.readUIntBE(offset + 2, octets);
  return { start: offset + 2 + octets, end: offset + 2 + octets + length };
}

/** A certificate's TBSCertificate, byte for byte as signed (the first element of its DER). */
function tbsOf(pem: string): Buffer {
  const der = new X509Certificate(pem).raw;
  const outer = derElement(der, 0);
  return der.subarray(outer.start, derElement(der, outer.start).end);
}

/** The signature value of a certificate, as forge reads it. */
function signatureOf(pem: string): Buffer {
  return Buffer.from(forge.pki.certificateFromPem(pem).signature as string, 'binary');
}

/** forge's JavaScript RSASSA-PKCS1-v1_5 over `data` with SHA-256: how the certificates were signed before. */
function forgeSign(data: Buffer, keyPem: string): Buffer {
  const key = forge.pki.privateKeyFromPem(
    createPrivateKey(keyPem).export({ type: 'pkcs1', format: 'pem' }).toString(),
  );
  const md = forge.md.sha256.create();
  md.update(data.toString('binary'));
  return Buffer.from(key.sign(md), 'binary');
}

function bothCertificates(tls: MirrorTls) {
  return [
    { name: 'CA', pem: tls.caCertificatePem },
    { name: 'server', pem: tls.serverCertificatePem },
  ];
}

describe('certificate signing', () => {
  const tls = createMirrorTls(options);
  const imported = createMirrorTls({
    hosts: ['mirror.local'],
    ca: { certificatePem: tls.caCertificatePem, keyPem: tls.caKeyPem },
    notBefore: new Date('2026-02-01T00:00:00Z'),
    validityDays: 100,
  });

  it('signsAsForgeDid: the native signature of each TBSCertificate equals forge JavaScript RSA over the same bytes', () => {
    for (const [label, made] of [
      ['seeded', tls],
      ['imported CA', imported],
      ['random keys', createMirrorTls({ hosts: ['mirror.local'] })],
    ] as const) {
      for (const { name, pem } of bothCertificates(made)) {
        const tbs = tbsOf(pem);
        const inCertificate = signatureOf(pem);
        const byForge = forgeSign(tbs, made.caKeyPem);
        const byOpenSsl = sign('sha256', tbs, createPrivateKey(made.caKeyPem));
        assert.equal(inCertificate.length, 256, `${label} ${name}: an RSA-2048 signature`);
        assert.ok(
          byForge.equals(byOpenSsl),
          `${label} ${name}: forge ${byForge.toString('hex').slice(0, 32)}… vs crypto.sign ${byOpenSsl.toString('hex').slice(0, 32)}…`,
        );
        assert.ok(
          inCertificate.equals(byForge),
          `${label} ${name}: the certificate's signature is not forge's over its TBSCertificate`,
        );
        assert.ok(verify('sha256', tbs, made.caCertificatePem, inCertificate), `${label} ${name}`);
      }
    }
  });

  it('forgeAloneMakesTheSameCertificates: forge cert.sign over the parsed certificate re-encodes to the same PEM', () => {
    for (const { name, pem } of bothCertificates(tls)) {
      const certificate = forge.pki.certificateFromPem(pem);
      const key = forge.pki.privateKeyFromPem(
        createPrivateKey(tls.caKeyPem).export({ type: 'pkcs1', format: 'pem' }).toString(),
      );
      certificate.sign(key, forge.md.sha256.create());
      assert.equal(forge.pki.certificateToPem(certificate), pem, `${name} certificate`);
    }
  });

  it('pinnedBytes: a seed gives the bytes it gave when forge signed (commit dccb49e)', () => {
    // Computed by createMirrorTls before the certificates were signed natively; a change here
    // changes every seeded build's ISO and must be deliberate (and said in the README).
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    assert.deepEqual(
      {
        ca: tls.caFingerprint,
        server: new X509Certificate(tls.serverCertificatePem).fingerprint256,
        caKey: sha256(tls.caKeyPem),
        serverKey: sha256(tls.serverKeyPem),
        importedServer: new X509Certificate(imported.serverCertificatePem).fingerprint256,
        importedServerKey: sha256(imported.serverKeyPem),
      },
      {
        ca: '97:4D:FF:32:A2:00:B6:4C:BE:BE:91:48:4D:11:86:A1:75:AE:7A:88:54:13:6D:25:08:6A:91:5D:09:7A:3D:C7',
        server:
          '86:46:1A:6C:33:FD:71:9B:8B:C8:B4:98:C9:DA:1C:0A:08:27:0E:65:75:9C:12:A7:63:35:14:BD:5A:86:92:FE',
        caKey: 'e2fdb9044697462bab43b36d6053fb978eb4f96f2eb739b9c2296c0774aa7ce7',
        serverKey: '73d5bb010dae94fd6f6dc3e6e117f1afc2ecbae6f5df5089eb080a61c03e77d3',
        importedServer:
          '6D:E1:07:4E:3B:EC:44:1A:47:F5:10:2C:06:21:EE:EB:4A:58:8A:D6:AC:3E:7A:DF:39:B7:A8:A2:D9:79:4C:48',
        importedServerKey: 'ba7683f33b9ecf504a200fe3bbd741de16e846024d212397932af499128a373a',
      },
    );
  });
});
