import { type DecompressOptions, decompress } from '../compression/codec.ts'
import {
  BATCH_HEADER_SIZE,
  CompressionType,
  CURRENT_MAGIC,
  compressionOf,
  hasDeleteHorizon,
  isControl,
  isTransactional,
  LOG_OVERHEAD,
  Offsets,
  TimestampType,
  timestampTypeOf,
} from './batch-header.ts'
import { CorruptRecordError } from './corrupt-record-error.ts'
import { readInt64 } from './int64.ts'
import { RecordIterator } from './record-iterator.ts'

export type ReadBatchOptions = DecompressOptions

/**
 * A record batch's header, read once, and its records on demand. Offsets and timestamps are
 * numbers (exact below 2^53, which real offsets and millisecond timestamps never reach);
 * producerId is a bigint, as Kafka's int64 identity. The CRC is not checked here: use
 * batchCrcIsValid or validateBatch where the bytes are not already trusted.
 */
export class RecordBatch {
  /** Where the batch starts in the buffer it was read from, and its whole size in bytes. */
  readonly pos: number
  readonly size: number
  readonly baseOffset: number
  /** baseOffset + lastOffsetDelta: the offset the next batch starts after. */
  readonly lastOffset: number
  readonly lastOffsetDelta: number
  readonly partitionLeaderEpoch: number
  readonly magic: number
  readonly crc: number
  readonly attributes: number
  /** The codec bits as stored: 0..4, or 5..7 for a codec that does not exist (records() throws). */
  readonly compression: number
  readonly timestampType: TimestampType
  readonly isTransactional: boolean
  readonly isControl: boolean
  /** Set by compaction: baseTimestamp then holds the delete horizon. */
  readonly hasDeleteHorizon: boolean
  readonly baseTimestamp: number
  readonly maxTimestamp: number
  readonly producerId: bigint
  readonly producerEpoch: number
  readonly baseSequence: number
  readonly recordCount: number

  readonly #buf: Buffer
  readonly #options: ReadBatchOptions | undefined

  constructor(buf: Buffer, pos: number, size: number, options?: ReadBatchOptions) {
    this.#buf = buf
    this.#options = options
    this.pos = pos
    this.size = size
    this.baseOffset = readInt64(buf, pos + Offsets.baseOffset)
    this.lastOffsetDelta = buf.readInt32BE(pos + Offsets.lastOffsetDelta)
    this.lastOffset = this.baseOffset + this.lastOffsetDelta
    this.partitionLeaderEpoch = buf.readInt32BE(pos + Offsets.partitionLeaderEpoch)
    this.magic = buf.readInt8(pos + Offsets.magic)
    this.crc = buf.readUInt32BE(pos + Offsets.crc)
    const attributes = buf.readInt16BE(pos + Offsets.attributes)
    this.attributes = attributes
    this.compression = compressionOf(attributes)
    this.timestampType = timestampTypeOf(attributes)
    this.isTransactional = isTransactional(attributes)
    this.isControl = isControl(attributes)
    this.hasDeleteHorizon = hasDeleteHorizon(attributes)
    this.baseTimestamp = readInt64(buf, pos + Offsets.baseTimestamp)
    this.maxTimestamp = readInt64(buf, pos + Offsets.maxTimestamp)
    this.producerId = buf.readBigInt64BE(pos + Offsets.producerId)
    this.producerEpoch = buf.readInt16BE(pos + Offsets.producerEpoch)
    this.baseSequence = buf.readInt32BE(pos + Offsets.baseSequence)
    this.recordCount = buf.readInt32BE(pos + Offsets.recordCount)
  }

  /** The batch's bytes, as a view (not a copy) of the buffer it was read from. */
  bytes(): Buffer {
    return this.#buf.subarray(this.pos, this.pos + this.size)
  }

  /**
   * The records, decoded one at a time as the iterator advances (decompressed first, whole,
   * if the batch is compressed). Throws CorruptRecordError, here or from the iterator, for
   * an unknown codec, a payload that does not decompress, or records that do not parse.
   */
  records(): RecordIterator {
    if (this.recordCount < 0) throw new CorruptRecordError(`batch claims ${this.recordCount} records`)
    const logAppendTime = this.timestampType === TimestampType.logAppendTime ? this.maxTimestamp : null
    const start = this.pos + BATCH_HEADER_SIZE
    const end = this.pos + this.size
    if (this.compression === CompressionType.none) {
      return new RecordIterator(
        this.#buf,
        start,
        end,
        this.recordCount,
        this.baseOffset,
        this.baseTimestamp,
        logAppendTime,
      )
    }
    const data = decompress(this.compression, this.#buf.subarray(start, end), this.#options)
    return new RecordIterator(
      data,
      0,
      data.length,
      this.recordCount,
      this.baseOffset,
      this.baseTimestamp,
      logAppendTime,
    )
  }
}

/**
 * Reads the header of the magic-2 batch at `pos`, which must lie whole inside `buf`.
 * Throws CorruptRecordError otherwise (use iterateBatches to find whole batches first).
 */
export function readBatch(buf: Buffer, pos = 0, options?: ReadBatchOptions): RecordBatch {
  if (!Number.isInteger(pos) || pos < 0 || buf.length - pos < BATCH_HEADER_SIZE) {
    throw new CorruptRecordError(`no batch header at ${pos} in ${buf.length} bytes`)
  }
  const size = buf.readInt32BE(pos + Offsets.batchLength) + LOG_OVERHEAD
  if (size < BATCH_HEADER_SIZE || size > buf.length - pos) {
    throw new CorruptRecordError(`batch at ${pos} claims ${size} bytes, ${buf.length - pos} available`)
  }
  const magic = buf.readInt8(pos + Offsets.magic)
  if (magic !== CURRENT_MAGIC)
    throw new CorruptRecordError(`batch at ${pos} has magic ${magic}, only 2 is read`)
  return new RecordBatch(buf, pos, size, options)
}
