// One segment of a partition's log on disk: `<base>.log` (batches back to back, exactly as
// appended), `<base>.index` and `<base>.timeindex` (see offset-index.ts, time-index.ts), all
// named by the 20-digit base offset. The segment keeps both indexes in memory; the files are
// appended to while the segment is active and read back when it is opened.
import { join } from 'node:path'
import { BATCH_HEADER_SIZE, batchLastOffsetDelta, batchSize } from '@runnel/protocol'
import { batchCrcValid, batchStructureProblem, int64At, storedMaxTimestamp } from './batches.ts'
import { readAt, readWholeFile } from './file-helpers.ts'
import { offsetFileStem, SegmentFile, segmentFileName } from './file-names.ts'
import { type FileSystem, OpenFlags } from './file-system.ts'
import type { LogConfig } from './log-config.ts'
import type { StorageLogger } from './logger.ts'
import { OFFSET_INDEX_ENTRY_SIZE, OffsetIndex } from './offset-index.ts'
import type { PlacedBatch } from './place-batches.ts'
import type { RetentionCandidate } from './retention.ts'
import type { RollCandidate } from './roll-policy.ts'
import { SegmentIndexer } from './segment-indexer.ts'
import { NO_TIMESTAMP, TIME_INDEX_ENTRY_SIZE, TimeIndex } from './time-index.ts'

export interface SegmentContext {
  readonly fs: FileSystem
  readonly dir: string
  readonly clock: () => number
  readonly logger: StorageLogger
}

/** Where a batch sits in a segment, from its header. */
export interface BatchLocation {
  readonly position: number
  readonly size: number
  readonly baseOffset: number
  readonly lastOffset: number
  readonly maxTimestamp: number
}

export const SegmentOpenMode = {
  /** Indexes are trusted after a sanity check; only the tail past the last index entry is scanned. */
  trust: 'trust',
  /** Every batch is validated (structure, offsets, CRC32C), the log truncated at the first bad one, indexes rebuilt. */
  recover: 'recover',
} as const
export type SegmentOpenMode = (typeof SegmentOpenMode)[keyof typeof SegmentOpenMode]

export interface SegmentOpenResult {
  readonly segment: Segment
  /** Bytes cut from the end of the log file (a torn or invalid tail). */
  readonly truncatedBytes: number
  /** Whether the indexes were rebuilt from the log. */
  readonly rebuiltIndexes: boolean
}

const SCAN_CHUNK = 1024 * 1024
const HEADER_CHUNK = 64 * 1024

export class Segment implements RollCandidate, RetentionCandidate {
  readonly baseOffset: number
  readonly logPath: string
  readonly createdAtMs: number
  private readonly ctx: SegmentContext

  // ---- Mutable state. Owned by the DiskPartitionLog holding this segment, changed only in its
  // synchronous append/roll/retention/open paths (sync() completes asynchronously but only
  // raises syncedSize and closes index files). ----
  /** Bytes of valid batches in the .log file; the next batch is written here. */
  size = 0
  /** Bytes known to be on the device. */
  syncedSize = 0
  /** Last offset + 1 of the last batch (the base offset when empty). */
  nextOffset: number
  /** maxTimestamp of the first append to this segment, or -1 (what segment.ms is measured from). */
  firstBatchTimestamp = NO_TIMESTAMP
  lastModifiedMs: number
  /** No longer the active segment: no more appends, final time-index entry written. */
  sealed = false
  private indexer: SegmentIndexer
  private logFd: number | undefined
  private indexFd: number | undefined
  private timeIndexFd: number | undefined
  private indexesDirty = false
  /** Counts index-file writes, so a sync knows whether it covered the latest. */
  private indexWrites = 0
  private syncing: Promise<void> | undefined
  /** destroy() began: no more syncs. */
  private destroyed = false

  private constructor(
    ctx: SegmentContext,
    baseOffset: number,
    logFd: number,
    indexer: SegmentIndexer,
    now: number,
  ) {
    this.ctx = ctx
    this.baseOffset = baseOffset
    this.logPath = join(ctx.dir, segmentFileName(baseOffset, SegmentFile.log))
    this.logFd = logFd
    this.indexer = indexer
    this.nextOffset = baseOffset
    this.createdAtMs = now
    this.lastModifiedMs = now
  }

  get maxTimestamp(): number {
    return this.indexer.maxTimestamp
  }

  get offsetOfMaxTimestamp(): number {
    return this.indexer.offsetOfMaxTimestamp
  }

  get offsetIndex(): OffsetIndex {
    return this.indexer.offsetIndex
  }

  get timeIndex(): TimeIndex {
    return this.indexer.timeIndex
  }

  indexIsFull(segmentIndexBytes: number): boolean {
    return this.indexer.isFull(segmentIndexBytes)
  }

  setIndexInterval(bytes: number): void {
    this.indexer.intervalBytes = bytes
  }

  private get indexPath(): string {
    return join(this.ctx.dir, segmentFileName(this.baseOffset, SegmentFile.offsetIndex))
  }

  private get timeIndexPath(): string {
    return join(this.ctx.dir, segmentFileName(this.baseOffset, SegmentFile.timeIndex))
  }

  /** A new, empty active segment. */
  static create(ctx: SegmentContext, baseOffset: number, config: LogConfig): Segment {
    const { fs } = ctx
    const logFd = fs.open(join(ctx.dir, segmentFileName(baseOffset, SegmentFile.log)), OpenFlags.createNew)
    const indexer = new SegmentIndexer(
      new OffsetIndex(baseOffset),
      new TimeIndex(baseOffset),
      config.indexIntervalBytes,
    )
    const segment = new Segment(ctx, baseOffset, logFd, indexer, ctx.clock())
    segment.indexFd = fs.open(segment.indexPath, OpenFlags.createNew)
    segment.timeIndexFd = fs.open(segment.timeIndexPath, OpenFlags.createNew)
    return segment
  }

  /**
   * A sealed segment made by the log cleaner: its log (already fsynced, renamed to `<base>.log`)
   * is open as `logFd`, and `indexer` indexed it batch by batch with the append path's rule, so the
   * index files written here are the ones a rebuild would give. They are fsynced by the next
   * group commit (a sealed segment with dirty indexes needs a sync); until then a crash rebuilds
   * them.
   */
  static fromCleaned(
    ctx: SegmentContext,
    cleaned: {
      readonly baseOffset: number
      readonly logFd: number
      readonly indexer: SegmentIndexer
      readonly size: number
      readonly nextOffset: number
      readonly firstBatchTimestamp: number
      readonly lastModifiedMs: number
    },
  ): Segment {
    const { fs } = ctx
    const segment = new Segment(ctx, cleaned.baseOffset, cleaned.logFd, cleaned.indexer, ctx.clock())
    segment.size = cleaned.size
    segment.syncedSize = cleaned.size
    segment.nextOffset = cleaned.nextOffset
    segment.firstBatchTimestamp = cleaned.firstBatchTimestamp
    segment.lastModifiedMs = cleaned.lastModifiedMs
    segment.sealed = true
    segment.indexFd = fs.open(segment.indexPath, OpenFlags.createOrTruncate)
    segment.timeIndexFd = fs.open(segment.timeIndexPath, OpenFlags.createOrTruncate)
    segment.indexesDirty = true
    segment.indexWrites++
    fs.write(segment.indexFd, segment.offsetIndex.toBytes(), 0)
    fs.write(segment.timeIndexFd, segment.timeIndex.toBytes(), 0)
    return segment
  }

  /**
   * Opens an existing segment. `expectedFirstOffset` is the previous segment's next offset: no
   * batch may start below it. `active` keeps the index files open for appends; otherwise the
   * segment is sealed.
   */
  static open(
    ctx: SegmentContext,
    baseOffset: number,
    config: LogConfig,
    mode: SegmentOpenMode,
    expectedFirstOffset: number,
    active: boolean,
  ): SegmentOpenResult {
    const { fs } = ctx
    const logPath = join(ctx.dir, segmentFileName(baseOffset, SegmentFile.log))
    const logFd = fs.open(logPath, OpenFlags.readWrite)
    const fileSize = fs.size(logFd)
    const mtime = fs.stat(logPath)?.mtimeMs ?? ctx.clock()
    const empty = new SegmentIndexer(
      new OffsetIndex(baseOffset),
      new TimeIndex(baseOffset),
      config.indexIntervalBytes,
    )
    const segment = new Segment(ctx, baseOffset, logFd, empty, ctx.clock())
    segment.lastModifiedMs = mtime
    const minOffset = Math.max(baseOffset, expectedFirstOffset)

    let rebuilt = false
    let problem = mode === SegmentOpenMode.recover ? 'recovery' : segment.loadIndexes(fileSize, config)
    let scan: ScanResult | undefined
    if (problem === undefined) {
      // Trusted indexes: validate only the tail past the last offset-index entry.
      const last = segment.offsetIndex.lastEntry()
      const from = last?.position ?? 0
      scan = segment.scan(from, fileSize, last?.offset ?? minOffset, true)
      const lastTime = segment.timeIndex.lastEntry()
      if (scan.batches === 0 && from > 0) problem = 'last offset-index entry does not point at a valid batch'
      else if (lastTime !== undefined && lastTime.offset >= scan.nextOffset)
        problem = 'time index points past the log'
    }
    if (problem !== undefined) {
      if (mode === SegmentOpenMode.trust) {
        ctx.logger.warn({ segment: logPath, problem }, 'rebuilding segment indexes')
      }
      segment.indexer = new SegmentIndexer(
        new OffsetIndex(baseOffset),
        new TimeIndex(baseOffset),
        config.indexIntervalBytes,
      )
      scan = segment.scan(0, fileSize, minOffset, true)
      rebuilt = true
    }
    if (scan === undefined) throw new Error('unreachable: segment scan missing')

    segment.size = scan.validEnd
    segment.nextOffset = scan.nextOffset
    segment.firstBatchTimestamp = segment.size > 0 ? segment.readFirstBatchTimestamp() : NO_TIMESTAMP
    const truncatedBytes = fileSize - scan.validEnd
    if (truncatedBytes > 0) {
      ctx.logger.warn(
        { segment: logPath, validBytes: scan.validEnd, truncatedBytes, reason: scan.stopReason },
        'truncating invalid log tail',
      )
      fs.truncate(logFd, scan.validEnd)
    }
    segment.syncedSize = truncatedBytes > 0 || rebuilt ? 0 : segment.size

    // Index files: rewrite when rebuilt, append entries the tail scan found.
    segment.indexFd = fs.open(segment.indexPath, rebuilt ? OpenFlags.createOrTruncate : OpenFlags.readWrite)
    segment.timeIndexFd = fs.open(
      segment.timeIndexPath,
      rebuilt ? OpenFlags.createOrTruncate : OpenFlags.readWrite,
    )
    if (rebuilt) {
      segment.indexesDirty = true
      segment.indexWrites++
      fs.write(segment.indexFd, segment.offsetIndex.toBytes(), 0)
      fs.write(segment.timeIndexFd, segment.timeIndex.toBytes(), 0)
    } else if (scan.indexWrites.length > 0) {
      for (const w of scan.indexWrites) segment.writeIndexEntries(w.offsetEntry, w.timeEntry)
    }
    if (!active) segment.seal()
    return { segment, truncatedBytes, rebuiltIndexes: rebuilt }
  }

  /** Loads and sanity-checks both index files; returns the problem, or undefined when usable. */
  private loadIndexes(logSize: number, config: LogConfig): string | undefined {
    const { fs } = this.ctx
    const indexBytes = readWholeFile(fs, this.indexPath)
    if (indexBytes === undefined) return 'offset index missing'
    const timeBytes = readWholeFile(fs, this.timeIndexPath)
    if (timeBytes === undefined) return 'time index missing'
    const offsetIndex = OffsetIndex.fromBytes(this.baseOffset, indexBytes, logSize)
    if (typeof offsetIndex === 'string') return `offset index: ${offsetIndex}`
    const timeIndex = TimeIndex.fromBytes(this.baseOffset, timeBytes)
    if (typeof timeIndex === 'string') return `time index: ${timeIndex}`
    const last = offsetIndex.lastEntry()
    if (last !== undefined) {
      const header = readAt(fs, this.logFd!, last.position, 8)
      if (header.length < 8 || int64At(header, 0) !== last.offset)
        return 'last offset-index entry does not match the batch it points at'
    }
    const indexer = new SegmentIndexer(offsetIndex, timeIndex, config.indexIntervalBytes)
    const lastTime = timeIndex.lastEntry()
    if (lastTime !== undefined) {
      indexer.maxTimestamp = lastTime.timestamp
      indexer.offsetOfMaxTimestamp = lastTime.offset
    }
    this.indexer = indexer
    return undefined
  }

  /**
   * Walks batches in [from, end) feeding the indexer, validating structure, offsets (each batch
   * starts at or after `minOffset` and after the previous one, and fits a relative offset) and,
   * if asked, CRC32C. Stops at the first invalid batch.
   */
  private scan(from: number, end: number, minOffset: number, verifyCrc: boolean): ScanResult {
    const { fs } = this.ctx
    const result: ScanResult = {
      validEnd: from,
      nextOffset: minOffset,
      batches: 0,
      indexWrites: [],
      stopReason: undefined,
    }
    let pos = from
    while (pos < end) {
      const want = Math.min(SCAN_CHUNK, end - pos)
      let chunk = readAt(fs, this.logFd!, pos, want)
      if (chunk.length >= 12) {
        const size = batchSize(chunk, 0)
        if (size > chunk.length && size <= end - pos && size >= BATCH_HEADER_SIZE) {
          chunk = readAt(fs, this.logFd!, pos, size) // one batch larger than the chunk
        }
      }
      let off = 0
      while (off < chunk.length) {
        const problem = batchStructureProblem(chunk, off, chunk.length)
        if (problem === 'incomplete' && pos + chunk.length < end) {
          break // the batch continues past this chunk: the next chunk starts at it
        }
        if (problem !== undefined) {
          result.stopReason = problem === 'incomplete' ? 'torn batch at end of file' : problem
          return result
        }
        const size = batchSize(chunk, off)
        const baseOffset = int64At(chunk, off)
        const lastOffset = baseOffset + batchLastOffsetDelta(chunk, off)
        if (baseOffset < result.nextOffset) {
          result.stopReason = `batch base offset ${baseOffset} is below the expected ${result.nextOffset}`
          return result
        }
        if (lastOffset - this.baseOffset > 0x7fffffff) {
          result.stopReason = `offset ${lastOffset} does not fit the segment`
          return result
        }
        if (verifyCrc && !batchCrcValid(chunk, off, size)) {
          result.stopReason = `CRC mismatch in batch at offset ${baseOffset}`
          return result
        }
        const maxTimestamp = storedMaxTimestamp(chunk, off)
        const writes = this.indexer.add(baseOffset, size, maxTimestamp, pos + off)
        if (writes.offsetEntry !== undefined || writes.timeEntry !== undefined)
          result.indexWrites.push(writes)
        result.nextOffset = lastOffset + 1
        result.batches++
        off += size
        result.validEnd = pos + off
      }
      if (off === 0) {
        result.stopReason = 'torn batch at end of file'
        return result
      }
      pos += off
    }
    return result
  }

  private readFirstBatchTimestamp(): number {
    const header = readAt(this.ctx.fs, this.logFd!, 0, BATCH_HEADER_SIZE)
    return storedMaxTimestamp(header, 0)
  }

  private writeIndexEntries(offsetEntry: Buffer | undefined, timeEntry: Buffer | undefined): void {
    const { fs } = this.ctx
    if (offsetEntry !== undefined) {
      this.indexesDirty = true
      this.indexWrites++
      fs.write(this.indexFd!, offsetEntry, this.offsetIndex.sizeInBytes - OFFSET_INDEX_ENTRY_SIZE)
    }
    if (timeEntry !== undefined) {
      this.indexesDirty = true
      this.indexWrites++
      fs.write(this.timeIndexFd!, timeEntry, this.timeIndex.sizeInBytes - TIME_INDEX_ENTRY_SIZE)
    }
  }

  /**
   * Writes `records` at the end of the log (one positioned write: when it returns the OS has the
   * bytes) and indexes its batches.
   */
  append(records: Buffer, batches: readonly PlacedBatch[], now: number): void {
    const position = this.size
    this.ctx.fs.write(this.logFd!, records, position)
    if (position === 0) this.firstBatchTimestamp = batches[0].maxTimestamp
    this.size += records.length
    for (const b of batches) {
      const writes = this.indexer.add(b.baseOffset, b.size, b.maxTimestamp, position + b.relativePosition)
      this.writeIndexEntries(writes.offsetEntry, writes.timeEntry)
    }
    this.nextOffset = batches[batches.length - 1].lastOffset + 1
    this.lastModifiedMs = now
  }

  /** Stops being the active segment: writes the final time-index entry (Kafka does the same). */
  seal(): void {
    if (this.sealed) return
    this.sealed = true
    this.writeIndexEntries(undefined, this.indexer.seal())
    if (!this.indexesDirty) this.closeIndexFiles()
  }

  /** The first batch whose last offset is >= `offset`, or undefined when the segment has none. */
  locate(offset: number): BatchLocation | undefined {
    const start = this.offsetIndex.lookup(offset).position
    for (const b of this.headers(start)) {
      if (b.lastOffset >= offset) return b
    }
    return undefined
  }

  /** The first batch with lastOffset >= `fromOffset` and maxTimestamp >= `timestamp`. */
  findByTimestamp(timestamp: number, fromOffset: number): BatchLocation | undefined {
    if (this.maxTimestamp < timestamp) return undefined
    const entry = this.timeIndex.lookup(timestamp)
    const startOffset = Math.max(entry?.offset ?? this.baseOffset, fromOffset)
    const start = this.offsetIndex.lookup(startOffset).position
    for (const b of this.headers(start)) {
      if (b.lastOffset >= fromOffset && b.maxTimestamp >= timestamp) return b
    }
    return undefined
  }

  /** Batch headers from `from` to the end of the valid log, read in chunks. */
  *headers(from: number): Generator<BatchLocation> {
    const end = this.size
    let buf: Buffer = Buffer.alloc(0)
    let bufStart = from
    let pos = from
    while (pos < end) {
      if (pos + BATCH_HEADER_SIZE > bufStart + buf.length) {
        bufStart = pos
        buf = readAt(this.ctx.fs, this.logFd!, pos, Math.min(HEADER_CHUNK, end - pos))
        if (buf.length < BATCH_HEADER_SIZE) return
      }
      const off = pos - bufStart
      const size = batchSize(buf, off)
      const baseOffset = int64At(buf, off)
      yield {
        position: pos,
        size,
        baseOffset,
        lastOffset: baseOffset + batchLastOffsetDelta(buf, off),
        maxTimestamp: storedMaxTimestamp(buf, off),
      }
      pos += size
    }
  }

  /**
   * Every batch of the segment, in order, each a view of one whole batch; read in 1 MiB chunks
   * (a larger batch is read alone). For the log cleaner, which reads sealed segments only.
   */
  *batches(): Generator<Buffer> {
    const end = this.size
    let pos = 0
    while (pos < end) {
      let chunk = readAt(this.ctx.fs, this.logFd!, pos, Math.min(SCAN_CHUNK, end - pos))
      if (chunk.length < BATCH_HEADER_SIZE) throw new Error(`segment ${this.logPath}: short read at ${pos}`)
      const first = batchSize(chunk, 0)
      if (first > chunk.length) chunk = readAt(this.ctx.fs, this.logFd!, pos, first)
      let off = 0
      while (off + BATCH_HEADER_SIZE <= chunk.length) {
        const size = batchSize(chunk, off)
        if (size < BATCH_HEADER_SIZE || off + size > chunk.length) break
        yield chunk.subarray(off, off + size)
        off += size
      }
      if (off === 0) throw new Error(`segment ${this.logPath}: no whole batch at ${pos}`)
      pos += off
    }
  }

  /** `length` bytes of the log from `position` (one positioned read; callers slice batches out of it). */
  readAt(position: number, length: number, allocate?: (size: number) => Buffer): Buffer {
    return readAt(this.ctx.fs, this.logFd!, position, length, allocate)
  }

  /** The next sync must cover the whole segment, indexes included (after a repair). */
  markUnsynced(): void {
    this.syncedSize = 0
    this.indexesDirty = true
    this.indexWrites++
  }

  needsSync(includeIndexes: boolean): boolean {
    if (this.destroyed) return false
    return this.size > this.syncedSize || ((this.sealed || includeIndexes) && this.indexesDirty)
  }

  /**
   * fsyncs the log file, and the index files when sealed (they no longer change) or when asked
   * (clean shutdown). The active segment's indexes are not fsynced on the produce path: recovery
   * rebuilds them from the log.
   */
  sync(includeIndexes: boolean): Promise<void> {
    if (this.destroyed) return Promise.resolve()
    const { fs } = this.ctx
    const previous = this.syncing ?? Promise.resolve()
    // What to sync is decided when this run starts (after the previous one): it covers every
    // write made before the call, and a previous run may already have closed the index files.
    const run = previous
      .catch(() => {})
      .then(async () => {
        if (this.logFd === undefined) return
        const size = this.size
        const withIndexes = (this.sealed || includeIndexes) && this.indexesDirty && this.indexFd !== undefined
        const indexWrites = this.indexWrites
        const waits = [fs.fsync(this.logFd)]
        if (withIndexes) waits.push(fs.fsync(this.indexFd!), fs.fsync(this.timeIndexFd!))
        await Promise.all(waits)
        if (size > this.syncedSize) this.syncedSize = size
        if (withIndexes && indexWrites === this.indexWrites) {
          this.indexesDirty = false
          if (this.sealed) this.closeIndexFiles()
        }
      })
    const tracked = run.finally(() => {
      if (this.syncing === tracked) this.syncing = undefined
    })
    this.syncing = tracked
    return tracked
  }

  /** Every file of this segment (all share the base-offset stem, including suffixes added later). */
  files(): string[] {
    const stem = offsetFileStem(this.baseOffset) + '.'
    return this.ctx.fs
      .readdir(this.ctx.dir)
      .filter((name) => name.startsWith(stem))
      .map((name) => join(this.ctx.dir, name))
  }

  /** Removes the segment (in the background): wait for running fsyncs, close, remove the files. */
  async destroy(): Promise<void> {
    await this.retire()
    for (const path of this.files()) await this.ctx.fs.removeTree(path)
  }

  /**
   * Stops using the segment without touching its files (the cleaner replaced it and removes the
   * files itself): no more syncs, wait for a running one, close.
   */
  async retire(): Promise<void> {
    this.destroyed = true
    while (this.syncing !== undefined) await this.syncing.catch(() => {})
    this.close()
  }

  close(): void {
    const { fs } = this.ctx
    this.closeIndexFiles()
    if (this.logFd !== undefined) {
      const fd = this.logFd
      this.logFd = undefined
      fs.close(fd)
    }
  }

  private closeIndexFiles(): void {
    const { fs } = this.ctx
    if (this.indexFd !== undefined) {
      const fd = this.indexFd
      this.indexFd = undefined
      fs.close(fd)
    }
    if (this.timeIndexFd !== undefined) {
      const fd = this.timeIndexFd
      this.timeIndexFd = undefined
      fs.close(fd)
    }
  }
}

interface ScanResult {
  validEnd: number
  nextOffset: number
  batches: number
  indexWrites: { offsetEntry: Buffer | undefined; timeEntry: Buffer | undefined }[]
  stopReason: string | undefined
}
