// Crash injection: run a produce workload on a FaultyFileSystem that crashes at a chosen
// operation (tearing the write in progress), optionally model power loss, then reopen the data
// with the real file system and check what recovery kept:
//   - every batch whose append returned (process crash) or whose flush resolved (power loss);
//   - offsets contiguous from 0, each batch byte-for-byte one that was appended, in order, once;
//   - nothing after a torn batch (every batch present validates), indexes consistent;
//   - the log accepts appends afterwards and survives a clean restart unchanged.
// The `compaction` workload writes keyed records to a compacted log and runs the log cleaner
// alongside (each batch of its work interleaved with appends). Cleaning changes batches, so it is
// checked record by record instead: every record present is the one appended at its offset, in
// offset order, and for every key the latest record that must have survived (or a later one) is
// there, unless it was a tombstone; nothing older comes back.
import assert from 'node:assert/strict'
import { fstatSync, rmSync } from 'node:fs'
import { describe, it } from 'node:test'
import type { PartitionLog } from '../../src/storage/api.ts'
import { CrashError, FaultyFileSystem } from '../../src/storage/faulty-file-system.ts'
import { type FileSystem, nodeFileSystem } from '../../src/storage/file-system.ts'
import { CleanupPolicy, type LogConfig, logConfig } from '../../src/storage/log-config.ts'
import { type DiskLogStore, openDiskLogStore } from '../../src/storage/log-store.ts'
import type { DiskPartitionLog } from '../../src/storage/partition-log.ts'
import { type KeyedRecord, keyedBatch, storedRecords } from './keyed-batch.ts'
import { asStored, baseOffsetOf, batchId, lastOffsetOf, makeBatch } from './make-batch.ts'
import { seededRandom } from './random.ts'
import { tempDir } from './temp-dir.ts'

const T0 = 1_700_000_000_000
const APPENDS = 120
const config = logConfig({ segmentBytes: 4096, indexIntervalBytes: 512 })
const deletesConfig = logConfig({ segmentBytes: 4096, indexIntervalBytes: 512, retentionBytes: 12_000 })
const compactConfig = logConfig({
  cleanupPolicy: CleanupPolicy.compact,
  segmentBytes: 1500,
  indexIntervalBytes: 256,
  minCleanableDirtyRatio: 0.2,
  deleteRetentionMs: 0, // tombstones go at the second cleaning that sees them
})

interface Ledger {
  /** Input bytes of every append attempted, in order (ids are their positions). */
  attempted: Buffer[]
  /** Base offset of every append that returned `appended`, by id. */
  bases: number[]
  /** Log end offset after the last append that returned `appended`. */
  acknowledgedEnd: number
  /** Highest log end offset covered by a resolved flush. */
  durableEnd: number
  /** Highest logStartOffset a resolved deleteRecordsBefore reported. */
  durableLogStart: number
  /** Highest logStartOffset the log ever had in memory. */
  maxLogStart: number
  /**
   * Every segment base offset seen. A crash in the middle of retention can leave the first
   * segments deleted before logStartOffset moved in memory; recovery then starts the log at the
   * first remaining segment, which is one of these.
   */
  segmentBases: Set<number>
  /** The compaction workload: the record of each offset an append was attempted at. */
  records: Map<number, KeyedRecord>
  /** Cleanings that completed (the compaction workload). */
  cleanings: number
}

const newLedger = (): Ledger => ({
  attempted: [],
  bases: [],
  acknowledgedEnd: 0,
  durableEnd: 0,
  durableLogStart: 0,
  maxLogStart: 0,
  segmentBases: new Set([0]),
  records: new Map(),
  cleanings: 0,
})

/**
 * `deletes` adds DeleteRecords and size-based retention to the appends; `compaction` appends keyed
 * records to a compacted log while the cleaner runs.
 */
type Workload = 'appends' | 'deletes' | 'compaction'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

// The real file system without the waits on the device: the FaultyFileSystem models what an fsync
// makes durable, and a fixed completion order (one event-loop turn) makes every run replayable:
// the same seed performs the same operations in the same order.
const instantSyncFs: FileSystem = {
  ...nodeFileSystem,
  fsync: (fd) => {
    fstatSync(fd) // still a bug to fsync a closed descriptor
    return tick()
  },
  syncDir: () => tick(),
  removeTree: async (path) => {
    rmSync(path, { recursive: true, force: true })
    await tick()
  },
}

/**
 * Runs a workload's `body` until it ends or the file system crashes (a crash ends it quietly),
 * then lets the background work it started (`pending`) settle.
 */
async function untilCrash(
  fs: FaultyFileSystem,
  pending: Promise<unknown>[],
  body: () => Promise<void>,
): Promise<void> {
  try {
    await body()
  } catch (error) {
    if (!(error instanceof CrashError) && !fs.crashed) throw error
  }
  await Promise.all(pending)
  for (let i = 0; i < 5; i++) await tick()
}

/** Flushes `log` in the background; once the flush resolves, what it covered is durable. */
function flushInBackground(log: PartitionLog, ledger: Ledger, pending: Promise<unknown>[]): void {
  const covers = log.logEndOffset
  pending.push(
    log.flush().then(
      () => {
        ledger.durableEnd = Math.max(ledger.durableEnd, covers)
      },
      () => {},
    ),
  )
}

/** The workload; returns normally whether or not the file system crashed. */
async function workload(
  fs: FaultyFileSystem,
  dataDir: string,
  seed: number,
  kind: Workload,
  ledger: Ledger,
): Promise<void> {
  if (kind === 'compaction') return compactionWorkload(fs, dataDir, seed, ledger)
  const rng = seededRandom(seed)
  const pending: Promise<unknown>[] = []
  await untilCrash(fs, pending, async () => {
    const store = await openDiskLogStore({ dataDir, fs, clock: () => T0 })
    const log = await store.createPartition('t', 0, kind === 'deletes' ? deletesConfig : config)
    for (let i = 0; i < APPENDS && !fs.crashed; i++) {
      const batch = makeBatch({
        id: i,
        records: 1 + Math.floor(rng() * 3),
        size: 65 + Math.floor(rng() * 600),
        maxTimestamp: T0 + i,
      })
      ledger.attempted.push(Buffer.from(batch))
      const r = log.append(batch)
      if (r.kind !== 'appended') break
      ledger.acknowledgedEnd = r.lastOffset + 1
      ledger.bases[i] = r.baseOffset
      for (const base of (log as DiskPartitionLog).segmentBaseOffsets()) ledger.segmentBases.add(base)
      if (kind === 'deletes' && rng() < 0.08) {
        const target = Math.floor(rng() * (log.logEndOffset + 1))
        pending.push(
          log.deleteRecordsBefore(target).then((d) => {
            if (d.kind === 'ok') ledger.durableLogStart = Math.max(ledger.durableLogStart, d.lowWatermark)
          }),
        )
      }
      if (kind === 'deletes' && rng() < 0.05) log.enforceRetention(T0)
      ledger.maxLogStart = Math.max(ledger.maxLogStart, log.logStartOffset)
      for (const base of (log as DiskPartitionLog).segmentBaseOffsets()) ledger.segmentBases.add(base)
      if (rng() < 0.3) flushInBackground(log, ledger, pending)
      if (rng() < 0.15) await tick() // let fsyncs and background work interleave with appends
    }
    if (!fs.crashed) await store.close()
  })
}

async function compactionWorkload(
  fs: FaultyFileSystem,
  dataDir: string,
  seed: number,
  ledger: Ledger,
): Promise<void> {
  const rng = seededRandom(seed)
  const pending: Promise<unknown>[] = []
  await untilCrash(fs, pending, async () => {
    // sliceMs 0: the cleaner yields after every batch, so appends land between any two of its steps.
    const store = await openDiskLogStore({ dataDir, fs, clock: () => T0, cleaner: { sliceMs: 0 } })
    const log = await store.createPartition('t', 0, compactConfig)
    for (let i = 0; i < APPENDS && !fs.crashed; i++) {
      const records: KeyedRecord[] = Array.from({ length: 1 + Math.floor(rng() * 3) }, (_, k) => ({
        key: `k${Math.floor(rng() * 12)}`,
        value: rng() < 0.1 ? null : `v${i}.${k}`,
      }))
      // Recorded before the append: one that fails after its bytes reached the file may survive.
      const base = log.logEndOffset
      for (const [k, record] of records.entries()) ledger.records.set(base + k, record)
      const r = log.append(keyedBatch(records, {}, T0 + i))
      if (r.kind !== 'appended') break
      ledger.acknowledgedEnd = r.lastOffset + 1
      if (rng() < 0.1) {
        pending.push(
          store.clean().then(
            (c) => {
              if (c.kind === 'cleaned') ledger.cleanings++
            },
            () => {},
          ),
        )
      }
      if (rng() < 0.3) flushInBackground(log, ledger, pending)
      if (rng() < 0.3) await tick()
    }
    await Promise.all(pending)
    if (!fs.crashed) await store.close()
  })
}

/** A partition reopened after the crash, with `open` for the clean restarts that follow. */
interface Recovered {
  open: () => Promise<DiskLogStore>
  store: DiskLogStore
  log: PartitionLog
  /** The log end offset recovery had to reach. */
  mustHave: number
}

/**
 * Reopens the crashed data on the real file system and checks that recovery reached every offset
 * it had to keep (`mustHave`): those acknowledged, or after power loss those a flush covered.
 * Undefined, with the store closed, when recovery found no partition, which is right only if
 * there was nothing to keep.
 */
async function reopenAfterCrash(
  dataDir: string,
  partitionConfig: LogConfig,
  ledger: Ledger,
  powerLoss: boolean,
  label: string,
): Promise<Recovered | undefined> {
  const open = () =>
    openDiskLogStore({ dataDir, fs: instantSyncFs, clock: () => T0, configFor: () => partitionConfig })
  const store = await open()
  const log = store.getPartition('t', 0)
  const mustHave = powerLoss ? ledger.durableEnd : ledger.acknowledgedEnd
  if (log === undefined) {
    assert.equal(mustHave, 0, `${label}: partition lost but offsets below ${mustHave} were acknowledged`)
    await store.close()
    return undefined
  }
  assert.ok(log.logEndOffset >= mustHave, `${label}: log end ${log.logEndOffset} < acknowledged ${mustHave}`)
  return { open, store, log, mustHave }
}

async function checkCompactionRecovery(recovered: Recovered, ledger: Ledger, label: string): Promise<void> {
  const { open, store, log, mustHave } = recovered
  const records = storedRecords(log)
  let previous = -1
  const present = new Map<string | null, number>()
  for (const r of records) {
    assert.ok(r.offset > previous, `${label}: offset ${r.offset} after ${previous}`)
    previous = r.offset
    const appended = ledger.records.get(r.offset)
    assert.deepEqual({ key: r.key, value: r.value }, appended, `${label}: record at ${r.offset}`)
    present.set(r.key, r.offset)
  }
  const latest = new Map<string | null, number>()
  for (const [offset, record] of ledger.records) if (offset < mustHave) latest.set(record.key, offset)
  for (const [key, offset] of latest) {
    const kept = present.get(key)
    if (kept === undefined) {
      assert.equal(ledger.records.get(offset)!.value, null, `${label}: key ${key} lost (latest at ${offset})`)
    } else {
      assert.ok(kept >= offset, `${label}: key ${key} went back to offset ${kept} from ${offset}`)
    }
  }
  // Still a working log: appends, a cleaning, a clean restart.
  const end = log.logEndOffset
  assert.equal(log.append(keyedBatch([{ key: 'k0', value: 'after' }], {}, T0)).kind, 'appended', label)
  assert.notEqual((await store.clean()).kind, 'aborted', `${label}: cleaning after recovery`)
  const held = storedRecords(log)
  await store.close()
  const again = await open()
  const reopened = again.getPartition('t', 0)!
  assert.ok(again.wasCleanShutdown)
  assert.deepEqual(storedRecords(reopened), held, `${label}: clean restart`)
  assert.equal(reopened.logEndOffset, end + 1)
  await again.close()
}

function readEverything(log: PartitionLog): Buffer[] {
  const out: Buffer[] = []
  let offset = log.logStartOffset
  while (offset < log.logEndOffset) {
    const r = log.read(offset, 1 << 20, { minOneBatch: true })
    assert.equal(r.kind, 'ok')
    if (r.kind !== 'ok') break
    assert.ok(r.batches.length > 0)
    out.push(...r.batches)
    offset = lastOffsetOf(r.batches[r.batches.length - 1]) + 1
  }
  return out
}

async function checkRecovery(recovered: Recovered, ledger: Ledger, label: string): Promise<void> {
  const { open, store, log } = recovered
  assert.ok(
    log.logStartOffset >= ledger.durableLogStart,
    `${label}: logStartOffset ${log.logStartOffset} went back below a DeleteRecords to ${ledger.durableLogStart} (end ${log.logEndOffset}, ${JSON.stringify((log as unknown as { segmentBaseOffsets(): number[] }).segmentBaseOffsets())})`,
  )
  assert.ok(
    log.logStartOffset <= ledger.maxLogStart || ledger.segmentBases.has(log.logStartOffset),
    `${label}: logStartOffset ${log.logStartOffset} was never set`,
  )
  const batches = readEverything(log)
  // Batch ids are append positions: the first batch read tells where in the ledger we start.
  const firstId = batches.length > 0 ? batchId(batches[0]) : 0
  let expected = batches.length > 0 ? (ledger.bases[firstId] ?? ledger.acknowledgedEnd) : log.logEndOffset
  batches.forEach((batch, k) => {
    const id = firstId + k
    assert.ok(id < ledger.attempted.length, `${label}: more batches than appends`)
    assert.deepEqual(
      batch,
      asStored(ledger.attempted[id], expected),
      `${label}: batch ${id} at offset ${expected}`,
    )
    expected = lastOffsetOf(batch) + 1
  })
  assert.equal(expected, log.logEndOffset, `${label}: batches end at the log end offset`)

  // Indexes: every offset finds its batch; every timestamp finds the first batch reaching it.
  for (const batch of batches) {
    const first = Math.max(baseOffsetOf(batch), log.logStartOffset)
    for (const offset of [first, lastOffsetOf(batch)]) {
      const r = log.read(offset, 1, { minOneBatch: true })
      assert.ok(r.kind === 'ok' && r.batches[0].equals(batch), `${label}: read(${offset})`)
    }
    const t = log.offsetForTimestamp(T0 + batchId(batch))
    assert.ok(t.kind === 'found' && t.baseOffset === baseOffsetOf(batch), `${label}: offsetForTimestamp`)
  }

  // Usable afterwards, and a clean restart changes nothing.
  const extra = makeBatch({ id: 9999, maxTimestamp: T0 + 9999 })
  const r = log.append(Buffer.from(extra))
  assert.ok(
    r.kind === 'appended' && r.baseOffset === expected,
    `${label}: append after recovery: ${JSON.stringify(r)} ${String((r as { error?: Error }).error?.cause)}`,
  )
  await log.flush()
  const before = readEverything(log)
  await store.close()
  const again = await open()
  const log2 = again.getPartition('t', 0)
  assert.ok(log2 !== undefined && again.wasCleanShutdown)
  assert.deepEqual(readEverything(log2), before, `${label}: clean restart`)
  await again.close()
}

async function countOperations(seed: number, kind: Workload): Promise<number> {
  const dir = tempDir({ memoryBacked: true })
  try {
    const fs = new FaultyFileSystem(instantSyncFs)
    const ledger = newLedger()
    await workload(fs, dir.path, seed, kind, ledger)
    assert.equal(fs.crashed, false)
    if (kind === 'compaction') assert.ok(ledger.cleanings >= 2, `only ${ledger.cleanings} cleanings ran`)
    return fs.operations
  } finally {
    dir.remove()
  }
}

async function crashRun(seed: number, kind: Workload, crashAt: number, powerLoss: boolean): Promise<void> {
  const dir = tempDir({ memoryBacked: true })
  const label = `${kind}, seed ${seed}, crash at op ${crashAt}${powerLoss ? ', power loss' : ''}`
  try {
    const fs = new FaultyFileSystem(instantSyncFs, {
      crashAtOperation: crashAt,
      random: seededRandom(seed * 7919 + crashAt),
    })
    const ledger = newLedger()
    await workload(fs, dir.path, seed, kind, ledger)
    assert.ok(fs.crashed, `${label}: the crash point was never reached`)
    if (powerLoss) await fs.simulatePowerLoss()
    fs.releaseDescriptors()
    const partitionConfig = kind === 'compaction' ? compactConfig : config
    const recovered = await reopenAfterCrash(dir.path, partitionConfig, ledger, powerLoss, label)
    if (recovered === undefined) return
    if (kind === 'compaction') await checkCompactionRecovery(recovered, ledger, label)
    else await checkRecovery(recovered, ledger, label)
  } finally {
    dir.remove()
  }
}

describe('crash injection', () => {
  // RUNNEL_STORAGE_CRASH_SEEDS=n soaks with n seeds (default 3; 30 crash points per seed and test).
  const seedCount = Number(process.env.RUNNEL_STORAGE_CRASH_SEEDS ?? 3)
  const seeds = Array.from({ length: seedCount }, (_, i) => 11 + 12 * i)
  const POINTS = 30
  for (const kind of ['appends', 'deletes', 'compaction'] as const) {
    for (const powerLoss of [false, true]) {
      it(`${kind}: recovers from ${powerLoss ? 'power loss' : 'a process crash'} at random operations`, async () => {
        let runs = 0
        for (const seed of seeds) {
          const total = await countOperations(seed, kind)
          assert.ok(total > 100, `workload too small: ${total} operations`)
          const rng = seededRandom(seed + (powerLoss ? 1000 : 0))
          const points = new Set<number>([1, 2, 3, total])
          while (points.size < POINTS) points.add(1 + Math.floor(rng() * total))
          for (const crashAt of points) {
            await crashRun(seed, kind, crashAt, powerLoss)
            runs++
          }
        }
        assert.equal(runs, seeds.length * POINTS)
      })
    }
  }
})
