// Reading just enough of v2 batch headers to store and index batches. Storage never decodes
// records: it needs each batch's size, offset delta and max timestamp, and (in recovery) a
// CRC32C check over bytes [21, end).
import { crc32c } from '@node-rs/crc32'
import {
  BATCH_HEADER_SIZE,
  batchCrc,
  batchLastOffsetDelta,
  batchMagic,
  batchMaxTimestamp,
  batchSize,
  CRC_START,
  LOG_OVERHEAD,
} from '@runnel/protocol'

export const MAGIC_V2 = 2

/** Header facts about one batch found in a buffer. */
export interface BatchHeaderInfo {
  /** Byte position of the batch in the buffer it was found in. */
  readonly position: number
  /** Whole size in bytes (batchLength + 12). */
  readonly size: number
  readonly lastOffsetDelta: number
  readonly maxTimestamp: number
}

/** Int64 field as a JS number (offsets and timestamps stay below 2^53). */
export const int64At = (buf: Buffer, pos: number): number => Number(buf.readBigInt64BE(pos))
export const storedBaseOffset = (buf: Buffer, pos = 0): number => int64At(buf, pos)
export const storedMaxTimestamp = (buf: Buffer, pos = 0): number => Number(batchMaxTimestamp(buf, pos))

/**
 * Why the batch starting at `pos` (with `end` the end of the readable bytes) is not a
 * structurally valid v2 batch; undefined when it is. `incomplete` means more bytes are needed
 * than are present (a torn tail, or a read window that ends mid-batch).
 */
export function batchStructureProblem(buf: Buffer, pos: number, end: number): string | undefined {
  if (end - pos < LOG_OVERHEAD) return 'incomplete'
  const size = batchSize(buf, pos)
  if (size < BATCH_HEADER_SIZE) return `batch size ${size} is smaller than a v2 header`
  if (end - pos < BATCH_HEADER_SIZE) return 'incomplete'
  const magic = batchMagic(buf, pos)
  if (magic !== MAGIC_V2) return `magic ${magic} is not 2`
  const delta = batchLastOffsetDelta(buf, pos)
  if (delta < 0) return `lastOffsetDelta ${delta} is negative`
  if (end - pos < size) return 'incomplete'
  return undefined
}

export function batchCrcValid(buf: Buffer, pos: number, size: number): boolean {
  return crc32c(buf.subarray(pos + CRC_START, pos + size)) === batchCrc(buf, pos)
}

/** Header info of the batch at `pos` (structure already checked). */
export function headerInfo(buf: Buffer, pos: number): BatchHeaderInfo {
  return {
    position: pos,
    size: batchSize(buf, pos),
    lastOffsetDelta: batchLastOffsetDelta(buf, pos),
    maxTimestamp: storedMaxTimestamp(buf, pos),
  }
}

/**
 * Splits a Records field (one or more whole batches back to back) into header infos, or
 * returns why it cannot: append() stores exactly whole batches.
 */
export function splitBatches(records: Buffer): BatchHeaderInfo[] | string {
  if (records.length === 0) return 'no batches'
  const out: BatchHeaderInfo[] = []
  let pos = 0
  while (pos < records.length) {
    const problem = batchStructureProblem(records, pos, records.length)
    if (problem !== undefined)
      return `batch at byte ${pos}: ${problem === 'incomplete' ? 'truncated' : problem}`
    const info = headerInfo(records, pos)
    out.push(info)
    pos += info.size
  }
  return out
}
