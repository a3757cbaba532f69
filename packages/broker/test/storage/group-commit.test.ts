import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { nodeFileSystem } from '../../src/storage/file-system.ts'
import { GroupCommit } from '../../src/storage/group-commit.ts'
import { logConfig } from '../../src/storage/log-config.ts'
import { openDiskLogStore } from '../../src/storage/log-store.ts'
import type { DiskPartitionLog } from '../../src/storage/partition-log.ts'
import { countingFileSystem } from './counting-file-system.ts'
import { makeBatch } from './make-batch.ts'
import { tempDir } from './temp-dir.ts'

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A sync whose runs finish when the test says so. */
function controlledSync() {
  const runs: { resolve: () => void; reject: (e: Error) => void }[] = []
  const sync = () =>
    new Promise<void>((resolve, reject) => {
      runs.push({ resolve, reject })
    })
  return { sync, runs }
}

describe('group commit', () => {
  it('does nothing when nothing was written', async () => {
    const { sync, runs } = controlledSync()
    const gc = new GroupCommit(sync)
    await gc.request()
    assert.equal(runs.length, 0)
  })

  it('serves many concurrent requests with one sync', async () => {
    const { sync, runs } = controlledSync()
    const gc = new GroupCommit(sync)
    gc.markDirty()
    const done: number[] = []
    const waiters = Array.from({ length: 20 }, (_, i) => gc.request().then(() => done.push(i)))
    await tick()
    assert.equal(runs.length, 1)
    assert.equal(done.length, 0)
    runs[0].resolve()
    await Promise.all(waiters)
    assert.equal(done.length, 20)
    assert.equal(runs.length, 1)
    await gc.request()
    assert.equal(runs.length, 1, 'already durable')
  })

  it('makes a request after a new write wait for a sync that started after it', async () => {
    const { sync, runs } = controlledSync()
    const gc = new GroupCommit(sync)
    gc.markDirty()
    const first = gc.request()
    await tick()
    gc.markDirty() // written while the first sync runs
    let secondDone = false
    const second = gc.request().then(() => {
      secondDone = true
    })
    const third = gc.request() // joins the second
    const sameAsFirst = gc.idle
    assert.equal(sameAsFirst, false)
    runs[0].resolve()
    await first
    await tick()
    assert.equal(secondDone, false, 'the first sync does not cover the later write')
    assert.equal(runs.length, 2, 'the next sync started as soon as the first ended')
    runs[1].resolve()
    await Promise.all([second, third])
    assert.equal(runs.length, 2)
  })

  it('never runs two syncs at once, even in the gap before a queued sync starts', async () => {
    let active = 0
    let maxActive = 0
    const { sync: inner, runs } = controlledSync()
    const gc = new GroupCommit(async () => {
      active++
      maxActive = Math.max(maxActive, active)
      try {
        await inner()
      } finally {
        active--
      }
    })
    gc.markDirty()
    const first = gc.request()
    await tick()
    gc.markDirty()
    const second = gc.request() // queued behind the first
    runs[0].resolve()
    await first // resumes after the first sync ended, before the queued one has started
    gc.markDirty()
    const third = gc.request() // must join the queued sync, which has not started yet
    await tick()
    assert.equal(runs.length, 2)
    assert.equal(maxActive, 1)
    runs[1].resolve()
    await Promise.all([second, third])
    assert.equal(gc.dirty, false, 'the queued sync covered the third write')
  })

  it('rejects the waiters of a failed sync and lets the next one try again', async () => {
    const { sync, runs } = controlledSync()
    const gc = new GroupCommit(sync)
    gc.markDirty()
    const failed = gc.request()
    await tick()
    runs[0].reject(new Error('EIO'))
    await assert.rejects(failed, /EIO/)
    assert.equal(gc.dirty, true)
    const retry = gc.request()
    await tick()
    runs[1].resolve()
    await retry
    assert.equal(gc.dirty, false)
  })

  describe('on a disk log', () => {
    async function setup() {
      const dir = tempDir()
      const counting = countingFileSystem(nodeFileSystem)
      const store = await openDiskLogStore({ dataDir: dir.path, fs: counting.fs })
      const log = await store.createPartition('t', 0, logConfig())
      counting.reset()
      return {
        log,
        counting,
        cleanup: async () => {
          counting.release()
          await store.close()
          dir.remove()
        },
      }
    }

    it('never fsyncs on the append path (acks=1)', async () => {
      const { log, counting, cleanup } = await setup()
      try {
        for (let i = 0; i < 200; i++) log.append(makeBatch({ id: i }))
        await tick()
        assert.equal(counting.counts.fsyncs, 0)
        assert.equal(counting.counts.syncDirs, 0)
      } finally {
        await cleanup()
      }
    })

    it('shares one fsync among concurrent flushes (acks=all)', async () => {
      const { log, counting, cleanup } = await setup()
      try {
        const flushes: Promise<void>[] = []
        for (let i = 0; i < 50; i++) {
          log.append(makeBatch({ id: i }))
          flushes.push(log.flush())
        }
        await Promise.all(flushes)
        assert.equal(counting.counts.fsyncs, 1)
      } finally {
        await cleanup()
      }
    })

    it('covers a write made while an fsync runs with the next fsync', async () => {
      const { log, counting, cleanup } = await setup()
      try {
        counting.hold()
        log.append(makeBatch({ id: 1 }))
        let firstDone = false
        const first = log.flush().then(() => {
          firstDone = true
        })
        await tick()
        assert.equal(counting.counts.fsyncs, 1)
        log.append(makeBatch({ id: 2 }))
        const writesAfterSecondAppend = counting.counts.writes
        let secondDone = false
        const second = log.flush().then(() => {
          secondDone = true
        })
        counting.release()
        await first
        assert.equal(firstDone, true)
        await second
        assert.equal(secondDone, true)
        assert.equal(counting.counts.fsyncs, 2)
        assert.ok(
          counting.counts.writesAtFsync[1] >= writesAfterSecondAppend,
          'the second fsync started after the write',
        )
      } finally {
        await cleanup()
      }
    })

    it('fsyncs the directory once after a roll, then only the log files', async () => {
      const { log, counting, cleanup } = await setup()
      try {
        log.updateConfig(logConfig({ segmentBytes: 300 }))
        for (let i = 0; i < 4; i++) log.append(makeBatch({ id: i }))
        await log.flush()
        assert.equal(counting.counts.syncDirs, 1, 'the new segment files are made durable')
        await (log as DiskPartitionLog).whenIdle() // the roll's background checkpoint write
        counting.reset()
        log.append(makeBatch({ id: 9 }))
        await log.flush()
        assert.equal(counting.counts.syncDirs, 0)
        assert.equal(counting.counts.fsyncs, 1)
      } finally {
        await cleanup()
      }
    })
  })
})
