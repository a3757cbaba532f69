// The one rule that decides index entries, shared by the append path, index rebuilds in
// recovery and the in-memory log (which counts entries to roll like the disk log does), so an
// index rebuilt from the log is byte-for-byte the one written while appending.
// Kafka's rule (LogSegment.append): update the running max timestamp with the batch; then, if more
// than index.interval.bytes were appended since the last entry, add an offset entry for this batch
// and a time entry (max so far, offset of the first batch that reached it) if the max grew.
// Kafka indexes the batch's last offset; we index its base offset, which makes an entry read as
// "a batch starts here": lookups are floors, so both give a position to scan forward from.
import type { OffsetIndex } from './offset-index.ts'
import { NO_TIMESTAMP, type TimeIndex } from './time-index.ts'

export interface IndexWrites {
  offsetEntry: Buffer | undefined
  timeEntry: Buffer | undefined
}

export class SegmentIndexer {
  // Owned by the segment; changed only in its synchronous append/rebuild path.
  bytesSinceLastEntry = 0
  maxTimestamp = NO_TIMESTAMP
  /** Base offset of the first batch whose maxTimestamp equals maxTimestamp. */
  offsetOfMaxTimestamp: number
  readonly offsetIndex: OffsetIndex
  readonly timeIndex: TimeIndex
  intervalBytes: number

  constructor(offsetIndex: OffsetIndex, timeIndex: TimeIndex, intervalBytes: number) {
    this.offsetIndex = offsetIndex
    this.timeIndex = timeIndex
    this.intervalBytes = intervalBytes
    this.offsetOfMaxTimestamp = offsetIndex.baseOffset
  }

  /** Records a batch stored at `position`; returns the index bytes to append to the files. */
  add(baseOffset: number, size: number, maxTimestamp: number, position: number): IndexWrites {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp
      this.offsetOfMaxTimestamp = baseOffset
    }
    let offsetEntry: Buffer | undefined
    let timeEntry: Buffer | undefined
    if (this.bytesSinceLastEntry > this.intervalBytes) {
      offsetEntry = this.offsetIndex.append(baseOffset, position)
      timeEntry = this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp)
      this.bytesSinceLastEntry = 0
    }
    this.bytesSinceLastEntry += size
    return { offsetEntry, timeEntry }
  }

  /** When the segment stops being active: a last time entry for its max (Kafka's onBecomeInactiveSegment). */
  seal(): Buffer | undefined {
    return this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp)
  }

  /** segment.index.bytes reached: Kafka rolls when either index is full. */
  isFull(segmentIndexBytes: number): boolean {
    return (
      this.offsetIndex.entries >= Math.floor(segmentIndexBytes / 8) ||
      this.timeIndex.entries >= Math.floor(segmentIndexBytes / 12)
    )
  }
}
