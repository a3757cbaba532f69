// The in-memory LogStore: what the in-process test broker uses. Same interface and behaviour as
// the disk store (minus durability: close() forgets nothing it did not already hold, and a new
// store starts empty).
import type { CleanOptions, CleanResult, LogStore, RetentionResult, StorageStats } from './api.ts'
import { LogCleaner, type LogCleanerOptions } from './cleaner.ts'
import { StorageError, StorageErrorCode } from './errors.ts'
import { partitionDirName, topicNameProblem } from './file-names.ts'
import type { LogConfig } from './log-config.ts'
import { silentLogger } from './logger.ts'
import { MemoryPartitionLog } from './memory-log.ts'

export interface MemoryLogStoreOptions {
  readonly clock?: () => number
  /** Log cleaner settings (offset map size, slice length). */
  readonly cleaner?: LogCleanerOptions
}

export class MemoryLogStore implements LogStore {
  private readonly clock: () => number
  // Owned by this store (one broker).
  private readonly logs = new Map<string, MemoryPartitionLog>()
  private readonly cleaner: LogCleaner
  private closed = false

  constructor(options: MemoryLogStoreOptions = {}) {
    this.clock = options.clock ?? Date.now
    this.cleaner = new LogCleaner(() => this.logs.values(), this.clock, silentLogger, options.cleaner)
  }

  async createPartition(topic: string, partition: number, config: LogConfig): Promise<MemoryPartitionLog> {
    if (this.closed) throw new StorageError(StorageErrorCode.closed, 'the log store is closed')
    const problem = topicNameProblem(topic)
    if (problem !== undefined) throw new StorageError(StorageErrorCode.invalidPartitionName, problem)
    if (!Number.isInteger(partition) || partition < 0 || partition > 0x7fffffff)
      throw new StorageError(StorageErrorCode.invalidPartitionName, `bad partition number ${partition}`)
    const key = partitionDirName(topic, partition)
    const existing = this.logs.get(key)
    if (existing !== undefined) {
      existing.updateConfig(config)
      return existing
    }
    const log = new MemoryPartitionLog(topic, partition, config, this.clock)
    this.logs.set(key, log)
    return log
  }

  getPartition(topic: string, partition: number): MemoryPartitionLog | undefined {
    return this.logs.get(partitionDirName(topic, partition))
  }

  partitions(topic?: string): MemoryPartitionLog[] {
    const all = [...this.logs.values()]
    return topic === undefined ? all : all.filter((l) => l.topic === topic)
  }

  async deletePartitions(topic: string): Promise<number> {
    const victims = this.partitions(topic)
    for (const log of victims) {
      this.logs.delete(partitionDirName(log.topic, log.partition))
      log.close()
    }
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

  async flushAll(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true
    await this.cleaner.stop()
    for (const log of this.logs.values()) log.close()
  }

  stats(): StorageStats {
    let segments = 0
    let sizeInBytes = 0
    let appendedBytes = 0
    for (const log of this.logs.values()) {
      segments += log.segmentCount
      sizeInBytes += log.sizeInBytes
      appendedBytes += log.appendedBytes
    }
    return {
      partitions: this.logs.size,
      segments,
      sizeInBytes,
      appendedBytes,
      fsyncs: 0,
      tailCacheBytes: 0,
      tailCacheHits: 0,
      tailCacheMisses: 0,
      cleanerRuns: this.cleaner.counters.runs,
      cleanerBytesRead: this.cleaner.counters.bytesRead,
      cleanerBytesReclaimed: this.cleaner.counters.bytesReclaimed,
      cleanerRecordsRemoved: this.cleaner.counters.recordsRemoved,
      cleanerTimeMs: this.cleaner.counters.timeMs,
      uncleanablePartitions: this.cleaner.uncleanablePartitions,
    }
  }
}
