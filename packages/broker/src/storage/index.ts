// The public surface of the broker's storage layer. Everything else in this folder is internal.
export type {
  AppendOptions,
  AppendResult,
  BatchLookup,
  CleaningStats,
  CleanOptions,
  CleanResult,
  DeleteRecordsResult,
  LogStore,
  PartitionLog,
  ReadOptions,
  ReadResult,
  RequestFailure,
  RetentionResult,
  StorageFailure,
  StorageStats,
} from './api.ts'
export {
  BufferPool,
  type BufferPoolOptions,
  type BufferPoolStats,
  Lease,
  PooledBuffer,
  pooledOwner,
} from './buffer-pool.ts'
export type { LogCleanerOptions } from './cleaner.ts'
export { DiskTopicCatalog, openDiskTopicCatalog } from './disk-topic-catalog.ts'
export { isIoFailure, isResourceExhausted, StorageError, StorageErrorCode } from './errors.ts'
export { CrashError, FaultyFileSystem, type FaultyFileSystemOptions } from './faulty-file-system.ts'
export { topicNameProblem } from './file-names.ts'
export {
  type FileStat,
  type FileSystem,
  guardedFileSystem,
  nodeFileSystem,
  OpenFlags,
} from './file-system.ts'
export {
  CleanupPolicy,
  defaultLogConfig,
  type LogConfig,
  type LogConfigParse,
  logConfig,
  logConfigFromTopicConfigs,
  logConfigProblem,
} from './log-config.ts'
export { DiskLogStore, type DiskLogStoreOptions, openDiskLogStore } from './log-store.ts'
export type { StorageLogger } from './logger.ts'
export { MemoryPartitionLog } from './memory-log.ts'
export { MemoryLogStore, type MemoryLogStoreOptions } from './memory-log-store.ts'
export { DiskPartitionLog } from './partition-log.ts'
export type { TailCacheLimits } from './tail-cache.ts'
export {
  type CreateTopicResult,
  MemoryTopicCatalog,
  type NewTopic,
  type TopicCatalog,
  type TopicRecord,
  type UpdateTopicResult,
} from './topic-catalog.ts'
