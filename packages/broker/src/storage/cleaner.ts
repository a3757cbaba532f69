// The log cleaner: compacts logs whose cleanup.policy includes compact, one log at a time, as
// Kafka's LogCleaner thread does. Shared by the disk and memory stores; each log supplies its
// segments and the means to write and swap a cleaned one (CompactableLog).
//
// One cleaning of one log (a round):
//   1. choose the log whose plan says it needs cleaning, dirtiest first (cleaning-plan.ts);
//   2. scan the round's segments for producer and transaction facts (compaction.ts RoundFacts);
//   3. build the key -> latest offset map over the dirty segments, whole segments, until the map
//      is full; the round then covers every candidate segment up to the last one mapped;
//   4. rewrite those segments, each batch through filterBatch, into new segments: consecutive
//      source segments share one while it is sure to fit segment.bytes (fitsCleanedSegment); each
//      is swapped in atomically once written (the disk log: `.cleaned`, fsync, `.swap`, see
//      partition-log.ts);
//   5. record the new first dirty offset.
// The work never blocks the event loop for long: it runs in slices of about `sliceMs` and yields
// with setImmediate between them, so produce and fetch interleave. Between slices the log may
// roll, or lose segments to retention or DeleteRecords; the swap checks that the group is still
// there and the round gives up if not. A store's close() stops the cleaner at the next slice.
import { batchLastOffsetDelta, readBatch } from '@runnel/protocol'
import type { CleaningStats, CleanOptions, CleanResult, PartitionLog } from './api.ts'
import { storedBaseOffset, storedMaxTimestamp } from './batches.ts'
import {
  type CleanerSegment,
  type CleaningInput,
  type CleaningPlan,
  fitsCleanedSegment,
  planCleaning,
} from './cleaning-plan.ts'
import { addBatchToMap, filterBatch, RoundFacts } from './compaction.ts'
import { isIoFailure, isResourceExhausted, type StorageError } from './errors.ts'
import { compacts } from './log-config.ts'
import type { StorageLogger } from './logger.ts'
import { DEFAULT_OFFSET_MAP_ENTRIES, OffsetMap } from './offset-map.ts'

/** Where a cleaned segment is written until the log swaps it in. */
export interface CleanedSegmentOutput {
  /** Bytes appended so far. */
  readonly size: number
  /** Appends one whole batch (the log's offsets, as stored). */
  append(batch: Buffer, baseOffset: number, lastOffset: number, maxTimestamp: number): void
  /** Makes everything appended durable (the disk writes out and fsyncs). */
  finish(): Promise<void>
  /** Gives the output up (the disk closes and removes its file). Never throws. */
  abort(): void
}

/** What a log offers its cleaner. */
export interface CompactableLog<S extends CleanerSegment = CleanerSegment> extends PartitionLog {
  /** False once closed or offline: a round in progress gives up. */
  readonly isOnline: boolean
  /** Resolves once work that may move the uncleanable bound has settled (the disk log's roll flushes). */
  prepareForCleaning(): Promise<void>
  cleaningInput(stableOffset: number): CleaningInput<S>
  /** The segment's batches in offset order, each one whole batch; read lazily, in chunks. */
  segmentBatches(segment: S): Iterable<Buffer>
  /** Whether `segments` are still a run of the log's sealed segments. */
  holdsSegments(segments: readonly S[]): boolean
  /** A new cleaned segment, to be named `baseOffset`. */
  startCleanedSegment(baseOffset: number): CleanedSegmentOutput
  /**
   * Replaces `group` with the finished `output` (which it takes over, even on failure). Resolves
   * false, changing nothing, when the group is no longer in the log.
   */
  swapCleanedSegment(group: readonly S[], output: CleanedSegmentOutput): Promise<boolean>
  /** The round is done: every offset below `firstDirtyOffset` is clean. */
  finishCleaning(firstDirtyOffset: number, nextDeleteHorizon: number | undefined): void
  /** An I/O failure met by the cleaner (not an exhausted resource): the log goes offline. */
  ioFailed(error: StorageError): void
}

export interface LogCleanerOptions {
  /** Offset map capacity in keys (default 1,000,000). */
  readonly offsetMapEntries?: number
  /** Longest stretch of work between two yields to the event loop (default 5 ms). */
  readonly sliceMs?: number
}

/** Counters for StorageStats. Owned by the cleaner. */
export interface CleanerCounters {
  runs: number
  bytesRead: number
  bytesReclaimed: number
  recordsRemoved: number
  timeMs: number
}

class CleaningAborted extends Error {}

/** Yields to the event loop when a slice has run long enough. */
class Slicer {
  private readonly sliceMs: number
  private start = performance.now()

  constructor(sliceMs: number) {
    this.sliceMs = sliceMs
  }

  get due(): boolean {
    return performance.now() - this.start >= this.sliceMs
  }

  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve))
    this.start = performance.now()
  }
}

interface Chosen {
  readonly log: CompactableLog
  readonly plan: CleaningPlan
}

export class LogCleaner {
  readonly counters: CleanerCounters = {
    runs: 0,
    bytesRead: 0,
    bytesReclaimed: 0,
    recordsRemoved: 0,
    timeMs: 0,
  }
  private readonly logs: () => Iterable<CompactableLog>
  private readonly clock: () => number
  private readonly logger: StorageLogger
  private readonly offsetMapEntries: number
  private readonly sliceMs: number

  // ---- Mutable state, owned by this cleaner (one per store). Rounds run one at a time. ----
  private running: Promise<CleanResult> | undefined
  private stopped = false
  /** Logs a round failed on with an unexpected error: skipped until restart, as Kafka does. */
  private readonly uncleanable = new WeakSet<CompactableLog>()
  private uncleanableCount = 0

  constructor(
    logs: () => Iterable<CompactableLog>,
    clock: () => number,
    logger: StorageLogger,
    options: LogCleanerOptions = {},
  ) {
    this.logs = logs
    this.clock = clock
    this.logger = logger
    this.offsetMapEntries = options.offsetMapEntries ?? DEFAULT_OFFSET_MAP_ENTRIES
    this.sliceMs = options.sliceMs ?? 5
  }

  get uncleanablePartitions(): number {
    return this.uncleanableCount
  }

  /** Cleans the dirtiest log that needs it; rounds asked for while one runs wait their turn. */
  clean(options: CleanOptions = {}): Promise<CleanResult> {
    const previous = this.running ?? Promise.resolve()
    const run = previous.then(
      () => this.cleanOnce(options),
      () => this.cleanOnce(options),
    )
    this.running = run
    void run.finally(() => {
      if (this.running === run) this.running = undefined
    })
    return run
  }

  /** Stops: the round in progress gives up at its next slice. Resolves once it has. */
  async stop(): Promise<void> {
    this.stopped = true
    while (this.running !== undefined) await this.running.catch(() => undefined)
  }

  private async cleanOnce(options: CleanOptions): Promise<CleanResult> {
    if (this.stopped) return { kind: 'idle' }
    const now = options.now ?? this.clock()
    let chosen: Chosen | undefined
    for (const log of [...this.logs()]) {
      if (!compacts(log.config) || !log.isOnline || this.uncleanable.has(log)) continue
      await log.prepareForCleaning()
      if (this.stopped) return { kind: 'idle' }
      if (!log.isOnline) continue
      const stable = options.stableOffset?.(log) ?? log.highWatermark
      const plan = planCleaning(log.cleaningInput(stable), now)
      if (plan?.reason === undefined) continue
      if (chosen === undefined || plan.dirtyRatio > chosen.plan.dirtyRatio) chosen = { log, plan }
    }
    if (chosen === undefined) return { kind: 'idle' }
    return this.cleanLog(chosen.log, chosen.plan, now)
  }

  private async cleanLog(log: CompactableLog, plan: CleaningPlan, now: number): Promise<CleanResult> {
    const started = performance.now()
    const slicer = new Slicer(this.sliceMs)
    const { candidates, cleanCount } = plan
    const stats = {
      bytesRead: 0,
      bytesBefore: 0,
      bytesAfter: 0,
      segmentsBefore: 0,
      segmentsAfter: 0,
      recordsRead: 0,
      recordsKept: 0,
    }
    const read = (bytes: Buffer) => {
      stats.bytesRead += bytes.length
      this.counters.bytesRead += bytes.length
    }
    const checkStillWanted = () => {
      if (this.stopped) throw new CleaningAborted('the log store is closing')
      if (!log.isOnline) throw new CleaningAborted('the log is closed or offline')
    }
    const breathe = async (group: readonly CleanerSegment[]) => {
      if (!slicer.due) return
      await slicer.pause()
      checkStillWanted()
      if (!log.holdsSegments(group)) throw new CleaningAborted('retention or DeleteRecords removed segments')
    }
    let output: CleanedSegmentOutput | undefined
    /** The segments the round is reading now (candidates, then the group being rewritten). */
    let held: readonly CleanerSegment[] = candidates
    try {
      // 2. Producer and transaction facts over the whole round.
      const facts = new RoundFacts()
      for (const segment of candidates) {
        for (const bytes of log.segmentBatches(segment)) {
          read(bytes)
          facts.observe(readBatch(bytes, 0))
          await breathe(candidates)
        }
      }
      facts.finish()

      // 3. The offset map over the dirty segments, whole segments only.
      const map = new OffsetMap(this.offsetMapEntries)
      let endIndex = cleanCount
      for (let i = cleanCount; i < candidates.length; i++) {
        if (map.full && i > cleanCount) break
        for (const bytes of log.segmentBatches(candidates[i])) {
          read(bytes)
          addBatchToMap(map, bytes, facts)
          await breathe(candidates)
        }
        endIndex = i + 1
      }
      const rewrite = candidates.slice(0, endIndex)
      const firstDirtyOffset = rewrite[rewrite.length - 1].nextOffset

      // 4. Rewrite: consecutive segments go into one cleaned segment while it is sure to stay
      // within segment.bytes; then it is finished and swapped in, and the next one starts.
      let nextDeleteHorizon: number | undefined
      const deleteRetentionMs = log.config.deleteRetentionMs
      const maxBytes = log.config.segmentBytes
      const group: CleanerSegment[] = []
      let before = 0
      /** An empty header ending the previous source segment, written only if the group ends there. */
      let tail: Buffer | undefined
      const append = (out: Buffer) => {
        const base = storedBaseOffset(out)
        output!.append(out, base, base + batchLastOffsetDelta(out, 0), storedMaxTimestamp(out))
      }
      const swapGroup = async () => {
        const current = output!
        if (tail !== undefined) append(tail)
        tail = undefined
        await current.finish()
        checkStillWanted()
        const after = current.size
        output = undefined
        if (!(await log.swapCleanedSegment([...group], current)))
          throw new CleaningAborted('retention or DeleteRecords removed segments')
        stats.bytesBefore += before
        stats.bytesAfter += after
        stats.segmentsBefore += group.length
        stats.segmentsAfter++
        this.counters.bytesReclaimed += before - after
        group.length = 0
        before = 0
      }
      for (const segment of rewrite) {
        if (
          output !== undefined &&
          !fitsCleanedSegment(group[0].baseOffset, output.size + (tail?.length ?? 0), segment, maxBytes)
        )
          await swapGroup()
        if (output === undefined) output = log.startCleanedSegment(segment.baseOffset)
        if (tail !== undefined) tail = undefined // the group goes on: the previous segment's end is inside it
        group.push(segment)
        held = group
        before += segment.size
        const ctx = { map, facts, now, deleteRetentionMs, segmentEnd: segment.nextOffset }
        for (const bytes of log.segmentBatches(segment)) {
          read(bytes)
          const r = filterBatch(bytes, ctx)
          stats.recordsRead += r.recordsRead
          stats.recordsKept += r.recordsKept
          if (r.tombstoneHorizon !== undefined)
            nextDeleteHorizon = Math.min(nextDeleteHorizon ?? r.tombstoneHorizon, r.tombstoneHorizon)
          if (r.onlyForSegmentEnd) tail = r.bytes
          else if (r.bytes !== undefined) append(r.bytes)
          await breathe(group)
        }
      }
      await swapGroup()

      // 5. Done.
      log.finishCleaning(firstDirtyOffset, nextDeleteHorizon)
      this.counters.runs++
      this.counters.recordsRemoved += stats.recordsRead - stats.recordsKept
      const result: CleaningStats = {
        reason: plan.reason ?? 'dirtyRatio',
        dirtyRatio: plan.dirtyRatio,
        ...stats,
        firstDirtyOffset,
        durationMs: performance.now() - started,
      }
      this.counters.timeMs += result.durationMs
      this.logger.info({ topic: log.topic, partition: log.partition, ...result }, 'cleaned log')
      return { kind: 'cleaned', topic: log.topic, partition: log.partition, stats: result }
    } catch (error) {
      output?.abort()
      const aborted = { kind: 'aborted' as const, topic: log.topic, partition: log.partition }
      if (error instanceof CleaningAborted) return { ...aborted, reason: error.message }
      // A segment retention removed (or a log closed) under a read is not the log's fault.
      if (this.stopped || !log.isOnline || !log.holdsSegments(held)) {
        return { ...aborted, reason: `the log changed while it was cleaned: ${String(error)}` }
      }
      // What failed decides (errors.ts): a full disk while writing the cleaned copy leaves the log
      // as it was and the next round tries again; any other I/O failure takes the log offline.
      if (isResourceExhausted(error)) {
        this.logger.warn(
          { topic: log.topic, partition: log.partition, error: String(error) },
          'log cleaning stopped by a full disk; the next round tries again',
        )
        return { ...aborted, reason: String(error) }
      }
      if (isIoFailure(error)) {
        log.ioFailed(error)
        return { ...aborted, reason: String(error) }
      }
      this.uncleanable.add(log)
      this.uncleanableCount++
      this.logger.error(
        { topic: log.topic, partition: log.partition, error: String(error) },
        'log cleaning failed; the partition is left uncleanable until restart',
      )
      return { ...aborted, reason: String(error) }
    }
  }
}
