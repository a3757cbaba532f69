// The in-memory PartitionLog, for the in-process test broker: batches kept as buffers in
// segment-shaped groups, so rolling, retention and lookups follow exactly the rules of the disk
// log (shared roll-policy.ts, retention.ts, segment-indexer.ts) and the conformance suite holds
// both to the same answers. flush() resolves at once: there is nothing to make durable.
import type {
  AppendOptions,
  AppendResult,
  BatchLookup,
  DeleteRecordsResult,
  PartitionLog,
  ReadOptions,
  ReadResult,
  RetentionResult,
  StorageFailure,
} from './api.ts'
import type { CleanedSegmentOutput, CompactableLog } from './cleaner.ts'
import type { CleaningInput } from './cleaning-plan.ts'
import { StorageError, StorageErrorCode } from './errors.ts'
import type { LogConfig } from './log-config.ts'
import { OffsetIndex } from './offset-index.ts'
import { admitAppend, placeBatches } from './place-batches.ts'
import { planRetention, type RetentionCandidate } from './retention.ts'
import { type RollCandidate, shouldRoll } from './roll-policy.ts'
import { SegmentIndexer } from './segment-indexer.ts'
import { ownedBytes } from './tail-cache.ts'
import { NO_TIMESTAMP, TimeIndex } from './time-index.ts'

interface MemoryBatch {
  readonly baseOffset: number
  readonly lastOffset: number
  readonly maxTimestamp: number
  readonly bytes: Buffer
}

class MemorySegment implements RollCandidate, RetentionCandidate {
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

  indexIsFull(segmentIndexBytes: number): boolean {
    return this.indexer.isFull(segmentIndexBytes)
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

const closedError = (topic: string, partition: number) =>
  new StorageError(StorageErrorCode.closed, `log ${topic}-${partition} is closed`)

export class MemoryPartitionLog implements PartitionLog, CompactableLog<MemorySegment> {
  readonly topic: string
  readonly partition: number
  private readonly clock: () => number

  // ---- Mutable state, owned by this log; every method runs to completion synchronously. ----
  private segments: MemorySegment[]
  private _logStartOffset = 0
  private _logEndOffset = 0
  private _sizeInBytes = 0
  /** Bytes appended since creation (for StorageStats). */
  appendedBytes = 0
  private _config: LogConfig
  private closed: StorageError | undefined
  /** Where the cleaner stopped last. */
  private firstDirtyOffset = 0
  /** Earliest delete horizon of a tombstone the last cleaning kept. */
  private nextDeleteHorizon: number | undefined

  constructor(topic: string, partition: number, config: LogConfig, clock: () => number = Date.now) {
    this.topic = topic
    this.partition = partition
    this._config = config
    this.clock = clock
    this.segments = [new MemorySegment(0, config, clock())]
  }

  get logStartOffset(): number {
    return this._logStartOffset
  }

  get logEndOffset(): number {
    return this._logEndOffset
  }

  get highWatermark(): number {
    return this._logEndOffset
  }

  get sizeInBytes(): number {
    return this._sizeInBytes
  }

  get segmentCount(): number {
    return this.segments.length
  }

  get config(): LogConfig {
    return this._config
  }

  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset)
  }

  private get active(): MemorySegment {
    return this.segments[this.segments.length - 1]
  }

  append(records: Buffer, options: AppendOptions = {}): AppendResult {
    if (this.closed !== undefined) return this.failed()
    const config = this._config
    const infos = admitAppend(records, config)
    if (!Array.isArray(infos)) return infos
    const baseOffset = this._logEndOffset
    const placed = placeBatches(records, infos, baseOffset, options.partitionLeaderEpoch ?? 0)
    const now = this.clock()
    if (shouldRoll(this.active, config, placed.incoming, now)) this.roll(now)
    const segment = this.active
    if (segment.size === 0) segment.firstBatchTimestamp = placed.batches[0].maxTimestamp
    const position = segment.size
    for (const b of placed.batches) {
      segment.indexer.add(b.baseOffset, b.size, b.maxTimestamp, position + b.relativePosition)
      segment.batches.push({
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        maxTimestamp: b.maxTimestamp,
        bytes: ownedBytes(records.subarray(b.relativePosition, b.relativePosition + b.size)),
      })
    }
    segment.size += records.length
    segment.nextOffset = placed.nextOffset
    segment.lastModifiedMs = now
    this._logEndOffset = placed.nextOffset
    this._sizeInBytes += records.length
    this.appendedBytes += records.length
    return {
      kind: 'appended',
      baseOffset,
      lastOffset: placed.nextOffset - 1,
      logStartOffset: this._logStartOffset,
    }
  }

  private roll(now: number): void {
    this.active.indexer.seal()
    this.segments.push(new MemorySegment(this._logEndOffset, this._config, now))
  }

  flush(): Promise<void> {
    return this.closed !== undefined ? Promise.reject(this.closed) : Promise.resolve()
  }

  read(fetchOffset: number, maxBytes: number, options: ReadOptions = {}): ReadResult {
    if (this.closed !== undefined) return this.failed()
    const logStartOffset = this._logStartOffset
    const logEndOffset = this._logEndOffset
    if (fetchOffset < logStartOffset || fetchOffset > logEndOffset)
      return { kind: 'offsetOutOfRange', logStartOffset, logEndOffset }
    const upTo = Math.min(options.upToOffset ?? logEndOffset, logEndOffset)
    const minOne = options.minOneBatch ?? false
    const batches: Buffer[] = []
    let total = 0
    if (fetchOffset < upTo) {
      outer: for (let s = this.segmentIndexFor(fetchOffset); s < this.segments.length; s++) {
        const segment = this.segments[s]
        for (let i = segment.batchIndexFor(fetchOffset); i < segment.batches.length; i++) {
          const b = segment.batches[i]
          if (b.lastOffset >= upTo) break outer
          if (total + b.bytes.length > maxBytes && !(minOne && batches.length === 0)) break outer
          batches.push(b.bytes)
          total += b.bytes.length
        }
      }
    }
    return {
      kind: 'ok',
      batches,
      sizeInBytes: total,
      logStartOffset,
      highWatermark: logEndOffset,
      logEndOffset,
    }
  }

  private segmentIndexFor(offset: number): number {
    let lo = 0
    let hi = this.segments.length - 1
    let found = 0
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.segments[mid].baseOffset <= offset) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }

  offsetForTimestamp(timestamp: number, fromOffset: number = this._logStartOffset): BatchLookup {
    if (this.closed !== undefined) return this.failed()
    for (const segment of this.segments) {
      if (segment.nextOffset <= fromOffset || segment.maxTimestamp < timestamp) continue
      for (let i = segment.batchIndexFor(fromOffset); i < segment.batches.length; i++) {
        const b = segment.batches[i]
        if (b.maxTimestamp >= timestamp) return found(b)
      }
    }
    return { kind: 'notFound' }
  }

  maxTimestamp(): BatchLookup {
    if (this.closed !== undefined) return this.failed()
    let best: MemorySegment | undefined
    for (const segment of this.segments) {
      if (segment.size === 0) continue
      if (best === undefined || segment.maxTimestamp > best.maxTimestamp) best = segment
    }
    if (best === undefined) return { kind: 'notFound' }
    const b = best.batches[best.batchIndexFor(best.indexer.offsetOfMaxTimestamp)]
    return b === undefined ? { kind: 'notFound' } : found(b)
  }

  async deleteRecordsBefore(offset: number): Promise<DeleteRecordsResult> {
    if (this.closed !== undefined) return this.failed()
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this._logEndOffset)
      return {
        kind: 'offsetOutOfRange',
        logStartOffset: this._logStartOffset,
        logEndOffset: this._logEndOffset,
      }
    if (offset > this._logStartOffset) {
      this._logStartOffset = offset
      const plan = planRetention(this.segments, this._config, offset, this.clock(), 'logStartOffset')
      this.deleteOldest(plan.deleteCount)
    }
    return { kind: 'ok', lowWatermark: this._logStartOffset }
  }

  enforceRetention(now: number): RetentionResult {
    if (this.closed !== undefined) return { deletedSegments: 0, deletedBytes: 0 }
    const plan = planRetention(this.segments, this._config, this._logStartOffset, now, 'all')
    if (plan.deleteCount === 0) return { deletedSegments: 0, deletedBytes: 0 }
    if (plan.rollFirst) this.roll(now)
    return { deletedSegments: plan.deleteCount, deletedBytes: this.deleteOldest(plan.deleteCount) }
  }

  private deleteOldest(count: number): number {
    if (count <= 0) return 0
    if (count >= this.segments.length) throw new Error('bug: retention would delete the active segment')
    const victims = this.segments.splice(0, count)
    const bytes = victims.reduce((n, s) => n + s.size, 0)
    this._sizeInBytes -= bytes
    if (this.segments[0].baseOffset > this._logStartOffset) this._logStartOffset = this.segments[0].baseOffset
    return bytes
  }

  // ---- Log compaction (cleaner.ts): the same rounds as the disk log, swapped in synchronously. ----

  get isOnline(): boolean {
    return this.closed === undefined
  }

  async prepareForCleaning(): Promise<void> {}

  cleaningInput(stableOffset: number): CleaningInput<MemorySegment> {
    return {
      segments: this.segments,
      logStartOffset: this._logStartOffset,
      logEndOffset: this._logEndOffset,
      firstDirtyOffset: this.firstDirtyOffset,
      config: this._config,
      uncleanableFrom: stableOffset,
      nextDeleteHorizon: this.nextDeleteHorizon,
    }
  }

  *segmentBatches(segment: MemorySegment): Generator<Buffer> {
    for (const batch of segment.batches) yield batch.bytes
  }

  holdsSegments(group: readonly MemorySegment[]): boolean {
    const at = this.segments.indexOf(group[0])
    return (
      at >= 0 &&
      at + group.length < this.segments.length &&
      group.every((segment, k) => this.segments[at + k] === segment)
    )
  }

  startCleanedSegment(baseOffset: number): MemoryCleanedSegment {
    return new MemoryCleanedSegment(baseOffset, this._config, this.clock())
  }

  async swapCleanedSegment(group: readonly MemorySegment[], output: CleanedSegmentOutput): Promise<boolean> {
    if (!(output instanceof MemoryCleanedSegment)) throw new Error('bug: not a memory cleaned segment')
    if (this.closed !== undefined || !this.holdsSegments(group)) return false
    const cleaned = output.segment
    cleaned.lastModifiedMs = Math.max(...group.map((s) => s.lastModifiedMs))
    this.segments.splice(this.segments.indexOf(group[0]), group.length, cleaned)
    this._sizeInBytes += cleaned.size - group.reduce((n, s) => n + s.size, 0)
    return true
  }

  finishCleaning(firstDirtyOffset: number, nextDeleteHorizon: number | undefined): void {
    this.firstDirtyOffset = firstDirtyOffset
    this.nextDeleteHorizon = nextDeleteHorizon
  }

  updateConfig(config: LogConfig): void {
    this._config = config
    this.active.indexer.intervalBytes = config.indexIntervalBytes
  }

  close(): void {
    this.closed ??= closedError(this.topic, this.partition)
  }

  private failed(): StorageFailure {
    return { kind: 'storageError', error: this.closed! }
  }
}

function found(b: MemoryBatch): BatchLookup {
  return {
    kind: 'found',
    baseOffset: b.baseOffset,
    lastOffset: b.lastOffset,
    maxTimestamp: b.maxTimestamp,
    batch: b.bytes,
  }
}
