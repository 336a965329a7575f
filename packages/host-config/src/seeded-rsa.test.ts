import assert from 'node:assert/strict';
import { checkPrimeSync, createPublicKey, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  rsaKeyFromPrimes,
  SeededByteStream,
  seededRsaKey,
  seededRsaPrimes,
  seededRsaPrimesOffThread,
} from './seeded-rsa.ts';

describe('seeded RSA keys', () => {
  const primes = seededRsaPrimes('unit-test', 'ca-key');

  it('streamIsAFunctionOfSeedAndPurpose', () => {
    const a = new SeededByteStream('s', 'p');
    // Reads of any sizes concatenate to the same stream.
    const pieces = Buffer.concat([a.read(5), a.read(40), a.read(83)]);
    assert.deepEqual(pieces, new SeededByteStream('s', 'p').read(128));
    assert.notDeepEqual(
      new SeededByteStream('s', 'q').read(32),
      new SeededByteStream('s', 'p').read(32),
    );
    assert.notDeepEqual(
      new SeededByteStream('t', 'p').read(32),
      new SeededByteStream('s', 'p').read(32),
    );
  });

  it('primesMeetTheRules', () => {
    const { p, q } = primes;
    for (const prime of [p, q]) {
      assert.equal(prime.toString(2).length, 1024);
      assert.equal(prime >> 1022n, 3n, 'top two bits set');
      assert.ok(checkPrimeSync(prime, { checks: 64 }));
      assert.notEqual((prime - 1n) % 65537n, 0n);
    }
    assert.ok(p > q);
    assert.ok(p - q > 1n << 924n);
    assert.equal((p * q).toString(2).length, 2048);
  });

  it('sameSeedSameKeyDifferentSeedDifferentKey', () => {
    const pem = (key: ReturnType<typeof seededRsaKey>) =>
      key.export({ type: 'pkcs8', format: 'pem' }).toString();
    const first = pem(rsaKeyFromPrimes(primes));
    assert.equal(pem(seededRsaKey('unit-test', 'ca-key')), first);
    assert.notEqual(pem(seededRsaKey('unit-test-2', 'ca-key')), first);
    assert.notEqual(pem(seededRsaKey('unit-test', 'server-key')), first);
  });

  it('offThreadSamePrimes: the thread-pool search finds the same primes as the synchronous one', async () => {
    assert.deepEqual(await seededRsaPrimesOffThread('unit-test', 'ca-key'), primes);
    assert.notDeepEqual(await seededRsaPrimesOffThread('unit-test', 'server-key'), primes);
  });

  it('keyWorks', () => {
    const key = rsaKeyFromPrimes(primes);
    assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048);
    assert.equal(key.asymmetricKeyDetails?.publicExponent, 65537n);
    const jwk = key.export({ format: 'jwk' });
    const n = BigInt(`0x${Buffer.from(jwk.n ?? '', 'base64url').toString('hex')}`);
    assert.equal(n, primes.p * primes.q);
    const message = Buffer.from('hostmirror');
    const signature = sign('sha256', message, key);
    assert.ok(verify('sha256', message, createPublicKey(key), signature));
    // PKCS#1 v1.5 signatures are deterministic: what makes seeded certificates reproducible.
    assert.deepEqual(sign('sha256', message, key), signature);
  });
});
