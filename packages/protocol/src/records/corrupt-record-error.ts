import { RunnelError, type RunnelErrorOptions } from '@runnel/errors'

/**
 * A record batch, a record inside it, or a compressed payload is not what its own bytes
 * claim: truncated, lying about a length, failing to decompress, or decompressing past the
 * allowed size. Thrown by the reading side only (readBatch, records(), decompress);
 * validateBatch never throws and answers with a Kafka error code instead.
 */
export class CorruptRecordError extends RunnelError {
  static readonly code = 'RUNNEL_CORRUPT_RECORD'

  constructor(message: string, options?: RunnelErrorOptions) {
    super(CorruptRecordError.code, message, options)
    this.name = 'CorruptRecordError'
  }
}
