// What each kind of failure does to a disk partition log (storage/errors.ts): a full disk or an
// exhausted descriptor table fails the one operation, undone, and the log serves on; any other
// I/O failure (EIO, a short read, a failed fsync) takes the log offline with its reason; corrupt
// bytes fail the request that met them (CORRUPT_MESSAGE); a defect fails its request, is logged
// with its stack, and the log serves on.
import assert from 'node:assert/strict'
import { closeSync, openSync, readdirSync, statSync, truncateSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, it } from 'node:test'
import type { PartitionLog, ReadResult } from '../../src/storage/api.ts'
import { StorageErrorCode } from '../../src/storage/errors.ts'
import { partitionDir } from '../../src/storage/file-names.ts'
import { nodeFileSystem } from '../../src/storage/file-system.ts'
import { CleanupPolicy, logConfig } from '../../src/storage/log-config.ts'
import { openDiskLogStore } from '../../src/storage/log-store.ts'
import type { StorageLogger } from '../../src/storage/logger.ts'
import type { DiskPartitionLog } from '../../src/storage/partition-log.ts'
import { ErrnoFileSystem } from './errno-file-system.ts'
import { keyedBatch } from './keyed-batch.ts'
import { asStored, makeBatch } from './make-batch.ts'
import { tempDir } from './temp-dir.ts'

interface Logged {
  level: 'info' | 'warn' | 'error'
  obj: Record<string, unknown>
  msg: string
}

function recordingLogger(): StorageLogger & { entries: Logged[] } {
  const entries: Logged[] = []
  const at = (level: Logged['level']) => (obj: object, msg: string) =>
    entries.push({ level, obj: obj as Record<string, unknown>, msg })
  return { entries, info: at('info'), warn: at('warn'), error: at('error') }
}

const noCache = { partitionBytes: 0 }

async function setUp(segmentBytes = 1_000_000) {
  const dir = tempDir()
  const fs = new ErrnoFileSystem(nodeFileSystem)
  const logger = recordingLogger()
  const store = await openDiskLogStore({ dataDir: dir.path, fs, logger, tailCache: noCache })
  const log = (await store.createPartition('t', 0, logConfig({ segmentBytes }))) as DiskPartitionLog
  return { dir, fs, logger, store, log }
}

function ok(r: ReadResult): Buffer[] {
  assert.equal(r.kind, 'ok', `expected ok, got ${r.kind}: ${'error' in r ? r.error.message : ''}`)
  return (r as Extract<ReadResult, { kind: 'ok' }>).batches
}

function fill(log: PartitionLog, n: number, size = 200): Buffer[] {
  const stored: Buffer[] = []
  for (let i = 0; i < n; i++) {
    const b = makeBatch({ id: i, size })
    const copy = Buffer.from(b)
    const r = log.append(b)
    assert.equal(r.kind, 'appended')
    stored.push(asStored(copy, (r as { baseOffset: number }).baseOffset))
  }
  return stored
}

const logFiles = (dataDir: string) => {
  const dir = partitionDir(dataDir, 't', 0)
  return readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => join(dir, f))
}

describe('storage failures: what fails, and what serves on', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await cleanup?.()
    cleanup = undefined
  })

  async function harness(segmentBytes?: number) {
    const h = await setUp(segmentBytes)
    cleanup = async () => {
      h.fs.clear()
      await h.store.close().catch(() => {})
      h.dir.remove()
    }
    return h
  }

  it('a full disk fails the append alone: the partial write is cut back, the log serves on, nothing acknowledged is lost', async () => {
    const { fs, log, store, dir } = await harness()
    const before = fill(log, 10)
    await log.flush()
    const size = statSync(logFiles(dir.path)[0]).size
    fs.failNext({ call: 'write', path: /\.log$/, errno: 'ENOSPC', partial: 77 })
    const failed = log.append(makeBatch({ id: 99, size: 200 }))
    assert.equal(failed.kind, 'storageError')
    assert.equal(
      (failed as { error: { retriable: boolean } }).error.retriable,
      true,
      'a full disk is retriable',
    )
    assert.equal(log.isOnline, true, 'the log serves on')
    assert.equal(log.offlineReason, undefined)
    assert.equal(statSync(logFiles(dir.path)[0]).size, size, 'the 77 bytes that landed were cut back')
    assert.equal(log.logEndOffset, 10)
    // Space is back: the next append takes offset 10, and everything reads back.
    const after = fill(log, 3)
    await log.flush()
    assert.equal(after.length, 3)
    assert.deepEqual(ok(log.read(0, 1 << 20)), [...before, ...after])
    await store.close()
    const reopened = await openDiskLogStore({ dataDir: dir.path, tailCache: noCache })
    try {
      assert.deepEqual(ok(reopened.getPartition('t', 0)!.read(0, 1 << 20)), [...before, ...after])
    } finally {
      await reopened.close()
    }
  })

  it('too many open files at a roll fails that append alone; the roll happens on the next one', async () => {
    const { fs, log } = await harness(1000)
    const before = fill(log, 4) // 800 bytes: the next 200-byte append rolls
    fs.failNext({ call: 'open', path: /\.log$/, errno: 'EMFILE' })
    assert.equal(log.append(makeBatch({ id: 50, size: 300 })).kind, 'storageError')
    assert.equal(log.isOnline, true)
    assert.equal(log.segmentCount, 1)
    const after = fill(log, 2, 300)
    assert.equal(log.segmentCount, 2)
    assert.deepEqual(ok(log.read(0, 1 << 20)), [...before, ...after])
  })

  it('a failed index write at a roll costs a rebuild at the next start, never data', async () => {
    const { fs, log, store, dir, logger } = await harness(1000)
    fs.failNext({ call: 'write', path: /\.index$/, errno: 'ENOSPC' })
    const stored = fill(log, 12)
    assert.ok(log.segmentCount >= 3)
    assert.equal(fs.failed.write, 1)
    assert.ok(logger.entries.some((e) => e.level === 'warn' && /index files/.test(e.msg)))
    await store.close()
    const reopened = await openDiskLogStore({ dataDir: dir.path, tailCache: noCache })
    try {
      assert.deepEqual(ok(reopened.getPartition('t', 0)!.read(0, 1 << 20)), stored)
    } finally {
      await reopened.close()
    }
  })

  it('EIO on a read takes the log offline with its reason; appends and flushes answer the same', async () => {
    const { fs, log, logger } = await harness()
    fill(log, 5)
    fs.failNext({ call: 'read', path: /\.log$/, errno: 'EIO' })
    const r = log.read(0, 1 << 20)
    assert.equal(r.kind, 'storageError')
    assert.equal(log.isOnline, false)
    assert.equal(log.offlineReason?.errno, 'EIO')
    assert.match(log.offlineReason?.message ?? '', /read\(.*\.log\) failed: EIO/)
    assert.equal(log.append(makeBatch({ id: 9 })).kind, 'storageError')
    await assert.rejects(log.flush(), (e: { code?: string }) => e.code === StorageErrorCode.logOffline)
    assert.ok(
      logger.entries.some((e) => e.level === 'error' && /log offline after an I\/O error/.test(e.msg)),
    )
  })

  it('a failed fsync takes the log offline, a full disk included: fsync is never retried', async () => {
    const { fs, log } = await harness()
    fill(log, 3)
    fs.failNext({ call: 'fsync', path: /\.log$/, errno: 'ENOSPC' })
    await assert.rejects(log.flush(), (e: { code?: string }) => e.code === StorageErrorCode.logOffline)
    assert.equal(log.isOnline, false)
    assert.equal(log.offlineReason?.errno, 'ENOSPC')
  })

  it('a segment file shorter than the log wrote is a short read: offline', async () => {
    const { log, dir } = await harness(1000)
    fill(log, 12)
    const [first] = logFiles(dir.path)
    truncateSync(first, statSync(first).size - 50)
    const r = log.read(0, 1 << 20)
    assert.equal(r.kind, 'storageError')
    assert.equal(log.offlineReason?.errno, 'short read')
  })

  it('corrupt bytes fail the read that meets them with corruptData; other reads and appends go on', async () => {
    const { log, dir } = await harness(1000)
    const stored = fill(log, 12)
    const [first] = logFiles(dir.path)
    // The third batch's length field says 7 bytes: not a batch.
    const fd = openSync(first, 'r+')
    const length = Buffer.alloc(4)
    length.writeInt32BE(7 - 12)
    writeSync(fd, length, 0, 4, 2 * 200 + 8)
    closeSync(fd)
    const r = log.read(0, 1 << 20)
    assert.equal(r.kind, 'requestFailed')
    assert.equal((r as { error: { code: string } }).error.code, StorageErrorCode.corruptData)
    assert.equal(log.isOnline, true)
    assert.deepEqual(ok(log.read(0, 400)), stored.slice(0, 2), 'what lies before the damage reads')
    assert.deepEqual(ok(log.read(8, 1 << 20)), stored.slice(8), 'later segments read')
    assert.equal(log.append(makeBatch({ id: 77 })).kind, 'appended')
  })

  it('a defect in a read path fails that request, is logged with its stack, and the log serves on', async () => {
    const { log, logger } = await harness(1000)
    const stored = fill(log, 12)
    const segments = (log as unknown as { segments: { locate: (o: number) => unknown }[] }).segments
    const locate = segments[0].locate
    segments[0].locate = () => {
      throw new TypeError('a programming error')
    }
    const r = log.read(0, 1 << 20)
    assert.equal(r.kind, 'requestFailed')
    assert.equal((r as { error: { code: string } }).error.code, StorageErrorCode.internal)
    assert.equal(log.isOnline, true)
    const logged = logger.entries.find((e) => e.level === 'error' && e.obj.operation === 'read')
    assert.ok(logged, 'logged')
    assert.match(String((logged.obj.err as Error).stack), /a programming error\n\s+at /)
    segments[0].locate = locate
    assert.deepEqual(ok(log.read(0, 1 << 20)), stored)
    assert.equal(log.append(makeBatch({ id: 3 })).kind, 'appended')
  })

  it('the cleaner: a full disk while writing the cleaned copy is retried later; EIO takes the log offline', async () => {
    const { fs, store, log } = await harness(1000)
    log.updateConfig(
      logConfig({ segmentBytes: 1000, cleanupPolicy: CleanupPolicy.compact, minCleanableDirtyRatio: 0 }),
    )
    for (let i = 0; i < 30; i++)
      assert.equal(log.append(keyedBatch([{ key: `k${i % 3}`, value: `v${i}` }])).kind, 'appended')
    fs.failNext({ call: 'write', path: /\.cleaned$/, errno: 'ENOSPC' })
    const full = await store.clean()
    assert.equal(full.kind, 'aborted')
    assert.equal(log.isOnline, true)
    assert.equal((await store.clean()).kind, 'cleaned', 'the next round cleans')
    for (let i = 0; i < 30; i++) log.append(keyedBatch([{ key: `k${i % 3}`, value: `w${i}` }]))
    fs.failNext({ call: 'read', path: /\.log$/, errno: 'EIO' })
    assert.equal((await store.clean()).kind, 'aborted')
    assert.equal(log.isOnline, false)
    assert.equal(log.offlineReason?.errno, 'EIO')
  })

  it('the cleaner: a defect leaves the log uncleanable until restart, serving', async () => {
    const { store, log } = await harness(1000)
    log.updateConfig(
      logConfig({ segmentBytes: 1000, cleanupPolicy: CleanupPolicy.compact, minCleanableDirtyRatio: 0 }),
    )
    for (let i = 0; i < 30; i++) log.append(keyedBatch([{ key: `k${i % 3}`, value: `v${i}` }]))
    const disk = log as unknown as { segmentBatches: () => Iterable<Buffer> }
    disk.segmentBatches = () => {
      throw new TypeError('a defect in the cleaner')
    }
    assert.equal((await store.clean()).kind, 'aborted')
    assert.equal(store.stats().uncleanablePartitions, 1)
    assert.deepEqual(await store.clean(), { kind: 'idle' }, 'not tried again')
    assert.equal(log.isOnline, true)
    assert.equal(log.append(keyedBatch([{ key: 'k1', value: 'still online' }])).kind, 'appended')
  })

  it('a defect after an append wrote its bytes takes the log offline: its offsets no longer match', async () => {
    const { log } = await harness()
    fill(log, 2)
    const segments = (log as unknown as { segments: { indexer: { add: () => void } }[] }).segments
    segments[0].indexer.add = () => {
      throw new RangeError('a defect in indexing')
    }
    const r = log.append(makeBatch({ id: 5 }))
    assert.equal(r.kind, 'storageError')
    assert.equal(log.isOnline, false)
    assert.match(log.offlineReason?.message ?? '', /a defect in indexing/)
  })
})
