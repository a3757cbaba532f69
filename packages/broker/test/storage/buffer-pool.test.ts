import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BufferPool, Lease, pooledOwner } from '../../src/storage/buffer-pool.ts'

describe('buffer pool', () => {
  it('rounds sizes up to powers of two and the midpoints between them', () => {
    assert.deepEqual(
      [65_536, 65_537, 98_304, 98_305, 1_000_000, 1_048_577].map(BufferPool.sizeClass),
      [65_536, 98_304, 98_304, 131_072, 1_048_576, 1_572_864],
    )
  })

  it('pools only sizes in its range', () => {
    const pool = new BufferPool({ minBytes: 1024, maxBytes: 4096 })
    assert.equal(pool.acquire(1023), undefined)
    assert.equal(pool.acquire(4097), undefined)
    const buffer = pool.acquire(3000)!
    assert.equal(buffer.bytes.length, 3072)
    assert.equal(pooledOwner(buffer.bytes.subarray(10, 20)), buffer, 'a slice knows its pooled buffer')
    assert.equal(pooledOwner(Buffer.alloc(3000)), undefined)
  })

  it('hands a released buffer out again, the last released first', () => {
    const pool = new BufferPool({ minBytes: 1024 })
    const a = pool.acquire(2048)!
    const b = pool.acquire(2048)!
    a.release()
    b.release()
    assert.equal(pool.acquire(2000), b, 'LIFO: the warmest buffer')
    assert.equal(pool.acquire(2000), a)
    assert.notEqual(pool.acquire(2000), a, 'none left: a fresh one')
    assert.deepEqual(pool.stats, { acquired: 5, reused: 2, idleBytes: 0, inUseBytes: 3 * 2048 })
  })

  it('keeps a buffer out of the pool until its last reference goes', () => {
    const pool = new BufferPool({ minBytes: 1024 })
    const buffer = pool.acquire(1024)!
    const lease = new Lease()
    lease.hold(buffer)
    lease.hold(buffer)
    buffer.release()
    assert.equal(lease.size, 2)
    assert.notEqual(pool.acquire(1024), buffer)
    lease.release()
    assert.equal(buffer.referenceCount, 0)
    assert.equal(pool.acquire(1024), buffer)
    lease.release() // a second release of the same lease does nothing
    assert.equal(buffer.referenceCount, 1)
  })

  it('refuses to release more often than retained, or to retain a released buffer', () => {
    const pool = new BufferPool({ minBytes: 1024 })
    const buffer = pool.acquire(1024)!
    buffer.release()
    assert.throws(() => buffer.release(), /released more often than retained/)
    assert.throws(() => buffer.retain(), /already released/)
  })

  it('allocates pooled memory a lease owns, and ordinary memory outside the pooled range', () => {
    const pool = new BufferPool({ minBytes: 1024, maxBytes: 8192 })
    const lease = new Lease(pool)
    const small = lease.allocate(100)
    assert.equal(pooledOwner(small), undefined)
    const big = lease.allocate(5000)
    const owner = pooledOwner(big)!
    assert.equal(big.length, 5000)
    assert.equal(owner.referenceCount, 1, 'the lease holds the only reference')
    assert.equal(lease.size, 1)
    lease.release()
    assert.equal(owner.referenceCount, 0)
    assert.equal(pool.acquire(5000), owner, 'back in the pool once the lease is released')
    assert.equal(pooledOwner(new Lease().allocate(5000)), undefined, 'a lease without a pool never pools')
  })

  it('lets buffers go beyond its idle bound', () => {
    const pool = new BufferPool({ minBytes: 1024, maxIdleBytes: 4096 })
    const buffers = [pool.acquire(2048)!, pool.acquire(2048)!, pool.acquire(2048)!]
    for (const buffer of buffers) buffer.release()
    assert.equal(pool.stats.idleBytes, 4096)
    assert.equal(pool.stats.inUseBytes, 0)
  })
})
