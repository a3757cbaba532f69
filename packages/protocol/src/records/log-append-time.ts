import { Attributes, Offsets } from './batch-header.ts'
import { writeBatchCrc } from './crc.ts'
import { writeInt64 } from './int64.ts'

/**
 * Stamps the batch at `pos` in place for a topic with message.timestamp.type=LogAppendTime:
 * sets the timestamp-type bit and maxTimestamp to the append time, then recomputes the CRC
 * (both fields are covered by it). Readers then give every record this timestamp. Record
 * bytes are untouched, so compressed batches stay as the producer sent them.
 */
export function stampLogAppendTime(buf: Buffer, appendTime: number, pos = 0): void {
  const attributes = buf.readInt16BE(pos + Offsets.attributes)
  buf.writeInt16BE(attributes | Attributes.timestampTypeLogAppend, pos + Offsets.attributes)
  writeInt64(buf, pos + Offsets.maxTimestamp, appendTime)
  writeBatchCrc(buf, pos)
}
