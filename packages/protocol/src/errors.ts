// One error base for all of Runnel (STYLE.md habit 4): a stable, prefixed `code`, a
// `retriable` flag and a `cause`. Kafka's own error codes are not exceptions: they are data
// written into responses (see generated/errors.generated.ts).

export interface RunnelErrorOptions {
  retriable?: boolean
  cause?: unknown
}

export class RunnelError extends Error {
  readonly code: string
  readonly retriable: boolean

  constructor(code: string, message: string, options: RunnelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RunnelError'
    this.code = code
    this.retriable = options.retriable ?? false
  }
}

/** The protocol's own error codes: each is listed, with its meaning, in docs/protocol.md. */
export const ProtocolErrorCode = {
  /** A frame or field ended before its declared length. */
  RUNNEL_PROTOCOL_TRUNCATED: 'RUNNEL_PROTOCOL_TRUNCATED',
  /** A frame holds an impossible value: a negative length, an over-long varint, a lying count. */
  RUNNEL_PROTOCOL_MALFORMED: 'RUNNEL_PROTOCOL_MALFORMED',
  /** The API key is not one the codec knows. */
  RUNNEL_PROTOCOL_UNKNOWN_API: 'RUNNEL_PROTOCOL_UNKNOWN_API',
  /** The API is known but not at this version. */
  RUNNEL_PROTOCOL_UNSUPPORTED_VERSION: 'RUNNEL_PROTOCOL_UNSUPPORTED_VERSION',
} as const
export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode]

export class ProtocolError extends RunnelError {
  constructor(code: ProtocolErrorCode, message: string, options?: RunnelErrorOptions) {
    super(code, message, options)
    this.name = 'ProtocolError'
  }
}
