/**
 * A reader for systemd unit text that fails exactly where go-systemd's `unit.Deserialize`
 * (which Ignition's unit and drop-in `Validate()` call) fails, with its messages. It reads
 * through an emulation of Go's `bufio.Reader`, because the line-length check depends on how
 * much input that reader has buffered (docs/ignition.md#systemd).
 */
import { isGoSpace } from './data-url.ts';

/** go-systemd's SYSTEMD_LINE_MAX: longer lines give `line too long (max 2048 bytes)`. */
const systemdLineMax = 2048;
/** Go's bufio default buffer size. */
const bufioSize = 4096;
const newline = 0x0a;
const carriageReturn = 0x0d;

export interface UnitOption {
  section: string;
  name: string;
  value: string;
}

class UnitTextError extends Error {}

/** Go's `bufio.Reader` over a byte string, reduced to the calls the lexer makes. */
class GoBufferedReader {
  private readonly buffer = new Uint8Array(bufioSize);
  private r = 0;
  private w = 0;
  private sourceOffset = 0;
  private atEnd = false;
  private lastRuneSize = -1;

  private readonly source: Uint8Array;

  constructor(source: Uint8Array) {
    this.source = source;
  }

  buffered(): number {
    return this.w - this.r;
  }

  private fill(): void {
    if (this.r > 0) {
      this.buffer.copyWithin(0, this.r, this.w);
      this.w -= this.r;
      this.r = 0;
    }
    const count = Math.min(bufioSize - this.w, this.source.length - this.sourceOffset);
    if (count === 0) {
      this.atEnd = true;
      return;
    }
    this.buffer.set(this.source.subarray(this.sourceOffset, this.sourceOffset + count), this.w);
    this.sourceOffset += count;
    this.w += count;
  }

  /** Go's readErr: report end of input once, then allow another fill attempt. */
  private takeEnd(): boolean {
    const end = this.atEnd;
    this.atEnd = false;
    return end;
  }

  private fullRuneBuffered(): boolean {
    const available = this.w - this.r;
    if (available === 0) return false;
    const lead = this.buffer[this.r] ?? 0;
    const needed = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    return available >= needed;
  }

  /** The next code point, or undefined at the end. */
  readRune(): number | undefined {
    while (
      this.r + 4 > this.w &&
      !this.fullRuneBuffered() &&
      !this.atEnd &&
      this.w - this.r < bufioSize
    ) {
      this.fill();
    }
    this.lastRuneSize = -1;
    if (this.r === this.w) {
      this.takeEnd();
      return undefined;
    }
    const lead = this.buffer[this.r] ?? 0;
    if (lead < 0x80) {
      this.r += 1;
      this.lastRuneSize = 1;
      return lead;
    }
    const decoded = new TextDecoder('utf-8', { fatal: false }).decode(
      this.buffer.subarray(this.r, Math.min(this.w, this.r + 4)),
    );
    const codePoint = decoded.codePointAt(0) ?? 0xfffd;
    const size = codePoint === 0xfffd ? 1 : Buffer.byteLength(String.fromCodePoint(codePoint));
    this.r += size;
    this.lastRuneSize = size;
    return codePoint;
  }

  unreadRune(): void {
    if (this.lastRuneSize > 0) this.r -= this.lastRuneSize;
    this.lastRuneSize = -1;
  }

  /** Bytes up to and including `delimiter`, or to the end; `ended` when no delimiter came. */
  readBytes(delimiter: number): { bytes: Buffer; ended: boolean } {
    const parts: Buffer[] = [];
    let searched = 0;
    while (true) {
      const index = this.buffer.subarray(this.r + searched, this.w).indexOf(delimiter);
      if (index >= 0) {
        const end = this.r + searched + index + 1;
        parts.push(Buffer.from(this.buffer.subarray(this.r, end)));
        this.r = end;
        return { bytes: Buffer.concat(parts), ended: false };
      }
      if (this.atEnd) {
        parts.push(Buffer.from(this.buffer.subarray(this.r, this.w)));
        this.r = this.w;
        this.takeEnd();
        return { bytes: Buffer.concat(parts), ended: true };
      }
      if (this.buffered() >= bufioSize) {
        parts.push(Buffer.from(this.buffer.subarray(this.r, this.w)));
        this.r = this.w;
        searched = 0;
        continue;
      }
      searched = this.w - this.r;
      this.fill();
    }
  }

  peek(count: number): Uint8Array {
    while (this.w - this.r < count && this.w - this.r < bufioSize && !this.atEnd) this.fill();
    return this.buffer.subarray(this.r, this.r + Math.min(count, this.w - this.r));
  }
}

function trimGoSpace(text: string): string {
  const chars = [...text];
  let start = 0;
  let end = chars.length;
  while (start < end && isGoSpace(chars[start]?.codePointAt(0) ?? 0)) start++;
  while (end > start && isGoSpace(chars[end - 1]?.codePointAt(0) ?? 0)) end--;
  return chars.slice(start, end).join('');
}

const isComment = (codePoint: number) => codePoint === 0x23 || codePoint === 0x3b; // # ;

type Step = (() => Step) | undefined;

/**
 * Parse unit text into its options, or throw the go-systemd message (`unable to find end of
 * section`, `line too long (max 2048 bytes)`…). Text before the first section is skipped, as
 * go-systemd skips it.
 */
function deserialize(text: string): UnitOption[] {
  const reader = new GoBufferedReader(Buffer.from(text, 'utf8'));
  const options: UnitOption[] = [];

  const toEndOfLine = (): { line: string; ended: boolean } => {
    const { bytes, ended } = reader.readBytes(newline);
    let line = bytes;
    // Go trims a trailing "\r" first and then "\n", so "\r\n" keeps its "\r".
    if (line.at(-1) === carriageReturn) line = line.subarray(0, -1);
    if (line.at(-1) === newline) line = line.subarray(0, -1);
    return { line: line.toString('utf8'), ended };
  };

  const ignoreLine =
    (next: () => Step): (() => Step) =>
    () => {
      while (true) {
        let { line } = toEndOfLine();
        if (line.endsWith(' ')) line = line.slice(0, -1);
        if (!line.endsWith('\\')) break;
      }
      return next;
    };

  const nextSection = (): Step => {
    const rune = reader.readRune();
    if (rune === undefined) return undefined;
    if (rune === 0x5b) return sectionName; // [
    if (isComment(rune)) return ignoreLine(nextSection);
    return nextSection;
  };

  const sectionName = (): Step => {
    const { bytes, ended } = reader.readBytes(0x5d); // ]
    if (ended) throw new UnitTextError('unable to find end of section');
    const name = bytes.subarray(0, -1).toString('utf8');
    return () => {
      const garbage = trimGoSpace(toEndOfLine().line);
      // go-systemd prints its (never set) current-section field here, hence the empty name.
      if (garbage !== '')
        throw new UnitTextError(`found garbage after section name : ${JSON.stringify(garbage)}`);
      return nextSectionOrOption(name);
    };
  };

  const nextSectionOrOption =
    (section: string): (() => Step) =>
    () => {
      const rune = reader.readRune();
      if (rune === undefined) return undefined;
      if (isGoSpace(rune)) return nextSectionOrOption(section);
      if (rune === 0x5b) return sectionName;
      if (isComment(rune)) return ignoreLine(nextSectionOrOption(section));
      reader.unreadRune();
      return optionName(section);
    };

  const optionName =
    (section: string): (() => Step) =>
    () => {
      let partial = '';
      while (true) {
        const rune = reader.readRune();
        if (rune === undefined) throw new UnitTextError('EOF');
        if (rune === newline || rune === carriageReturn)
          throw new UnitTextError('unexpected newline encountered while parsing option name');
        if (rune === 0x3d) break; // =
        partial += String.fromCodePoint(rune);
      }
      return optionValue(section, trimGoSpace(partial), '');
    };

  const optionValue =
    (section: string, name: string, partial: string): (() => Step) =>
    () => {
      let value = partial;
      const { line, ended } = toEndOfLine();
      if (trimGoSpace(line) !== '') {
        value += line;
        // A trailing backslash continues the value on the next line.
        if (line.endsWith('\\')) return optionValue(section, name, ended ? value : `${value}\n`);
      }
      value = value.endsWith('\n') ? `${trimGoSpace(value)}\n` : trimGoSpace(value);
      options.push({ section, name, value });
      return nextSectionOrOption(section);
    };

  let step: Step = nextSection;
  while (step !== undefined) {
    if (reader.buffered() >= systemdLineMax) {
      const window = reader.peek(systemdLineMax);
      if (!window.includes(newline) && !window.includes(carriageReturn))
        throw new UnitTextError(`line too long (max ${systemdLineMax} bytes)`);
    }
    step = step();
  }
  return options;
}

/** The options of unit text, or go-systemd's message when it cannot be parsed. */
export function parseUnitText(text: string): { options: UnitOption[] } | { problem: string } {
  try {
    return { options: deserialize(text) };
  } catch (error) {
    if (error instanceof UnitTextError) return { problem: error.message };
    throw error;
  }
}
