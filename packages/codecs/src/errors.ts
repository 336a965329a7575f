export type CodecErrorCode =
  /** No backend for the codec: neither the optional binding nor the command is available. */
  | 'CODEC_UNAVAILABLE'
  /** The backend reported a failure (corrupt or truncated input, a command exiting non-zero). */
  | 'CODEC_FAILED'
  /** An option is out of range (a compression level). */
  | 'BAD_OPTION';

/** A typed codec error; `codec` names the codec concerned. */
export class CodecError extends Error {
  readonly code: CodecErrorCode;
  readonly codec: string;

  constructor(code: CodecErrorCode, codec: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodecError';
    this.code = code;
    this.codec = codec;
  }
}
