// The tail cache: the most recent batches of each partition kept in memory, so fetches at or near
// the log end (consumers that keep up) are answered without touching the disk. Per partition it
// holds a contiguous run of batches ending at the log end offset, bounded in bytes; across the
// store a shared budget bounds the total, evicting from the partitions appended to least recently.
// Evicting always drops the oldest batches, so the run stays contiguous up to the log end.
//
// A batch that arrived in a pooled produce frame (buffer-pool.ts) is kept in place: the cache
// retains the frame and releases it on eviction. A read that passes a Lease gets the cached
// slices themselves and the lease retains their frames until the response is sent; a read
// without one gets copies, so no caller can see a frame reused under it.
import { type Lease, type PooledBuffer, pooledOwner } from './buffer-pool.ts'

export interface TailCacheLimits {
  /** Bytes kept per partition (default 4 MiB). */
  readonly partitionBytes: number
  /** Bytes kept across the store (default 64 MiB). */
  readonly totalBytes: number
}

export const defaultTailCacheLimits: TailCacheLimits = Object.freeze({
  partitionBytes: 4 * 1024 * 1024,
  totalBytes: 64 * 1024 * 1024,
})

export interface CachedBatch {
  readonly baseOffset: number
  readonly lastOffset: number
  readonly bytes: Buffer
  /** The pooled buffer `bytes` lives in, retained while the batch is cached. */
  readonly pooled?: PooledBuffer
}

/**
 * Bytes that may be kept past this call. A slice pins the whole buffer it was sliced from (a
 * produce request, a socket chunk): keep a copy instead when the slice is a small part of its
 * backing store, or when that store is pooled and will be reused (buffer-pool.ts).
 */
export function ownedBytes(bytes: Buffer): Buffer {
  const pooled = pooledOwner(bytes) !== undefined
  if (!pooled && bytes.byteOffset === 0 && bytes.length === bytes.buffer.byteLength) return bytes
  if (!pooled && bytes.length * 2 >= bytes.buffer.byteLength) return bytes
  const copy = Buffer.allocUnsafeSlow(bytes.length)
  bytes.copy(copy)
  return copy
}

/** Shared by every partition cache of one store. Owned by the store. */
export class TailCacheBudget {
  readonly limits: TailCacheLimits
  usedBytes = 0
  hits = 0
  misses = 0
  // Insertion order = least recently appended first (an append re-inserts its cache).
  private readonly byRecency = new Map<PartitionTailCache, true>()

  constructor(limits: Partial<TailCacheLimits> = {}) {
    this.limits = { ...defaultTailCacheLimits, ...limits }
  }

  touched(cache: PartitionTailCache): void {
    this.byRecency.delete(cache)
    this.byRecency.set(cache, true)
    if (this.usedBytes <= this.limits.totalBytes) return
    for (const victim of this.byRecency.keys()) {
      while (this.usedBytes > this.limits.totalBytes && victim.evictOldest()) {}
      if (this.usedBytes <= this.limits.totalBytes) break
    }
  }

  forget(cache: PartitionTailCache): void {
    this.byRecency.delete(cache)
  }
}

/** Owned by its partition log; appended to from the log's synchronous append path. */
export class PartitionTailCache {
  readonly budget: TailCacheBudget
  private entries: CachedBatch[] = []
  private head = 0
  private bytes = 0

  constructor(budget: TailCacheBudget) {
    this.budget = budget
  }

  get sizeInBytes(): number {
    return this.bytes
  }

  /** First offset served from memory, or undefined when the cache is empty. */
  get firstOffset(): number | undefined {
    return this.head < this.entries.length ? this.entries[this.head].baseOffset : undefined
  }

  /** Whether a read starting at `offset` (below the log end) is answered from memory. */
  covers(offset: number): boolean {
    const first = this.firstOffset
    return first !== undefined && offset >= first
  }

  /** Keeps a just-appended batch; `bytes` may be a slice of the request it came in. */
  push(baseOffset: number, lastOffset: number, bytes: Buffer): void {
    const limit = this.budget.limits.partitionBytes
    if (bytes.length > limit) {
      // Too big to keep: the run must stay contiguous up to the log end, so start over empty.
      this.clear()
      return
    }
    const owner = pooledOwner(bytes)
    const batch: CachedBatch =
      owner !== undefined && bytes.length * 2 >= owner.bytes.length
        ? { baseOffset, lastOffset, bytes, pooled: owner.retain() }
        : { baseOffset, lastOffset, bytes: ownedBytes(bytes) }
    this.entries.push(batch)
    this.bytes += batch.bytes.length
    this.budget.usedBytes += batch.bytes.length
    while (this.bytes > limit) this.evictOldest()
    this.budget.touched(this)
  }

  /** Drops the oldest batch; false when empty. */
  evictOldest(): boolean {
    if (this.head >= this.entries.length) return false
    const oldest = this.entries[this.head]
    const size = oldest.bytes.length
    oldest.pooled?.release()
    this.head++
    this.bytes -= size
    this.budget.usedBytes -= size
    if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head)
      this.head = 0
    }
    return true
  }

  /** Drops the batches below `offset` (the log cleaner rewrote them); the run stays contiguous. */
  dropBelow(offset: number): void {
    while (this.head < this.entries.length && this.entries[this.head].baseOffset < offset) this.evictOldest()
    if (this.head >= this.entries.length) this.clear()
  }

  clear(): void {
    for (let i = this.head; i < this.entries.length; i++) this.entries[i].pooled?.release()
    this.budget.usedBytes -= this.bytes
    this.bytes = 0
    this.entries = []
    this.head = 0
    this.budget.forget(this)
  }

  /**
   * Whole batches from the one containing `fetchOffset`: stops before a batch that would take the
   * total past `maxBytes` (unless it is the first and `minOneBatch`), or whose last offset is at or
   * past `upToOffset`. The caller checked covers(fetchOffset). Batches in pooled memory are
   * returned in place and held by `lease`, or copied when there is none.
   */
  read(
    fetchOffset: number,
    maxBytes: number,
    minOneBatch: boolean,
    upToOffset: number,
    lease?: Lease,
  ): Buffer[] {
    const out: Buffer[] = []
    // Binary search for the first batch whose last offset >= fetchOffset.
    let lo = this.head
    let hi = this.entries.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.entries[mid].lastOffset < fetchOffset) lo = mid + 1
      else hi = mid
    }
    let total = 0
    for (let i = lo; i < this.entries.length; i++) {
      const e = this.entries[i]
      if (e.lastOffset >= upToOffset) break
      if (total + e.bytes.length > maxBytes && !(minOneBatch && out.length === 0)) break
      if (e.pooled === undefined) out.push(e.bytes)
      else if (lease !== undefined) {
        lease.hold(e.pooled)
        out.push(e.bytes)
      } else out.push(Buffer.from(e.bytes))
      total += e.bytes.length
    }
    return out
  }
}
