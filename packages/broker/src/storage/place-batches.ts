// Giving offsets to the batches of one append: each batch's baseOffset and partitionLeaderEpoch
// are written in place (both lie outside the CRC, so the producer's CRC stays valid). Shared by
// the disk and memory logs.
import { setBatchBaseOffset, setBatchPartitionLeaderEpoch } from '@runnel/protocol'
import type { AppendResult } from './api.ts'
import { type BatchHeaderInfo, splitBatches } from './batches.ts'
import { StorageError, StorageErrorCode } from './errors.ts'
import type { LogConfig } from './log-config.ts'
import type { IncomingAppend } from './roll-policy.ts'
import { NO_TIMESTAMP } from './time-index.ts'

/** One batch of an append, with its assigned offset. */
export interface PlacedBatch {
  /** Position inside the appended buffer. */
  readonly relativePosition: number
  readonly size: number
  readonly baseOffset: number
  readonly lastOffset: number
  readonly maxTimestamp: number
}

export interface Placement {
  readonly batches: PlacedBatch[]
  /** Offset after the last record: the new log end offset. */
  readonly nextOffset: number
  readonly incoming: IncomingAppend
}

/** Why an append is refused before anything is stored (both logs answer alike). */
export type AppendRefusal = Extract<AppendResult, { kind: 'messageTooLarge' | 'batchTooLarge' }>

/**
 * Splits an append into its batches and holds them to the log's limits: a batch over
 * max.message.bytes, or an append over segment.bytes, is refused with nothing stored. Bytes
 * that are not whole v2 batches are a caller bug and throw.
 */
export function admitAppend(records: Buffer, config: LogConfig): BatchHeaderInfo[] | AppendRefusal {
  const infos = splitBatches(records)
  if (typeof infos === 'string') throw new StorageError(StorageErrorCode.invalidBatch, `append: ${infos}`)
  for (const b of infos) {
    if (b.size > config.maxMessageBytes) {
      return { kind: 'messageTooLarge', batchSize: b.size, maxMessageBytes: config.maxMessageBytes }
    }
  }
  if (records.length > config.segmentBytes) {
    return { kind: 'batchTooLarge', size: records.length, segmentBytes: config.segmentBytes }
  }
  return infos
}

export function placeBatches(
  records: Buffer,
  infos: readonly BatchHeaderInfo[],
  baseOffset: number,
  partitionLeaderEpoch: number,
): Placement {
  const batches: PlacedBatch[] = []
  let next = baseOffset
  let maxTimestamp = NO_TIMESTAMP
  for (const info of infos) {
    setBatchBaseOffset(records, BigInt(next), info.position)
    setBatchPartitionLeaderEpoch(records, partitionLeaderEpoch, info.position)
    const lastOffset = next + info.lastOffsetDelta
    batches.push({
      relativePosition: info.position,
      size: info.size,
      baseOffset: next,
      lastOffset,
      maxTimestamp: info.maxTimestamp,
    })
    if (info.maxTimestamp > maxTimestamp) maxTimestamp = info.maxTimestamp
    next = lastOffset + 1
  }
  return { batches, nextOffset: next, incoming: { size: records.length, lastOffset: next - 1, maxTimestamp } }
}
