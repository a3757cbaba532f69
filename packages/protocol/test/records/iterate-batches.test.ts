import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CompressionType, Offsets } from '../../src/records/batch-header.ts'
import { buildBatch } from '../../src/records/build-batch.ts'
import { iterateBatches } from '../../src/records/iterate-batches.ts'
import { readBatch } from '../../src/records/read-batch.ts'
import { sampleRecords } from './sample-records.ts'

const batches = [1, 5, 40, 0, 3].map((n, i) =>
  buildBatch({
    records: sampleRecords(n, i + 1),
    baseOffset: i * 100,
    compression: i % 2 ? CompressionType.lz4 : 0,
  }),
)
const log = Buffer.concat(batches)
const starts = batches.map((_, i) => batches.slice(0, i).reduce((n, b) => n + b.length, 0))

describe('iterateBatches', () => {
  it('finds every batch of a log, in order', () => {
    const found = [...iterateBatches(log)]
    assert.deepEqual(
      found,
      batches.map((b, i) => ({ pos: starts[i], size: b.length })),
    )
    assert.deepEqual(
      found.map(({ pos }) => readBatch(log, pos).baseOffset),
      [0, 100, 200, 300, 400],
    )
  })

  it('stops cleanly at a partial trailing batch, wherever the cut falls', () => {
    for (let cut = 0; cut <= log.length; cut++) {
      const whole = batches.filter((b, i) => starts[i] + b.length <= cut).length
      const found = [...iterateBatches(log.subarray(0, cut))]
      assert.equal(found.length, whole, `cut at ${cut}`)
      assert.equal(found.length, [...iterateBatches(log, 0, cut)].length)
    }
  })

  it('honours start and end', () => {
    assert.deepEqual(
      [...iterateBatches(log, starts[2], starts[4])].map((l) => l.pos),
      [starts[2], starts[3]],
    )
    assert.deepEqual(
      [...iterateBatches(log, starts[4], log.length + 100)],
      [{ pos: starts[4], size: batches[4].length }],
    )
  })

  it('stops at a length field too small to hold a header', () => {
    const broken = Buffer.from(log)
    broken.writeInt32BE(10, starts[2] + Offsets.batchLength)
    assert.equal([...iterateBatches(broken)].length, 2)
    broken.writeInt32BE(-100, starts[2] + Offsets.batchLength)
    assert.equal([...iterateBatches(broken)].length, 2)
  })

  it('yields nothing for an empty buffer', () => {
    assert.deepEqual([...iterateBatches(Buffer.alloc(0))], [])
  })
})
