// The disk LogStore: every partition log under one data directory (layout in file-names.ts).
// Opening it loads every partition directory found, recovering them when the clean-shutdown
// marker is missing; close() flushes everything and writes the marker last. What it shares with
// the memory store (the partition map, the loops over every log, stats) is log-store-base.ts.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { LogCleanerOptions } from './cleaner.ts'
import { StorageError, StorageErrorCode } from './errors.ts'
import { CLEAN_SHUTDOWN_FILE, DELETE_DIR_SUFFIX, parsePartitionDirName, partitionDir } from './file-names.ts'
import { type FileSystem, guardedFileSystem, nodeFileSystem, OpenFlags } from './file-system.ts'
import { defaultLogConfig, type LogConfig } from './log-config.ts'
import { LogStoreBase, partitionKey, type StoreIoStats } from './log-store-base.ts'
import { type StorageLogger, silentLogger } from './logger.ts'
import { DiskPartitionLog, type StoreCounters } from './partition-log.ts'
import { TailCacheBudget, type TailCacheLimits } from './tail-cache.ts'

export interface DiskLogStoreOptions {
  readonly dataDir: string
  /** The file-system seam (default: node:fs); the store guards it (file-system.ts guardedFileSystem). */
  readonly fs?: FileSystem
  /** Wall clock in ms (default Date.now); used for segment.ms fallbacks and file ages. */
  readonly clock?: () => number
  /**
   * Config for a partition found on disk at open: the broker resolves the topic's overrides
   * from its catalog. Default: Kafka's defaults.
   */
  readonly configFor?: (topic: string, partition: number) => LogConfig
  readonly tailCache?: Partial<TailCacheLimits>
  readonly logger?: StorageLogger
  /** Log cleaner settings (offset map size, slice length). */
  readonly cleaner?: LogCleanerOptions
}

export class DiskLogStore extends LogStoreBase<DiskPartitionLog> {
  readonly dataDir: string
  /** Whether the previous run ended with close() (no recovery scan was needed). */
  readonly wasCleanShutdown: boolean
  private readonly fs: FileSystem
  private readonly logger: StorageLogger
  private readonly budget: TailCacheBudget

  // ---- Mutable state, owned by this store (one broker), with the log map in LogStoreBase.
  // createPartition registers its pending open synchronously, so two concurrent creates of one
  // partition share one log. ----
  private readonly opening = new Map<string, Promise<DiskPartitionLog>>()
  private readonly counters: StoreCounters = { appendedBytes: 0, fsyncs: 0 }
  private readonly background = new Set<Promise<void>>()

  private constructor(options: DiskLogStoreOptions, clean: boolean) {
    const logger = options.logger ?? silentLogger
    super(options.clock ?? Date.now, logger, options.cleaner)
    this.dataDir = options.dataDir
    this.fs = guardedFileSystem(options.fs ?? nodeFileSystem)
    this.logger = logger
    this.budget = new TailCacheBudget(options.tailCache)
    this.wasCleanShutdown = clean
  }

  static async open(options: DiskLogStoreOptions): Promise<DiskLogStore> {
    const fs = guardedFileSystem(options.fs ?? nodeFileSystem)
    fs.mkdir(options.dataDir)
    const markerPath = join(options.dataDir, CLEAN_SHUTDOWN_FILE)
    const clean = fs.stat(markerPath) !== undefined
    const store = new DiskLogStore(options, clean)
    const configFor = options.configFor ?? (() => defaultLogConfig)
    for (const name of fs.readdir(options.dataDir).sort()) {
      const path = join(options.dataDir, name)
      if (name.endsWith(DELETE_DIR_SUFFIX)) {
        store.track(fs.removeTree(path))
        continue
      }
      const parsed = parsePartitionDirName(name)
      if (parsed === undefined || !fs.stat(path)?.isDirectory) continue
      const log = await store.openLog(
        parsed.topic,
        parsed.partition,
        configFor(parsed.topic, parsed.partition),
        clean,
      )
      store.logs.set(name, log)
    }
    if (clean) {
      // From here on a crash must be recovered: the marker goes before any write is accepted.
      fs.unlink(markerPath)
      await fs.syncDir(options.dataDir)
    }
    return store
  }

  private openLog(
    topic: string,
    partition: number,
    config: LogConfig,
    clean: boolean,
  ): Promise<DiskPartitionLog> {
    return DiskPartitionLog.open({
      topic,
      partition,
      dir: partitionDir(this.dataDir, topic, partition),
      fs: this.fs,
      clock: this.clock,
      logger: this.logger,
      config,
      tailCache: this.budget,
      counters: this.counters,
      clean,
    })
  }

  protected override openPartition(
    key: string,
    topic: string,
    partition: number,
    config: LogConfig,
  ): Promise<DiskPartitionLog> {
    const pending = this.opening.get(key)
    if (pending !== undefined) return pending
    const opening = (async () => {
      try {
        // A directory created now is new; one that exists was not loaded at open, so check it.
        const log = await this.openLog(topic, partition, config, false)
        await this.fs.syncDir(this.dataDir)
        this.logs.set(key, log)
        return log
      } finally {
        this.opening.delete(key)
      }
    })()
    this.opening.set(key, opening)
    return opening
  }

  override async deletePartitions(topic: string): Promise<number> {
    this.assertOpen()
    const victims = this.partitions(topic)
    for (const log of victims) this.logs.delete(partitionKey(log.topic, log.partition))
    await Promise.all(victims.map((log) => log.close({ flush: false })))
    for (const log of victims) {
      // Kafka's way: rename to `<dir>.<id>-delete` (instant, never loaded again), remove later.
      const doomed = `${log.dir}.${randomBytes(8).toString('hex')}${DELETE_DIR_SUFFIX}`
      this.fs.rename(log.dir, doomed)
      this.track(this.fs.removeTree(doomed))
    }
    if (victims.length > 0) await this.fs.syncDir(this.dataDir)
    return victims.length
  }

  override async flushAll(): Promise<void> {
    await Promise.all([...this.logs.values()].map((log) => log.flush()))
  }

  override async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.cleaner.stop()
    await Promise.allSettled([...this.opening.values()])
    // A bounded number at a time: each close writes index files and a checkpoint, and ten
    // thousand partitions closing at once would run out of file descriptors.
    const results = await settleInBatches([...this.logs.values()], CLOSE_CONCURRENCY, (log) => log.close())
    while (this.background.size > 0) await Promise.allSettled([...this.background])
    const failed = results.filter((r) => r.status === 'rejected')
    if (failed.length > 0) {
      // No clean marker: the next open recovers.
      throw new StorageError(
        StorageErrorCode.logOffline,
        `${failed.length} partition log(s) failed to close`,
        {
          cause: (failed[0] as PromiseRejectedResult).reason,
        },
      )
    }
    const marker = join(this.dataDir, CLEAN_SHUTDOWN_FILE)
    const fd = this.fs.open(marker, OpenFlags.createOrTruncate)
    try {
      await this.fs.fsync(fd)
    } finally {
      this.fs.close(fd)
    }
    await this.fs.syncDir(this.dataDir)
  }

  protected override ioStats(): StoreIoStats {
    return {
      appendedBytes: this.counters.appendedBytes,
      fsyncs: this.counters.fsyncs,
      tailCacheBytes: this.budget.usedBytes,
      tailCacheHits: this.budget.hits,
      tailCacheMisses: this.budget.misses,
    }
  }

  private track(task: Promise<void>): void {
    const tracked = task
      .catch((error: unknown) => {
        this.logger.error({ error: String(error) }, 'background removal failed')
      })
      .finally(() => this.background.delete(tracked))
    this.background.add(tracked)
  }
}

/** Logs closed at once by close(): each holds a few descriptors until its files are synced. */
const CLOSE_CONCURRENCY = 256

/** Promise.allSettled over `items`, at most `limit` running at a time. */
async function settleInBatches<T>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<void>,
): Promise<PromiseSettledResult<void>[]> {
  const results: PromiseSettledResult<void>[] = []
  for (let i = 0; i < items.length; i += limit)
    results.push(...(await Promise.allSettled(items.slice(i, i + limit).map(run))))
  return results
}

/** Opens (creating if needed) the disk log store in `options.dataDir`. */
export const openDiskLogStore = (options: DiskLogStoreOptions): Promise<DiskLogStore> =>
  DiskLogStore.open(options)
