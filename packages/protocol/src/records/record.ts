/** A record header: the key is a UTF-8 string (never null), the value bytes or null. */
export interface RecordHeader {
  key: string
  value: Buffer | null
}

/**
 * One record as read from a batch. `key`, `value` and header values are views into the batch
 * bytes (or into the decompressed records), not copies: copy them to keep them longer than
 * the buffer they came from.
 */
export interface KafkaRecord {
  /** baseOffset + offsetDelta. */
  offset: number
  /** baseTimestamp + timestampDelta, or the batch's maxTimestamp under LogAppendTime. */
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  headers: RecordHeader[]
}
