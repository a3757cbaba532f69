import { crc32c } from '@node-rs/crc32'
import {
  Attributes,
  BATCH_HEADER_SIZE,
  CompressionType,
  CRC_START,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  Offsets,
} from './batch-header.ts'

/** The Kafka error codes validateBatch answers with (values from Kafka's error table). */
export const BatchValidationCode = {
  NONE: 0,
  CORRUPT_MESSAGE: 2,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
} as const
export type BatchValidationCode = (typeof BatchValidationCode)[keyof typeof BatchValidationCode]

export interface ValidateBatchOptions {
  /**
   * 'client' (default): a batch arriving in a Produce request, held to the rules Kafka's
   * LogValidator applies to AppendOrigin.CLIENT. 'internal': a batch the broker wrote itself
   * or reads back from its own log (control markers, compacted batches, which may be empty).
   */
  origin?: 'client' | 'internal'
}

/** Smallest possible record: length, attributes, timestamp and offset deltas, key and value
 * lengths and header count, one byte each. */
const MIN_RECORD_SIZE = 7

/**
 * Checks the one batch that must fill [pos, end) exactly, as the produce path needs before it
 * appends the bytes unchanged. Header fields and one CRC-32C pass only: no record is decoded
 * and nothing is decompressed. Returns 0 or a Kafka error code; never throws, whatever the
 * bytes (a bad `pos`/`end` is answered CORRUPT_MESSAGE too).
 *
 * - CORRUPT_MESSAGE (2): shorter than a batch header, a batchLength that runs past `end`,
 *   a magic other than 0..2, a CRC mismatch, a record count that cannot fit the bytes.
 * - INVALID_RECORD (87): magic 0 or 1 (Produce v3+ carries magic 2 only), bytes after the
 *   batch (v3+ carries exactly one batch per partition), and for origin 'client' Kafka's
 *   rules: recordCount > 0, lastOffsetDelta + 1 == recordCount, no control batch, a
 *   baseSequence >= 0 when there is a producerId.
 * - UNSUPPORTED_COMPRESSION_TYPE (76): codec bits 5..7. (zstd before Produce v7 is the
 *   caller's check: it depends on the request version.)
 */
export function validateBatch(buf: Buffer, pos: number, end: number, options?: ValidateBatchOptions): number {
  if (
    !Number.isInteger(pos) ||
    !Number.isInteger(end) ||
    pos < 0 ||
    end > buf.length ||
    end - pos < BATCH_HEADER_SIZE
  ) {
    return BatchValidationCode.CORRUPT_MESSAGE
  }
  const magic = buf.readInt8(pos + Offsets.magic)
  if (magic !== CURRENT_MAGIC) {
    return magic === 0 || magic === 1
      ? BatchValidationCode.INVALID_RECORD
      : BatchValidationCode.CORRUPT_MESSAGE
  }
  const size = buf.readInt32BE(pos + Offsets.batchLength) + LOG_OVERHEAD
  if (size < BATCH_HEADER_SIZE || size > end - pos) return BatchValidationCode.CORRUPT_MESSAGE
  if (size < end - pos) return BatchValidationCode.INVALID_RECORD

  // Everything below is covered by the CRC, so it is checked first.
  if (crc32c(buf.subarray(pos + CRC_START, pos + size)) !== buf.readUInt32BE(pos + Offsets.crc)) {
    return BatchValidationCode.CORRUPT_MESSAGE
  }
  const attributes = buf.readInt16BE(pos + Offsets.attributes)
  const compression = attributes & Attributes.compressionMask
  if (compression > CompressionType.zstd) return BatchValidationCode.UNSUPPORTED_COMPRESSION_TYPE

  const recordCount = buf.readInt32BE(pos + Offsets.recordCount)
  const lastOffsetDelta = buf.readInt32BE(pos + Offsets.lastOffsetDelta)
  if ((options?.origin ?? 'client') === 'client') {
    if (recordCount <= 0 || lastOffsetDelta < 0 || lastOffsetDelta !== recordCount - 1) {
      return BatchValidationCode.INVALID_RECORD
    }
    if ((attributes & Attributes.control) !== 0) return BatchValidationCode.INVALID_RECORD
    // producerId >= 0, read from the sign of its high word.
    const hasProducerId = buf.readInt32BE(pos + Offsets.producerId) >= 0
    if (hasProducerId && buf.readInt32BE(pos + Offsets.baseSequence) < 0)
      return BatchValidationCode.INVALID_RECORD
  } else if (recordCount < 0 || lastOffsetDelta < recordCount - 1) {
    // Compaction may leave fewer records than offsets, never more.
    return BatchValidationCode.CORRUPT_MESSAGE
  }
  if (compression === CompressionType.none && recordCount > (size - BATCH_HEADER_SIZE) / MIN_RECORD_SIZE) {
    return BatchValidationCode.CORRUPT_MESSAGE
  }
  return BatchValidationCode.NONE
}
