// Log compaction, held to one behaviour on every LogStore implementation (the disk and memory
// logs share the cleaner and its rules, so they must give the same records, offsets and segment
// boundaries). The implementation's test file calls runCompactionConformance with the factory
// it gives runLogStoreConformance.
import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { CleanResult, LogStore, PartitionLog } from '../../src/storage/api.ts'
import { CleanupPolicy, type LogConfig, logConfig } from '../../src/storage/log-config.ts'
import type { StoreFactory, StoreHarness } from './conformance.ts'
import { keyedBatch, latestByKey, readStored, type StoredRecord, storedRecords } from './keyed-batch.ts'

const T0 = 1_700_000_000_000
const HOUR = 3_600_000

const compacted = (overrides: Partial<LogConfig> = {}): LogConfig =>
  logConfig({ cleanupPolicy: CleanupPolicy.compact, segmentBytes: 1000, ...overrides })

function cleaned(result: CleanResult): Extract<CleanResult, { kind: 'cleaned' }> {
  assert.equal(result.kind, 'cleaned', `expected a cleaning, got ${JSON.stringify(result)}`)
  return result as Extract<CleanResult, { kind: 'cleaned' }>
}

/** Appends one single-record batch per update; `keys` cycles through k0..k{keys-1}. */
function update(log: PartitionLog, n: number, keys: number, from = 0, ts: (i: number) => number = () => T0) {
  for (let i = from; i < from + n; i++) {
    const r = log.append(keyedBatch([{ key: `k${i % keys}`, value: `v${i}` }], {}, ts(i)))
    assert.equal(r.kind, 'appended')
  }
}

const segmentBases = (log: PartitionLog): number[] =>
  (log as unknown as { segmentBaseOffsets(): number[] }).segmentBaseOffsets()

/**
 * What compaction may leave of `before`: every record it keeps is the record that was at that
 * offset; below `cleanedUpTo` each key keeps only its latest record there (the offset map covers
 * the cleaned range); from there on (the active segment, the dirty tail) nothing changes; and each
 * key ends with the same latest value.
 */
function assertCompactionOf(
  before: readonly StoredRecord[],
  after: readonly StoredRecord[],
  cleanedUpTo: number,
) {
  const original = new Map(before.map((r) => [r.offset, r]))
  for (const r of after) assert.deepEqual(r, original.get(r.offset), `offset ${r.offset} changed`)
  const latestOffset = new Map<string | null, number>()
  for (const r of before) if (r.offset < cleanedUpTo) latestOffset.set(r.key, r.offset)
  for (const r of after.filter((x) => x.offset < cleanedUpTo)) {
    assert.equal(
      r.offset,
      latestOffset.get(r.key),
      `offset ${r.offset} (${r.key}) is not the latest of its key`,
    )
  }
  assert.deepEqual(
    after.filter((r) => r.offset >= cleanedUpTo),
    before.filter((r) => r.offset >= cleanedUpTo),
    'the uncleaned tail is untouched',
  )
  assert.deepEqual(latestByKey(after), latestByKey(before))
}

export function runCompactionConformance(name: string, factory: StoreFactory): void {
  describe(`log compaction conformance: ${name}`, () => {
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

    it('keeps the latest record of each key at its offset and never touches the active segment', async () => {
      const log = await store.createPartition('t', 0, compacted())
      update(log, 300, 10)
      const before = storedRecords(log)
      const sizeBefore = log.sizeInBytes
      const activeBase = segmentBases(log).at(-1)!
      assert.equal(segmentBases(log).length, 24)

      const r = cleaned(await store.clean())
      assert.equal(r.topic, 't')
      assert.equal(r.stats.reason, 'dirtyRatio')
      assert.equal(r.stats.firstDirtyOffset, activeBase)
      assert.equal(r.stats.recordsRead, activeBase)
      assert.equal(r.stats.recordsKept, 10)
      const after = storedRecords(log)
      assertCompactionOf(before, after, activeBase)
      assert.equal(log.logStartOffset, 0)
      assert.equal(log.logEndOffset, 300)
      assert.equal(log.sizeInBytes, sizeBefore - (r.stats.bytesBefore - r.stats.bytesAfter))
      // The first cleaning rewrites full segments one by one; every cleaned segment ends where the
      // next starts (an empty batch header where its last batch went), so offsets stay put.
      assert.deepEqual(segmentBases(log).slice(0, 3), [0, 13, 26])
      assert.equal(segmentBases(log).at(-1), activeBase)

      // A fetch inside a hole gets the next batch; a fetch at logStartOffset still works.
      const first = readStored(log, 0)[0]
      assert.deepEqual(
        [first.baseOffset, first.records.length],
        [12, 0],
        'all of segment 0 went but the empty header of its last batch',
      )
      const hole = log.read(1, 1000, { minOneBatch: true })
      assert.ok(hole.kind === 'ok' && hole.batches.length > 0)

      // Nothing dirty any more; a second cleaning merges the small cleaned segments.
      assert.deepEqual(await store.clean(), { kind: 'idle' })
      update(log, 300, 10, 300)
      const again = cleaned(await store.clean())
      assert.ok(again.stats.segmentsAfter < again.stats.segmentsBefore, 'cleaned segments are merged')
      assertCompactionOf(
        before.concat(storedRecords(log).filter((x) => x.offset >= 300)),
        storedRecords(log),
        again.stats.firstDirtyOffset,
      )
      const stats = store.stats()
      assert.equal(stats.cleanerRuns, 2)
      assert.equal(
        stats.cleanerRecordsRemoved,
        r.stats.recordsRead - 10 + again.stats.recordsRead - again.stats.recordsKept,
      )
      assert.ok(stats.cleanerBytesReclaimed > 0.8 * sizeBefore)
    })

    it('removes tombstones once delete.retention.ms has passed since the cleaning that kept them', async () => {
      const log = await store.createPartition('t', 0, compacted({ deleteRetentionMs: HOUR }))
      for (let i = 0; i < 5; i++) log.append(keyedBatch([{ key: `k${i}`, value: 'first' }]))
      log.append(keyedBatch([{ key: 'k1', value: null }]))
      log.append(keyedBatch([{ key: 'k3', value: null }]))
      update(log, 20, 1000, 100) // other keys, to seal the segment holding the tombstones
      cleaned(await store.clean())
      let latest = latestByKey(storedRecords(log))
      assert.equal(latest.get('k1'), null, 'the tombstone stays for delete.retention.ms')
      assert.equal(latest.get('k3'), null)
      assert.equal(storedRecords(log).filter((r) => r.key === 'k1').length, 1, 'the value under it is gone')

      now = T0 + HOUR - 1
      assert.deepEqual(await store.clean(), { kind: 'idle' })
      now = T0 + HOUR
      const r = cleaned(await store.clean())
      assert.equal(r.stats.reason, 'deleteHorizon')
      latest = latestByKey(storedRecords(log))
      assert.equal(latest.has('k1'), false)
      assert.equal(latest.has('k3'), false)
      assert.equal(latest.get('k0'), 'first')
      assert.deepEqual(await store.clean(), { kind: 'idle' })
    })

    it('waits for min.cleanable.dirty.ratio, and leaves records younger than min.compaction.lag.ms', async () => {
      const log = await store.createPartition('t', 0, compacted({ minCleanableDirtyRatio: 0.5 }))
      update(log, 120, 100)
      cleaned(await store.clean())
      const clean = log.sizeInBytes
      update(log, 12, 100, 120) // one more segment of new keys: dirty share small
      assert.deepEqual(await store.clean(), { kind: 'idle' })
      update(log, 400, 100, 132)
      assert.ok(cleaned(await store.clean()).stats.dirtyRatio > 0.5)
      assert.ok(log.sizeInBytes < clean + 400 * 80)

      const lagged = await store.createPartition(
        'lag',
        0,
        compacted({ minCompactionLagMs: 10 * HOUR, minCleanableDirtyRatio: 0 }),
      )
      // Timestamps an hour apart per 12 updates (one segment): only segments older than 10 h qualify.
      update(lagged, 240, 5, 0, (i) => T0 + Math.floor(i / 12) * HOUR)
      now = T0 + 15 * HOUR
      const r = cleaned(await store.clean())
      assert.equal(r.topic, 'lag')
      const firstYoung = segmentBases(lagged)[5]
      assert.equal(r.stats.firstDirtyOffset <= firstYoung, true)
      assert.deepEqual(
        storedRecords(lagged).filter((x) => x.offset >= r.stats.firstDirtyOffset).length,
        240 - r.stats.firstDirtyOffset,
        'young records are all still there',
      )
    })

    it('keeps offset and timestamp lookups right after cleaning', async () => {
      const log = await store.createPartition('t', 0, compacted({ indexIntervalBytes: 100 }))
      update(log, 200, 7, 0, (i) => T0 + ((i * 37) % 101))
      cleaned(await store.clean())
      const batches = readStored(log)
      for (const b of batches) {
        for (const offset of [b.baseOffset, b.lastOffset]) {
          const r = log.read(offset, 1, { minOneBatch: true })
          assert.ok(r.kind === 'ok' && r.batches[0].equals(b.bytes), `read(${offset})`)
        }
      }
      const maxTs = (b: (typeof batches)[number]) => b.bytes.readBigInt64BE(35)
      for (let t = 0; t <= 101; t += 10) {
        const expected = batches.find((b) => maxTs(b) >= BigInt(T0 + t))
        const r = log.offsetForTimestamp(T0 + t)
        if (expected === undefined) assert.deepEqual(r, { kind: 'notFound' })
        else assert.ok(r.kind === 'found' && r.baseOffset === expected.baseOffset, `offsetForTimestamp(${t})`)
      }
      const top = batches.reduce((m, b) => (maxTs(b) > maxTs(m) ? b : m))
      const max = log.maxTimestamp()
      assert.ok(max.kind === 'found' && max.baseOffset === top.baseOffset)
    })

    it('cleans compact,delete logs after DeleteRecords and with retention, and ignores delete-only logs', async () => {
      const plain = await store.createPartition('plain', 0, logConfig({ segmentBytes: 1000 }))
      update(plain, 100, 3)
      assert.deepEqual(await store.clean(), { kind: 'idle' })

      const log = await store.createPartition(
        't',
        0,
        compacted({ cleanupPolicy: CleanupPolicy.compactDelete, retentionMs: HOUR }),
      )
      update(log, 100, 10)
      assert.deepEqual(await log.deleteRecordsBefore(30), { kind: 'ok', lowWatermark: 30 })
      const before = storedRecords(log)
      const r = cleaned(await store.clean())
      assert.equal(log.logStartOffset, 30)
      assertCompactionOf(before, storedRecords(log), r.stats.firstDirtyOffset)
      assert.ok(
        storedRecords(log).every((x) => x.offset >= 30 || x.offset < 36),
        'nothing below the start but its segment',
      )
      now = T0 + 2 * HOUR
      assert.equal(log.enforceRetention(now).deletedSegments > 0, true)
      assert.equal(log.logStartOffset, 100)
    })

    it('lets appends and reads go on while it cleans, and keeps them', async () => {
      const log = await store.createPartition('t', 0, compacted())
      update(log, 200, 10)
      const running = store.clean()
      let i = 200
      let sawPartial = false
      for (let turn = 0; turn < 200; turn++) {
        update(log, 1, 10, i++)
        const r = log.read(0, 1 << 20, { minOneBatch: true })
        assert.equal(r.kind, 'ok')
        await new Promise<void>((resolve) => setImmediate(resolve))
        if (store.stats().cleanerRuns === 0 && turn > 0) sawPartial = true
      }
      const r = cleaned(await running)
      assert.ok(sawPartial, 'appends ran while the cleaning was in progress')
      const after = storedRecords(log)
      assert.equal(log.logEndOffset, 400)
      assert.deepEqual(
        after.filter((x) => x.offset >= r.stats.firstDirtyOffset).map((x) => x.offset),
        Array.from({ length: 400 - r.stats.firstDirtyOffset }, (_, k) => r.stats.firstDirtyOffset + k),
        'every record appended after the cleaned range is there',
      )
      const expected = new Map<string, string>()
      for (let k = 0; k < 400; k++) expected.set(`k${k % 10}`, `v${k}`)
      assert.deepEqual(latestByKey(after), expected)
    })

    it('gives up when the topic is deleted under it', async () => {
      const log = await store.createPartition('t', 0, compacted())
      update(log, 300, 10)
      const running = store.clean()
      while (store.stats().cleanerBytesRead === 0) await new Promise<void>((resolve) => setImmediate(resolve))
      await store.deletePartitions('t')
      const r = await running
      assert.equal(r.kind, 'aborted')
      assert.equal(store.stats().uncleanablePartitions, 0)
      assert.equal(log.read(0, 100).kind, 'storageError')
    })

    it('keeps the cleaned log, and where the cleaner stopped, across a restart', async (t) => {
      if (harness.reopen === undefined) return t.skip('this implementation keeps nothing across instances')
      const config = compacted({ deleteRetentionMs: HOUR })
      const log = await store.createPartition('t', 0, config)
      update(log, 300, 10)
      log.append(keyedBatch([{ key: 'k0', value: null }]))
      update(log, 30, 1000, 1000)
      cleaned(await store.clean())
      const before = readStored(log)
      const bases = segmentBases(log)
      store = await harness.reopen(() => config)
      const reopened = store.getPartition('t', 0)!
      assert.deepEqual(readStored(reopened), before)
      assert.deepEqual(segmentBases(reopened), bases)
      assert.deepEqual(await store.clean(), { kind: 'idle' }, 'the first dirty offset survived')
      update(reopened, 300, 10, 2000)
      cleaned(await store.clean())
      assert.equal(latestByKey(storedRecords(reopened)).get('k5'), 'v2295')
    })
  })
}
