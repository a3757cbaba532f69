// The storage interfaces the broker programs against. Two implementations: the disk log
// (partition-log.ts, log-store.ts) and the in-memory log (memory-log.ts, memory-log-store.ts);
// test/storage/conformance.ts holds them to the same behaviour.
//
// Offsets and timestamps are JS numbers (exact below 2^53). Expected outcomes are results with a
// `kind`, never exceptions: each maps onto a Kafka error code in the handler's response.
import type { Lease } from './buffer-pool.ts'
import type { StorageError } from './errors.ts'
import type { LogConfig } from './log-config.ts'

export interface AppendOptions {
  /** Written into every batch's partitionLeaderEpoch field. Default 0 (one node, leader at epoch 0). */
  readonly partitionLeaderEpoch?: number
}

export type AppendResult =
  /** Stored; the OS has the bytes (acks=1 may answer now; acks=all awaits flush()). */
  | {
      readonly kind: 'appended'
      readonly baseOffset: number
      readonly lastOffset: number
      readonly logStartOffset: number
    }
  /** A batch is bigger than max.message.bytes: Kafka MESSAGE_TOO_LARGE (10). Nothing stored. */
  | { readonly kind: 'messageTooLarge'; readonly batchSize: number; readonly maxMessageBytes: number }
  /** The append is bigger than segment.bytes: Kafka RECORD_LIST_TOO_LARGE (18). Nothing stored. */
  | { readonly kind: 'batchTooLarge'; readonly size: number; readonly segmentBytes: number }
  /**
   * The log is offline after an I/O error, or closed, or the disk is full (then nothing was stored
   * and error.retriable is set): Kafka KAFKA_STORAGE_ERROR (56).
   */
  | StorageFailure
  /** A defect met by this request: Kafka UNKNOWN_SERVER_ERROR (-1). Nothing was stored. */
  | RequestFailure

export interface StorageFailure {
  readonly kind: 'storageError'
  readonly error: StorageError
}

/**
 * One request failed and the log serves on (errors.ts): error.code is `corruptData` (Kafka
 * CORRUPT_MESSAGE, 2) or `internal` (a defect, logged with its stack: UNKNOWN_SERVER_ERROR, -1).
 */
export interface RequestFailure {
  readonly kind: 'requestFailed'
  readonly error: StorageError
}

export interface ReadOptions {
  /**
   * Return the first batch even if it is larger than maxBytes (Kafka: true for the first
   * partition of a Fetch response, so a consumer is never stuck behind a big batch).
   */
  readonly minOneBatch?: boolean
  /** Exclusive bound: only batches whose last offset is below it (e.g. the last stable offset). */
  readonly upToOffset?: number
  /**
   * Holds the pooled memory the returned batches live in until the caller releases it (after
   * the socket has taken a fetch response). Without it, such batches come back as copies.
   */
  readonly lease?: Lease
}

export type ReadResult =
  | {
      readonly kind: 'ok'
      /** Whole batches, exactly as stored, in offset order; the first contains fetchOffset. */
      readonly batches: Buffer[]
      readonly sizeInBytes: number
      readonly logStartOffset: number
      /** = logEndOffset on a single node. */
      readonly highWatermark: number
      readonly logEndOffset: number
    }
  /** fetchOffset < logStartOffset or > logEndOffset: Kafka OFFSET_OUT_OF_RANGE (1). */
  | { readonly kind: 'offsetOutOfRange'; readonly logStartOffset: number; readonly logEndOffset: number }
  | StorageFailure
  | RequestFailure

export type BatchLookup =
  /**
   * The batch that answers the lookup, with its header facts. Storage works in batches; the
   * broker decodes this one batch to find the exact record (see offsetForTimestamp/maxTimestamp).
   */
  | {
      readonly kind: 'found'
      readonly baseOffset: number
      readonly lastOffset: number
      readonly maxTimestamp: number
      readonly batch: Buffer
    }
  | { readonly kind: 'notFound' }
  | StorageFailure
  | RequestFailure

export type DeleteRecordsResult =
  | { readonly kind: 'ok'; readonly lowWatermark: number }
  /** offset < 0 or > high watermark: Kafka OFFSET_OUT_OF_RANGE (1). */
  | { readonly kind: 'offsetOutOfRange'; readonly logStartOffset: number; readonly logEndOffset: number }
  | StorageFailure
  | RequestFailure

export interface RetentionResult {
  readonly deletedSegments: number
  readonly deletedBytes: number
}

export interface CleanOptions {
  /** The cleaner's clock (tombstone horizons, compaction lags). Default: the store's clock. */
  readonly now?: number
  /**
   * Offsets at or past this are never cleaned: the last stable offset, so an undecided
   * transaction is never compacted. Default: the high watermark.
   */
  readonly stableOffset?: (log: PartitionLog) => number
}

/** What one cleaning of one log did. */
export interface CleaningStats {
  /** Why the log was chosen: its dirty ratio, max.compaction.lag.ms, or a tombstone's delete horizon. */
  readonly reason: 'dirtyRatio' | 'maxCompactionLag' | 'deleteHorizon'
  /** Dirty share of the cleanable bytes when the log was chosen. */
  readonly dirtyRatio: number
  /** Bytes read, every pass included (scan, offset map, rewrite). */
  readonly bytesRead: number
  /** Size of the rewritten segments before and after. */
  readonly bytesBefore: number
  readonly bytesAfter: number
  readonly segmentsBefore: number
  readonly segmentsAfter: number
  readonly recordsRead: number
  readonly recordsKept: number
  /** Everything below this offset is now clean (the next cleaning's first dirty offset). */
  readonly firstDirtyOffset: number
  readonly durationMs: number
}

export type CleanResult =
  /** No log needed cleaning. */
  | { readonly kind: 'idle' }
  | {
      readonly kind: 'cleaned'
      readonly topic: string
      readonly partition: number
      readonly stats: CleaningStats
    }
  /**
   * The cleaning stopped with nothing lost: the store closed, the log went offline or was deleted,
   * retention removed segments under it, or an error (then the log is left uncleanable until restart).
   */
  | { readonly kind: 'aborted'; readonly topic: string; readonly partition: number; readonly reason: string }

/**
 * One partition's log. Appends are synchronous, so a handler's append/read sequence never
 * interleaves with another's inside one log; the log owns all of its state.
 */
export interface PartitionLog {
  readonly topic: string
  readonly partition: number
  /** The first offset a fetch may ask for (moved by retention and DeleteRecords). */
  readonly logStartOffset: number
  /** The offset the next appended record gets. */
  readonly logEndOffset: number
  /** = logEndOffset: one node is the whole ISR. */
  readonly highWatermark: number
  /** Bytes stored across all segments. */
  readonly sizeInBytes: number
  readonly segmentCount: number
  readonly config: LogConfig
  /**
   * The I/O failure that took the log offline (it answers KAFKA_STORAGE_ERROR until restart), or
   * undefined while it serves.
   */
  readonly offlineReason: StorageError | undefined

  /**
   * Stores `records`: one or more whole v2 batches back to back (a Produce request's Records
   * field), already validated by the caller (magic, CRC, LogAppendTime rewrite if the topic uses
   * it). Each batch gets its base offset and partition leader epoch written in place; the bytes
   * are otherwise stored as given. Ownership passes to the log: it may keep a reference (tail
   * cache), so do not reuse the buffer. Throws StorageError(invalidBatch) if the bytes are not
   * whole batches (a caller bug). Never fsyncs.
   */
  append(records: Buffer, options?: AppendOptions): AppendResult

  /**
   * Resolves once every append made before the call is on the device (acks=all). Concurrent
   * calls share one fsync (group commit). Rejects with StorageError when the log is offline.
   */
  flush(): Promise<void>

  /**
   * Whole batches from the one containing `fetchOffset`, as many as fit in `maxBytes` (see
   * ReadOptions). `fetchOffset == logEndOffset` gives no batches. Served from the tail cache when
   * it holds `fetchOffset`, otherwise from the segment files (index lookup + positioned reads).
   */
  read(fetchOffset: number, maxBytes: number, options?: ReadOptions): ReadResult

  /**
   * ListOffsets by timestamp: the first batch (with last offset >= `fromOffset`, default
   * logStartOffset) whose maxTimestamp >= `timestamp`. Kafka answers with the first *record* whose
   * timestamp >= target: the broker decodes the returned batch and takes the first record with
   * timestamp >= target and offset >= logStartOffset. If none qualifies (possible only when
   * logStartOffset is inside the batch) it asks again with fromOffset = lastOffset + 1.
   */
  offsetForTimestamp(timestamp: number, fromOffset?: number): BatchLookup

  /**
   * ListOffsets MAX_TIMESTAMP (-3): the batch holding the largest timestamp in the log (the first
   * such batch; the earliest segment on ties, like Kafka). The broker decodes it for the offset of
   * the record carrying that timestamp. notFound on an empty log.
   */
  maxTimestamp(): BatchLookup

  /**
   * DeleteRecords: moves logStartOffset up to `offset` (no-op when already past it), deletes
   * segments wholly below it, and persists logStartOffset before resolving. The broker maps
   * offset -1 to the high watermark first.
   */
  deleteRecordsBefore(offset: number): Promise<DeleteRecordsResult>

  /**
   * Deletes segments by retention.ms / retention.bytes / logStartOffset (see retention.ts). Cheap
   * and synchronous: files are renamed, then removed in the background.
   */
  enforceRetention(now: number): RetentionResult

  /** New settings apply from the next append / retention run. */
  updateConfig(config: LogConfig): void
}

export interface StorageStats {
  readonly partitions: number
  readonly segments: number
  readonly sizeInBytes: number
  readonly appendedBytes: number
  readonly fsyncs: number
  readonly tailCacheBytes: number
  readonly tailCacheHits: number
  readonly tailCacheMisses: number
  /** Log compaction: cleanings completed. */
  readonly cleanerRuns: number
  /** Bytes the cleaner read (all passes). */
  readonly cleanerBytesRead: number
  /** Bytes cleanings removed from the logs (size before minus after). */
  readonly cleanerBytesReclaimed: number
  /** Records cleanings removed. */
  readonly cleanerRecordsRemoved: number
  /** Wall time spent in completed cleanings, yields to the event loop included (ms). */
  readonly cleanerTimeMs: number
  /** Logs the cleaner gave up on after an error (until restart), as Kafka's uncleanable partitions. */
  readonly uncleanablePartitions: number
}

/** All partition logs of one broker. */
export interface LogStore {
  /**
   * Creates the partition's log, or returns the existing one (with `config` applied). Resolves
   * once the new directory is durable.
   */
  createPartition(topic: string, partition: number, config: LogConfig): Promise<PartitionLog>
  getPartition(topic: string, partition: number): PartitionLog | undefined
  /** Every open partition log, or those of one topic. */
  partitions(topic?: string): PartitionLog[]
  /**
   * Deletes every partition of `topic`: the logs close at once (later calls on them report
   * storageError), the data is removed in the background. Resolves with the number deleted.
   */
  deletePartitions(topic: string): Promise<number>
  /** Applies `config` to every partition of `topic`. */
  updateConfig(topic: string, config: LogConfig): void
  /** Runs retention on every partition (the broker calls it from a timer). */
  enforceRetention(now: number): RetentionResult
  /**
   * Log compaction (cleanup.policy compact or compact,delete): cleans the dirtiest log that needs it
   * (see cleaning-plan.ts), one at a time. The work runs in slices that yield to the event loop, so
   * produce and fetch keep flowing; it never touches the active segment. Call it again until it
   * answers `idle` to clean every log that needs it (the broker does, from a timer).
   */
  clean(options?: CleanOptions): Promise<CleanResult>
  /** flush() on every partition. */
  flushAll(): Promise<void>
  /** Flushes everything, closes the files and marks the shutdown clean. */
  close(): Promise<void>
  stats(): StorageStats
}
