// Giving offsets to the batches of one append: each batch's baseOffset and partitionLeaderEpoch
// are written in place (both lie outside the CRC, so the producer's CRC stays valid). Shared by
// the disk and memory logs.
import { setBatchBaseOffset, setBatchPartitionLeaderEpoch } from '@runnel/protocol'
import type { BatchHeaderInfo } from './batches.ts'
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
