// Property tests of the storage read path: for random sequences of batches (61 bytes to several
// MiB, any record count, every producer kind), random segment sizes, index intervals and tail-cache
// bounds, and random reads (fetchOffset, maxBytes, minOne, upTo), the disk and the memory log return
// exactly the batches the reference model of read-model.ts returns: from the tail cache, cold from
// the segment files (also into pooled memory), after a clean reopen, after recovery from a torn
// tail, and after compaction.
//
// `npm test` runs a bounded number of runs with a fixed seed; `npm run test:properties` runs many
// more (RUNNEL_PROPERTY_RUNS, RUNNEL_PROPERTY_SEED choose them). A failure prints fast-check's seed
// and path, and the shrunk counterexample.
import assert from 'node:assert/strict'
import { appendFileSync, readdirSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { batchLastOffsetDelta, CompressionType, readBatch } from '@runnel/protocol'
import fc from 'fast-check'
import type { LogStore, PartitionLog } from '../../src/storage/api.ts'
import { BufferPool, Lease } from '../../src/storage/buffer-pool.ts'
import type { CompactableLog } from '../../src/storage/cleaner.ts'
import { partitionDir } from '../../src/storage/file-names.ts'
import { CleanupPolicy, type LogConfig, logConfig } from '../../src/storage/log-config.ts'
import { openDiskLogStore } from '../../src/storage/log-store.ts'
import { MemoryLogStore } from '../../src/storage/memory-log-store.ts'
import { keyedBatch } from './keyed-batch.ts'
import {
  appendsOf,
  type BatchSpec,
  logShape,
  type ModelBatch,
  modelRead,
  opaqueBatch,
  propertySettings,
  queriesFor,
  type ReadQuery,
  readSeed,
  storedForm,
} from './read-model.ts'
import { tempDir } from './temp-dir.ts'

const TOPIC = 'props'
const MiB = 1024 * 1024
const T0 = 1_700_000_000_000
const QUERIES = 60

/** Does one read of `log` and says how it differs from the model, or undefined when it does not. */
function readDiffers(log: PartitionLog, model: readonly ModelBatch[], q: ReadQuery, pool: BufferPool) {
  const lease = q.fetchOffset % 2 === 0 ? new Lease(pool) : undefined
  try {
    const r = log.read(q.fetchOffset, q.maxBytes, { minOneBatch: q.minOne, upToOffset: q.upTo, lease })
    if (r.kind !== 'ok')
      return `read ${JSON.stringify(q)} answered ${r.kind}: ${'error' in r ? r.error.message : ''}`
    const want = modelRead(model, q)
    const got = r.batches
    if (got.length !== want.length)
      return `read ${JSON.stringify(q)}: ${got.length} batches, the model says ${want.length}`
    for (let i = 0; i < want.length; i++) {
      if (!got[i].equals(want[i]))
        return `read ${JSON.stringify(q)}: batch ${i} (offset ${want[i].readBigInt64BE(0)}) differs`
    }
    if (r.sizeInBytes !== want.reduce((n, b) => n + b.length, 0))
      return `read ${JSON.stringify(q)}: sizeInBytes`
    return undefined
  } finally {
    lease?.release()
  }
}

function checkReads(
  what: string,
  log: PartitionLog,
  model: readonly ModelBatch[],
  seed: number,
  pool: BufferPool,
) {
  const end = model.length === 0 ? log.logStartOffset : model[model.length - 1].lastOffset + 1
  assert.equal(log.logEndOffset, end, `${what}: log end offset`)
  for (const q of queriesFor(model, log.logStartOffset, log.logEndOffset, seed, QUERIES)) {
    const problem = readDiffers(log, model, q, pool)
    assert.equal(problem, undefined, `${what}: ${problem}`)
  }
}

interface Logs {
  readonly disk: PartitionLog
  readonly memory: PartitionLog
}

/**
 * Appends to both logs (through pooled memory now and then, as produce frames arrive) and to the
 * model. An append bigger than segment.bytes is refused by both, with nothing stored.
 */
function appendAll(
  logs: Logs,
  model: ModelBatch[],
  appends: readonly { specs: readonly BatchSpec[] }[],
  config: LogConfig,
  pool: BufferPool,
): void {
  for (const [n, { specs }] of appends.entries()) {
    const batches = specs.map((s, i) => opaqueBatch(s, BigInt(1000 + (n % 7)), n * 8 + i))
    const records = Buffer.concat(batches)
    const expectRefused = records.length > config.segmentBytes
    let offset = logs.disk.logEndOffset
    for (const log of [logs.disk, logs.memory]) {
      const pooled = n % 3 === 0 ? pool.acquire(records.length) : undefined
      const input = pooled ? pooled.bytes.subarray(0, records.length) : Buffer.from(records)
      records.copy(input)
      const r = log.append(input)
      // The frame goes back to the pool: whatever the log kept of it must have been retained.
      pooled?.release()
      if (expectRefused) assert.equal(r.kind, 'batchTooLarge', `append of ${records.length} bytes`)
      else assert.equal(r.kind, 'appended', `append of ${records.length} bytes: ${JSON.stringify(r)}`)
    }
    if (expectRefused) continue
    for (const b of batches) {
      const lastOffset = offset + batchLastOffsetDelta(b, 0)
      model.push({ baseOffset: offset, lastOffset, bytes: storedForm(b, offset) })
      offset = lastOffset + 1
    }
  }
}

/** Abandons a disk store as a crash would: nothing flushed after the last flush(), no clean marker. */
async function crash(store: LogStore): Promise<void> {
  await store.flushAll()
  for (const log of store.partitions()) {
    const disk = log as unknown as { whenIdle(): Promise<void>; close(o: { flush: boolean }): Promise<void> }
    await disk.whenIdle()
    await disk.close({ flush: false })
  }
}

/**
 * Tears the tail of the partition's last segment file: cut inside or between its last batches, or
 * leave it and write garbage (random bytes, or the first part of a batch) after it. Returns the
 * model after recovery: the batches that still end inside the file.
 */
function tearTail(dataDir: string, model: ModelBatch[], seed: number): ModelBatch[] {
  const dir = partitionDir(dataDir, TOPIC, 0)
  const logs = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
  const last = join(dir, logs[logs.length - 1])
  const base = Number(logs[logs.length - 1].slice(0, 20))
  const size = statSync(last).size
  const inFile = model.filter((b) => b.baseOffset >= base)
  const kept = model.filter((b) => b.baseOffset < base)
  const mode = seed % 3
  if (mode === 0 && size > 0) {
    const tailBatch = inFile[inFile.length - 1].bytes.length
    const cut = Math.max(0, size - 1 - (seed % (tailBatch * 2)))
    truncateSync(last, cut)
    let pos = 0
    for (const b of inFile) {
      if (pos + b.bytes.length > cut) break
      kept.push(b)
      pos += b.bytes.length
    }
    return kept
  }
  const garbage =
    mode === 1 || inFile.length === 0
      ? Buffer.from(Array.from({ length: 1 + (seed % 300) }, (_, i) => (seed * 31 + i * 17) & 0xff))
      : inFile[0].bytes.subarray(0, 1 + (seed % (inFile[0].bytes.length - 1)))
  appendFileSync(last, garbage)
  return model
}

const shapeConfig = (
  shape: { segmentBytes: number; indexIntervalBytes: number },
  extra: Partial<LogConfig> = {},
) =>
  logConfig({
    segmentBytes: shape.segmentBytes,
    indexIntervalBytes: shape.indexIntervalBytes,
    maxMessageBytes: 64 * MiB,
    ...extra,
  })

const Scenario = { live: 'live', reopen: 'reopen', tornTail: 'tornTail' } as const

describe('storage read path: disk and memory logs against the reference model', () => {
  const { numRuns, seed } = propertySettings(40)
  const pool = new BufferPool()
  /** What the runs exercised, so a generator that stopped reaching the hard cases fails the test. */
  const seen = { runs: 0, multiSegment: 0, coldReads: 0, bytes: 0, cleanings: 0, recordsRemoved: 0 }

  it('returns the model batches for every read: tail cache, cold reads, reopen, recovery from a torn tail', async () => {
    await fc.assert(
      fc.asyncProperty(
        logShape,
        appendsOf(4 * MiB, 120),
        fc.constantFrom(...Object.values(Scenario)),
        readSeed,
        async (shape, appends, scenario, querySeed) => {
          const dir = tempDir({ memoryBacked: true })
          const config = shapeConfig(shape)
          const tailCache = { partitionBytes: shape.tailCachePartitionBytes }
          let disk: LogStore = await openDiskLogStore({ dataDir: dir.path, tailCache })
          const memory = new MemoryLogStore()
          try {
            const logs: Logs = {
              disk: await disk.createPartition(TOPIC, 0, config),
              memory: await memory.createPartition(TOPIC, 0, config),
            }
            let model: ModelBatch[] = []
            appendAll(logs, model, appends, config, pool)
            checkReads('disk, live', logs.disk, model, querySeed, pool)
            checkReads('memory', logs.memory, model, querySeed, pool)
            seen.runs++
            seen.multiSegment += logs.disk.segmentCount > 1 ? 1 : 0
            seen.coldReads += disk.stats().tailCacheMisses
            seen.bytes += logs.disk.sizeInBytes
            if (scenario === Scenario.live) return
            if (scenario === Scenario.reopen) await disk.close()
            else {
              await crash(disk)
              model = tearTail(dir.path, model, querySeed)
            }
            disk = await openDiskLogStore({ dataDir: dir.path, tailCache, configFor: () => config })
            const reopened = disk.getPartition(TOPIC, 0)
            assert.ok(reopened, 'the partition is there after the reopen')
            checkReads(`disk, after ${scenario}`, reopened, model, querySeed + 1, pool)
            // The log carries on from where recovery left it.
            const more: { specs: BatchSpec[] }[] = [
              { specs: [{ kind: 'plain', size: 200, records: 3, seed: 1 }] },
              { specs: [{ kind: 'idempotent', size: 5000, records: 10, seed: 2 }] },
            ]
            const again = new MemoryLogStore()
            const replay = await again.createPartition(TOPIC, 0, config)
            for (const b of model) assert.equal(replay.append(Buffer.from(b.bytes)).kind, 'appended')
            appendAll({ disk: reopened, memory: replay }, model, more, config, pool)
            checkReads(`disk, appended after ${scenario}`, reopened, model, querySeed + 2, pool)
            await again.close()
          } finally {
            await disk.close().catch(() => {})
            await memory.close()
            dir.remove()
          }
        },
      ),
      { numRuns, seed, endOnFailure: false },
    )
    assert.ok(seen.multiSegment >= seen.runs / 4, `runs with several segments: ${JSON.stringify(seen)}`)
    assert.ok(seen.coldReads >= seen.runs * 10, `cold reads: ${JSON.stringify(seen)}`)
  })

  it('after compaction, both logs hold the same batches and every read returns the model batches', async () => {
    const record = fc.record({
      key: fc.integer({ min: 0, max: 40 }),
      tombstone: fc.boolean(),
      valueSize: fc.oneof(
        { weight: 10, arbitrary: fc.integer({ min: 0, max: 300 }) },
        { weight: 2, arbitrary: fc.integer({ min: 300, max: 20_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 2 * MiB }) },
      ),
    })
    const batch = fc.record({
      records: fc.array(record, { minLength: 1, maxLength: 20 }),
      compression: fc.constantFrom(CompressionType.none, CompressionType.gzip, CompressionType.lz4),
    })
    await fc.assert(
      fc.asyncProperty(
        logShape,
        fc.array(batch, { minLength: 1, maxLength: 150, size: 'max' }),
        readSeed,
        async (shape, batches, querySeed) => {
          const dir = tempDir({ memoryBacked: true })
          const config = shapeConfig(shape, {
            cleanupPolicy: CleanupPolicy.compact,
            minCleanableDirtyRatio: 0,
            deleteRetentionMs: 0,
          })
          const tailCache = { partitionBytes: shape.tailCachePartitionBytes }
          const clock = () => T0
          let disk: LogStore = await openDiskLogStore({ dataDir: dir.path, tailCache, clock })
          const memory = new MemoryLogStore({ clock })
          try {
            const logs = {
              disk: await disk.createPartition(TOPIC, 0, config),
              memory: await memory.createPartition(TOPIC, 0, config),
            }
            for (const [i, b] of batches.entries()) {
              const bytes = keyedBatch(
                b.records.map((r, k) => ({
                  key: `k${r.key}`,
                  value: r.tombstone ? null : `v${i}.${k}:`.padEnd(r.valueSize, 'x'),
                })),
                { compression: b.compression },
                T0,
              )
              for (const log of [logs.disk, logs.memory]) {
                const r = log.append(Buffer.from(bytes))
                assert.ok(r.kind === 'appended' || r.kind === 'batchTooLarge', `append: ${r.kind}`)
              }
            }
            for (const store of [disk, memory]) {
              const r = await store.clean({ now: T0 + 1 })
              if (store === disk && r.kind === 'cleaned') {
                seen.cleanings++
                seen.recordsRemoved += r.stats.recordsRead - r.stats.recordsKept
              }
            }
            const model = storedBatches(logs.disk)
            assert.deepEqual(
              storedBatches(logs.memory).map((b) => b.bytes.toString('hex')),
              model.map((b) => b.bytes.toString('hex')),
              'disk and memory compact alike',
            )
            checkReads('disk, compacted', logs.disk, model, querySeed, new BufferPool())
            checkReads('memory, compacted', logs.memory, model, querySeed, new BufferPool())
            await disk.close()
            disk = await openDiskLogStore({ dataDir: dir.path, tailCache, clock, configFor: () => config })
            checkReads(
              'disk, compacted, reopened',
              disk.getPartition(TOPIC, 0)!,
              model,
              querySeed + 1,
              new BufferPool(),
            )
          } finally {
            await disk.close().catch(() => {})
            await memory.close()
            dir.remove()
          }
        },
      ),
      { numRuns: Math.max(1, Math.floor(numRuns / 2)), seed: seed + 1, endOnFailure: false },
    )
    assert.ok(seen.cleanings > 0 && seen.recordsRemoved > 0, `compactions: ${JSON.stringify(seen)}`)
  })
})

/**
 * The batches a log holds, from its segments as the cleaner reads them (not through read()): the
 * model after compaction. Each batch's records are decoded, so a corrupt cleaned batch fails here.
 */
function storedBatches(log: PartitionLog): ModelBatch[] {
  const compactable = log as unknown as CompactableLog
  const out: ModelBatch[] = []
  for (const segment of compactable.cleaningInput(log.highWatermark).segments) {
    for (const bytes of compactable.segmentBatches(segment)) {
      const batch = readBatch(bytes, 0)
      for (const _ of batch.records()) {
        // decoding is the check
      }
      out.push({ baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, bytes: Buffer.from(bytes) })
    }
  }
  return out.filter((b) => b.lastOffset >= log.logStartOffset)
}
