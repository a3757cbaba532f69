// Reusable memory for the bytes that cross the broker in bulk: produce requests as they are
// framed off the socket, and the batches the tail cache keeps of them.
//
// Why: a buffer freshly allocated for every ~1 MB produce frame is fresh memory to the OS, and
// its first touch costs a page fault per 4 KiB page. Measured with librdkafka producing 1 KiB
// records (docs/benchmarks.md), copying frames into fresh buffers took over half the broker's
// event loop, nearly all of it in page faults. Memory that is reused stays mapped.
//
// A PooledBuffer is reference counted. Whoever keeps a slice of it beyond the current
// synchronous step retains it first and releases it when the slice is no longer read (the tail
// cache on eviction; a fetch response once the socket has taken its bytes). At zero it returns
// to its pool. The rule is strict in one direction only: a missing release merely loses the
// buffer to the garbage collector, while a missing retain would let new bytes overwrite a slice
// still in use. Slices that escape without a lease are copied instead (see tail-cache.ts).
//
// Ownership: one pool per broker, used from the event loop only.

/** Which pooled buffer a slice lives in, for code that only sees the slice. */
const owners = new WeakMap<ArrayBufferLike, PooledBuffer>()

/** The pooled buffer `bytes` is a view of, or undefined when it is ordinary memory. */
export function pooledOwner(bytes: Uint8Array): PooledBuffer | undefined {
  return owners.get(bytes.buffer)
}

export class PooledBuffer {
  /** The whole buffer; its capacity is the size class it was acquired for. */
  readonly bytes: Buffer
  private readonly pool: BufferPool
  private refs = 1

  constructor(pool: BufferPool, capacity: number) {
    this.pool = pool
    // Its own ArrayBuffer (never Node's shared 8 KiB pool), so pooledOwner can find it.
    this.bytes = Buffer.allocUnsafeSlow(capacity)
    owners.set(this.bytes.buffer, this)
  }

  get referenceCount(): number {
    return this.refs
  }

  retain(): this {
    if (this.refs <= 0) throw new Error('retain of a pooled buffer that was already released')
    this.refs++
    return this
  }

  release(): void {
    if (this.refs <= 0) throw new Error('pooled buffer released more often than retained')
    this.refs--
    if (this.refs === 0) this.pool.recycle(this)
  }

  /** Makes a recycled buffer live again (the pool's use only). */
  revive(): this {
    this.refs = 1
    return this
  }
}

export interface BufferPoolOptions {
  /** Requests below this size are not pooled (default 64 KiB: the socket's own chunks serve them). */
  readonly minBytes?: number
  /** Requests above this size are not pooled (default 16 MiB). */
  readonly maxBytes?: number
  /** Free buffers kept for reuse, in bytes of capacity (default 64 MiB); beyond it they are let go. */
  readonly maxIdleBytes?: number
}

export interface BufferPoolStats {
  /** acquire() calls answered with a pooled buffer. */
  readonly acquired: number
  /** Of those, the ones served by a buffer used before (no fresh memory). */
  readonly reused: number
  /** Capacity held in the free lists. */
  readonly idleBytes: number
  /** Capacity of the pooled buffers in use. */
  readonly inUseBytes: number
}

/**
 * Size classes are powers of two and the midpoints between them (64 KiB, 96 KiB, 128 KiB, ...),
 * so a buffer wastes at most a third of its capacity. Each class keeps a LIFO free list: the
 * buffer released last, still in the CPU's caches, is the one handed out next.
 */
export class BufferPool {
  readonly minBytes: number
  readonly maxBytes: number
  readonly maxIdleBytes: number
  private readonly free = new Map<number, PooledBuffer[]>()
  private idle = 0
  private inUse = 0
  private acquiredCount = 0
  private reusedCount = 0

  constructor(options: BufferPoolOptions = {}) {
    this.minBytes = options.minBytes ?? 64 * 1024
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024
    this.maxIdleBytes = options.maxIdleBytes ?? 64 * 1024 * 1024
  }

  /** The capacity a request of `size` bytes gets. */
  static sizeClass(size: number): number {
    if (size <= 1) return 1
    const power = 2 ** Math.ceil(Math.log2(size))
    const middle = (power / 4) * 3
    return size <= middle && middle === Math.floor(middle) ? middle : power
  }

  /**
   * A buffer of at least `size` bytes holding one reference for the caller, or undefined when
   * `size` is outside the pooled range (allocate ordinary memory then).
   */
  acquire(size: number): PooledBuffer | undefined {
    if (size < this.minBytes || size > this.maxBytes) return undefined
    const capacity = BufferPool.sizeClass(size)
    this.acquiredCount++
    this.inUse += capacity
    const reused = this.free.get(capacity)?.pop()
    if (reused !== undefined) {
      this.idle -= capacity
      this.reusedCount++
      return reused.revive()
    }
    return new PooledBuffer(this, capacity)
  }

  /** Called by PooledBuffer.release when its last reference goes. */
  recycle(buffer: PooledBuffer): void {
    const capacity = buffer.bytes.length
    this.inUse -= capacity
    if (this.idle + capacity > this.maxIdleBytes) return
    let list = this.free.get(capacity)
    if (list === undefined) {
      list = []
      this.free.set(capacity, list)
    }
    list.push(buffer)
    this.idle += capacity
  }

  get stats(): BufferPoolStats {
    return {
      acquired: this.acquiredCount,
      reused: this.reusedCount,
      idleBytes: this.idle,
      inUseBytes: this.inUse,
    }
  }
}

/**
 * The pooled buffers one response reads from: each is retained when it joins the lease and
 * released, all at once, when the response's bytes have been handed to the socket.
 */
export class Lease {
  private held: PooledBuffer[] | undefined
  private readonly pool: BufferPool | undefined

  /** With a pool, allocate() can hand out pooled memory that lives as long as the lease. */
  constructor(pool?: BufferPool) {
    this.pool = pool
  }

  /**
   * `size` bytes to fill and return in the response (a read from a segment file): pooled
   * memory owned by this lease when the size is in the pool's range, else ordinary memory.
   */
  allocate(size: number): Buffer {
    const pooled = this.pool?.acquire(size)
    if (pooled === undefined) return Buffer.allocUnsafe(size)
    ;(this.held ??= []).push(pooled)
    return pooled.bytes.subarray(0, size)
  }

  /** Retains `buffer` for as long as this lease lives. */
  hold(buffer: PooledBuffer): void {
    buffer.retain()
    ;(this.held ??= []).push(buffer)
  }

  get size(): number {
    return this.held?.length ?? 0
  }

  release(): void {
    const held = this.held
    this.held = undefined
    if (held) for (const buffer of held) buffer.release()
  }
}
