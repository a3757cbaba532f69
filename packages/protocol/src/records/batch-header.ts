// Record batch v2 header: fixed offsets into a batch that starts at `pos` in `buf`.
// Reading the header never copies: the broker's hot path (produce validation, storage,
// fetch) works on these accessors alone and never decodes records.
//
//   baseOffset: int64            0   (not covered by the CRC; the broker rewrites it)
//   batchLength: int32           8   (bytes after this field; batch size = batchLength + 12)
//   partitionLeaderEpoch: int32 12   (not covered by the CRC; the broker sets it)
//   magic: int8                 16   (= 2)
//   crc: uint32                 17   (CRC-32C of bytes [21, end))
//   attributes: int16           21
//   lastOffsetDelta: int32      23
//   baseTimestamp: int64        27
//   maxTimestamp: int64         35
//   producerId: int64           43
//   producerEpoch: int16        51
//   baseSequence: int32         53
//   recordCount: int32          57
//   records                     61

export const BATCH_HEADER_SIZE = 61
/** baseOffset + batchLength: the bytes that precede what batchLength counts. */
export const LOG_OVERHEAD = 12
export const CRC_START = 21

export const Offsets = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const

export const Attributes = {
  compressionMask: 0x07,
  timestampTypeLogAppend: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
} as const

export const CompressionType = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const
export type CompressionType = (typeof CompressionType)[keyof typeof CompressionType]

/** Attribute bit 3. With LogAppendTime every record's timestamp is the batch's maxTimestamp. */
export const TimestampType = { createTime: 0, logAppendTime: 1 } as const
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType]

/** The only batch format Runnel reads or writes (Produce v3+ and Fetch v4+ carry nothing else). */
export const CURRENT_MAGIC = 2

export const batchBaseOffset = (buf: Buffer, pos = 0): bigint => buf.readBigInt64BE(pos)
export const batchLength = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + 8)
/** Whole size of the batch in bytes, header included. */
export const batchSize = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + 8) + LOG_OVERHEAD
export const batchPartitionLeaderEpoch = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + 12)
export const batchMagic = (buf: Buffer, pos = 0): number => buf.readInt8(pos + 16)
export const batchCrc = (buf: Buffer, pos = 0): number => buf.readUInt32BE(pos + 17)
export const batchAttributes = (buf: Buffer, pos = 0): number => buf.readInt16BE(pos + 21)
export const batchLastOffsetDelta = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + 23)
export const batchBaseTimestamp = (buf: Buffer, pos = 0): bigint => buf.readBigInt64BE(pos + 27)
export const batchMaxTimestamp = (buf: Buffer, pos = 0): bigint => buf.readBigInt64BE(pos + 35)
export const batchProducerId = (buf: Buffer, pos = 0): bigint => buf.readBigInt64BE(pos + 43)
export const batchProducerEpoch = (buf: Buffer, pos = 0): number => buf.readInt16BE(pos + 51)
export const batchBaseSequence = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + 53)
export const batchRecordCount = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + 57)

export const isTransactional = (attributes: number): boolean => (attributes & Attributes.transactional) !== 0
export const isControl = (attributes: number): boolean => (attributes & Attributes.control) !== 0
export const compressionOf = (attributes: number): number => attributes & Attributes.compressionMask
export const timestampTypeOf = (attributes: number): TimestampType =>
  (attributes & Attributes.timestampTypeLogAppend) !== 0
    ? TimestampType.logAppendTime
    : TimestampType.createTime
export const hasDeleteHorizon = (attributes: number): boolean => (attributes & Attributes.deleteHorizon) !== 0

/** Rewrites the base offset in place (outside the CRC, so the CRC stays valid). */
export function setBatchBaseOffset(buf: Buffer, baseOffset: bigint, pos = 0): void {
  buf.writeBigInt64BE(baseOffset, pos)
}

/** Rewrites the partition leader epoch in place (outside the CRC). */
export function setBatchPartitionLeaderEpoch(buf: Buffer, epoch: number, pos = 0): void {
  buf.writeInt32BE(epoch, pos + 12)
}
