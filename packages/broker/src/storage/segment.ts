// One segment of a partition's log on disk: `<base>.log` (batches back to back, exactly as
// appended), `<base>.index` and `<base>.timeindex` (see offset-index.ts, time-index.ts), all
// named by the 20-digit base offset. The segment keeps both indexes in memory. The index files
// are hints for a fast start: written whole when the segment is sealed (and for the active one at
// a clean close), read back when a segment is opened and trusted only after a sanity check. So an
// append writes the log file alone, an active segment holds one descriptor, and a failed index
// write costs a rebuild at the next start, never data.
//
// Every read of a batch header checks that the bytes it reads are there: a read window may end
// anywhere, and bytes a segment must hold but does not are an I/O failure (errors.ts).
import { join } from 'node:path'
import { BATCH_HEADER_SIZE, batchLastOffsetDelta, batchSize } from '@runnel/protocol'
import { batchCrcValid, batchStructureProblem, int64At, storedMaxTimestamp } from './batches.ts'
import { corruptData, shortRead } from './errors.ts'
import { readAt, readWholeFile } from './file-helpers.ts'
import { offsetFileStem, SegmentFile, segmentFileName } from './file-names.ts'
import { type FileSystem, OpenFlags } from './file-system.ts'
import type { LogConfig } from './log-config.ts'
import type { StorageLogger } from './logger.ts'
import { OffsetIndex } from './offset-index.ts'
import type { PlacedBatch } from './place-batches.ts'
import type { RetentionCandidate } from './retention.ts'
import type { RollCandidate } from './roll-policy.ts'
import { SegmentIndexer } from './segment-indexer.ts'
import { NO_TIMESTAMP, TimeIndex } from './time-index.ts'

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
  /** Index files written whole and not yet fsynced: the next sync covers them, then closes them. */
  private unsyncedIndexFds: readonly number[] | undefined
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

  /** A new, empty active segment: its log file alone (the index files come when it is sealed). */
  static create(ctx: SegmentContext, baseOffset: number, config: LogConfig): Segment {
    const logFd = ctx.fs.open(
      join(ctx.dir, segmentFileName(baseOffset, SegmentFile.log)),
      OpenFlags.createNew,
    )
    const indexer = new SegmentIndexer(
      new OffsetIndex(baseOffset),
      new TimeIndex(baseOffset),
      config.indexIntervalBytes,
    )
    return new Segment(ctx, baseOffset, logFd, indexer, ctx.clock())
  }

  /**
   * A sealed segment made by the log cleaner: its log (already fsynced, renamed to `<base>.log`)
   * is open as `logFd`, and `indexer` indexed it batch by batch with the append path's rule, so the
   * index files written here are the ones a rebuild would give. They are fsynced by the next
   * group commit (a sealed segment with unsynced index files needs a sync); until then a crash
   * rebuilds them.
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
    const segment = new Segment(ctx, cleaned.baseOffset, cleaned.logFd, cleaned.indexer, ctx.clock())
    segment.size = cleaned.size
    segment.syncedSize = cleaned.size
    segment.nextOffset = cleaned.nextOffset
    segment.firstBatchTimestamp = cleaned.firstBatchTimestamp
    segment.lastModifiedMs = cleaned.lastModifiedMs
    segment.sealed = true
    segment.writeIndexFiles()
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

    // A sealed segment's index files are rewritten when they changed (a rebuild, entries the tail
    // scan found, the final time entry); the active segment's are written when it is sealed or
    // closed, and until then never trusted (a crash recovers the last segment from its log).
    if (!active) {
      const extended = rebuilt || scan.indexWrites
      segment.sealed = true
      if (segment.indexer.seal() !== undefined || extended) segment.writeIndexFiles()
    }
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
      indexWrites: false,
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
        if (writes.offsetEntry !== undefined || writes.timeEntry !== undefined) result.indexWrites = true
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
    return storedMaxTimestamp(this.readAt(0, BATCH_HEADER_SIZE), 0)
  }

  /**
   * Writes both index files whole from the in-memory indexes; the next sync makes them durable.
   * A failure is logged and costs nothing but a rebuild: the files are removed, so the next open
   * rebuilds them from the log (a partly written one would be caught by its sanity check anyway).
   */
  writeIndexFiles(): void {
    const { fs } = this.ctx
    this.closeIndexFiles()
    const fds: number[] = []
    try {
      for (const [path, bytes] of [
        [this.indexPath, this.offsetIndex.toBytes()],
        [this.timeIndexPath, this.timeIndex.toBytes()],
      ] as const) {
        const fd = fs.open(path, OpenFlags.createOrTruncate)
        fds.push(fd)
        fs.write(fd, bytes, 0)
      }
      this.unsyncedIndexFds = fds
    } catch (error) {
      for (const fd of fds) this.tryQuietly(() => fs.close(fd))
      for (const path of [this.indexPath, this.timeIndexPath]) this.tryQuietly(() => fs.unlink(path))
      this.ctx.logger.warn(
        { segment: this.logPath, error: String(error) },
        'could not write the index files; the next start rebuilds them',
      )
    }
  }

  private tryQuietly(f: () => void): void {
    try {
      f()
    } catch {
      // best effort: see writeIndexFiles
    }
  }

  /**
   * Writes `records` at the end of the log (one positioned write: when it returns the OS has the
   * bytes) and indexes its batches in memory. All or nothing: a write that fails part way (a full
   * disk) is cut back before the error goes on, so the segment is as it was.
   */
  append(records: Buffer, batches: readonly PlacedBatch[], now: number): void {
    const position = this.size
    try {
      this.ctx.fs.write(this.logFd!, records, position)
    } catch (error) {
      // If this fails too, its error (an I/O failure) is the one that counts: the log goes offline.
      this.ctx.fs.truncate(this.logFd!, position)
      throw error
    }
    if (position === 0) this.firstBatchTimestamp = batches[0].maxTimestamp
    this.size += records.length
    for (const b of batches)
      this.indexer.add(b.baseOffset, b.size, b.maxTimestamp, position + b.relativePosition)
    this.nextOffset = batches[batches.length - 1].lastOffset + 1
    this.lastModifiedMs = now
  }

  /**
   * Stops being the active segment: the final time-index entry (Kafka does the same) and the index
   * files, fsynced by the next sync.
   */
  seal(): void {
    if (this.sealed) return
    this.sealed = true
    this.indexer.seal()
    this.writeIndexFiles()
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

  /** Batch headers from `from` (where a batch starts) to the end of the valid log, read in chunks. */
  *headers(from: number): Generator<BatchLocation> {
    const end = this.size
    let buf: Buffer = Buffer.alloc(0)
    let bufStart = from
    let pos = from
    while (pos < end) {
      if (pos + BATCH_HEADER_SIZE > bufStart + buf.length) {
        bufStart = pos
        buf = this.readAt(pos, Math.min(HEADER_CHUNK, end - pos))
      }
      const off = pos - bufStart
      const size = this.checkedBatchSize(buf, off, pos)
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
      let chunk = this.readAt(pos, Math.min(SCAN_CHUNK, end - pos))
      const first = this.checkedBatchSize(chunk, 0, pos)
      if (first > chunk.length) chunk = this.readAt(pos, first)
      let off = 0
      while (off + BATCH_HEADER_SIZE <= chunk.length) {
        const size = this.checkedBatchSize(chunk, off, pos + off)
        if (off + size > chunk.length) break
        yield chunk.subarray(off, off + size)
        off += size
      }
      pos += off
    }
  }

  /**
   * `length` bytes of the log from `position` (one positioned read; callers slice batches out of
   * it). The range lies inside the valid log, so a shorter read is an I/O failure (errors.ts).
   */
  readAt(position: number, length: number, allocate?: (size: number) => Buffer): Buffer {
    const buf = readAt(this.ctx.fs, this.logFd!, position, length, allocate)
    if (buf.length < length) throw shortRead(this.logPath, position, length, buf.length)
    return buf
  }

  /**
   * The size of the batch that starts at `buf[off]` (segment position `pos`), checked against the
   * valid log: its whole header must be in `buf`, it must be at least a header long and end inside
   * the segment. Anything else means the bytes are not what the log wrote.
   */
  checkedBatchSize(buf: Buffer, off: number, pos: number): number {
    const where = `${this.logPath} at position ${pos}`
    if (buf.length - off < BATCH_HEADER_SIZE)
      throw corruptData(`${where}: ${buf.length - off} bytes left of the segment, too few for a batch header`)
    const size = batchSize(buf, off)
    if (size < BATCH_HEADER_SIZE || pos + size > this.size)
      throw corruptData(`${where}: batch size ${size} does not fit the segment's ${this.size} bytes`)
    return size
  }

  /** The next sync must cover the whole segment, indexes included (after a repair). */
  markUnsynced(): void {
    this.syncedSize = 0
  }

  /** With `includeIndexes` (a clean shutdown) the active segment's index files are due too. */
  needsSync(includeIndexes: boolean): boolean {
    if (this.destroyed) return false
    return (
      this.size > this.syncedSize || this.unsyncedIndexFds !== undefined || (includeIndexes && !this.sealed)
    )
  }

  /**
   * fsyncs the log file, and index files written since the last sync (then closes them). With
   * `includeIndexes` (a clean shutdown) the active segment's index files are written first, so the
   * next start can trust them.
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
        if (includeIndexes && !this.sealed) this.writeIndexFiles()
        const size = this.size
        const indexFds = this.unsyncedIndexFds
        await Promise.all([fs.fsync(this.logFd), ...(indexFds ?? []).map((fd) => fs.fsync(fd))])
        if (size > this.syncedSize) this.syncedSize = size
        // Index files rewritten while this ran are left for the next sync.
        if (indexFds !== undefined && this.unsyncedIndexFds === indexFds) this.closeIndexFiles()
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
    const fds = this.unsyncedIndexFds
    this.unsyncedIndexFds = undefined
    for (const fd of fds ?? []) this.ctx.fs.close(fd)
  }
}

interface ScanResult {
  validEnd: number
  nextOffset: number
  batches: number
  /** The scan added index entries (the files no longer hold every entry). */
  indexWrites: boolean
  stopReason: string | undefined
}
