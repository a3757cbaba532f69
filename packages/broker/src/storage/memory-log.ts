// The in-memory PartitionLog, for the in-process test broker: batches kept as buffers in
// segment-shaped groups, so rolling, retention and lookups follow exactly the rules of the disk
// log (shared roll-policy.ts, retention.ts, segment-indexer.ts) and the conformance suite holds
// both to the same answers; the rules over the segment list are segmented-log.ts, shared with the
// disk log. flush() resolves at once: there is nothing to make durable.
import type { CleanedSegmentOutput, CompactableLog } from './cleaner.ts'
import { StorageError, StorageErrorCode } from './errors.ts'
import type { LogConfig } from './log-config.ts'
import { type StorageLogger, silentLogger } from './logger.ts'
import { OffsetIndex } from './offset-index.ts'
import type { PlacedBatch } from './place-batches.ts'
import { SegmentIndexer } from './segment-indexer.ts'
import { type LogSegment, lastModifiedOf, SegmentedLog } from './segmented-log.ts'
import { ownedBytes } from './tail-cache.ts'
import { NO_TIMESTAMP, TimeIndex } from './time-index.ts'

interface MemoryBatch {
  readonly baseOffset: number
  readonly lastOffset: number
  readonly maxTimestamp: number
  readonly bytes: Buffer
}

class MemorySegment implements LogSegment<MemoryBatch> {
  readonly baseOffset: number
  readonly createdAtMs: number
  // Owned by the MemoryPartitionLog holding this segment.
  readonly batches: MemoryBatch[] = []
  size = 0
  nextOffset: number
  firstBatchTimestamp = NO_TIMESTAMP
  lastModifiedMs: number
  /** Counts index entries the disk log would write (segment.index.bytes rolls) and tracks the max timestamp. */
  readonly indexer: SegmentIndexer

  constructor(baseOffset: number, config: LogConfig, now: number) {
    this.baseOffset = baseOffset
    this.nextOffset = baseOffset
    this.createdAtMs = now
    this.lastModifiedMs = now
    this.indexer = new SegmentIndexer(
      new OffsetIndex(baseOffset),
      new TimeIndex(baseOffset),
      config.indexIntervalBytes,
    )
  }

  get maxTimestamp(): number {
    return this.indexer.maxTimestamp
  }

  get offsetOfMaxTimestamp(): number {
    return this.indexer.offsetOfMaxTimestamp
  }

  indexIsFull(segmentIndexBytes: number): boolean {
    return this.indexer.isFull(segmentIndexBytes)
  }

  setIndexInterval(bytes: number): void {
    this.indexer.intervalBytes = bytes
  }

  locate(offset: number): MemoryBatch | undefined {
    return this.batches[this.batchIndexFor(offset)]
  }

  findByTimestamp(timestamp: number, fromOffset: number): MemoryBatch | undefined {
    if (this.maxTimestamp < timestamp) return undefined
    for (let i = this.batchIndexFor(fromOffset); i < this.batches.length; i++) {
      if (this.batches[i].maxTimestamp >= timestamp) return this.batches[i]
    }
    return undefined
  }

  /** Index of the first batch whose last offset is >= offset (batches.length when none). */
  batchIndexFor(offset: number): number {
    let lo = 0
    let hi = this.batches.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.batches[mid].lastOffset < offset) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** The cleaner's output for the memory log: a segment built batch by batch, swapped in whole. */
class MemoryCleanedSegment implements CleanedSegmentOutput {
  // Owned by the cleaner round building it, then by the log it is swapped into.
  readonly segment: MemorySegment

  constructor(baseOffset: number, config: LogConfig, now: number) {
    this.segment = new MemorySegment(baseOffset, config, now)
  }

  get size(): number {
    return this.segment.size
  }

  append(batch: Buffer, baseOffset: number, lastOffset: number, maxTimestamp: number): void {
    const segment = this.segment
    if (segment.size === 0) segment.firstBatchTimestamp = maxTimestamp
    segment.indexer.add(baseOffset, batch.length, maxTimestamp, segment.size)
    segment.batches.push({ baseOffset, lastOffset, maxTimestamp, bytes: batch })
    segment.size += batch.length
    segment.nextOffset = lastOffset + 1
  }

  async finish(): Promise<void> {
    this.segment.indexer.seal()
  }

  abort(): void {}
}

export class MemoryPartitionLog
  extends SegmentedLog<MemorySegment, MemoryBatch>
  implements CompactableLog<MemorySegment>
{
  /** Bytes appended since creation (for StorageStats). Owned by this log. */
  appendedBytes = 0

  constructor(
    topic: string,
    partition: number,
    config: LogConfig,
    clock: () => number = Date.now,
    logger: StorageLogger = silentLogger,
  ) {
    const segments = [new MemorySegment(0, config, clock())]
    super({
      topic,
      partition,
      config,
      clock,
      logger,
      segments,
      logStartOffset: 0,
      firstDirtyOffset: 0,
    })
  }

  protected override writeBatches(records: Buffer, batches: readonly PlacedBatch[], now: number): void {
    const segment = this.active
    if (segment.size === 0) segment.firstBatchTimestamp = batches[0].maxTimestamp
    const position = segment.size
    for (const b of batches) {
      segment.indexer.add(b.baseOffset, b.size, b.maxTimestamp, position + b.relativePosition)
      segment.batches.push({
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        maxTimestamp: b.maxTimestamp,
        bytes: ownedBytes(records.subarray(b.relativePosition, b.relativePosition + b.size)),
      })
    }
    segment.size += records.length
    segment.nextOffset = batches[batches.length - 1].lastOffset + 1
    segment.lastModifiedMs = now
    this.appendedBytes += records.length
  }

  protected override roll(now: number): void {
    this.active.indexer.seal()
    this.segments.push(new MemorySegment(this._logEndOffset, this._config, now))
  }

  override flush(): Promise<void> {
    return this.failure !== undefined ? Promise.reject(this.failure) : Promise.resolve()
  }

  /** Batches were copied out of pooled memory at append (ownedBytes), so no lease is needed. */
  protected override readBatches(
    fetchOffset: number,
    maxBytes: number,
    minOne: boolean,
    upTo: number,
  ): Buffer[] {
    const batches: Buffer[] = []
    let total = 0
    for (let s = this.segmentIndexFor(fetchOffset); s < this.segments.length; s++) {
      const segment = this.segments[s]
      for (let i = segment.batchIndexFor(fetchOffset); i < segment.batches.length; i++) {
        const b = segment.batches[i]
        if (b.lastOffset >= upTo) return batches
        if (total + b.bytes.length > maxBytes && !(minOne && batches.length === 0)) return batches
        batches.push(b.bytes)
        total += b.bytes.length
      }
    }
    return batches
  }

  protected override batchBytes(_segment: MemorySegment, batch: MemoryBatch): Buffer {
    return batch.bytes
  }

  protected override persistLogStartOffset(): Promise<void> {
    return Promise.resolve()
  }

  protected override retire(): void {}

  protected override uncleanableFrom(stableOffset: number): number {
    return stableOffset
  }

  // ---- Log compaction (cleaner.ts): the same rounds as the disk log, swapped in synchronously. ----

  async prepareForCleaning(): Promise<void> {}

  *segmentBatches(segment: MemorySegment): Generator<Buffer> {
    for (const batch of segment.batches) yield batch.bytes
  }

  startCleanedSegment(baseOffset: number): MemoryCleanedSegment {
    return new MemoryCleanedSegment(baseOffset, this._config, this.clock())
  }

  async swapCleanedSegment(group: readonly MemorySegment[], output: CleanedSegmentOutput): Promise<boolean> {
    if (!(output instanceof MemoryCleanedSegment)) throw new Error('bug: not a memory cleaned segment')
    if (this.failure !== undefined || !this.holdsSegments(group)) return false
    const cleaned = output.segment
    cleaned.lastModifiedMs = lastModifiedOf(group)
    this.replaceSegments(group, cleaned)
    return true
  }

  close(): void {
    this.failure ??= new StorageError(
      StorageErrorCode.closed,
      `log ${this.topic}-${this.partition} is closed`,
    )
  }
}
