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
  | 'CORRUPT';

/** A typed codec error; `codec` (also `subject`) names the codec concerned. */
export class CodecError extends HostmirrorError<CodecErrorCode> {
  readonly codec: string;

  constructor(code: CodecErrorCode, message: string, details: ErrorDetails & { codec: string }) {
    super(code, message, { subject: details.codec, ...details });
    this.codec = details.codec;
  }
}
