/**
 * Deterministic mutations: input `index` of target `target` under `seed` is always the same
 * bytes, so any finding is reproduced by `--target T --from I --count 1`.
 */

/** SplitMix32-style generator: small, fast, and the same on every machine. */
export class Random {
  #state: number;

  constructor(...parts: (number | string)[]) {
    let hash = 0x811c9dc5;
    for (const part of parts)
      for (const char of String(part)) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
    this.#state = hash >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let value = this.#state;
    value = Math.imul(value ^ (value >>> 16), 0x85ebca6b);
    value = Math.imul(value ^ (value >>> 13), 0xc2b2ae35);
    return (value ^ (value >>> 16)) >>> 0;
  }

  /** An integer in [0, bound). */
  below(bound: number): number {
    return bound <= 0 ? 0 : this.next() % bound;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
}

/** Values that sit on the edges parsers check: sizes, signs, lengths, ASCII digits. */
const INTERESTING_BYTES = [0, 1, 0x7f, 0x80, 0xff, 0x20, 0x30, 0x39, 0x0a, 0x2f, 0x2e];
const INTERESTING_U32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 2048, 4096, 0x10000];
/** Text fragments that stress YAML, JSON and TOML readers (aliases, nesting, numbers). */
const TEXT_TOKENS = [
  '*a',
  '&a ',
  '<<: *a\n',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  ': ',
  '- ',
  '\n  ',
  '\t',
  '#',
  '0x',
  '1e999',
  '-1',
  '99999999999999999999',
  'null',
  '~',
  '!!binary ',
  '!!python/object ',
  '%YAML 1.1\n',
  '---\n',
  '\\u0000',
  '\u0000',
  '..',
  '/',
  '../../',
  '=',
  '[[registry]]\n',
];

/** One mutated input in this many is never cut to the target's `maxInputBytes`. */
export const WHOLE_EVERY = 64;

type Mutator = (input: Buffer, random: Random, corpus: readonly Buffer[]) => Buffer;

const flipBit: Mutator = (input, random) => {
  if (input.length === 0) return Buffer.from([random.below(256)]);
  const out = Buffer.from(input);
  const at = random.below(out.length);
  out[at] = (out[at] as number) ^ (1 << random.below(8));
  return out;
};

const setByte: Mutator = (input, random) => {
  if (input.length === 0) return Buffer.from([random.pick(INTERESTING_BYTES)]);
  const out = Buffer.from(input);
  out[random.below(out.length)] = random.pick(INTERESTING_BYTES);
  return out;
};

const setU32: Mutator = (input, random) => {
  if (input.length < 4) return flipBit(input, random, []);
  const out = Buffer.from(input);
  const at = random.below(out.length - 3);
  const value = random.pick(INTERESTING_U32);
  if (random.below(2) === 0) out.writeUInt32LE(value, at);
  else out.writeUInt32BE(value, at);
  return out;
};

/** Overwrite a both-endian or ASCII-octal/hex number (ISO, tar, newc fields) with an edge value. */
const setAsciiNumber: Mutator = (input, random) => {
  const out = Buffer.from(input);
  const at = random.below(Math.max(1, out.length - 8));
  const text = random.pick(['ffffffff', '7fffffff', '00000000', '77777777777', '-1', '99999999']);
  out.write(text, at, 'latin1');
  return out;
};

const erase: Mutator = (input, random) => {
  if (input.length < 2) return input;
  const start = random.below(input.length);
  const length = 1 + random.below(Math.min(64, input.length - start));
  return Buffer.concat([input.subarray(0, start), input.subarray(start + length)]);
};

const truncate: Mutator = (input, random) => input.subarray(0, random.below(input.length + 1));

/** Repeat a slice many times: the amplification shape (many records, deep nesting). */
const repeat: Mutator = (input, random) => {
  if (input.length === 0) return input;
  const start = random.below(input.length);
  const length = 1 + random.below(Math.min(256, input.length - start));
  const times = 2 + random.below(random.below(2) === 0 ? 8 : 2000);
  const slice = input.subarray(start, start + length);
  const repeated = Buffer.alloc(Math.min(slice.length * times, 1 << 20));
  for (let at = 0; at < repeated.length; at += slice.length) slice.copy(repeated, at);
  return Buffer.concat([input.subarray(0, start), repeated, input.subarray(start)]);
};

const insertToken: Mutator = (input, random) => {
  const at = random.below(input.length + 1);
  return Buffer.concat([
    input.subarray(0, at),
    Buffer.from(random.pick(TEXT_TOKENS)),
    input.subarray(at),
  ]);
};

/** Splice another corpus entry in: mixes findings with well-formed inputs. */
const splice: Mutator = (input, random, corpus) => {
  const other = random.pick(corpus);
  if (other === undefined || other.length === 0) return input;
  const at = random.below(input.length + 1);
  const from = random.below(other.length);
  const length = 1 + random.below(Math.min(4096, other.length - from));
  return Buffer.concat([
    input.subarray(0, at),
    other.subarray(from, from + length),
    input.subarray(at),
  ]);
};

const BINARY: Mutator[] = [
  flipBit,
  flipBit,
  setByte,
  setU32,
  setU32,
  setAsciiNumber,
  erase,
  truncate,
  repeat,
  splice,
];
const TEXT: Mutator[] = [
  flipBit,
  setByte,
  erase,
  truncate,
  repeat,
  insertToken,
  insertToken,
  splice,
  setAsciiNumber,
];

/**
 * Input `index` for a target: a corpus entry (every entry unchanged first), then 1–6 stacked
 * mutations of a randomly chosen entry, cut to `maxBytes` (the target's `maxInputBytes`) except
 * one input in `WHOLE_EVERY`, so the largest shapes (up to the 1 MiB repeats) are still tried.
 */
export function inputFor(
  corpus: readonly Buffer[],
  kind: 'binary' | 'text',
  seed: number,
  target: string,
  index: number,
  maxBytes = Number.POSITIVE_INFINITY,
): Buffer {
  if (index < corpus.length) return corpus[index] as Buffer;
  const random = new Random(seed, target, index);
  let input = random.pick(corpus);
  const mutators = kind === 'binary' ? BINARY : TEXT;
  const rounds = 1 + random.below(6);
  for (let round = 0; round < rounds; round++) input = random.pick(mutators)(input, random, corpus);
  const cut = index % WHOLE_EVERY === 0 ? Number.POSITIVE_INFINITY : maxBytes;
  return input.length > cut ? input.subarray(0, cut) : input;
}
