// Errors thrown by the storage layer. Kafka error codes are data in responses, so storage
// reports expected outcomes (out of range, too large, offline log) as discriminated results;
// it throws only for caller bugs (a malformed batch handed to append, a bad config value) and
// for I/O failures on the async paths (flush, close), where a rejected promise is the result.

export const StorageErrorCode = {
  /** append() was given bytes that are not whole v2 batches: a bug in the caller's validation. */
  invalidBatch: 'RUNNEL_STORAGE_INVALID_BATCH',
  /** A LogConfig value is out of range. */
  invalidConfig: 'RUNNEL_STORAGE_INVALID_CONFIG',
  /** A topic name or partition number cannot name a directory. */
  invalidPartitionName: 'RUNNEL_STORAGE_INVALID_PARTITION_NAME',
  /** An I/O call failed; the log is offline until restart (Kafka: KAFKA_STORAGE_ERROR). */
  logOffline: 'RUNNEL_STORAGE_LOG_OFFLINE',
  /** The log or store was closed (or its topic deleted). */
  closed: 'RUNNEL_STORAGE_CLOSED',
  /** A persisted file (checkpoint, catalog) cannot be parsed. */
  corruptFile: 'RUNNEL_STORAGE_CORRUPT_FILE',
} as const
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode]

export class StorageError extends Error {
  override readonly name = 'StorageError'
  readonly code: StorageErrorCode
  readonly retriable: boolean

  constructor(
    code: StorageErrorCode,
    message: string,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retriable = options.retriable ?? false
  }
}
