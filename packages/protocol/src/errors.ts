// The protocol's errors, on the one Runnel error base (@runnel/errors). Kafka's own error codes
// are not exceptions: they are data written into responses (see generated/errors.generated.ts).
import { RunnelError, type RunnelErrorOptions } from '@runnel/errors'

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
