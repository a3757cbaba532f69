// Builds v2 record batches for storage tests: a valid header with a correct CRC32C over bytes
// [21, end). The record bytes are opaque (storage never decodes them), so the "records" here are
// any payload; `id` is written at its start so tests can recognise a batch after a round trip.
import { crc32c } from '@node-rs/crc32'

export interface TestBatch {
  /** Written as a uint32 at the start of the payload. */
  readonly id?: number
  /** Records in the batch: lastOffsetDelta = records - 1. */
  readonly records?: number
  readonly maxTimestamp?: number
  readonly baseTimestamp?: number
  /** Total batch size in bytes (>= 65). Default 100. */
  readonly size?: number
  readonly attributes?: number
}

export function makeBatch(spec: TestBatch = {}): Buffer {
  const size = spec.size ?? 100
  if (size < 65) throw new Error('test batches are at least 65 bytes')
  const records = spec.records ?? 1
  const maxTimestamp = spec.maxTimestamp ?? 1_700_000_000_000
  const buf = Buffer.alloc(size)
  buf.writeBigInt64BE(0n, 0) // baseOffset: the log assigns it
  buf.writeInt32BE(size - 12, 8)
  buf.writeInt32BE(-1, 12) // partitionLeaderEpoch
  buf.writeInt8(2, 16) // magic
  buf.writeInt16BE(spec.attributes ?? 0, 21)
  buf.writeInt32BE(records - 1, 23)
  buf.writeBigInt64BE(BigInt(spec.baseTimestamp ?? maxTimestamp), 27)
  buf.writeBigInt64BE(BigInt(maxTimestamp), 35)
  buf.writeBigInt64BE(-1n, 43) // producerId
  buf.writeInt16BE(-1, 51) // producerEpoch
  buf.writeInt32BE(-1, 53) // baseSequence
  buf.writeInt32BE(records, 57)
  const id = spec.id ?? 0
  buf.writeUInt32BE(id >>> 0, 61)
  for (let i = 65; i < size; i++) buf[i] = (id * 31 + i) & 0xff
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17)
  return buf
}

/** The id makeBatch wrote into a batch. */
export const batchId = (batch: Buffer): number => batch.readUInt32BE(61)

export const baseOffsetOf = (batch: Buffer): number => Number(batch.readBigInt64BE(0))
export const lastOffsetOf = (batch: Buffer): number => baseOffsetOf(batch) + batch.readInt32BE(23)

/** The bytes a log should hand back for `batch` stored at `baseOffset` with leader epoch 0. */
export function asStored(batch: Buffer, baseOffset: number, epoch = 0): Buffer {
  const copy = Buffer.from(batch)
  copy.writeBigInt64BE(BigInt(baseOffset), 0)
  copy.writeInt32BE(epoch, 12)
  return copy
}
