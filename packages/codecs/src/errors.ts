import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';
export type CodecErrorCode =
  /** No backend for the codec: neither the optional binding nor the command is available. */
  | 'CODEC_UNAVAILABLE'
  /** The backend reported a failure (corrupt or truncated input, a command exiting non-zero). */
  | 'CODEC_FAILED'
  /** An option is out of range (a compression level). */
  | 'BAD_OPTION'
  /** The source ends inside a compressed stream (header, data or trailer). */
  | 'TRUNCATED'
  /** A compressed stream's structure is broken (an xz index, a reserved zstd block type…). */
  | 'CORRUPT'
  /** Decompressing would give more bytes than the caller allows. */
  | 'TOO_LARGE';

/** What the user can do about each code (the `fix` of a throw that gives none). */
const CODECERROR_FIXES: Readonly<Record<CodecErrorCode, string>> = {
  CODEC_UNAVAILABLE:
    'Install the command the message names (xz-utils or zstd), or use gzip, which needs nothing.',
  CODEC_FAILED:
    'The compressed data is damaged, or the command failed as its stderr says: make or copy the file again.',
  BAD_OPTION: 'Use a level in the range the message gives.',
  TRUNCATED:
    'The file was cut short (an interrupted copy or download): copy it again from its source.',
  TOO_LARGE:
    'Give smaller contents, or contents that are not compressed beyond reason (a gzip bomb is refused).',
  CORRUPT: 'The compressed data is damaged: make the file again, or copy it again from its source.',
};

/** A typed codec error; `codec` (also `subject`) names the codec concerned. */
export class CodecError extends HostmirrorError<CodecErrorCode> {
  static override readonly fixes = CODECERROR_FIXES;

  readonly codec: string;

  constructor(code: CodecErrorCode, message: string, details: ErrorDetails & { codec: string }) {
    super(code, message, { subject: details.codec, ...details });
    this.codec = details.codec;
  }
}
