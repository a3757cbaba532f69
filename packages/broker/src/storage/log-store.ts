// The disk LogStore: every partition log under one data directory (layout in file-names.ts).
// Opening it loads every partition directory found, recovering them when the clean-shutdown
// marker is missing; close() flushes everything and writes the marker last.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { CleanOptions, CleanResult, LogStore, RetentionResult, StorageStats } from './api.ts'
import { LogCleaner, type LogCleanerOptions } from './cleaner.ts'
import { StorageError, StorageErrorCode } from './errors.ts'
import {
  CLEAN_SHUTDOWN_FILE,
  DELETE_DIR_SUFFIX,
  parsePartitionDirName,
  partitionDir,
  partitionDirName,
  topicNameProblem,
} from './file-names.ts'
import { type FileSystem, nodeFileSystem, OpenFlags } from './file-system.ts'
import { defaultLogConfig, type LogConfig } from './log-config.ts'
import { type StorageLogger, silentLogger } from './logger.ts'
import { DiskPartitionLog, type StoreCounters } from './partition-log.ts'
import { TailCacheBudget, type TailCacheLimits } from './tail-cache.ts'

export interface DiskLogStoreOptions {
  readonly dataDir: string
  /** The file-system seam (default: node:fs). */
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

const keyOf = (topic: string, partition: number): string => partitionDirName(topic, partition)

export class DiskLogStore implements LogStore {
  readonly dataDir: string
  /** Whether the previous run ended with close() (no recovery scan was needed). */
  readonly wasCleanShutdown: boolean
  private readonly fs: FileSystem
  private readonly clock: () => number
  private readonly logger: StorageLogger
  private readonly budget: TailCacheBudget

  // ---- Mutable state, owned by this store (one broker). createPartition registers its pending
  // open synchronously, so two concurrent creates of one partition share one log. ----
  private readonly logs = new Map<string, DiskPartitionLog>()
  private readonly opening = new Map<string, Promise<DiskPartitionLog>>()
  private readonly counters: StoreCounters = { appendedBytes: 0, fsyncs: 0 }
  private readonly background = new Set<Promise<void>>()
  private readonly cleaner: LogCleaner
  private closed = false

  private constructor(options: DiskLogStoreOptions, clean: boolean) {
    this.dataDir = options.dataDir
    this.fs = options.fs ?? nodeFileSystem
    this.clock = options.clock ?? Date.now
    this.logger = options.logger ?? silentLogger
    this.budget = new TailCacheBudget(options.tailCache)
    this.wasCleanShutdown = clean
    this.cleaner = new LogCleaner(() => this.logs.values(), this.clock, this.logger, options.cleaner)
  }

  static async open(options: DiskLogStoreOptions): Promise<DiskLogStore> {
    const fs = options.fs ?? nodeFileSystem
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

  async createPartition(topic: string, partition: number, config: LogConfig): Promise<DiskPartitionLog> {
    this.assertOpen()
    const problem = topicNameProblem(topic)
    if (problem !== undefined) throw new StorageError(StorageErrorCode.invalidPartitionName, problem)
    if (!Number.isInteger(partition) || partition < 0 || partition > 0x7fffffff)
      throw new StorageError(StorageErrorCode.invalidPartitionName, `bad partition number ${partition}`)
    const key = keyOf(topic, partition)
    const existing = this.logs.get(key)
    if (existing !== undefined) {
      existing.updateConfig(config)
      return existing
    }
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

  getPartition(topic: string, partition: number): DiskPartitionLog | undefined {
    return this.logs.get(keyOf(topic, partition))
  }

  partitions(topic?: string): DiskPartitionLog[] {
    const all = [...this.logs.values()]
    return topic === undefined ? all : all.filter((l) => l.topic === topic)
  }

  async deletePartitions(topic: string): Promise<number> {
    this.assertOpen()
    const victims = this.partitions(topic)
    for (const log of victims) this.logs.delete(keyOf(log.topic, log.partition))
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

  updateConfig(topic: string, config: LogConfig): void {
    for (const log of this.partitions(topic)) log.updateConfig(config)
  }

  enforceRetention(now: number): RetentionResult {
    let deletedSegments = 0
    let deletedBytes = 0
    for (const log of this.logs.values()) {
      const r = log.enforceRetention(now)
      deletedSegments += r.deletedSegments
      deletedBytes += r.deletedBytes
    }
    return { deletedSegments, deletedBytes }
  }

  clean(options: CleanOptions = {}): Promise<CleanResult> {
    if (this.closed) return Promise.resolve({ kind: 'idle' })
    return this.cleaner.clean(options)
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.logs.values()].map((log) => log.flush()))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.cleaner.stop()
    await Promise.allSettled([...this.opening.values()])
    const results = await Promise.allSettled([...this.logs.values()].map((log) => log.close()))
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

  stats(): StorageStats {
    let segments = 0
    let sizeInBytes = 0
    for (const log of this.logs.values()) {
      segments += log.segmentCount
      sizeInBytes += log.sizeInBytes
    }
    return {
      partitions: this.logs.size,
      segments,
      sizeInBytes,
      appendedBytes: this.counters.appendedBytes,
      fsyncs: this.counters.fsyncs,
      tailCacheBytes: this.budget.usedBytes,
      tailCacheHits: this.budget.hits,
      tailCacheMisses: this.budget.misses,
      cleanerRuns: this.cleaner.counters.runs,
      cleanerBytesRead: this.cleaner.counters.bytesRead,
      cleanerBytesReclaimed: this.cleaner.counters.bytesReclaimed,
      cleanerRecordsRemoved: this.cleaner.counters.recordsRemoved,
      cleanerTimeMs: this.cleaner.counters.timeMs,
      uncleanablePartitions: this.cleaner.uncleanablePartitions,
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError(StorageErrorCode.closed, 'the log store is closed')
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

/** Opens (creating if needed) the disk log store in `options.dataDir`. */
export const openDiskLogStore = (options: DiskLogStoreOptions): Promise<DiskLogStore> =>
  DiskLogStore.open(options)
