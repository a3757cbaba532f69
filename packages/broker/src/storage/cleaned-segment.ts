// The disk log cleaner's output: `<base>.log.cleaned`, written with a few large positioned writes,
// indexed as it grows with the append path's rule (segment-indexer.ts), fsynced by finish(). The
// partition log then renames it to `<base>.log.swap` (the commit point) and on to `<base>.log`,
// and builds the Segment from the descriptor and the indexes kept here (Segment.fromCleaned).
import { join } from 'node:path'
import type { CleanedSegmentOutput } from './cleaner.ts'
import { SegmentFile, segmentFileName } from './file-names.ts'
import { OpenFlags } from './file-system.ts'
import type { LogConfig } from './log-config.ts'
import { OffsetIndex } from './offset-index.ts'
import type { SegmentContext } from './segment.ts'
import { SegmentIndexer } from './segment-indexer.ts'
import { NO_TIMESTAMP, TimeIndex } from './time-index.ts'

/** Bytes gathered before one positioned write. */
const WRITE_CHUNK = 1024 * 1024

export class CleanedSegmentWriter implements CleanedSegmentOutput {
  readonly baseOffset: number
  readonly cleanedPath: string
  readonly swapPath: string
  readonly indexer: SegmentIndexer
  private readonly ctx: SegmentContext

  // ---- Mutable state, owned by the cleaner round writing this segment. ----
  /** Bytes appended (written or pending). */
  size = 0
  nextOffset: number
  firstBatchTimestamp = NO_TIMESTAMP
  private fd: number | undefined
  private written = 0
  private pending: Buffer[] = []
  private pendingBytes = 0

  constructor(ctx: SegmentContext, baseOffset: number, config: LogConfig) {
    this.ctx = ctx
    this.baseOffset = baseOffset
    this.nextOffset = baseOffset
    this.cleanedPath = join(ctx.dir, segmentFileName(baseOffset, SegmentFile.cleaned))
    this.swapPath = join(ctx.dir, segmentFileName(baseOffset, SegmentFile.swap))
    this.indexer = new SegmentIndexer(
      new OffsetIndex(baseOffset),
      new TimeIndex(baseOffset),
      config.indexIntervalBytes,
    )
    // A leftover of a round that died with the process would be removed by recovery; truncate it.
    this.fd = ctx.fs.open(this.cleanedPath, OpenFlags.createOrTruncate)
  }

  append(batch: Buffer, baseOffset: number, lastOffset: number, maxTimestamp: number): void {
    if (this.size === 0) this.firstBatchTimestamp = maxTimestamp
    this.indexer.add(baseOffset, batch.length, maxTimestamp, this.size)
    this.pending.push(batch)
    this.pendingBytes += batch.length
    this.size += batch.length
    this.nextOffset = lastOffset + 1
    if (this.pendingBytes >= WRITE_CHUNK) this.writePending()
  }

  async finish(): Promise<void> {
    this.writePending()
    this.indexer.seal()
    await this.ctx.fs.fsync(this.descriptor())
  }

  /** The open log file, handed over to the Segment once swapped in. */
  takeDescriptor(): number {
    const fd = this.descriptor()
    this.fd = undefined
    return fd
  }

  abort(): void {
    const { fs } = this.ctx
    try {
      if (this.fd !== undefined) fs.close(this.fd)
    } catch {
      // the process may be dying (crash tests); nothing more to do
    }
    this.fd = undefined
    try {
      if (fs.stat(this.cleanedPath) !== undefined) fs.unlink(this.cleanedPath)
    } catch {
      // as above; recovery removes `.cleaned` leftovers
    }
  }

  private descriptor(): number {
    if (this.fd === undefined) throw new Error(`cleaned segment ${this.cleanedPath} is closed`)
    return this.fd
  }

  private writePending(): void {
    if (this.pendingBytes === 0) return
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes)
    this.ctx.fs.write(this.descriptor(), data, this.written)
    this.written += data.length
    this.pending = []
    this.pendingBytes = 0
  }
}
