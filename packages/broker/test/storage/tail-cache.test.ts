import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { BufferPool, Lease, pooledOwner } from '../../src/storage/buffer-pool.ts'
import { nodeFileSystem } from '../../src/storage/file-system.ts'
import { logConfig } from '../../src/storage/log-config.ts'
import { openDiskLogStore } from '../../src/storage/log-store.ts'
import { ownedBytes, PartitionTailCache, TailCacheBudget } from '../../src/storage/tail-cache.ts'
import { countingFileSystem } from './counting-file-system.ts'
import { batchId, makeBatch } from './make-batch.ts'
import { tempDir } from './temp-dir.ts'

const batch = (base: number, last: number, size = 100): [number, number, Buffer] => [
  base,
  last,
  Buffer.alloc(size, base & 0xff),
]

describe('tail cache', () => {
  it('keeps the newest batches of a partition within its byte bound', () => {
    const budget = new TailCacheBudget({ partitionBytes: 350, totalBytes: 10_000 })
    const cache = new PartitionTailCache(budget)
    assert.equal(cache.covers(0), false)
    for (let i = 0; i < 5; i++) cache.push(...batch(i * 2, i * 2 + 1))
    assert.equal(cache.sizeInBytes, 300)
    assert.equal(cache.firstOffset, 4, 'the two oldest were evicted')
    assert.equal(cache.covers(3), false)
    assert.equal(cache.covers(5), true)
    assert.deepEqual(
      cache.read(5, 1000, false, 100).map((b) => b[0]),
      [4, 6, 8],
    )
    assert.deepEqual(cache.read(6, 150, false, 100).length, 1)
    assert.deepEqual(cache.read(6, 50, false, 100).length, 0)
    assert.deepEqual(cache.read(6, 50, true, 100).length, 1)
    assert.deepEqual(cache.read(4, 1000, false, 8).length, 2, 'upToOffset is exclusive, whole batches')
    cache.push(...batch(10, 10, 400))
    assert.equal(
      cache.firstOffset,
      undefined,
      'a batch over the bound empties the cache (it must stay contiguous)',
    )
    assert.equal(budget.usedBytes, 0)
  })

  it('evicts from the least recently appended partition when the store-wide bound is hit', () => {
    const budget = new TailCacheBudget({ partitionBytes: 1000, totalBytes: 500 })
    const a = new PartitionTailCache(budget)
    const b = new PartitionTailCache(budget)
    for (let i = 0; i < 3; i++) a.push(...batch(i, i))
    for (let i = 0; i < 2; i++) b.push(...batch(i, i))
    assert.equal(budget.usedBytes, 500)
    b.push(...batch(2, 2))
    assert.equal(budget.usedBytes, 500)
    assert.equal(a.sizeInBytes, 200, 'a (appended to least recently) lost its oldest batch')
    assert.equal(a.firstOffset, 1)
    assert.equal(b.sizeInBytes, 300)
  })

  it('copies a batch slice that would pin a much larger buffer', () => {
    const request = Buffer.alloc(10_000)
    const slice = request.subarray(100, 300)
    const kept = ownedBytes(slice)
    assert.notEqual(kept.buffer, request.buffer)
    assert.deepEqual(kept, slice)
    const whole = Buffer.allocUnsafeSlow(500)
    assert.equal(ownedBytes(whole), whole)
    const most = Buffer.allocUnsafeSlow(500).subarray(10)
    assert.equal(ownedBytes(most), most)
  })

  it('keeps batches of a pooled request in place, and lets the request go on eviction', () => {
    const pool = new BufferPool({ minBytes: 1024 })
    const request = pool.acquire(4096)!
    request.bytes.fill(7, 0, 4096)
    const cache = new PartitionTailCache(new TailCacheBudget({ partitionBytes: 5000, totalBytes: 10_000 }))
    cache.push(0, 9, request.bytes.subarray(0, 3000))
    request.release() // the connection is done with the request; the cache still holds it
    assert.equal(request.referenceCount, 1)
    assert.equal(pool.stats.inUseBytes, 4096)

    // A read with a lease gets the cached slice itself, and keeps the request alive after eviction.
    const lease = new Lease()
    const [held] = cache.read(0, 5000, true, 100, lease)
    assert.equal(held.buffer, request.bytes.buffer, 'served in place')
    // Without a lease the caller gets a copy: nothing it keeps can be overwritten later.
    const [copied] = cache.read(0, 5000, true, 100)
    assert.notEqual(copied.buffer, request.bytes.buffer)
    cache.push(10, 19, Buffer.alloc(4000, 1)) // evicts the pooled batch
    assert.equal(cache.firstOffset, 10)
    assert.equal(request.referenceCount, 1, 'only the lease holds it now')
    assert.equal(pool.acquire(4096) === request, false, 'not reusable while leased')
    lease.release()
    assert.equal(request.referenceCount, 0)

    // Released, the memory is reused: the next acquire gets it and overwrites it.
    const next = pool.acquire(4000)!
    assert.equal(next, request)
    next.bytes.fill(9)
    assert.equal(copied[0], 7, 'the unleased read was a copy')
  })

  it('copies a pooled batch that would pin a much larger request, and releases everything on clear', () => {
    const pool = new BufferPool({ minBytes: 1024 })
    const request = pool.acquire(8192)!
    const cache = new PartitionTailCache(new TailCacheBudget({ partitionBytes: 10_000, totalBytes: 10_000 }))
    cache.push(0, 0, request.bytes.subarray(0, 100)) // a small part: copied, not retained
    cache.push(1, 1, request.bytes.subarray(100, 8000)) // most of it: retained
    assert.equal(request.referenceCount, 2)
    cache.clear()
    assert.equal(request.referenceCount, 1)
    request.release()
    assert.deepEqual(pool.stats, { acquired: 1, reused: 0, idleBytes: 8192, inUseBytes: 0 })
  })

  it('answers fetches at the tail of a disk log without reading the disk', async () => {
    const dir = tempDir()
    const counting = countingFileSystem(nodeFileSystem)
    const store = await openDiskLogStore({
      dataDir: dir.path,
      fs: counting.fs,
      tailCache: { partitionBytes: 1000, totalBytes: 1 << 20 },
    })
    try {
      const log = await store.createPartition('t', 0, logConfig({ segmentBytes: 700 }))
      for (let i = 0; i < 30; i++) assert.equal(log.append(makeBatch({ id: i, size: 100 })).kind, 'appended')
      counting.reset()
      for (let offset = 20; offset <= 30; offset++) {
        const r = log.read(offset, 350, { minOneBatch: true })
        assert.equal(r.kind, 'ok')
        if (r.kind === 'ok' && offset < 30) assert.equal(batchId(r.batches[0]), offset)
      }
      assert.equal(counting.counts.reads, 0, 'hot reads never touch the disk')
      const hot = store.stats()
      assert.equal(hot.tailCacheHits, 10)
      assert.equal(hot.tailCacheBytes, 1000)

      const cold = log.read(3, 350)
      assert.ok(cold.kind === 'ok')
      assert.deepEqual(cold.batches.map(batchId), [3, 4, 5])
      assert.ok(counting.counts.reads > 0, 'an old offset is read from the segment files')
      assert.equal(store.stats().tailCacheMisses, 1)
      assert.equal(pooledOwner(cold.batches[0]), undefined, 'without a lease: ordinary memory')

      // With a lease, a cold read lands in pooled memory that the lease holds until released.
      const pool = new BufferPool({ minBytes: 256 })
      const lease = new Lease(pool)
      const leased = log.read(3, 350, { lease })
      assert.ok(leased.kind === 'ok')
      assert.deepEqual(leased.batches.map(batchId), [3, 4, 5])
      const owner = pooledOwner(leased.batches[0])!
      assert.equal(owner.referenceCount, 1)
      lease.release()
      assert.equal(pool.stats.inUseBytes, 0)

      // The same bytes either way: compare every hot answer with a cold reopen.
      const hotAnswers = [20, 24, 29].map((o) => log.read(o, 1000))
      await store.close()
      const again = await openDiskLogStore({
        dataDir: dir.path,
        configFor: () => logConfig({ segmentBytes: 700 }),
      })
      const reopened = again.getPartition('t', 0)!
      assert.deepEqual(
        [20, 24, 29].map((o) => reopened.read(o, 1000)),
        hotAnswers,
      )
      assert.equal(again.stats().tailCacheHits, 0)
      await again.close()
    } finally {
      dir.remove()
    }
  })
})
