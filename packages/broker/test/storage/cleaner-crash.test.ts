// Failures inside one log cleaning. Mainly crashes: the process dies (and, in one variant, the
// power fails) at an operation of the cleaning, picked across all of them; the data is reopened
// with the real file system. Every range of offsets that one cleaned segment replaces must hold
// exactly the old batches or exactly the new ones (byte for byte, never a mix, nothing lost), the
// active segment must be untouched, and the log must keep working: appends, a clean restart,
// another cleaning. Also: an I/O error that is not a crash, and a recovery that scans everything.
import assert from 'node:assert/strict'
import { cpSync, fstatSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import type { LogStore, PartitionLog } from '../../src/storage/api.ts'
import { CrashError, FaultyFileSystem } from '../../src/storage/faulty-file-system.ts'
import { CHECKPOINT_FILE, CLEAN_SHUTDOWN_FILE, SegmentFile } from '../../src/storage/file-names.ts'
import { type FileSystem, nodeFileSystem } from '../../src/storage/file-system.ts'
import { CleanupPolicy, logConfig } from '../../src/storage/log-config.ts'
import { openDiskLogStore } from '../../src/storage/log-store.ts'
import type { DiskPartitionLog } from '../../src/storage/partition-log.ts'
import { keyedBatch, latestByKey, readStored, type StoredBatch, storedRecords } from './keyed-batch.ts'
import { seededRandom } from './random.ts'
import { tempDir } from './temp-dir.ts'

const T0 = 1_700_000_000_000
const HOUR = 3_600_000
const config = logConfig({
  cleanupPolicy: CleanupPolicy.compact,
  segmentBytes: 1200,
  indexIntervalBytes: 200,
  deleteRetentionMs: HOUR,
})

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

// As in crash-injection.test.ts: the device waits are modelled by the FaultyFileSystem, and a
// fixed completion order keeps every run replayable.
const instantSyncFs: FileSystem = {
  ...nodeFileSystem,
  fsync: (fd) => {
    fstatSync(fd)
    return tick()
  },
  syncDir: () => tick(),
  removeTree: async (path) => {
    rmSync(path, { recursive: true, force: true })
    await tick()
  },
}

const open = (dataDir: string, fs: FileSystem): Promise<LogStore> =>
  openDiskLogStore({ dataDir, fs, clock: () => T0, configFor: () => config, cleaner: { sliceMs: 0 } })

/**
 * A compacted log, closed cleanly: 20 hot keys updated over and over (a few tombstones among
 * them), and in every fourth batch a key written once. It was cleaned once, so its first segments
 * are small and the next cleaning merges several into one; then more updates filled new segments.
 * The active segment updates the keys of the last sealed batch, which cleaning then empties.
 */
async function populate(dataDir: string): Promise<void> {
  const store = await open(dataDir, instantSyncFs)
  const log = await store.createPartition('t', 0, config)
  const hot = (n: number) => ({ key: `k${(n * 7) % 20}`, value: n % 23 === 0 ? null : `v${n}` })
  let n = 0
  for (let i = 0; i < 190; i++) {
    const second = i % 4 === 0 ? { key: `once-${i}`, value: `w${i}` } : hot(n++)
    assert.equal(log.append(keyedBatch([hot(n++), second], {}, T0 + i)).kind, 'appended')
    if (i === 130) assert.equal((await store.clean()).kind, 'cleaned')
  }
  const activeBase = bases(log).at(-1)!
  const last = readStored(log).find((b) => b.lastOffset === activeBase - 1)!
  log.append(
    keyedBatch(
      last.records.map((r) => ({ key: r.key, value: 'newest' })),
      {},
      T0 + 999,
    ),
  )
  await store.close()
}

const bases = (log: PartitionLog): number[] => (log as DiskPartitionLog).segmentBaseOffsets()

/** The batches of `batches` whose offsets lie in [from, to). */
const within = (batches: readonly StoredBatch[], from: number, to: number): Buffer[] =>
  batches.filter((b) => b.baseOffset >= from && b.lastOffset < to).map((b) => b.bytes)

describe('failures during a log cleaning', () => {
  it('a full disk writing a cleaned segment leaves the log online and as it was; the next round, with room, cleans', async () => {
    const dir = tempDir({ memoryBacked: true })
    try {
      await populate(dir.path)
      // Writes to the cleaner's output fail (a full disk); everything else works.
      const cleanedFds = new Set<number>()
      let diskFull = true
      const fullDisk: FileSystem = {
        ...instantSyncFs,
        open: (path, flags) => {
          const fd = instantSyncFs.open(path, flags)
          if (path.endsWith(SegmentFile.cleaned)) cleanedFds.add(fd)
          return fd
        },
        write: (fd, data, position) => {
          if (diskFull && cleanedFds.has(fd))
            throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
          instantSyncFs.write(fd, data, position)
        },
      }
      const store = await open(dir.path, fullDisk)
      const log = store.getPartition('t', 0)!
      const before = readStored(log)
      const r = await store.clean()
      assert.equal(r.kind, 'aborted')
      assert.match(r.kind === 'aborted' ? r.reason : '', /ENOSPC/)
      assert.equal(store.stats().uncleanablePartitions, 0, "a full disk is not the log's fault")
      assert.equal((log as DiskPartitionLog).isOnline, true)
      assert.deepEqual(readStored(log), before)
      assert.deepEqual(
        readdirSync(join(dir.path, 't-0')).filter((name) => name.endsWith(SegmentFile.cleaned)),
        [],
        'the partial output is removed',
      )
      assert.equal((await store.clean()).kind, 'aborted', 'tried again while the disk is still full')
      diskFull = false
      assert.equal((await store.clean()).kind, 'cleaned', 'cleaned once there is room')
      assert.equal(log.append(keyedBatch([{ key: 'k1', value: 'still online' }])).kind, 'appended')
      await store.close()
    } finally {
      dir.remove()
    }
  })

  it('cleaned segments survive a full recovery scan (each ends where the next starts)', async () => {
    const dir = tempDir({ memoryBacked: true })
    try {
      await populate(dir.path)
      let store = await open(dir.path, instantSyncFs)
      assert.equal((await store.clean()).kind, 'cleaned')
      const cleaned = readStored(store.getPartition('t', 0)!)
      await store.close()
      // No checkpoint and no clean-shutdown marker: recovery scans every segment from offset 0,
      // holding each to start where the previous one ended.
      rmSync(join(dir.path, 't-0', CHECKPOINT_FILE))
      rmSync(join(dir.path, CLEAN_SHUTDOWN_FILE))
      store = await open(dir.path, instantSyncFs)
      const log = store.getPartition('t', 0) as DiskPartitionLog
      assert.equal(log.openReport.truncatedBytes, 0)
      assert.deepEqual(readStored(log), cleaned)
      await store.close()
    } finally {
      dir.remove()
    }
  })

  const seedCount = Number(process.env.RUNNEL_STORAGE_CRASH_SEEDS ?? 1)

  it('a crash at any step of a cleaning recovers the old or the cleaned segments, range by range', async () => {
    const source = tempDir({ memoryBacked: true })
    try {
      await populate(source.path)
      // The reference: what the log holds before and after an uninterrupted cleaning, and how
      // many file-system operations the cleaning takes.
      const reference = tempDir({ memoryBacked: true })
      let before: StoredBatch[]
      let after: StoredBatch[]
      let newBases: number[]
      let firstOp: number
      let lastOp: number
      try {
        cpSync(source.path, reference.path, { recursive: true })
        const fs = new FaultyFileSystem(instantSyncFs)
        const store = await open(reference.path, fs)
        const log = store.getPartition('t', 0)!
        before = readStored(log)
        firstOp = fs.operations + 1
        const r = await store.clean()
        assert.equal(r.kind, 'cleaned')
        await (log as DiskPartitionLog).whenIdle()
        lastOp = fs.operations
        after = readStored(log)
        newBases = bases(log)
        await store.close()
      } finally {
        reference.remove()
      }
      const activeBase = newBases.at(-1)!
      const ranges = newBases.map((b, i) => [b, newBases[i + 1] ?? Number.MAX_SAFE_INTEGER] as const)
      assert.ok(lastOp - firstOp > 40, `a cleaning of ${lastOp - firstOp} operations is too small a test`)

      let runs = 0
      for (let seed = 0; seed < seedCount; seed++) {
        for (const powerLoss of [false, true]) {
          const rng = seededRandom(1234 + seed * 17 + (powerLoss ? 1 : 0))
          const points = new Set<number>([firstOp, firstOp + 1, lastOp])
          while (points.size < Math.min(36, lastOp - firstOp + 1))
            points.add(firstOp + Math.floor(rng() * (lastOp - firstOp + 1)))
          for (const crashAt of points) {
            const label = `crash at op ${crashAt} of ${firstOp}-${lastOp}${powerLoss ? ', power loss' : ''}`
            const dir = tempDir({ memoryBacked: true })
            try {
              cpSync(source.path, dir.path, { recursive: true })
              const fs = new FaultyFileSystem(instantSyncFs, {
                crashAtOperation: crashAt,
                random: seededRandom(crashAt * 31 + seed),
              })
              try {
                const store = await open(dir.path, fs)
                await store.clean()
                for (let i = 0; i < 10 && !fs.crashed; i++) await tick()
              } catch (error) {
                if (!(error instanceof CrashError) && !fs.crashed) throw error
              }
              assert.ok(fs.crashed, `${label}: never reached`)
              if (powerLoss) await fs.simulatePowerLoss()
              fs.releaseDescriptors()

              const store = await open(dir.path, instantSyncFs)
              const log = store.getPartition('t', 0)!
              const recovered = readStored(log)
              for (const [from, to] of ranges) {
                const got = within(recovered, from, to)
                const old = within(before, from, to)
                const cleaned = within(after, from, to)
                assert.ok(
                  (got.length === old.length && got.every((b, k) => b.equals(old[k]))) ||
                    (got.length === cleaned.length && got.every((b, k) => b.equals(cleaned[k]))),
                  `${label}: offsets ${from}-${to} hold neither the old nor the cleaned batches`,
                )
              }
              assert.equal(
                recovered.reduce((n, b) => n + b.bytes.length, 0),
                log.sizeInBytes,
                `${label}: nothing but those batches`,
              )
              assert.deepEqual(latestByKey(storedRecords(log)), latestByKey(before.flatMap((b) => b.records)))
              // Still a working log: appends, another cleaning, a clean restart.
              const next = log.logEndOffset
              assert.equal(
                log.append(keyedBatch([{ key: 'k1', value: 'after' }], {}, T0 + 999)).kind,
                'appended',
              )
              assert.notEqual((await store.clean()).kind, 'aborted', `${label}: cleaning after recovery`)
              const held = readStored(log)
              await store.close()
              const again = await open(dir.path, instantSyncFs)
              const reopened = again.getPartition('t', 0)!
              assert.deepEqual(readStored(reopened), held, `${label}: clean restart`)
              assert.equal(latestByKey(storedRecords(reopened)).get('k1'), 'after')
              assert.ok(reopened.logEndOffset === next + 1 && bases(reopened).at(-1)! >= activeBase)
              await again.close()
              runs++
            } finally {
              dir.remove()
            }
          }
        }
      }
      assert.ok(runs >= 2 * Math.min(36, lastOp - firstOp + 1) * seedCount)
    } finally {
      source.remove()
    }
  })
})
