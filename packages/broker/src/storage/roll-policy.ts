// When the active segment rolls (Kafka's LogSegment.shouldRoll), shared by the disk and memory logs.
//   - size: the segment's bytes plus the incoming batches would exceed segment.bytes;
//   - time: the segment is non-empty and the incoming batches' max timestamp is segment.ms or more
//     past the segment's first batch's max timestamp (Kafka measures record time, not wall time;
//     wall time since the segment was created is used only when the first batch has no timestamp);
//   - index: either index of the segment is full (segment.index.bytes);
//   - offsets: the incoming last offset would not fit a 32-bit offset relative to the segment base.
import type { LogConfig } from './log-config.ts'
import { NO_TIMESTAMP } from './time-index.ts'

export interface RollCandidate {
  readonly baseOffset: number
  readonly size: number
  /** maxTimestamp of the segment's first batch, or -1 (Kafka's rollingBasedTimestamp). */
  readonly firstBatchTimestamp: number
  readonly createdAtMs: number
  indexIsFull(segmentIndexBytes: number): boolean
}

export interface IncomingAppend {
  readonly size: number
  readonly lastOffset: number
  readonly maxTimestamp: number
}

export const MAX_RELATIVE_OFFSET = 0x7fffffff

export function shouldRoll(
  segment: RollCandidate,
  config: LogConfig,
  incoming: IncomingAppend,
  now: number,
): boolean {
  if (segment.size > config.segmentBytes - incoming.size) return true
  if (segment.size > 0) {
    const waited =
      segment.firstBatchTimestamp > NO_TIMESTAMP
        ? incoming.maxTimestamp - segment.firstBatchTimestamp
        : now - segment.createdAtMs
    if (waited > config.segmentMs) return true
  }
  if (segment.indexIsFull(config.segmentIndexBytes)) return true
  return incoming.lastOffset - segment.baseOffset > MAX_RELATIVE_OFFSET
}
