// The compaction rules batch by batch (compaction.ts) and the choice of what to clean
// (cleaning-plan.ts), without a log: Kafka's Cleaner/MemoryRecords.filterTo behaviour on single
// batches, and LogCleanerManager's dirty ratio and compaction lags.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  buildBatch,
  buildControlBatch,
  CompressionType,
  readBatch,
  TimestampType,
  validateBatch,
} from '@runnel/protocol'
import { type CleanerSegment, fitsCleanedSegment, planCleaning } from '../../src/storage/cleaning-plan.ts'
import { addBatchToMap, type FilterContext, filterBatch, RoundFacts } from '../../src/storage/compaction.ts'
import { CleanupPolicy, logConfig } from '../../src/storage/log-config.ts'
import { OffsetMap } from '../../src/storage/offset-map.ts'

const T0 = 1_700_000_000_000
const DAY = 86_400_000

/** A stored batch at `baseOffset`: records [key, value] with timestamps T0 + i. */
function batchAt(
  baseOffset: number,
  records: readonly [string | null, string | null][],
  extra: Partial<Parameters<typeof buildBatch>[0]> = {},
): Buffer {
  return buildBatch({
    baseOffset,
    partitionLeaderEpoch: 3,
    records: records.map(([k, v], i) => ({
      key: k === null ? null : Buffer.from(k),
      value: v === null ? null : Buffer.from(v),
      timestamp: T0 + i,
      headers: [{ key: 'h', value: Buffer.from(`h${i}`) }],
    })),
    ...extra,
  })
}

function decoded(bytes: Buffer) {
  const batch = readBatch(bytes, 0)
  return {
    batch,
    records: [...batch.records()].map((r) => ({
      offset: r.offset,
      key: r.key?.toString() ?? null,
      value: r.value?.toString() ?? null,
      timestamp: r.timestamp,
      headers: r.headers.map((h) => `${h.key}=${h.value?.toString()}`),
    })),
  }
}

/** Facts and map from `batches` as one round, all of them dirty. */
function round(batches: readonly Buffer[], now = T0, segmentEnd = Number.MAX_SAFE_INTEGER): FilterContext {
  const facts = new RoundFacts()
  for (const b of batches) facts.observe(readBatch(b, 0))
  facts.finish()
  const map = new OffsetMap()
  for (const b of batches) addBatchToMap(map, b, facts)
  return { map, facts, now, deleteRetentionMs: DAY, segmentEnd }
}

const internalValid = (bytes: Buffer) => validateBatch(bytes, 0, bytes.length, { origin: 'internal' }) === 0

describe('compaction rules for one batch', () => {
  it('keeps the latest record of each key and the batch offsets, producer fields and codec', () => {
    const a = batchAt(
      10,
      [
        ['x', '1'],
        ['y', '1'],
        ['x', '2'],
        ['z', '1'],
      ],
      { compression: CompressionType.gzip, producerId: 7n, producerEpoch: 2, baseSequence: 40 },
    )
    const b = batchAt(14, [['y', '2']])
    const ctx = round([a, b])
    const r = filterBatch(a, ctx)
    assert.equal(r.recordsRead, 4)
    assert.equal(r.recordsKept, 2)
    assert.ok(r.bytes !== undefined && internalValid(r.bytes))
    const { batch, records } = decoded(r.bytes!)
    assert.deepEqual(
      records.map((x) => [x.offset, x.key, x.value, x.timestamp, x.headers[0]]),
      [
        [12, 'x', '2', T0 + 2, 'h=h2'],
        [13, 'z', '1', T0 + 3, 'h=h3'],
      ],
    )
    assert.equal(batch.baseOffset, 10)
    assert.equal(batch.lastOffset, 13, 'the last offset (and so the last sequence) stays')
    assert.equal(batch.compression, CompressionType.gzip)
    assert.equal(batch.producerId, 7n)
    assert.equal(batch.producerEpoch, 2)
    assert.equal(batch.baseSequence, 40)
    assert.equal(batch.partitionLeaderEpoch, 3)
    assert.equal(batch.maxTimestamp, T0 + 3)
    assert.equal(batch.hasDeleteHorizon, false)
    // A batch that keeps everything is written back as it is: the same bytes.
    assert.equal(filterBatch(b, ctx).bytes, b)
  })

  it('stamps a delete horizon on a tombstone, keeps it until then, drops it after', () => {
    const value = batchAt(0, [['k', 'v']])
    const tomb = batchAt(1, [
      ['k', null],
      ['other', 'o'],
    ])
    const first = filterBatch(tomb, round([value, tomb], T0 + 5))
    assert.equal(
      filterBatch(value, round([value, tomb])).bytes,
      undefined,
      'the value under the tombstone goes',
    )
    const stamped = decoded(first.bytes!)
    assert.equal(stamped.batch.hasDeleteHorizon, true)
    assert.equal(stamped.batch.baseTimestamp, T0 + 5 + DAY, 'horizon = now + delete.retention.ms')
    assert.equal(first.tombstoneHorizon, T0 + 5 + DAY)
    assert.deepEqual(
      stamped.records.map((r) => [r.offset, r.key, r.value, r.timestamp]),
      [
        [1, 'k', null, T0],
        [2, 'other', 'o', T0 + 1],
      ],
      'record timestamps survive the new base timestamp',
    )
    assert.ok(internalValid(first.bytes!))
    // Before the horizon: unchanged (already stamped). At it: the tombstone goes, the value stays.
    const before = filterBatch(first.bytes!, round([first.bytes!], T0 + 5 + DAY - 1))
    assert.equal(before.bytes, first.bytes)
    const after = filterBatch(first.bytes!, round([first.bytes!], T0 + 5 + DAY))
    assert.deepEqual(
      decoded(after.bytes!).records.map((r) => [r.offset, r.key]),
      [[2, 'other']],
    )
    assert.equal(after.tombstoneHorizon, undefined)
  })

  it('drops records without a key', () => {
    const a = batchAt(0, [
      [null, 'lost'],
      ['k', 'v'],
    ])
    const r = filterBatch(a, round([a]))
    assert.deepEqual(
      decoded(r.bytes!).records.map((x) => x.key),
      ['k'],
    )
  })

  it('drops an emptied batch, but keeps a header when it ends the segment or is a producer last batch', () => {
    const old = batchAt(0, [
      ['a', '1'],
      ['b', '1'],
    ])
    const newer = batchAt(2, [
      ['a', '2'],
      ['b', '2'],
    ])
    assert.equal(filterBatch(old, round([old, newer])).bytes, undefined)
    const atEnd = filterBatch(old, round([old, newer], T0, 2))
    assert.equal(atEnd.onlyForSegmentEnd, true)
    const header = readBatch(atEnd.bytes!, 0)
    assert.equal(header.recordCount, 0)
    assert.equal(header.baseOffset, 0)
    assert.equal(header.lastOffset, 1)
    assert.equal(header.baseTimestamp, -1)
    assert.equal(header.maxTimestamp, T0 + 1)
    assert.equal(atEnd.bytes!.length, 61)
    assert.ok(internalValid(atEnd.bytes!))

    const p1 = batchAt(0, [['a', '1']], { producerId: 5n, producerEpoch: 1, baseSequence: 0 })
    const p2 = batchAt(1, [['a', '2']], { producerId: 5n, producerEpoch: 1, baseSequence: 1 })
    const p3 = batchAt(2, [['a', '3']], { producerId: 9n, producerEpoch: 0, baseSequence: 0 })
    const ctx = round([p1, p2, p3])
    assert.equal(filterBatch(p1, ctx).bytes, undefined, 'not the producer last batch')
    const last = filterBatch(p2, ctx)
    assert.equal(last.onlyForSegmentEnd, false)
    const kept = readBatch(last.bytes!, 0)
    assert.deepEqual(
      [
        kept.recordCount,
        kept.baseOffset,
        kept.lastOffset,
        kept.producerId,
        kept.producerEpoch,
        kept.baseSequence,
      ],
      [0, 1, 1, 5n, 1, 1],
    )
  })

  it('keeps control batches, drops aborted transactional data, keeps undecided transactions whole', () => {
    const txn = { producerId: 3n, producerEpoch: 0, baseSequence: 0, transactional: true }
    const committed = batchAt(0, [['c', 'committed']], txn)
    const commit = buildControlBatch({
      type: 'COMMIT',
      producerId: 3n,
      producerEpoch: 0,
      coordinatorEpoch: 0,
      timestamp: T0,
      baseOffset: 1,
    })
    const aborted = batchAt(2, [['c', 'aborted']], { ...txn, baseSequence: 1 })
    const abort = buildControlBatch({
      type: 'ABORT',
      producerId: 3n,
      producerEpoch: 0,
      coordinatorEpoch: 0,
      timestamp: T0,
      baseOffset: 3,
    })
    const open = batchAt(4, [['d', 'undecided']], { ...txn, producerId: 4n })
    const plain = batchAt(5, [['d', 'plain']])
    const ctx = round([committed, commit, aborted, abort, open, plain])
    assert.equal(ctx.map.get(Buffer.from('c')), 0, 'aborted data does not shadow committed data')
    assert.equal(ctx.map.get(Buffer.from('d')), 5, 'undecided data is not in the map')
    assert.equal(filterBatch(committed, ctx).bytes, committed)
    assert.equal(filterBatch(commit, ctx).bytes, commit)
    assert.equal(filterBatch(abort, ctx).bytes, abort)
    assert.equal(filterBatch(aborted, ctx).recordsKept, 0)
    assert.equal(filterBatch(open, ctx).bytes, open, 'kept whole though a later record has its key')
  })

  it('keeps LogAppendTime and its timestamp when rebuilding', () => {
    const a = batchAt(
      0,
      [
        ['k', '1'],
        ['k', '2'],
      ],
      { timestampType: TimestampType.logAppendTime, logAppendTime: T0 + 999 },
    )
    const { batch, records } = decoded(filterBatch(a, round([a])).bytes!)
    assert.equal(batch.timestampType, TimestampType.logAppendTime)
    assert.equal(batch.maxTimestamp, T0 + 999)
    assert.deepEqual(
      records.map((r) => [r.offset, r.timestamp]),
      [[1, T0 + 999]],
    )
  })
})

describe('cleaning plan', () => {
  const seg = (base: number, next: number, size: number, ts = T0): CleanerSegment => ({
    baseOffset: base,
    nextOffset: next,
    size,
    maxTimestamp: ts,
    lastModifiedMs: ts,
    firstBatchTimestamp: ts,
  })
  // Three sealed segments of 100 bytes and an active one.
  const segments = [seg(0, 10, 100), seg(10, 20, 100), seg(20, 30, 100), seg(30, 35, 50)]
  const input = (overrides: Partial<Parameters<typeof planCleaning>[0]> = {}) => ({
    segments,
    logStartOffset: 0,
    logEndOffset: 35,
    firstDirtyOffset: 0,
    config: logConfig({ cleanupPolicy: CleanupPolicy.compact }),
    uncleanableFrom: Number.MAX_SAFE_INTEGER,
    nextDeleteHorizon: undefined,
    ...overrides,
  })

  it('takes the sealed segments and compares the dirty ratio with min.cleanable.dirty.ratio', () => {
    const all = planCleaning(input(), T0)!
    assert.deepEqual(
      all.candidates.map((s) => s.baseOffset),
      [0, 10, 20],
      'never the active segment',
    )
    assert.equal(all.dirtyRatio, 1)
    assert.equal(all.reason, 'dirtyRatio')
    const half = planCleaning(input({ firstDirtyOffset: 20 }), T0)!
    assert.equal(half.cleanCount, 2)
    assert.equal(half.dirtyRatio, 1 / 3)
    assert.equal(half.reason, undefined, '1/3 is not above 0.5')
    const config = logConfig({ cleanupPolicy: CleanupPolicy.compactDelete, minCleanableDirtyRatio: 1 / 3 })
    assert.equal(
      planCleaning(input({ firstDirtyOffset: 20, config }), T0)!.reason,
      undefined,
      'equal is not above',
    )
    const lower = logConfig({ cleanupPolicy: CleanupPolicy.compact, minCleanableDirtyRatio: 0.3 })
    assert.equal(planCleaning(input({ firstDirtyOffset: 20, config: lower }), T0)!.reason, 'dirtyRatio')
    assert.equal(planCleaning(input({ config: logConfig() }), T0), undefined, 'delete policy')
    assert.equal(
      planCleaning(input({ firstDirtyOffset: 99 }), T0)!.firstDirtyOffset,
      0,
      'reset when past the end',
    )
  })

  it('stops at the uncleanable bound and at records younger than min.compaction.lag.ms', () => {
    assert.deepEqual(
      planCleaning(input({ uncleanableFrom: 25 }), T0)!.candidates.map((s) => s.baseOffset),
      [0, 10],
    )
    const young = [seg(0, 10, 100, T0), seg(10, 20, 100, T0 + 500), seg(20, 30, 100, T0), seg(30, 35, 50)]
    const config = logConfig({ cleanupPolicy: CleanupPolicy.compact, minCompactionLagMs: 1000 })
    assert.deepEqual(
      planCleaning(input({ segments: young, config }), T0 + 1400)!.candidates.map((s) => s.baseOffset),
      [0],
    )
    assert.equal(planCleaning(input({ segments: young, config }), T0 + 1500)!.candidates.length, 3)
  })

  it('cleans below the ratio when max.compaction.lag.ms or a delete horizon says so', () => {
    const config = logConfig({ cleanupPolicy: CleanupPolicy.compact, maxCompactionLagMs: 1000 })
    assert.equal(planCleaning(input({ firstDirtyOffset: 20, config }), T0 + 1000)!.reason, undefined)
    assert.equal(planCleaning(input({ firstDirtyOffset: 20, config }), T0 + 1001)!.reason, 'maxCompactionLag')
    const clean = input({ firstDirtyOffset: 30, nextDeleteHorizon: T0 + 50 })
    assert.equal(planCleaning(clean, T0 + 49)!.reason, undefined)
    assert.equal(planCleaning(clean, T0 + 50)!.reason, 'deleteHorizon')
  })

  it('lets a segment join a cleaned one only if it fits even uncleaned', () => {
    assert.equal(fitsCleanedSegment(0, 900, seg(10, 20, 100), 1000), true)
    assert.equal(fitsCleanedSegment(0, 901, seg(10, 20, 100), 1000), false)
    assert.equal(
      fitsCleanedSegment(0, 0, seg(2 ** 31, 2 ** 31 + 1, 10), 1000),
      false,
      '32-bit relative offsets',
    )
  })
})
