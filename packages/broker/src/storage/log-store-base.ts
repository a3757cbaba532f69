// What the disk and the memory LogStore share: the map of open partition logs, the names a new
// partition may take, the loops that apply a config, retention and the cleaner to every log, and
// the stats summed over them. Each store supplies how a log is opened and closed, and its I/O
// counters (log-store.ts, memory-log-store.ts).
import type { CleanOptions, CleanResult, LogStore, RetentionResult, StorageStats } from './api.ts'
import { type CompactableLog, LogCleaner, type LogCleanerOptions } from './cleaner.ts'
import { StorageError, StorageErrorCode } from './errors.ts'
import { partitionDirName, topicNameProblem } from './file-names.ts'
import type { LogConfig } from './log-config.ts'
import type { StorageLogger } from './logger.ts'

/** The store's I/O counters (StorageStats minus what is summed over the logs and the cleaner). */
export type StoreIoStats = Pick<
  StorageStats,
  'appendedBytes' | 'fsyncs' | 'tailCacheBytes' | 'tailCacheHits' | 'tailCacheMisses'
>

/** A partition's key in the store: its directory name, unique per topic and partition. */
export const partitionKey = (topic: string, partition: number): string => partitionDirName(topic, partition)

export abstract class LogStoreBase<L extends CompactableLog> implements LogStore {
  protected readonly clock: () => number
  protected readonly cleaner: LogCleaner

  // ---- Mutable state, owned by this store (one broker). ----
  protected readonly logs = new Map<string, L>()
  protected closed = false

  protected constructor(clock: () => number, logger: StorageLogger, cleaner: LogCleanerOptions | undefined) {
    this.clock = clock
    this.cleaner = new LogCleaner(() => this.logs.values(), clock, logger, cleaner)
  }

  /** Opens the log of a partition the store does not hold yet, and registers it under `key`. */
  protected abstract openPartition(
    key: string,
    topic: string,
    partition: number,
    config: LogConfig,
  ): Promise<L> | L
  protected abstract ioStats(): StoreIoStats
  abstract deletePartitions(topic: string): Promise<number>
  abstract flushAll(): Promise<void>
  abstract close(): Promise<void>

  async createPartition(topic: string, partition: number, config: LogConfig): Promise<L> {
    this.assertOpen()
    const problem = topicNameProblem(topic)
    if (problem !== undefined) throw new StorageError(StorageErrorCode.invalidPartitionName, problem)
    if (!Number.isInteger(partition) || partition < 0 || partition > 0x7fffffff)
      throw new StorageError(StorageErrorCode.invalidPartitionName, `bad partition number ${partition}`)
    const key = partitionKey(topic, partition)
    const existing = this.logs.get(key)
    if (existing !== undefined) {
      existing.updateConfig(config)
      return existing
    }
    return this.openPartition(key, topic, partition, config)
  }

  getPartition(topic: string, partition: number): L | undefined {
    return this.logs.get(partitionKey(topic, partition))
  }

  partitions(topic?: string): L[] {
    const all = [...this.logs.values()]
    return topic === undefined ? all : all.filter((l) => l.topic === topic)
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

  stats(): StorageStats {
    let segments = 0
    let sizeInBytes = 0
    for (const log of this.logs.values()) {
      segments += log.segmentCount
      sizeInBytes += log.sizeInBytes
    }
    const io = this.ioStats()
    return {
      partitions: this.logs.size,
      segments,
      sizeInBytes,
      appendedBytes: io.appendedBytes,
      fsyncs: io.fsyncs,
      tailCacheBytes: io.tailCacheBytes,
      tailCacheHits: io.tailCacheHits,
      tailCacheMisses: io.tailCacheMisses,
      cleanerRuns: this.cleaner.counters.runs,
      cleanerBytesRead: this.cleaner.counters.bytesRead,
      cleanerBytesReclaimed: this.cleaner.counters.bytesReclaimed,
      cleanerRecordsRemoved: this.cleaner.counters.recordsRemoved,
      cleanerTimeMs: this.cleaner.counters.timeMs,
      uncleanablePartitions: this.cleaner.uncleanablePartitions,
    }
  }

  protected assertOpen(): void {
    if (this.closed) throw new StorageError(StorageErrorCode.closed, 'the log store is closed')
  }
}
