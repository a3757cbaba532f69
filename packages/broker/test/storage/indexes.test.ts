import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { OffsetIndex } from '../../src/storage/offset-index.ts'
import { SegmentIndexer } from '../../src/storage/segment-indexer.ts'
import { TimeIndex } from '../../src/storage/time-index.ts'

describe('offset index', () => {
  it('finds the last entry at or before an offset, and encodes 8-byte big-endian entries', () => {
    const index = new OffsetIndex(1000, 2)
    assert.deepEqual(index.lookup(1005), { offset: 1000, position: 0 }, 'empty: the segment start')
    const bytes = index.append(1010, 4100)
    assert.deepEqual([...bytes], [0, 0, 0, 10, 0, 0, 0x10, 0x04])
    index.append(1020, 8300)
    index.append(1035, 12_500) // grows past the initial capacity
    assert.deepEqual(index.lookup(1009), { offset: 1000, position: 0 })
    assert.deepEqual(index.lookup(1010), { offset: 1010, position: 4100 })
    assert.deepEqual(index.lookup(1034), { offset: 1020, position: 8300 })
    assert.deepEqual(index.lookup(99_999), { offset: 1035, position: 12_500 })
    const decoded = OffsetIndex.fromBytes(1000, index.toBytes(), 20_000)
    assert.ok(decoded instanceof OffsetIndex)
    assert.equal(decoded.entries, 3)
    assert.deepEqual(decoded.lookup(1034), { offset: 1020, position: 8300 })
  })

  it('rejects files that cannot be an index of the log', () => {
    const index = new OffsetIndex(0)
    index.append(5, 100)
    index.append(9, 300)
    const bytes = index.toBytes()
    assert.match(String(OffsetIndex.fromBytes(0, bytes.subarray(0, 12), 1000)), /multiple of 8/)
    assert.match(String(OffsetIndex.fromBytes(0, bytes, 300)), /past the log/)
    const swapped = Buffer.concat([bytes.subarray(8), bytes.subarray(0, 8)])
    assert.match(String(OffsetIndex.fromBytes(0, swapped, 1000)), /not increasing/)
  })
})

describe('time index', () => {
  it('appends only a growing maximum and finds the last entry at or below a timestamp', () => {
    const index = new TimeIndex(50)
    assert.equal(index.maybeAppend(-1, 50), undefined, 'no timestamp: no entry')
    const bytes = index.maybeAppend(1_000, 52)
    assert.equal(bytes?.length, 12)
    assert.equal(bytes?.readBigInt64BE(0), 1000n)
    assert.equal(bytes?.readInt32BE(8), 2)
    assert.equal(index.maybeAppend(1_000, 60), undefined)
    assert.equal(index.maybeAppend(900, 61), undefined)
    index.maybeAppend(2_000, 70)
    assert.equal(index.lookup(999), undefined)
    assert.deepEqual(index.lookup(1_000), { timestamp: 1000, offset: 52 })
    assert.deepEqual(index.lookup(1_999), { timestamp: 1000, offset: 52 })
    assert.deepEqual(index.lookup(5_000), { timestamp: 2000, offset: 70 })
    const decoded = TimeIndex.fromBytes(50, index.toBytes())
    assert.ok(decoded instanceof TimeIndex)
    assert.deepEqual(decoded.lastEntry(), { timestamp: 2000, offset: 70 })
    assert.match(String(TimeIndex.fromBytes(50, index.toBytes().subarray(1))), /multiple of 12/)
  })
})

describe('segment indexer', () => {
  it("adds entries once more than index.interval.bytes were appended since the last (Kafka's rule)", () => {
    const indexer = new SegmentIndexer(new OffsetIndex(0), new TimeIndex(0), 250)
    const writes = []
    let position = 0
    const stamps = [10, 30, 20, 40, 40, 35]
    for (let i = 0; i < stamps.length; i++) {
      writes.push(indexer.add(i * 3, 100, stamps[i], position))
      position += 100
    }
    // After 300 bytes (> 250) the 4th batch gets an entry; then 300 more bytes are needed.
    assert.deepEqual(
      writes.map((w) => w.offsetEntry !== undefined),
      [false, false, false, true, false, false],
    )
    assert.deepEqual(indexer.offsetIndex.entry(0), { offset: 9, position: 300 })
    assert.deepEqual(indexer.timeIndex.entry(0), { timestamp: 40, offset: 9 })
    assert.equal(indexer.maxTimestamp, 40)
    assert.equal(indexer.offsetOfMaxTimestamp, 9, 'the first batch that reached the max')
    assert.equal(indexer.seal(), undefined, 'the max is already indexed')
    // One offset entry (8 bytes) and one time entry (12 bytes).
    assert.equal(indexer.isFull(24), false)
    assert.equal(indexer.isFull(16), true, 'the time index holds one 12-byte entry')
    assert.equal(indexer.isFull(8), true)
  })
})
