// The disk implementation of PartitionLog: a directory of segments (see segment.ts), a tail
// cache, group-committed fsyncs, a checkpoint file for logStartOffset, the recovery point and the
// cleaner's first dirty offset, and the log cleaner's swap of compacted segments (swapIn below).
// The rules over the segment list (offsets, read windows, lookups, retention) are segmented-log.ts,
// shared with the memory log.
import { join } from 'node:path'
import { BATCH_HEADER_SIZE, batchLastOffsetDelta } from '@runnel/protocol'
import { int64At } from './batches.ts'
import type { Lease } from './buffer-pool.ts'
import { CleanedSegmentWriter } from './cleaned-segment.ts'
import type { CleanedSegmentOutput, CompactableLog } from './cleaner.ts'
import { corruptData, StorageError, StorageErrorCode } from './errors.ts'
import { offsetFileStem, SegmentFile, segmentFileName } from './file-names.ts'
import type { FileSystem } from './file-system.ts'
import { GroupCommit } from './group-commit.ts'
import { LogCheckpointFile, type LogCheckpointState } from './log-checkpoint.ts'
import type { LogConfig } from './log-config.ts'
import type { StorageLogger } from './logger.ts'
import type { PlacedBatch } from './place-batches.ts'
import { loadPartition } from './recovery.ts'
import { type BatchLocation, Segment, type SegmentContext } from './segment.ts'
import { lastModifiedOf, SegmentedLog } from './segmented-log.ts'
import { PartitionTailCache, type TailCacheBudget } from './tail-cache.ts'

/** Counters shared by the logs of one store. Owned by the store; logs only add to them. */
export interface StoreCounters {
  appendedBytes: number
  fsyncs: number
}

export interface DiskPartitionLogOptions {
  readonly topic: string
  readonly partition: number
  readonly dir: string
  readonly fs: FileSystem
  readonly clock: () => number
  readonly logger: StorageLogger
  readonly config: LogConfig
  readonly tailCache: TailCacheBudget
  readonly counters: StoreCounters
  /** The previous shutdown was clean: trust segments after a sanity check. */
  readonly clean: boolean
}

export interface OpenReport {
  readonly truncatedBytes: number
  readonly rebuiltSegments: number
}

export class DiskPartitionLog
  extends SegmentedLog<Segment, BatchLocation>
  implements CompactableLog<Segment>
{
  readonly dir: string
  private readonly fs: FileSystem
  private readonly counters: StoreCounters
  private readonly tail: PartitionTailCache
  private readonly flusher: GroupCommit
  private readonly checkpoint: LogCheckpointFile
  private readonly background = new Set<Promise<void>>()
  readonly openReport: OpenReport

  // ---- Mutable state, owned by this log (with the segment list in SegmentedLog). JS runs one
  // handler at a time and every mutating path is synchronous; async work (fsync, checkpoint
  // writes, file removal) only reads snapshots or raises "synced" marks. ----
  /** Segments below this offset are sealed and fsynced (persisted in the checkpoint). */
  private recoveryPoint: number
  /**
   * Segments retention or DeleteRecords dropped whose files are not gone yet. Flushes keep
   * covering them until the checkpoint with the new logStartOffset is durable: until then a crash
   * recovers them as part of the log, and an unsynced tail in one would cut everything after it.
   */
  private readonly retiring = new Set<Segment>()
  /** A segment file was created: the directory must be fsynced before data in it counts as durable. */
  private dirNeedsSync = false

  private constructor(
    options: DiskPartitionLogOptions,
    segments: Segment[],
    logStartOffset: number,
    recoveryPoint: number,
    report: OpenReport,
    checkpoint: LogCheckpointState | undefined,
  ) {
    super({ ...options, segments, logStartOffset, firstDirtyOffset: checkpoint?.firstDirtyOffset ?? 0 })
    this.dir = options.dir
    this.fs = options.fs
    this.counters = options.counters
    this.recoveryPoint = recoveryPoint
    this.tail = new PartitionTailCache(options.tailCache)
    this.flusher = new GroupCommit(() => this.syncDirty(false))
    this.checkpoint = new LogCheckpointFile(
      options.fs,
      options.dir,
      () => ({
        logStartOffset: this._logStartOffset,
        recoveryPoint: this.recoveryPoint,
        firstDirtyOffset: this.firstDirtyOffset,
      }),
      checkpoint,
    )
    this.openReport = report
  }

  /**
   * Opens the log in `options.dir`, creating the directory and a first segment if needed, and
   * recovering it when the last shutdown was not clean. Resolves once any repair is durable.
   */
  static async open(options: DiskPartitionLogOptions): Promise<DiskPartitionLog> {
    const created = options.fs.stat(options.dir) === undefined
    if (created) options.fs.mkdir(options.dir)
    const ctx: SegmentContext = {
      fs: options.fs,
      dir: options.dir,
      clock: options.clock,
      logger: options.logger,
    }
    const loaded = loadPartition(ctx, options.config, options.clean)
    const log = new DiskPartitionLog(
      options,
      loaded.segments,
      loaded.logStartOffset,
      loaded.recoveryPoint,
      { truncatedBytes: loaded.truncatedBytes, rebuiltSegments: loaded.rebuiltSegments },
      loaded.checkpoint,
    )
    if (loaded.truncatedBytes > 0 || loaded.rebuiltSegments > 0) {
      options.logger.warn(
        {
          topic: options.topic,
          partition: options.partition,
          ...log.openReport,
          logEndOffset: log.logEndOffset,
        },
        'recovered partition log',
      )
    }
    if (created || loaded.repaired) {
      // Make the new files (or the repair) durable before accepting writes. A new log needs no
      // checkpoint: a missing one reads as logStartOffset = first segment, recovery point 0.
      log.dirNeedsSync = true
      log.flusher.markDirty()
      await log.flusher.request()
      log.advanceRecoveryPoint()
      if (!created) await log.checkpoint.save()
    }
    return log
  }

  /** Bytes held in this partition's tail cache. */
  get tailCacheBytes(): number {
    return this.tail.sizeInBytes
  }

  protected override writeBatches(records: Buffer, batches: readonly PlacedBatch[], now: number): void {
    this.active.append(records, batches, now)
    this.counters.appendedBytes += records.length
    this.flusher.markDirty()
  }

  protected override afterAppend(records: Buffer, batches: readonly PlacedBatch[]): void {
    try {
      for (const b of batches) {
        this.tail.push(
          b.baseOffset,
          b.lastOffset,
          records.subarray(b.relativePosition, b.relativePosition + b.size),
        )
      }
    } catch (error) {
      // The batches are in the log; a defect in the cache only sends reads to the files.
      this.tail.clear()
      this.classify(error, 'tail cache')
    }
  }

  /** Seals the active segment and starts a new one at the log end offset. */
  protected override roll(): void {
    const next = Segment.create(this.segmentContext(), this._logEndOffset, this._config)
    this.active.seal()
    this.segments.push(next)
    this.dirNeedsSync = true
    this.flusher.markDirty()
    // Like Kafka, flush the sealed segment in the background and then move the recovery point.
    this.track(
      this.flusher.request().then(() => {
        this.advanceRecoveryPoint()
        return this.checkpoint.save()
      }),
    )
  }

  override flush(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return this.flusher.request()
  }

  /** The group-commit body: fsync every segment holding unsynced bytes, then the directory. */
  private async syncDirty(includeIndexes: boolean): Promise<void> {
    const dirty = [...this.retiring, ...this.segments].filter((s) => s.needsSync(includeIndexes))
    const dir = this.dirNeedsSync
    this.dirNeedsSync = false
    try {
      await Promise.all(dirty.map((s) => s.sync(includeIndexes)))
      if (dir) await this.fs.syncDir(this.dir)
      this.counters.fsyncs += dirty.length + (dir ? 1 : 0)
    } catch (error) {
      if (dir) this.dirNeedsSync = true
      // Never retried: after a failed fsync the kernel may have dropped the dirty pages it could
      // not write, so what the file seems to hold is not what the device holds.
      throw this.goOffline(error, 'a failed fsync')
    }
  }

  private advanceRecoveryPoint(): void {
    const firstUnsynced = this.segments.find((s) => s === this.active || s.needsSync(false))
    const point = firstUnsynced?.baseOffset ?? this.active.baseOffset
    if (point > this.recoveryPoint) this.recoveryPoint = point
  }

  /** From the tail cache when it holds fetchOffset. */
  protected override readCached(
    fetchOffset: number,
    maxBytes: number,
    minOne: boolean,
    upTo: number,
    lease: Lease | undefined,
  ): Buffer[] | undefined {
    if (!this.tail.covers(fetchOffset)) return undefined
    this.tail.budget.hits++
    return this.tail.read(fetchOffset, maxBytes, minOne, upTo, lease)
  }

  /**
   * A cold read: index lookup in the segment holding fetchOffset, then one positioned read per
   * segment of as many bytes as the budget allows. The window may end anywhere, inside a batch or
   * its header: only batches wholly inside it are returned, and every header read is checked.
   */
  protected override readBatches(
    fetchOffset: number,
    maxBytes: number,
    minOne: boolean,
    upTo: number,
    lease: Lease | undefined,
  ): Buffer[] {
    this.tail.budget.misses++
    const allocate = lease ? (size: number) => lease.allocate(size) : undefined
    const out: Buffer[] = []
    let total = 0
    for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
      const segment = this.segments[i]
      const start = segment.locate(fetchOffset)
      if (start === undefined) continue
      const room = maxBytes - total
      if (start.lastOffset >= upTo || (start.size > room && !(minOne && out.length === 0))) break
      // At least the first batch (minOne), at most the rest of the segment.
      const window = Math.max(Math.min(room, segment.size - start.position), start.size)
      const buf = segment.readAt(start.position, window, allocate)
      if (int64At(buf, 0) !== start.baseOffset)
        throw corruptData(
          `${segment.logPath}: the index points at offset ${start.baseOffset}, the log holds another`,
        )
      let off = 0
      while (buf.length - off >= BATCH_HEADER_SIZE) {
        const size = segment.checkedBatchSize(buf, off, start.position + off)
        if (off + size > buf.length) break // the window ends inside this batch
        if (int64At(buf, off) + batchLastOffsetDelta(buf, off) >= upTo) return out
        if (total + size > maxBytes && !(minOne && out.length === 0)) return out
        out.push(buf.subarray(off, off + size))
        total += size
        off += size
      }
      if (start.position + off < segment.size) break // the budget ends in this segment
    }
    return out
  }

  protected override batchBytes(segment: Segment, batch: BatchLocation): Buffer {
    return segment.readAt(batch.position, batch.size)
  }

  protected override persistLogStartOffset(): Promise<void> {
    return this.checkpoint.save()
  }

  /**
   * Segments dropped from the log: their files are removed only once the checkpoint with the new
   * logStartOffset is durable. If a crash (or a power loss undoing the removals) brings them back,
   * they lie wholly below the checkpointed logStartOffset and recovery discards them.
   */
  protected override retire(victims: readonly Segment[]): void {
    for (const segment of victims) this.retiring.add(segment)
    this.track(
      this.checkpoint.save().then(async () => {
        for (const segment of victims) {
          this.retiring.delete(segment)
          await segment.destroy()
        }
      }),
    )
  }

  // ---- Log compaction (the cleaner is cleaner.ts; these are its hooks into this log). ----

  /** Lets a roll's background flush and checkpoint finish, so the recovery point is current. */
  prepareForCleaning(): Promise<void> {
    return this.settleBackground()
  }

  protected override uncleanableFrom(stableOffset: number): number {
    // Only segments below the recovery point on disk: recovery trusts them as they are, so a
    // cleaned segment (with holes in its offsets) is never held to the contiguity check.
    const durable = this.checkpoint.durable?.recoveryPoint ?? 0
    return Math.min(this.recoveryPoint, durable, stableOffset)
  }

  segmentBatches(segment: Segment): Iterable<Buffer> {
    return segment.batches()
  }

  startCleanedSegment(baseOffset: number): CleanedSegmentWriter {
    return new CleanedSegmentWriter(this.segmentContext(), baseOffset, this._config)
  }

  /**
   * Between the rename to `.swap` and its end, `swapping` keeps retention and DeleteRecords from
   * removing segments, so no file of the swap's range is removed under it.
   */
  async swapCleanedSegment(group: readonly Segment[], output: CleanedSegmentOutput): Promise<boolean> {
    if (!(output instanceof CleanedSegmentWriter)) throw new Error('bug: not a disk cleaned segment')
    if (this.failure !== undefined || this.swapping || !this.holdsSegments(group)) {
      output.abort()
      return false
    }
    this.swapping = true
    const swap = this.swapIn(group, output).finally(() => {
      this.swapping = false
    })
    // close() waits for a swap in progress: once committed it must finish.
    this.track(swap.then(() => undefined))
    return swap
  }

  /**
   * The swap, Kafka's order: the cleaned file (fsynced) is renamed to `.swap`, which commits it
   * once the directory is synced; then the replaced segments' files are removed and the directory
   * synced; then `.swap` becomes `.log`. A crash before the first directory sync may leave
   * `.cleaned` (recovery deletes it: the old segments are whole) or `.swap` (recovery finishes);
   * after it, recovery always finishes. In memory the old segments serve reads until the new one
   * replaces them in one synchronous step.
   */
  private async swapIn(group: readonly Segment[], output: CleanedSegmentWriter): Promise<boolean> {
    const { fs } = this
    const baseOffset = group[0].baseOffset
    try {
      fs.rename(output.cleanedPath, output.swapPath)
      await fs.syncDir(this.dir)
      const names = fs.readdir(this.dir)
      for (const segment of group) {
        const stem = offsetFileStem(segment.baseOffset) + '.'
        for (const name of names) {
          if (!name.startsWith(stem) || name.endsWith(SegmentFile.swap) || name.endsWith(SegmentFile.cleaned))
            continue
          fs.unlink(join(this.dir, name))
        }
      }
      await fs.syncDir(this.dir)
      fs.rename(output.swapPath, join(this.dir, segmentFileName(baseOffset, SegmentFile.log)))
      const cleaned = Segment.fromCleaned(this.segmentContext(), {
        baseOffset,
        logFd: output.takeDescriptor(),
        indexer: output.indexer,
        size: output.size,
        nextOffset: output.nextOffset,
        firstBatchTimestamp: output.firstBatchTimestamp,
        lastModifiedMs: lastModifiedOf(group),
      })
      this.replaceSegments(group, cleaned)
      // Cached batches of the replaced range would serve the old bytes.
      this.tail.dropBelow(cleaned.nextOffset)
      this.dirNeedsSync = true // the rename and the new index files
      this.flusher.markDirty()
      this.track(this.flusher.request())
      for (const segment of group) this.track(segment.retire())
      return true
    } catch (error) {
      output.abort() // closes the file; removes it only if the commit rename never happened
      // The swap is a commit in several steps: a failure in it leaves files between states that
      // only recovery resolves, whatever the error.
      throw this.goOffline(error, 'a failed cleaner swap')
    }
  }

  override finishCleaning(firstDirtyOffset: number, nextDeleteHorizon: number | undefined): void {
    super.finishCleaning(firstDirtyOffset, nextDeleteHorizon)
    this.track(this.checkpoint.save())
  }

  private segmentContext(): SegmentContext {
    return { fs: this.fs, dir: this.dir, clock: this.clock, logger: this.logger }
  }

  /**
   * Flushes everything (indexes included), persists the checkpoint and closes the files. Later
   * calls report storageError(closed). With `flush: false` (topic deletion) nothing is synced.
   */
  async close(options: { flush?: boolean } = {}): Promise<void> {
    const wasFailed = this.failure !== undefined
    this.failure ??= new StorageError(
      StorageErrorCode.closed,
      `log ${this.topic}-${this.partition} is closed`,
    )
    await this.flusher.settled()
    await this.settleBackground()
    try {
      if (!wasFailed && options.flush !== false) {
        await this.syncDirty(true)
        this.advanceRecoveryPoint()
        await this.checkpoint.save()
      }
    } finally {
      await this.settleBackground()
      this.tail.clear()
      for (const segment of this.segments) {
        try {
          segment.close()
        } catch (error) {
          this.logger.error({ dir: this.dir, error: String(error) }, 'closing a segment failed')
        }
      }
    }
  }

  /** Resolves when background work (flushes after a roll, checkpoint writes, file removal) is done. */
  whenIdle(): Promise<void> {
    return this.settleBackground()
  }

  private async settleBackground(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background])
  }

  private track(task: Promise<void>): void {
    const tracked = task
      .catch((error: unknown) => {
        this.classify(error, 'background work')
      })
      .finally(() => {
        this.background.delete(tracked)
      })
    this.background.add(tracked)
  }
}
