// What the disk and the memory PartitionLog share: a list of segments, oldest first, whose last is
// the active one, and every rule stated over it. Offsets, the append and read windows, timestamp
// lookups, retention and DeleteRecords, and the cleaner's view of the log live here once; each
// implementation supplies only how it stores batches (memory buffers or segment files), what an
// I/O failure does, and what must be made durable (partition-log.ts, memory-log.ts).
import type {
  AppendOptions,
  AppendResult,
  BatchLookup,
  DeleteRecordsResult,
  PartitionLog,
  ReadOptions,
  ReadResult,
  RequestFailure,
  RetentionResult,
  StorageFailure,
} from './api.ts'
import type { Lease } from './buffer-pool.ts'
import type { CleanerSegment, CleaningInput } from './cleaning-plan.ts'
import { isIoFailure, isResourceExhausted, StorageError, StorageErrorCode } from './errors.ts'
import type { LogConfig } from './log-config.ts'
import type { StorageLogger } from './logger.ts'
import { admitAppend, type PlacedBatch, placeBatches } from './place-batches.ts'
import { planRetention, type RetentionCandidate } from './retention.ts'
import { type RollCandidate, shouldRoll } from './roll-policy.ts'

/** A batch's header facts, as a segment's lookups return them. */
export interface BatchFacts {
  readonly baseOffset: number
  readonly lastOffset: number
  readonly maxTimestamp: number
}

/** A segment as the shared log rules see it (the disk Segment and the memory segment both fit). */
export interface LogSegment<B extends BatchFacts = BatchFacts>
  extends RollCandidate,
    RetentionCandidate,
    CleanerSegment {
  /** Offset of the first batch that reached maxTimestamp. */
  readonly offsetOfMaxTimestamp: number
  /** The first batch whose last offset is >= `offset`. */
  locate(offset: number): B | undefined
  /** The first batch with lastOffset >= `fromOffset` and maxTimestamp >= `timestamp`. */
  findByTimestamp(timestamp: number, fromOffset: number): B | undefined
  setIndexInterval(bytes: number): void
}

/** A log as opened: its identity, settings and segments, and where it starts. */
export interface SegmentedLogInit<S> {
  readonly topic: string
  readonly partition: number
  readonly config: LogConfig
  readonly clock: () => number
  readonly logger: StorageLogger
  /** Oldest first, never empty; the last is the active segment. */
  readonly segments: S[]
  readonly logStartOffset: number
  readonly firstDirtyOffset: number
}

const nothingDeleted = (): RetentionResult => ({ deletedSegments: 0, deletedBytes: 0 })

export abstract class SegmentedLog<S extends LogSegment<B>, B extends BatchFacts> implements PartitionLog {
  readonly topic: string
  readonly partition: number
  protected readonly clock: () => number
  protected readonly logger: StorageLogger

  // ---- Mutable state, owned by this log. Every mutating path (append, roll, retention,
  // DeleteRecords' in-memory part) is synchronous, so no request sees another half-done. ----
  /** Oldest first; the last is the active segment. Never empty. */
  protected segments: S[]
  protected _logStartOffset: number
  protected _logEndOffset: number
  protected _sizeInBytes: number
  protected _config: LogConfig
  /** Set when the log goes offline (disk I/O error) or is closed. */
  protected failure: StorageError | undefined
  /** Why the log went offline (the I/O failure), for /health; undefined while online or closed. */
  protected offlineCause: StorageError | undefined
  /** Where the cleaner stopped last. */
  protected firstDirtyOffset: number
  /** Earliest delete horizon of a tombstone the last cleaning kept (never persisted). */
  protected nextDeleteHorizon: number | undefined
  /**
   * A cleaned segment is being swapped in asynchronously (the disk log): retention and
   * DeleteRecords leave segments in place until it is done.
   */
  protected swapping = false

  protected constructor(init: SegmentedLogInit<S>) {
    const { segments } = init
    this.topic = init.topic
    this.partition = init.partition
    this.clock = init.clock
    this.logger = init.logger
    this._config = init.config
    this._logEndOffset = segments[segments.length - 1].nextOffset
    this._sizeInBytes = segments.reduce((n, s) => n + s.size, 0)
    this.segments = segments
    this._logStartOffset = init.logStartOffset
    this.firstDirtyOffset = init.firstDirtyOffset
  }

  // ---- What each implementation supplies. ----

  abstract flush(): Promise<void>
  /** Seals the active segment and starts a new one at the log end offset. */
  protected abstract roll(now: number): void
  /** Stores an append's batches in the active segment (and whatever follows a write). */
  protected abstract writeBatches(records: Buffer, batches: readonly PlacedBatch[], now: number): void
  /** Whole batches from fetchOffset (< upTo), by the read rules of ReadOptions. */
  protected abstract readBatches(
    fetchOffset: number,
    maxBytes: number,
    minOne: boolean,
    upTo: number,
    lease: Lease | undefined,
  ): Buffer[]
  /**
   * Runs once an append is in the log, outside the I/O error handling (the disk log keeps the
   * batches in its tail cache): what throws here is a bug, not a storage failure.
   */
  protected afterAppend(_records: Buffer, _batches: readonly PlacedBatch[]): void {}
  /** Batches served from memory without storage I/O (the tail cache), or undefined. */
  protected readCached(
    _fetchOffset: number,
    _maxBytes: number,
    _minOne: boolean,
    _upTo: number,
    _lease: Lease | undefined,
  ): Buffer[] | undefined {
    return undefined
  }
  /** The bytes of a batch a segment lookup returned. */
  protected abstract batchBytes(segment: S, batch: B): Buffer
  /** Resolves once the current logStartOffset is durable. */
  protected abstract persistLogStartOffset(): Promise<void>
  /** Segments just dropped from the log: release what they hold. */
  protected abstract retire(victims: readonly S[]): void
  /** Nothing at or past the returned offset is cleaned. */
  protected abstract uncleanableFrom(stableOffset: number): number

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

  /** Base offsets of the segments, oldest first (for tests and tools). */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset)
  }

  protected get active(): S {
    return this.segments[this.segments.length - 1]
  }

  append(records: Buffer, options: AppendOptions = {}): AppendResult {
    if (this.failure !== undefined) return this.failed()
    const config = this._config
    const infos = admitAppend(records, config)
    if (!Array.isArray(infos)) return infos
    const baseOffset = this._logEndOffset
    const placed = placeBatches(records, infos, baseOffset, options.partitionLeaderEpoch ?? 0)
    const now = this.clock()
    const active = this.active
    const sizeBefore = active.size
    try {
      if (shouldRoll(this.active, config, placed.incoming, now)) this.roll(now)
      this.writeBatches(records, placed.batches, now)
    } catch (error) {
      // A write that fails is undone where it fails, so a segment that grew was written to and
      // then something else threw: the log no longer matches its offsets, and must not serve.
      const grew = this.active === active ? active.size !== sizeBefore : this.active.size > 0
      if (grew && !isIoFailure(error))
        return { kind: 'storageError', error: this.goOffline(error, 'a defect interrupted an append') }
      return this.failure === undefined ? this.classify(error, 'append') : this.failed()
    }
    this._logEndOffset = placed.nextOffset
    this._sizeInBytes += records.length
    this.afterAppend(records, placed.batches)
    return {
      kind: 'appended',
      baseOffset,
      lastOffset: placed.nextOffset - 1,
      logStartOffset: this._logStartOffset,
    }
  }

  read(fetchOffset: number, maxBytes: number, options: ReadOptions = {}): ReadResult {
    if (this.failure !== undefined) return this.failed()
    const logStartOffset = this._logStartOffset
    const logEndOffset = this._logEndOffset
    if (fetchOffset < logStartOffset || fetchOffset > logEndOffset)
      return { kind: 'offsetOutOfRange', logStartOffset, logEndOffset }
    const upTo = Math.min(options.upToOffset ?? logEndOffset, logEndOffset)
    const minOne = options.minOneBatch ?? false
    let batches: Buffer[] = []
    if (fetchOffset < upTo) {
      try {
        batches =
          this.readCached(fetchOffset, maxBytes, minOne, upTo, options.lease) ??
          this.readBatches(fetchOffset, maxBytes, minOne, upTo, options.lease)
      } catch (error) {
        return this.classify(error, 'read')
      }
    }
    let sizeInBytes = 0
    for (const b of batches) sizeInBytes += b.length
    return { kind: 'ok', batches, sizeInBytes, logStartOffset, highWatermark: logEndOffset, logEndOffset }
  }

  /** Index of the last segment whose base offset is <= offset (0 when none). */
  protected segmentIndexFor(offset: number): number {
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
    if (this.failure !== undefined) return this.failed()
    try {
      for (const segment of this.segments) {
        if (segment.nextOffset <= fromOffset || segment.size === 0) continue
        const batch = segment.findByTimestamp(timestamp, fromOffset)
        if (batch !== undefined) return this.found(segment, batch)
      }
    } catch (error) {
      return this.classify(error, 'offsetForTimestamp')
    }
    return { kind: 'notFound' }
  }

  maxTimestamp(): BatchLookup {
    if (this.failure !== undefined) return this.failed()
    let best: S | undefined
    for (const segment of this.segments) {
      if (segment.size === 0) continue
      if (best === undefined || segment.maxTimestamp > best.maxTimestamp) best = segment
    }
    if (best === undefined) return { kind: 'notFound' }
    try {
      const batch = best.locate(best.offsetOfMaxTimestamp)
      return batch === undefined ? { kind: 'notFound' } : this.found(best, batch)
    } catch (error) {
      return this.classify(error, 'maxTimestamp')
    }
  }

  private found(segment: S, b: B): BatchLookup {
    return {
      kind: 'found',
      baseOffset: b.baseOffset,
      lastOffset: b.lastOffset,
      maxTimestamp: b.maxTimestamp,
      batch: this.batchBytes(segment, b),
    }
  }

  async deleteRecordsBefore(offset: number): Promise<DeleteRecordsResult> {
    if (this.failure !== undefined) return this.failed()
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this._logEndOffset)
      return {
        kind: 'offsetOutOfRange',
        logStartOffset: this._logStartOffset,
        logEndOffset: this._logEndOffset,
      }
    if (offset > this._logStartOffset) {
      this._logStartOffset = offset
      // During a cleaner swap the segments below stay until the next retention run.
      if (!this.swapping) {
        const plan = planRetention(this.segments, this._config, offset, this.clock(), 'logStartOffset')
        this.deleteOldest(plan.deleteCount)
      }
    }
    // Even when nothing moved: the lowWatermark reported must be durable, and an earlier move
    // (retention, another DeleteRecords) may still be on its way to the checkpoint.
    const lowWatermark = this._logStartOffset
    try {
      await this.persistLogStartOffset()
    } catch (error) {
      return this.classify(error, 'deleteRecords')
    }
    return { kind: 'ok', lowWatermark }
  }

  enforceRetention(now: number): RetentionResult {
    if (this.failure !== undefined || this.swapping) return nothingDeleted()
    const plan = planRetention(this.segments, this._config, this._logStartOffset, now, 'all')
    if (plan.deleteCount === 0) return nothingDeleted()
    try {
      if (plan.rollFirst) this.roll(now)
      const deletedBytes = this.deleteOldest(plan.deleteCount)
      this.logger.info(
        {
          topic: this.topic,
          partition: this.partition,
          reason: plan.reason,
          segments: plan.deleteCount,
          deletedBytes,
        },
        'deleted log segments',
      )
      return { deletedSegments: plan.deleteCount, deletedBytes }
    } catch (error) {
      this.classify(error, 'retention')
      return nothingDeleted()
    }
  }

  /** Drops the `count` oldest segments (never all) and moves logStartOffset to the new first one. */
  private deleteOldest(count: number): number {
    if (count <= 0) return 0
    if (count >= this.segments.length) throw new Error('bug: retention would delete the active segment')
    const victims = this.segments.splice(0, count)
    const bytes = victims.reduce((n, s) => n + s.size, 0)
    this._sizeInBytes -= bytes
    if (this.segments[0].baseOffset > this._logStartOffset) this._logStartOffset = this.segments[0].baseOffset
    this.retire(victims)
    return bytes
  }

  updateConfig(config: LogConfig): void {
    this._config = config
    this.active.setIndexInterval(config.indexIntervalBytes)
  }

  // ---- Log compaction (cleaner.ts): the hooks both logs answer alike. ----

  get isOnline(): boolean {
    return this.failure === undefined
  }

  cleaningInput(stableOffset: number): CleaningInput<S> {
    return {
      segments: this.segments,
      logStartOffset: this._logStartOffset,
      logEndOffset: this._logEndOffset,
      firstDirtyOffset: this.firstDirtyOffset,
      config: this._config,
      uncleanableFrom: this.uncleanableFrom(stableOffset),
      nextDeleteHorizon: this.nextDeleteHorizon,
    }
  }

  holdsSegments(group: readonly S[]): boolean {
    const at = this.segments.indexOf(group[0])
    return (
      at >= 0 &&
      at + group.length < this.segments.length && // never the active segment
      group.every((segment, k) => this.segments[at + k] === segment)
    )
  }

  /** Puts the cleaned segment in place of `group` in one synchronous step. */
  protected replaceSegments(group: readonly S[], cleaned: S): void {
    this.segments.splice(this.segments.indexOf(group[0]), group.length, cleaned)
    this._sizeInBytes += cleaned.size - group.reduce((n, s) => n + s.size, 0)
  }

  finishCleaning(firstDirtyOffset: number, nextDeleteHorizon: number | undefined): void {
    this.firstDirtyOffset = firstDirtyOffset
    this.nextDeleteHorizon = nextDeleteHorizon
  }

  protected failed(): StorageFailure {
    return { kind: 'storageError', error: this.failure! }
  }

  /** The cleaner met an I/O failure in this log (cleaner.ts). */
  ioFailed(error: StorageError): void {
    this.goOffline(error)
  }

  /** The I/O failure that took the log offline, or undefined while it serves (or once closed). */
  get offlineReason(): StorageError | undefined {
    return this.offlineCause
  }

  /**
   * What `error`, thrown by storage work on behalf of `operation`, fails (errors.ts): a full disk
   * or another exhausted resource fails the operation alone; any other I/O failure takes the log
   * offline; corrupt bytes and defects fail the request, logged, and the log serves on.
   */
  protected classify(error: unknown, operation: string): StorageFailure | RequestFailure {
    const where = { topic: this.topic, partition: this.partition, operation }
    if (error instanceof StorageError) {
      switch (error.code) {
        case StorageErrorCode.logOffline:
        case StorageErrorCode.closed:
          return { kind: 'storageError', error }
        case StorageErrorCode.io:
          if (!isResourceExhausted(error)) return { kind: 'storageError', error: this.goOffline(error) }
          this.logger.warn(
            { ...where, errno: error.errno, error: error.message },
            'storage operation failed, log serves on',
          )
          return { kind: 'storageError', error }
        case StorageErrorCode.corruptData:
          this.logger.error({ ...where, error: error.message }, 'corrupt log data met by a request')
          return { kind: 'requestFailed', error }
      }
    }
    this.logger.error({ ...where, err: error }, 'a defect failed one request; the log serves on')
    const message = error instanceof Error ? error.message : String(error)
    return {
      kind: 'requestFailed',
      error: new StorageError(
        StorageErrorCode.internal,
        `${operation} on ${this.topic}-${this.partition}: ${message}`,
        {
          cause: error,
        },
      ),
    }
  }

  /**
   * Takes the log offline (until restart) after `error`: appends, reads and flushes report
   * KAFKA_STORAGE_ERROR from now on. Idempotent; returns the failure every later call reports.
   */
  protected goOffline(error: unknown, why = 'an I/O error'): StorageError {
    if (error instanceof StorageError && error.code === StorageErrorCode.logOffline) {
      this.failure ??= error
      return this.failure
    }
    if (this.failure === undefined) {
      this.logger.error(
        { topic: this.topic, partition: this.partition, err: error },
        `log offline after ${why}`,
      )
      this.offlineCause =
        error instanceof StorageError
          ? error
          : new StorageError(StorageErrorCode.internal, String(error), { cause: error })
      this.failure = new StorageError(
        StorageErrorCode.logOffline,
        `log ${this.topic}-${this.partition} is offline after ${why}: ${this.offlineCause.message}`,
        { cause: error },
      )
    }
    return this.failure
  }
}

/** A cleaned segment keeps the newest last-modified time of the segments it replaces. */
export const lastModifiedOf = (group: readonly RetentionCandidate[]): number =>
  Math.max(...group.map((s) => s.lastModifiedMs))
