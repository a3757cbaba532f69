import { compress } from '../compression/codec.ts'
import {
  Attributes,
  BATCH_HEADER_SIZE,
  CompressionType,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  Offsets,
  TimestampType,
} from './batch-header.ts'
import { writeBatchCrc } from './crc.ts'
import { writeInt64 } from './int64.ts'
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.ts'

export interface RecordHeaderInput {
  key: string
  value?: Uint8Array | null
}

export interface RecordInput {
  key?: Uint8Array | null
  value?: Uint8Array | null
  headers?: readonly RecordHeaderInput[]
  /** Milliseconds; defaults to the time of the build. */
  timestamp?: number
  /**
   * Defaults to the record's index. Only a log cleaner needs gaps (records it removed);
   * deltas must increase strictly.
   */
  offsetDelta?: number
}

export interface BuildBatchOptions {
  records: readonly RecordInput[]
  compression?: CompressionType
  baseOffset?: number
  partitionLeaderEpoch?: number
  producerId?: bigint
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
  timestampType?: TimestampType
  /** Defaults to the first record's timestamp (-1 for an empty batch), as Kafka's builder does. */
  baseTimestamp?: number
  /** maxTimestamp under LogAppendTime; defaults to the time of the build. */
  logAppendTime?: number
  /**
   * Defaults to the last record's offsetDelta (N - 1 for N records). Larger only for a batch
   * that compaction emptied in part or whole: it keeps its offset range and sequences.
   */
  lastOffsetDelta?: number
}

/**
 * Encodes a magic-2 record batch with its CRC. Sizes are computed first so the records are
 * written once into a buffer of the right size (and then compressed, when asked, as one
 * stream after the 61-byte header).
 */
export function buildBatch(options: BuildBatchOptions): Buffer {
  return encodeBatch(options, 0)
}

/** buildBatch with extra attribute bits (the control bit, for control.ts). Not public. */
export function encodeBatch(options: BuildBatchOptions, extraAttributes: number): Buffer {
  const records = options.records
  const count = records.length
  const now = Date.now()
  const baseTimestamp = options.baseTimestamp ?? (count > 0 ? (records[0].timestamp ?? now) : -1)

  // Pass 1: every record's body size (what its length varint counts), and the checks.
  const bodySizes = new Int32Array(count)
  let recordsSize = 0
  let maxTimestamp = -1
  let lastOffsetDelta = -1
  for (let i = 0; i < count; i++) {
    const record = records[i]
    const timestamp = record.timestamp ?? now
    if (!Number.isSafeInteger(timestamp))
      throw new RangeError(`record ${i}: timestamp ${timestamp} is not an integer`)
    if (timestamp > maxTimestamp) maxTimestamp = timestamp
    const offsetDelta = record.offsetDelta ?? i
    if (!Number.isInteger(offsetDelta) || offsetDelta <= lastOffsetDelta || offsetDelta > 0x7fffffff) {
      throw new RangeError(
        `record ${i}: offsetDelta ${offsetDelta} must be an int32 above ${lastOffsetDelta}`,
      )
    }
    lastOffsetDelta = offsetDelta
    let size = 1 + sizeOfVarlong(timestamp - baseTimestamp) + sizeOfVarint(offsetDelta)
    size += sizeOfBytes(record.key) + sizeOfBytes(record.value)
    const headers = record.headers
    const headerCount = headers === undefined ? 0 : headers.length
    size += sizeOfVarint(headerCount)
    for (let h = 0; h < headerCount; h++) {
      const header = (headers as readonly RecordHeaderInput[])[h]
      const keyLength = Buffer.byteLength(header.key, 'utf8')
      size += sizeOfVarint(keyLength) + keyLength + sizeOfBytes(header.value)
    }
    bodySizes[i] = size
    recordsSize += sizeOfVarint(size) + size
  }
  if (options.lastOffsetDelta !== undefined) {
    if (!Number.isInteger(options.lastOffsetDelta) || options.lastOffsetDelta < lastOffsetDelta) {
      throw new RangeError(
        `lastOffsetDelta ${options.lastOffsetDelta} is below the last record's ${lastOffsetDelta}`,
      )
    }
    lastOffsetDelta = options.lastOffsetDelta
  }

  // Pass 2: the records, straight after the header or into their own buffer to compress.
  const compression = options.compression ?? CompressionType.none
  let out: Buffer
  if (compression === CompressionType.none) {
    out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + recordsSize)
    writeRecords(out, BATCH_HEADER_SIZE, records, bodySizes, baseTimestamp, now)
  } else {
    const plain = Buffer.allocUnsafe(recordsSize)
    writeRecords(plain, 0, records, bodySizes, baseTimestamp, now)
    const compressed = compress(compression, plain)
    out = Buffer.allocUnsafe(BATCH_HEADER_SIZE + compressed.length)
    compressed.copy(out, BATCH_HEADER_SIZE)
  }

  const timestampType = options.timestampType ?? TimestampType.createTime
  let attributes = compression | extraAttributes
  if (timestampType === TimestampType.logAppendTime) {
    attributes |= Attributes.timestampTypeLogAppend
    maxTimestamp = options.logAppendTime ?? now
  }
  if (options.transactional) attributes |= Attributes.transactional

  writeInt64(out, Offsets.baseOffset, options.baseOffset ?? 0)
  out.writeInt32BE(out.length - LOG_OVERHEAD, Offsets.batchLength)
  out.writeInt32BE(options.partitionLeaderEpoch ?? -1, Offsets.partitionLeaderEpoch)
  out.writeInt8(CURRENT_MAGIC, Offsets.magic)
  out.writeInt16BE(attributes, Offsets.attributes)
  out.writeInt32BE(lastOffsetDelta, Offsets.lastOffsetDelta)
  writeInt64(out, Offsets.baseTimestamp, baseTimestamp)
  writeInt64(out, Offsets.maxTimestamp, maxTimestamp)
  out.writeBigInt64BE(options.producerId ?? -1n, Offsets.producerId)
  out.writeInt16BE(options.producerEpoch ?? -1, Offsets.producerEpoch)
  out.writeInt32BE(options.baseSequence ?? -1, Offsets.baseSequence)
  out.writeInt32BE(count, Offsets.recordCount)
  writeBatchCrc(out, 0)
  return out
}

function sizeOfBytes(bytes: Uint8Array | null | undefined): number {
  return bytes == null ? 1 : sizeOfVarint(bytes.length) + bytes.length
}

function writeBytes(buf: Buffer, pos: number, bytes: Uint8Array | null | undefined): number {
  if (bytes == null) return writeVarint(buf, pos, -1)
  pos = writeVarint(buf, pos, bytes.length)
  buf.set(bytes, pos)
  return pos + bytes.length
}

function writeRecords(
  buf: Buffer,
  pos: number,
  records: readonly RecordInput[],
  bodySizes: Int32Array,
  baseTimestamp: number,
  now: number,
): void {
  for (let i = 0; i < records.length; i++) {
    const record = records[i]
    pos = writeVarint(buf, pos, bodySizes[i])
    buf[pos++] = 0 // attributes
    pos = writeVarlong(buf, pos, (record.timestamp ?? now) - baseTimestamp)
    pos = writeVarint(buf, pos, record.offsetDelta ?? i)
    pos = writeBytes(buf, pos, record.key)
    pos = writeBytes(buf, pos, record.value)
    const headers = record.headers
    const headerCount = headers === undefined ? 0 : headers.length
    pos = writeVarint(buf, pos, headerCount)
    for (let h = 0; h < headerCount; h++) {
      const header = (headers as readonly RecordHeaderInput[])[h]
      const keyLength = Buffer.byteLength(header.key, 'utf8')
      pos = writeVarint(buf, pos, keyLength)
      pos += buf.write(header.key, pos, keyLength, 'utf8')
      pos = writeBytes(buf, pos, header.value)
    }
  }
}
