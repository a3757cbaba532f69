// Recovery on open: torn and invalid tails are cut at the last valid batch, indexes that are
// missing or inconsistent are rebuilt byte-for-byte, leftovers of interrupted work are removed.
import assert from 'node:assert/strict'
import {
  appendFileSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, it } from 'node:test'
import type { PartitionLog } from '../../src/storage/api.ts'
import { CHECKPOINT_FILE, CLEAN_SHUTDOWN_FILE, segmentFileName } from '../../src/storage/file-names.ts'
import { type LogConfig, logConfig } from '../../src/storage/log-config.ts'
import { type DiskLogStore, openDiskLogStore } from '../../src/storage/log-store.ts'
import type { DiskPartitionLog } from '../../src/storage/partition-log.ts'
import { asStored, batchId, lastOffsetOf, makeBatch } from './make-batch.ts'
import { tempDir } from './temp-dir.ts'

const T0 = 1_700_000_000_000
// 10 batches of 100 bytes per segment, an index entry every other batch.
const config: LogConfig = logConfig({ segmentBytes: 1000, indexIntervalBytes: 150 })

function readAll(log: PartitionLog): Buffer[] {
  const out: Buffer[] = []
  let offset = log.logStartOffset
  while (offset < log.logEndOffset) {
    const r = log.read(offset, 1 << 20, { minOneBatch: true })
    assert.equal(r.kind, 'ok')
    if (r.kind !== 'ok') break
    out.push(...r.batches)
    offset = lastOffsetOf(r.batches[r.batches.length - 1]) + 1
  }
  return out
}

describe('recovery', () => {
  let dir: ReturnType<typeof tempDir>
  let store: DiskLogStore | undefined
  const partDir = () => join(dir.path, 't-0')
  const file = (base: number, suffix: string) => join(partDir(), segmentFileName(base, suffix))
  const originals: Buffer[] = []

  /** 25 batches (ids 0-24), two records each: segments at 0, 20, 40; closed cleanly. */
  async function populate(): Promise<void> {
    const s = await openDiskLogStore({ dataDir: dir.path, clock: () => T0 })
    const log = await s.createPartition('t', 0, config)
    originals.length = 0
    for (let i = 0; i < 25; i++) {
      const b = makeBatch({ id: i, records: 2, maxTimestamp: T0 + ((i * 7) % 13) })
      originals.push(Buffer.from(b))
      assert.equal(log.append(b).kind, 'appended')
    }
    assert.deepEqual((log as DiskPartitionLog).segmentBaseOffsets(), [0, 20, 40])
    await s.close()
  }

  async function open(): Promise<DiskPartitionLog> {
    store = await openDiskLogStore({ dataDir: dir.path, clock: () => T0, configFor: () => config })
    const log = store.getPartition('t', 0)
    assert.ok(log !== undefined)
    return log
  }

  const unclean = () => unlinkSync(join(dir.path, CLEAN_SHUTDOWN_FILE))

  beforeEach(async () => {
    dir = tempDir()
    store = undefined
    await populate()
  })
  afterEach(async () => {
    await store?.close()
    dir.remove()
  })

  it('opens a cleanly closed log without repairs', async () => {
    const log = await open()
    assert.equal(store?.wasCleanShutdown, true)
    assert.deepEqual(log.openReport, { truncatedBytes: 0, rebuiltSegments: 0 })
    assert.equal(existsSync(join(dir.path, CLEAN_SHUTDOWN_FILE)), false, 'the marker goes at open')
    assert.equal(log.logEndOffset, 50)
    assert.deepEqual(
      readAll(log),
      originals.map((b, i) => asStored(b, 2 * i)),
    )
  })

  it('cuts a torn batch at the end of the active segment', async () => {
    const partial = asStored(makeBatch({ id: 99, size: 300 }), 50).subarray(0, 170)
    appendFileSync(file(40, '.log'), partial)
    unclean()
    const log = await open()
    assert.equal(store?.wasCleanShutdown, false)
    assert.equal(log.openReport.truncatedBytes, 170)
    assert.equal(statSync(file(40, '.log')).size, 500)
    assert.equal(log.logEndOffset, 50)
    assert.deepEqual(
      readAll(log),
      originals.map((b, i) => asStored(b, 2 * i)),
    )
    const r = log.append(makeBatch({ id: 100 }))
    assert.ok(r.kind === 'appended' && r.baseOffset === 50)
  })

  it('cuts at the first batch whose CRC does not match, and everything after it', async () => {
    const bytes = readFileSync(file(40, '.log'))
    bytes[2 * 100 + 80] ^= 0xff // a record byte of the third batch in the segment (offsets 44-45)
    writeFileSync(file(40, '.log'), bytes)
    unclean()
    const log = await open()
    assert.equal(log.logEndOffset, 44)
    assert.equal(log.openReport.truncatedBytes, 300)
    assert.deepEqual(readAll(log).map(batchId), [...Array(22).keys()])
  })

  it('cuts zeros left by a power loss', async () => {
    appendFileSync(file(40, '.log'), Buffer.alloc(700))
    unclean()
    const log = await open()
    assert.equal(log.openReport.truncatedBytes, 700)
    assert.equal(log.logEndOffset, 50)
  })

  it('checks the tail past the last index entry even after a clean shutdown', async () => {
    appendFileSync(file(40, '.log'), Buffer.from('garbage that is not a batch'))
    const log = await open()
    assert.equal(store?.wasCleanShutdown, true)
    assert.equal(log.openReport.truncatedBytes, 27)
    assert.equal(log.logEndOffset, 50)
  })

  it('without a checkpoint, recovers every segment: a bad batch in an old one drops the later segments', async () => {
    const bytes = readFileSync(file(20, '.log'))
    bytes[5 * 100 + 70] ^= 0x01 // batch id 15, offsets 30-31
    writeFileSync(file(20, '.log'), bytes)
    unlinkSync(join(partDir(), CHECKPOINT_FILE))
    unclean()
    const log = await open()
    assert.equal(log.logEndOffset, 30)
    assert.deepEqual(log.segmentBaseOffsets(), [0, 20])
    assert.equal(existsSync(file(40, '.log')), false)
    assert.equal(existsSync(file(40, '.index')), false)
    assert.deepEqual(readAll(log).map(batchId), [...Array(15).keys()])
    const r = log.append(makeBatch({ id: 100 }))
    assert.ok(r.kind === 'appended' && r.baseOffset === 30)
  })

  it('trusts sealed segments below the recovery point after an unclean shutdown', async () => {
    // Damage a record in segment 0 (below the recovery point): not scanned, so it stays.
    const bytes = readFileSync(file(0, '.log'))
    bytes[70] ^= 0x01
    writeFileSync(file(0, '.log'), bytes)
    unclean()
    const log = await open()
    assert.equal(log.logEndOffset, 50)
    assert.deepEqual(
      log.openReport,
      { truncatedBytes: 0, rebuiltSegments: 1 },
      'only the active segment is rebuilt',
    )
  })

  for (const shutdown of ['clean', 'unclean'] as const) {
    it(`rebuilds deleted index files byte-for-byte (${shutdown} shutdown)`, async () => {
      const before = [0, 20, 40].map((b) => [
        readFileSync(file(b, '.index')),
        readFileSync(file(b, '.timeindex')),
      ])
      assert.ok(before.every(([index]) => index.length > 0))
      for (const b of [0, 20, 40]) {
        unlinkSync(file(b, '.index'))
        unlinkSync(file(b, '.timeindex'))
      }
      if (shutdown === 'unclean') unclean()
      const log = await open()
      assert.equal(log.openReport.rebuiltSegments, 3)
      await store?.close()
      store = undefined
      const after = [0, 20, 40].map((b) => [
        readFileSync(file(b, '.index')),
        readFileSync(file(b, '.timeindex')),
      ])
      assert.deepEqual(after, before)
      const again = await open()
      assert.deepEqual(
        readAll(again),
        originals.map((b, i) => asStored(b, 2 * i)),
      )
      for (let ts = T0 - 1; ts <= T0 + 13; ts++) {
        const expected = originals.findIndex((_, i) => T0 + ((i * 7) % 13) >= ts)
        const r = again.offsetForTimestamp(ts)
        assert.equal(r.kind === 'found' ? r.baseOffset : -1, expected < 0 ? -1 : expected * 2, `ts ${ts}`)
      }
    })
  }

  it('rebuilds an index that fails its sanity check', async () => {
    const good = readFileSync(file(20, '.index'))
    const goodTime = readFileSync(file(20, '.timeindex'))
    writeFileSync(file(20, '.index'), Buffer.concat([good, Buffer.from([1, 2, 3])])) // not whole entries
    const wrong = Buffer.from(good)
    wrong.writeInt32BE(wrong.readInt32BE(wrong.length - 4) + 100, wrong.length - 4) // last entry: wrong position
    writeFileSync(file(40, '.index'), wrong.length > 0 ? wrong : Buffer.alloc(0))
    truncateSync(file(0, '.timeindex'), 5)
    const log = await open()
    assert.equal(log.openReport.rebuiltSegments, 3)
    await store?.close()
    store = undefined
    assert.deepEqual(readFileSync(file(20, '.index')), good)
    assert.deepEqual(readFileSync(file(20, '.timeindex')), goodTime)
    const again = await open()
    assert.equal(again.logEndOffset, 50)
    for (let offset = 0; offset < 50; offset++) {
      const r = again.read(offset, 1, { minOneBatch: true })
      assert.ok(r.kind === 'ok' && batchId(r.batches[0]) === Math.floor(offset / 2), `read(${offset})`)
    }
  })

  it('removes leftovers: temp files, orphan indexes, segments below the checkpointed logStartOffset', async () => {
    // A DeleteRecords whose file removal a crash interrupted: the checkpoint moved, the files stayed.
    const saved = join(dir.path, 'saved')
    cpSync(partDir(), saved, { recursive: true })
    const log = await open()
    assert.deepEqual(await log.deleteRecordsBefore(42), { kind: 'ok', lowWatermark: 42 })
    await store?.close()
    store = undefined
    for (const name of readdirSync(saved)) {
      if (name.endsWith('.log') || name.endsWith('.index') || name.endsWith('.timeindex')) {
        if (!existsSync(join(partDir(), name))) cpSync(join(saved, name), join(partDir(), name))
      }
    }
    rmSync(saved, { recursive: true })
    writeFileSync(join(partDir(), `${CHECKPOINT_FILE}.tmp`), 'half-written')
    writeFileSync(file(60, '.index'), Buffer.alloc(8))
    unclean()
    const reopened = await open()
    assert.equal(reopened.logStartOffset, 42)
    assert.deepEqual(reopened.segmentBaseOffsets(), [40])
    assert.deepEqual(
      readdirSync(partDir()).sort(),
      [
        CHECKPOINT_FILE,
        segmentFileName(40, '.index'),
        segmentFileName(40, '.log'),
        segmentFileName(40, '.timeindex'),
      ].sort(),
    )
  })
})
