import {
  checkPrime,
  checkPrimeSync,
  createHmac,
  createPrivateKey,
  type KeyObject,
} from 'node:crypto';

/**
 * Reproducible RSA keys: the same seed and purpose give the same key, byte for byte, using
 * Node's native big-number code for the expensive part (primality), not a JavaScript prime
 * search. Used for reproducible builds (`SOURCE_DATE_EPOCH`) and tests; without a seed the
 * mirror's keys come from `generateKeyPairSync`.
 *
 * Construction:
 * - DRBG: HMAC-SHA256 in counter mode (the PRF of NIST SP 800-108 §5.1, counter mode). The
 *   HMAC key is SHA-256-sized material derived from the seed, the message is
 *   `purpose \0 counter` with a 64-bit big-endian block counter, so distinct purposes
 *   ("ca-key", "server-key") give independent streams from one seed.
 * - Candidates: 1024 fresh stream bits each, top two bits set (so p·q has exactly 2048 bits,
 *   the same purpose as FIPS 186-4 B.3.3 step 4.4's √2·2^1023 lower bound) and the low bit set.
 * - Trial division by the odd primes below 2000 drops ~85 % of the odd candidates cheaply, then
 *   `checkPrimeSync(candidate, { checks: MILLER_RABIN_ROUNDS })` (OpenSSL `BN_check_prime`).
 * - p ≠ q, |p − q| > 2^(1024 − 100) (FIPS 186-4 B.3.3 step 5.4), gcd(e, p−1) = gcd(e, q−1) = 1
 *   with e = 65537 (prime, so "p−1 not a multiple of e"), d = e⁻¹ mod lcm(p−1, q−1).
 *
 * Determinism: a prime always passes Miller–Rabin, whatever bases OpenSSL draws; a composite
 * passes 64 rounds with random bases with probability at most 4^-64 = 2^-128 (Rabin's
 * bound, for any odd composite), so the first candidate accepted is the first prime of the
 * stream except with probability ≤ 2^-128 per candidate — the key is a function of the seed.
 * For random 1024-bit candidates the true error is far smaller still (Damgård–Landrock–
 * Pomerance); FIPS 186-4 Table C.2 asks for 5 rounds at this size for a 2^-100 error.
 */

/** Modulus size: every TLS client accepts RSA 2048; half of it per prime. */
const PRIME_BITS = 1024;
/** 65537: the usual RSA public exponent (FIPS 186-4 B.3.1 asks for 2^16 < e < 2^256). */
const PUBLIC_EXPONENT = 65537n;
/** Rounds of Miller–Rabin with random bases; see the error bound above. */
const MILLER_RABIN_ROUNDS = 64;
/** Trial-division bound: primes below it (302 odd primes). */
const SMALL_PRIME_LIMIT = 2000;
/** FIPS 186-4 B.3.3 step 5.4: |p − q| must exceed 2^(nlen/2 − 100). */
const MIN_PRIME_DISTANCE = 1n << BigInt(PRIME_BITS - 100);
/** A bound on candidates per prime: the expected count is ~355 (ln 2^1024 / 2); this is ~60σ. */
const MAX_CANDIDATES = 100_000;

const SMALL_PRIMES: readonly bigint[] = oddPrimesBelow(SMALL_PRIME_LIMIT);

function oddPrimesBelow(limit: number): bigint[] {
  const composite = new Uint8Array(limit);
  const primes: bigint[] = [];
  for (let n = 3; n < limit; n += 2) {
    if (composite[n]) continue;
    primes.push(BigInt(n));
    for (let multiple = n * n; multiple < limit; multiple += 2 * n) composite[multiple] = 1;
  }
  return primes;
}

/** HMAC-SHA256 counter-mode byte stream; see the construction above. */
export class SeededByteStream {
  readonly #key: Buffer;
  readonly #purpose: string;
  #counter = 0n;
  #pending: Buffer = Buffer.alloc(0);

  constructor(seed: string, purpose: string) {
    // Key derivation: the seed may be any length; HMAC hashes long keys itself, but a fixed
    // label keeps these streams apart from any other use of the same seed.
    this.#key = createHmac('sha256', 'hostmirror seeded RSA v1').update(seed).digest();
    this.#purpose = purpose;
  }

  read(count: number): Buffer {
    const blocks = [this.#pending];
    let have = this.#pending.length;
    while (have < count) {
      const counter = Buffer.alloc(8);
      counter.writeBigUInt64BE(this.#counter++);
      const block = createHmac('sha256', this.#key)
        .update(this.#purpose)
        .update('\0')
        .update(counter)
        .digest();
      blocks.push(block);
      have += block.length;
    }
    const all = Buffer.concat(blocks);
    this.#pending = all.subarray(count);
    return all.subarray(0, count);
  }
}

function bigintFromBytes(bytes: Buffer): bigint {
  return BigInt(`0x${bytes.toString('hex')}`);
}

function candidate(stream: SeededByteStream): bigint {
  const bytes = Buffer.from(stream.read(PRIME_BITS / 8));
  bytes[0] = (bytes[0] ?? 0) | 0xc0; // top two bits: p·q is a full 2048 bits
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) | 0x01; // odd
  return bigintFromBytes(bytes);
}

function passesTrialDivision(n: bigint): boolean {
  for (const prime of SMALL_PRIMES) if (n % prime === 0n) return false;
  return true;
}

/** The stream's candidates that survive trial division and suit e (p − 1 not a multiple of e). */
function* primeCandidates(stream: SeededByteStream): Generator<bigint> {
  for (let tries = 0; tries < MAX_CANDIDATES; tries++) {
    const n = candidate(stream);
    if (!passesTrialDivision(n)) continue;
    if ((n - 1n) % PUBLIC_EXPONENT === 0n) continue;
    yield n;
  }
}

/**
 * Internal invariant, so a plain Error (a bug keeps its stack): unreachable in practice (see
 * MAX_CANDIDATES: ~60σ past the expected ~355 candidates); a loud failure beats an endless loop.
 */
function noPrime(purpose: string): Error {
  return new Error(`no ${PRIME_BITS}-bit prime in ${MAX_CANDIDATES} candidates for ${purpose}`);
}

/** The next prime of the stream that suits e (p − 1 not a multiple of e). */
function nextPrime(stream: SeededByteStream, purpose: string): bigint {
  for (const n of primeCandidates(stream))
    if (checkPrimeSync(n, { checks: MILLER_RABIN_ROUNDS })) return n;
  throw noPrime(purpose);
}

function isPrimeOffThread(n: bigint): Promise<boolean> {
  return new Promise((resolve, reject) =>
    checkPrime(n, { checks: MILLER_RABIN_ROUNDS }, (error, prime) =>
      error ? reject(error) : resolve(prime),
    ),
  );
}

/**
 * `nextPrime` with the Miller–Rabin tests on libuv's thread pool (`crypto.checkPrime`): the same
 * candidates in the same order, so the same prime, while the main thread does other work.
 */
async function nextPrimeOffThread(stream: SeededByteStream, purpose: string): Promise<bigint> {
  for (const n of primeCandidates(stream)) if (await isPrimeOffThread(n)) return n;
  throw noPrime(purpose);
}

function gcd(a: bigint, b: bigint): bigint {
  let [x, y] = [a, b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** a⁻¹ mod m by the extended Euclidean algorithm (a and m coprime). */
function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  // Internal invariant (this module is not exported): e = 65537 is prime and p − 1, q − 1 are no
  // multiples of it (primeCandidates), and p ≠ q are primes, so every call's arguments are coprime.
  if (oldR !== 1n) throw new Error('modInverse: arguments are not coprime');
  return ((oldS % m) + m) % m;
}

function base64Url(n: bigint): string {
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(hex, 'hex').toString('base64url');
}

/** The RSA private key numbers of a 2048-bit key, p > q. */
export interface RsaPrimes {
  p: bigint;
  q: bigint;
}

/** The primes if `first` and `second` satisfy the distance rule, p > q. */
function orderedIfFar(first: bigint, second: bigint): RsaPrimes | undefined {
  const distance = first > second ? first - second : second - first;
  if (distance <= MIN_PRIME_DISTANCE) return undefined;
  return first > second ? { p: first, q: second } : { p: second, q: first };
}

/** Two primes from the stream, drawn until they satisfy the distance rule. */
export function seededRsaPrimes(seed: string, purpose: string): RsaPrimes {
  const stream = new SeededByteStream(seed, purpose);
  const first = nextPrime(stream, purpose);
  for (;;) {
    const primes = orderedIfFar(first, nextPrime(stream, purpose));
    if (primes !== undefined) return primes;
  }
}

/** `seededRsaPrimes` with the primality tests off the main thread: the same primes. */
export async function seededRsaPrimesOffThread(seed: string, purpose: string): Promise<RsaPrimes> {
  const stream = new SeededByteStream(seed, purpose);
  const first = await nextPrimeOffThread(stream, purpose);
  for (;;) {
    const primes = orderedIfFar(first, await nextPrimeOffThread(stream, purpose));
    if (primes !== undefined) return primes;
  }
}

/** Assemble the key from its primes through a JWK, so Node/OpenSSL own the encoding. */
export function rsaKeyFromPrimes({ p, q }: RsaPrimes): KeyObject {
  const e = PUBLIC_EXPONENT;
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  const d = modInverse(e, lambda);
  return createPrivateKey({
    key: {
      kty: 'RSA',
      n: base64Url(p * q),
      e: base64Url(e),
      d: base64Url(d),
      p: base64Url(p),
      q: base64Url(q),
      dp: base64Url(d % (p - 1n)),
      dq: base64Url(d % (q - 1n)),
      qi: base64Url(modInverse(q, p)),
    },
    format: 'jwk',
  });
}

/** A 2048-bit RSA private key that is a function of (seed, purpose). */
export function seededRsaKey(seed: string, purpose: string): KeyObject {
  return rsaKeyFromPrimes(seededRsaPrimes(seed, purpose));
}

/** `seededRsaKey` drawn on libuv's thread pool: the same key. */
export async function seededRsaKeyOffThread(seed: string, purpose: string): Promise<KeyObject> {
  return rsaKeyFromPrimes(await seededRsaPrimesOffThread(seed, purpose));
}
