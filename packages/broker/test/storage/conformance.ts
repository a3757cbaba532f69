// One behaviour suite for every LogStore implementation (disk with and without the tail cache,
// memory). Each implementation's test file calls runLogStoreConformance with a factory.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { LogStore, PartitionLog, ReadResult } from '../../src/storage/api.ts'
import { StorageError, StorageErrorCode } from '../../src/storage/errors.ts'
import { CleanupPolicy, type LogConfig, logConfig } from '../../src/storage/log-config.ts'
import { asStored, batchId, lastOffsetOf, makeBatch } from './make-batch.ts'

export interface StoreHarness {
  readonly store: LogStore
  /**
   * Closes the store and opens a new one on the same data; undefined for implementations that
   * keep nothing across instances.
   */
  readonly reopen?: (configFor?: (topic: string) => LogConfig) => Promise<LogStore>
  cleanup(): Promise<void>
}

export type StoreFactory = (options: { clock: () => number }) => Promise<StoreHarness>

const T0 = 1_700_000_000_000
const HOUR = 3_600_000

function ok(result: ReadResult): Extract<ReadResult, { kind: 'ok' }> {
  assert.equal(result.kind, 'ok', `expected ok, got ${JSON.stringify(result)}`)
  return result as Extract<ReadResult, { kind: 'ok' }>
}

function appendOk(log: PartitionLog, batch: Buffer): { baseOffset: number; lastOffset: number } {
  const r = log.append(batch)
  assert.equal(r.kind, 'appended', `append failed: ${JSON.stringify(r)}`)
  return r as { baseOffset: number; lastOffset: number }
}

/** Appends `n` batches of `size` bytes, ids from `firstId`, one record each unless said. */
function fill(
  log: PartitionLog,
  n: number,
  spec: { size?: number; records?: number; firstId?: number; ts?: (i: number) => number } = {},
) {
  const out: { id: number; baseOffset: number; lastOffset: number; batch: Buffer }[] = []
  for (let i = 0; i < n; i++) {
    const id = (spec.firstId ?? 0) + i
    const batch = makeBatch({
      id,
      size: spec.size ?? 100,
      records: spec.records ?? 1,
      maxTimestamp: spec.ts?.(id) ?? T0 + id,
    })
    const original = Buffer.from(batch)
    const r = appendOk(log, batch)
    out.push({ id, ...r, batch: original })
  }
  return out
}

/** Every batch from logStartOffset to the end, by repeated reads. */
function readAll(log: PartitionLog, from = log.logStartOffset): Buffer[] {
  const out: Buffer[] = []
  let offset = from
  while (offset < log.logEndOffset) {
    const r = ok(log.read(offset, 1 << 20, { minOneBatch: true }))
    assert.ok(r.batches.length > 0, `no progress at ${offset}`)
    out.push(...r.batches)
    offset = lastOffsetOf(r.batches[r.batches.length - 1]) + 1
  }
  return out
}

export function runLogStoreConformance(name: string, factory: StoreFactory): void {
  describe(`LogStore conformance: ${name}`, () => {
    let now = T0
    let harness: StoreHarness
    let store: LogStore
    const clock = () => now

    beforeEach(async () => {
      now = T0
      harness = await factory({ clock })
      store = harness.store
    })
    afterEach(async () => {
      await harness.cleanup()
    })

    describe('append and read', () => {
      it('starts empty', async () => {
        const log = await store.createPartition('t', 0, logConfig())
        assert.equal(log.logStartOffset, 0)
        assert.equal(log.logEndOffset, 0)
        assert.equal(log.highWatermark, 0)
        assert.deepEqual(ok(log.read(0, 1000)).batches, [])
        assert.deepEqual(log.read(1, 1000), { kind: 'offsetOutOfRange', logStartOffset: 0, logEndOffset: 0 })
        assert.deepEqual(log.maxTimestamp(), { kind: 'notFound' })
        assert.deepEqual(log.offsetForTimestamp(0), { kind: 'notFound' })
      })

      it('assigns contiguous offsets by record count and stores bytes as given', async () => {
        const log = await store.createPartition('t', 0, logConfig())
        const a = makeBatch({ id: 1, records: 1 })
        const b = makeBatch({ id: 2, records: 3 })
        const c = makeBatch({ id: 3, records: 2 })
        const copies = [a, b, c].map((x) => Buffer.from(x))
        assert.deepEqual(log.append(a), { kind: 'appended', baseOffset: 0, lastOffset: 0, logStartOffset: 0 })
        assert.deepEqual(log.append(b), { kind: 'appended', baseOffset: 1, lastOffset: 3, logStartOffset: 0 })
        assert.deepEqual(log.append(c, { partitionLeaderEpoch: 7 }), {
          kind: 'appended',
          baseOffset: 4,
          lastOffset: 5,
          logStartOffset: 0,
        })
        assert.equal(log.logEndOffset, 6)
        assert.equal(log.highWatermark, 6)
        assert.equal(log.sizeInBytes, 300)
        const r = ok(log.read(0, 10_000))
        assert.deepEqual(r.batches, [
          asStored(copies[0], 0),
          asStored(copies[1], 1),
          asStored(copies[2], 4, 7),
        ])
        assert.equal(r.sizeInBytes, 300)
        assert.equal(r.highWatermark, 6)
        assert.equal(r.logStartOffset, 0)
      })

      it('stores several batches given in one append, back to back', async () => {
        const log = await store.createPartition('t', 0, logConfig())
        const a = makeBatch({ id: 1, records: 2 })
        const b = makeBatch({ id: 2, records: 5, size: 150 })
        const r = log.append(Buffer.concat([a, b]))
        assert.deepEqual(r, { kind: 'appended', baseOffset: 0, lastOffset: 6, logStartOffset: 0 })
        const read = ok(log.read(3, 10_000))
        assert.equal(read.batches.length, 1)
        assert.deepEqual(read.batches[0], asStored(b, 2))
      })

      it('reads from the batch containing the fetch offset', async () => {
        const log = await store.createPartition('t', 0, logConfig())
        fill(log, 5, { records: 3 }) // offsets 0-2, 3-5, 6-8, 9-11, 12-14
        for (const [offset, firstId] of [
          [0, 0],
          [4, 1],
          [5, 1],
          [6, 2],
          [14, 4],
        ]) {
          const r = ok(log.read(offset, 10_000))
          assert.equal(batchId(r.batches[0]), firstId, `fetch ${offset}`)
          assert.equal(r.batches.length, 5 - firstId)
        }
        assert.deepEqual(ok(log.read(15, 10_000)).batches, [])
        assert.deepEqual(log.read(16, 10), { kind: 'offsetOutOfRange', logStartOffset: 0, logEndOffset: 15 })
        assert.equal(log.read(-1, 10).kind, 'offsetOutOfRange')
      })

      it('stops before maxBytes, except for a first batch when minOneBatch', async () => {
        const log = await store.createPartition('t', 0, logConfig())
        fill(log, 4, { size: 100 })
        assert.equal(ok(log.read(0, 250)).batches.length, 2)
        assert.equal(ok(log.read(0, 300)).batches.length, 3)
        assert.equal(ok(log.read(0, 299)).batches.length, 2)
        assert.equal(ok(log.read(1, 99)).batches.length, 0)
        const one = ok(log.read(1, 99, { minOneBatch: true }))
        assert.equal(one.batches.length, 1)
        assert.equal(batchId(one.batches[0]), 1)
        assert.equal(ok(log.read(1, 0, { minOneBatch: true })).batches.length, 1)
      })

      it('stops at upToOffset (exclusive, whole batches only)', async () => {
        const log = await store.createPartition('t', 0, logConfig())
        fill(log, 4, { records: 2 }) // 0-1, 2-3, 4-5, 6-7
        assert.deepEqual(ok(log.read(0, 10_000, { upToOffset: 4 })).batches.map(batchId), [0, 1])
        assert.deepEqual(ok(log.read(0, 10_000, { upToOffset: 5 })).batches.map(batchId), [0, 1])
        assert.deepEqual(ok(log.read(0, 10_000, { upToOffset: 6 })).batches.map(batchId), [0, 1, 2])
        assert.deepEqual(ok(log.read(4, 10_000, { upToOffset: 4 })).batches, [])
        assert.deepEqual(ok(log.read(0, 10_000, { upToOffset: 100 })).batches.length, 4)
      })

      it('refuses batches over max.message.bytes and appends over segment.bytes, storing nothing', async () => {
        const log = await store.createPartition(
          't',
          0,
          logConfig({ maxMessageBytes: 150, segmentBytes: 300 }),
        )
        assert.deepEqual(log.append(makeBatch({ size: 151 })), {
          kind: 'messageTooLarge',
          batchSize: 151,
          maxMessageBytes: 150,
        })
        const three = Buffer.concat([makeBatch(), makeBatch(), makeBatch(), makeBatch()])
        assert.deepEqual(log.append(three), { kind: 'batchTooLarge', size: 400, segmentBytes: 300 })
        assert.equal(log.logEndOffset, 0)
        assert.equal(log.sizeInBytes, 0)
      })

      it('throws on bytes that are not whole v2 batches (a caller bug)', async () => {
        const log = await store.createPartition('t', 0, logConfig())
        const truncated = makeBatch().subarray(0, 80)
        const badMagic = makeBatch()
        badMagic.writeInt8(1, 16)
        for (const bad of [
          Buffer.alloc(0),
          truncated,
          badMagic,
          Buffer.concat([makeBatch(), Buffer.alloc(5)]),
        ]) {
          assert.throws(
            () => log.append(bad),
            (e: unknown) => e instanceof StorageError && e.code === StorageErrorCode.invalidBatch,
          )
        }
        assert.equal(log.logEndOffset, 0)
      })
    })

    describe('segments', () => {
      it('rolls by segment.bytes and reads across segments', async () => {
        const log = await store.createPartition('t', 0, logConfig({ segmentBytes: 1000 }))
        fill(log, 25, { size: 100 })
        assert.equal(log.segmentCount, 3)
        const all = readAll(log)
        assert.deepEqual(all.map(batchId), [...Array(25).keys()])
        const r = ok(log.read(8, 550))
        assert.deepEqual(r.batches.map(batchId), [8, 9, 10, 11, 12])
      })

      it('rolls by segment.ms measured from the first batch timestamp', async () => {
        const log = await store.createPartition('t', 0, logConfig({ segmentMs: HOUR }))
        fill(log, 1, { ts: () => T0 })
        fill(log, 1, { ts: () => T0 + HOUR, firstId: 1 })
        assert.equal(log.segmentCount, 1, 'exactly segment.ms later does not roll')
        fill(log, 1, { ts: () => T0 + HOUR + 1, firstId: 2 })
        assert.equal(log.segmentCount, 2)
        fill(log, 1, { ts: () => T0 + 2 * HOUR, firstId: 3 })
        assert.equal(log.segmentCount, 2)
        assert.deepEqual(readAll(log).map(batchId), [0, 1, 2, 3])
      })

      it('rolls when an index is full (segment.index.bytes)', async () => {
        // Entry after every batch but the first; 24 bytes hold 2 time entries, so 3 batches per segment.
        const log = await store.createPartition(
          't',
          0,
          logConfig({ indexIntervalBytes: 0, segmentIndexBytes: 24 }),
        )
        fill(log, 9)
        assert.equal(log.segmentCount, 3)
        assert.equal(log.logEndOffset, 9)
        assert.deepEqual(readAll(log).map(batchId), [...Array(9).keys()])
      })

      it('applies a config update from the next append', async () => {
        const log = await store.createPartition('t', 0, logConfig())
        fill(log, 5)
        store.updateConfig('t', logConfig({ segmentBytes: 200 }))
        assert.equal(log.config.segmentBytes, 200)
        fill(log, 1, { firstId: 5 })
        assert.equal(log.segmentCount, 2)
      })
    })

    describe('timestamp lookups', () => {
      const stamps = [100, 300, 200, 400, 400, 250, 500, 450]
      const setup = async () => {
        const log = await store.createPartition(
          't',
          0,
          logConfig({ segmentBytes: 300, indexIntervalBytes: 0 }),
        )
        fill(log, stamps.length, { records: 2, ts: (i) => stamps[i] })
        return log
      }

      it('finds the first batch whose max timestamp reaches the target', async () => {
        const log = await setup()
        assert.ok(log.segmentCount >= 3)
        for (let ts = 0; ts <= 600; ts += 25) {
          const expected = stamps.findIndex((s) => s >= ts)
          const r = log.offsetForTimestamp(ts)
          if (expected < 0) {
            assert.deepEqual(r, { kind: 'notFound' }, `ts ${ts}`)
            continue
          }
          assert.equal(r.kind, 'found', `ts ${ts}`)
          if (r.kind !== 'found') continue
          assert.equal(r.baseOffset, expected * 2, `ts ${ts}`)
          assert.equal(r.lastOffset, expected * 2 + 1)
          assert.equal(r.maxTimestamp, stamps[expected])
          assert.equal(batchId(r.batch), expected)
        }
      })

      it('starts from fromOffset and from logStartOffset', async () => {
        const log = await setup()
        const r = log.offsetForTimestamp(250, 4) // skips batch 1 (300, offsets 2-3)
        assert.equal(r.kind === 'found' && r.baseOffset, 6)
        await log.deleteRecordsBefore(9)
        const s = log.offsetForTimestamp(0)
        assert.equal(s.kind === 'found' && s.baseOffset, 8, 'the batch holding logStartOffset')
      })

      it('finds the batch with the largest timestamp, the first of equals', async () => {
        const log = await store.createPartition('t', 0, logConfig({ segmentBytes: 300 }))
        fill(log, 6, { ts: (i) => [100, 700, 200, 700, 300, 50][i] })
        const r = log.maxTimestamp()
        assert.equal(r.kind, 'found')
        if (r.kind !== 'found') return
        assert.equal(r.baseOffset, 1)
        assert.equal(r.maxTimestamp, 700)
        assert.equal(batchId(r.batch), 1)
      })
    })

    describe('retention', () => {
      const setup = async (overrides: Partial<LogConfig>) => {
        // 10 batches of 100 bytes per segment; timestamps one hour apart per segment.
        const log = await store.createPartition('t', 0, logConfig({ segmentBytes: 1000, ...overrides }))
        fill(log, 25, { ts: (i) => T0 + Math.floor(i / 10) * HOUR })
        assert.deepEqual(log.segmentCount, 3)
        return log
      }

      it('deletes segments whose largest timestamp is older than retention.ms', async () => {
        const log = await setup({ retentionMs: HOUR })
        assert.deepEqual(log.enforceRetention(T0 + HOUR), { deletedSegments: 0, deletedBytes: 0 })
        assert.deepEqual(log.enforceRetention(T0 + HOUR + 1), { deletedSegments: 1, deletedBytes: 1000 })
        assert.equal(log.logStartOffset, 10)
        assert.equal(log.sizeInBytes, 1500)
        assert.deepEqual(log.read(9, 1000), {
          kind: 'offsetOutOfRange',
          logStartOffset: 10,
          logEndOffset: 25,
        })
        assert.equal(batchId(ok(log.read(10, 1000)).batches[0]), 10)
        assert.deepEqual(log.enforceRetention(T0 + 2 * HOUR + 1), { deletedSegments: 1, deletedBytes: 1000 })
        assert.equal(log.logStartOffset, 20)
      })

      it('rolls and deletes the non-empty active segment when everything expired (Kafka)', async () => {
        const log = await setup({ retentionMs: HOUR })
        assert.deepEqual(log.enforceRetention(T0 + 10 * HOUR), { deletedSegments: 3, deletedBytes: 2500 })
        assert.equal(log.segmentCount, 1)
        assert.equal(log.logStartOffset, 25)
        assert.equal(log.logEndOffset, 25)
        assert.equal(log.sizeInBytes, 0)
        assert.deepEqual(ok(log.read(25, 1000)).batches, [])
        assert.equal(log.read(24, 1000).kind, 'offsetOutOfRange')
        assert.deepEqual(
          log.enforceRetention(T0 + 20 * HOUR),
          { deletedSegments: 0, deletedBytes: 0 },
          'empty active stays',
        )
        const r = appendOk(log, makeBatch({ id: 99, maxTimestamp: T0 + 20 * HOUR }))
        assert.equal(r.baseOffset, 25)
        assert.deepEqual(ok(log.read(25, 1000)).batches.map(batchId), [99])
      })

      it('deletes oldest segments while the log stays at or above retention.bytes', async () => {
        const log = await setup({ retentionBytes: 1500 })
        assert.deepEqual(log.enforceRetention(T0), { deletedSegments: 1, deletedBytes: 1000 })
        assert.equal(log.logStartOffset, 10)
        assert.deepEqual(log.enforceRetention(T0), { deletedSegments: 0, deletedBytes: 0 })
        store.updateConfig('t', logConfig({ segmentBytes: 1000, retentionBytes: 400 }))
        assert.deepEqual(log.enforceRetention(T0), { deletedSegments: 1, deletedBytes: 1000 })
        assert.equal(log.logStartOffset, 20)
        assert.equal(log.sizeInBytes, 500)
      })

      it('keeps everything with retention.ms = -1, or a compact-only policy', async () => {
        const log = await setup({ retentionMs: -1 })
        assert.deepEqual(log.enforceRetention(T0 + 1000 * HOUR), { deletedSegments: 0, deletedBytes: 0 })
        store.updateConfig(
          't',
          logConfig({
            segmentBytes: 1000,
            retentionMs: 1,
            retentionBytes: 0,
            cleanupPolicy: CleanupPolicy.compact,
          }),
        )
        assert.deepEqual(log.enforceRetention(T0 + 1000 * HOUR), { deletedSegments: 0, deletedBytes: 0 })
        assert.equal(log.logStartOffset, 0)
      })

      it('runs for every partition from the store', async () => {
        const a = await setup({ retentionMs: HOUR })
        const b = await store.createPartition('u', 3, logConfig({ segmentBytes: 1000, retentionMs: HOUR }))
        fill(b, 15, { ts: () => T0 })
        // a: its first segment expired; b: both segments (the active one rolls first).
        assert.deepEqual(store.enforceRetention(T0 + HOUR + 1), { deletedSegments: 3, deletedBytes: 2500 })
        assert.equal(a.logStartOffset, 10)
        assert.equal(b.logStartOffset, 15)
        assert.equal(b.logEndOffset, 15)
      })
    })

    describe('DeleteRecords', () => {
      it('moves logStartOffset and deletes the segments wholly below it', async () => {
        const log = await store.createPartition('t', 0, logConfig({ segmentBytes: 1000 }))
        fill(log, 25)
        assert.deepEqual(await log.deleteRecordsBefore(26), {
          kind: 'offsetOutOfRange',
          logStartOffset: 0,
          logEndOffset: 25,
        })
        assert.equal((await log.deleteRecordsBefore(-2)).kind, 'offsetOutOfRange')
        assert.deepEqual(await log.deleteRecordsBefore(12), { kind: 'ok', lowWatermark: 12 })
        assert.equal(log.logStartOffset, 12)
        assert.equal(log.segmentCount, 2)
        assert.equal(log.sizeInBytes, 1500)
        assert.equal(log.read(11, 1000).kind, 'offsetOutOfRange')
        assert.equal(batchId(ok(log.read(12, 1000)).batches[0]), 12)
        assert.deepEqual(
          await log.deleteRecordsBefore(5),
          { kind: 'ok', lowWatermark: 12 },
          'never moves back',
        )
        assert.deepEqual(await log.deleteRecordsBefore(25), { kind: 'ok', lowWatermark: 25 })
        assert.equal(log.segmentCount, 1, 'the active segment stays')
        assert.deepEqual(ok(log.read(25, 1000)).batches, [])
        assert.equal(appendOk(log, makeBatch()).baseOffset, 25)
      })

      it('keeps a logStartOffset inside a batch and serves that whole batch', async () => {
        const log = await store.createPartition('t', 0, logConfig())
        fill(log, 3, { records: 4 }) // 0-3, 4-7, 8-11
        await log.deleteRecordsBefore(6)
        const r = ok(log.read(6, 1000))
        assert.equal(batchId(r.batches[0]), 1)
        assert.equal(r.logStartOffset, 6)
        assert.equal(log.read(5, 1000).kind, 'offsetOutOfRange')
      })
    })

    describe('store', () => {
      it('creates each partition once and finds it again', async () => {
        const a = await store.createPartition('orders', 0, logConfig())
        const [b, c] = await Promise.all([
          store.createPartition('orders', 1, logConfig()),
          store.createPartition('orders', 1, logConfig()),
        ])
        assert.equal(b, c)
        assert.equal(await store.createPartition('orders', 0, logConfig({ segmentBytes: 5000 })), a)
        assert.equal(a.config.segmentBytes, 5000)
        assert.equal(store.getPartition('orders', 0), a)
        assert.equal(store.getPartition('orders', 2), undefined)
        assert.deepEqual(
          store
            .partitions('orders')
            .map((l) => l.partition)
            .sort(),
          [0, 1],
        )
        await assert.rejects(store.createPartition('../etc', 0, logConfig()), StorageError)
        await assert.rejects(store.createPartition('ok', -1, logConfig()), StorageError)
      })

      it('deletes a topic: its logs close, a new topic of that name starts empty', async () => {
        const log = await store.createPartition('gone', 0, logConfig())
        await store.createPartition('gone', 1, logConfig())
        const kept = await store.createPartition('kept', 0, logConfig())
        fill(log, 3)
        fill(kept, 2)
        assert.equal(await store.deletePartitions('gone'), 2)
        assert.equal(store.getPartition('gone', 0), undefined)
        assert.equal(log.append(makeBatch()).kind, 'storageError')
        assert.equal(log.read(0, 100).kind, 'storageError')
        await assert.rejects(log.flush(), StorageError)
        const again = await store.createPartition('gone', 0, logConfig())
        assert.equal(again.logEndOffset, 0)
        assert.equal(kept.logEndOffset, 2)
        assert.equal(store.stats().partitions, 2)
      })

      it('flushes everything and counts what it holds', async () => {
        const log = await store.createPartition('t', 0, logConfig({ segmentBytes: 1000 }))
        fill(log, 12)
        await store.flushAll()
        await log.flush()
        const stats = store.stats()
        assert.equal(stats.partitions, 1)
        assert.equal(stats.segments, 2)
        assert.equal(stats.sizeInBytes, 1200)
        assert.equal(stats.appendedBytes, 1200)
      })
    })

    describe('restart', () => {
      it('keeps data, offsets, logStartOffset and lookups across a restart', async (t) => {
        if (harness.reopen === undefined) return t.skip('this implementation keeps nothing across instances')
        const config = logConfig({ segmentBytes: 1000, indexIntervalBytes: 250 })
        const log = await store.createPartition('t', 0, config)
        fill(log, 25, { records: 2, ts: (i) => T0 + ((i * 7) % 11) * 1000 })
        await log.deleteRecordsBefore(13)
        const other = await store.createPartition('deleted', 0, config)
        fill(other, 2)
        await store.deletePartitions('deleted')
        const before = readAll(log)
        const lookups = [0, 3000, 5500, 9999, 10_001].map((ts) => log.offsetForTimestamp(T0 + ts))
        const max = log.maxTimestamp()

        store = await harness.reopen(() => config)
        const reopened = store.getPartition('t', 0)
        assert.ok(reopened !== undefined)
        assert.equal(store.getPartition('deleted', 0), undefined)
        assert.equal(reopened.logStartOffset, 13)
        assert.equal(reopened.logEndOffset, 50)
        assert.deepEqual(readAll(reopened), before)
        assert.deepEqual(
          [0, 3000, 5500, 9999, 10_001].map((ts) => reopened.offsetForTimestamp(T0 + ts)),
          lookups,
        )
        assert.deepEqual(reopened.maxTimestamp(), max)
        assert.equal(reopened.segmentCount, log.segmentCount)
        assert.equal(appendOk(reopened, makeBatch({ id: 77 })).baseOffset, 50)
      })
    })
  })
}
