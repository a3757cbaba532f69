// The in-memory LogStore: what the in-process test broker uses. Same interface and behaviour as
// the disk store (minus durability: close() forgets nothing it did not already hold, and a new
// store starts empty). The partition map and the loops over every log are log-store-base.ts.
import type { LogCleanerOptions } from './cleaner.ts'
import type { LogConfig } from './log-config.ts'
import { LogStoreBase, partitionKey, type StoreIoStats } from './log-store-base.ts'
import { type StorageLogger, silentLogger } from './logger.ts'
import { MemoryPartitionLog } from './memory-log.ts'

export interface MemoryLogStoreOptions {
  readonly clock?: () => number
  /** Log cleaner settings (offset map size, slice length). */
  readonly cleaner?: LogCleanerOptions
  /** Where a defect met by a request is logged (default: nowhere). */
  readonly logger?: StorageLogger
}

export class MemoryLogStore extends LogStoreBase<MemoryPartitionLog> {
  private readonly logger: StorageLogger

  constructor(options: MemoryLogStoreOptions = {}) {
    const logger = options.logger ?? silentLogger
    super(options.clock ?? Date.now, logger, options.cleaner)
    this.logger = logger
  }

  protected override openPartition(
    key: string,
    topic: string,
    partition: number,
    config: LogConfig,
  ): MemoryPartitionLog {
    const log = new MemoryPartitionLog(topic, partition, config, this.clock, this.logger)
    this.logs.set(key, log)
    return log
  }

  override async deletePartitions(topic: string): Promise<number> {
    const victims = this.partitions(topic)
    for (const log of victims) {
      this.logs.delete(partitionKey(log.topic, log.partition))
      log.close()
    }
    return victims.length
  }

  override async flushAll(): Promise<void> {}

  override async close(): Promise<void> {
    this.closed = true
    await this.cleaner.stop()
    for (const log of this.logs.values()) log.close()
  }

  protected override ioStats(): StoreIoStats {
    let appendedBytes = 0
    for (const log of this.logs.values()) appendedBytes += log.appendedBytes
    return { appendedBytes, fsyncs: 0, tailCacheBytes: 0, tailCacheHits: 0, tailCacheMisses: 0 }
  }
}
