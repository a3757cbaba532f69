// The partition owner: the one way into a partition's log for everything that writes or reads
// records. Produce, Fetch, ListOffsets, the transaction markers (EndTxn, WriteTxnMarkers) and the
// internal topics (__consumer_offsets, __transaction_state) all come through here, so that
//
// - every append that carries a producer id is checked against the partition's producer state
//   (txn/producer-states.ts) in the same synchronous step as the append;
// - every append, whoever made it, wakes the fetches parked on its partition, from this one
//   place (the append notification);
// - every read sees the same last stable offset and aborted transactions.
//
// Storage (storage/) knows nothing of producers; the producer states know nothing of waiting
// fetches; this file joins the two. Ownership: appends are synchronous, so one append at a
// time per partition needs no queue (the event loop is the lock); the producer states and the
// notifier are owned here.
import { batchBaseOffset, batchLastOffsetDelta, iterateBatches } from '@runnel/protocol'
import type { AppendResult, Lease, PartitionLog, ReadResult } from '../storage/index.ts'
import type { AbortedTxn, ProducerEntry } from '../txn/producer-state.ts'
import type { MarkerAppend, ProducedAppend, ProducerStateManager } from '../txn/producer-states.ts'
import { AppendNotifier } from './append-notifier.ts'

export interface PartitionReadOptions {
  /** Pooled memory a tail-cache read may hand out in place; released after the response is sent. */
  readonly lease?: Lease
  /** Return the first batch even when it is larger than maxBytes (Kafka's "make progress"). */
  readonly minOneBatch?: boolean
  /** read_committed: stop at the last stable offset and name the aborted transactions read. */
  readonly readCommitted?: boolean
}

/** A partition's offsets, as Fetch and ListOffsets answer them. */
export interface PartitionOffsets {
  readonly highWatermark: number
  readonly lastStableOffset: number
  readonly logStartOffset: number
}

/** A read with the partition's offsets as they were when it was made. */
export interface PartitionRead extends PartitionOffsets {
  readonly result: ReadResult
  /** read_committed only: the aborted transactions of the returned range (Kafka's collectAbortedTransactions). */
  readonly abortedTransactions: readonly AbortedTxn[]
}

const NO_ABORTED: readonly AbortedTxn[] = []

export class Partitions {
  private readonly producers: ProducerStateManager
  private readonly appends = new AppendNotifier()

  constructor(producers: ProducerStateManager) {
    this.producers = producers
  }

  // ---- appends --------------------------------------------------------------------------------

  /** Produce: a client's validated batch, checked against the producer state when it has a producer id. */
  appendProduced(log: PartitionLog, batch: Buffer, transactionalId: string | null): ProducedAppend {
    return this.notified(log, this.producers.appendProduced(log, batch, transactionalId))
  }

  /** A transactional offset commit the group coordinator writes (only its producer epoch is checked). */
  appendCoordinatorBatch(log: PartitionLog, batch: Buffer): ProducedAppend {
    return this.notified(log, this.producers.appendCoordinatorBatch(log, batch))
  }

  /** A batch the broker writes for itself without a producer id (group and transaction records). */
  appendInternal(log: PartitionLog, batch: Buffer): AppendResult {
    return this.notified(log, log.append(batch))
  }

  /** The COMMIT or ABORT marker of a producer's transaction (skipped when none is open there). */
  appendMarker(
    log: PartitionLog,
    producerId: bigint,
    producerEpoch: number,
    commit: boolean,
    now: number,
    coordinatorEpoch?: number,
  ): MarkerAppend {
    return this.notified(
      log,
      this.producers.appendMarker(log, producerId, producerEpoch, commit, now, coordinatorEpoch),
    )
  }

  /** WriteTxnMarkers' epoch checks (NONE, INVALID_PRODUCER_EPOCH or TRANSACTION_COORDINATOR_FENCED). */
  checkMarker(
    log: PartitionLog,
    producerId: bigint,
    producerEpoch: number,
    coordinatorEpoch: number,
  ): number {
    return this.producers.checkMarker(log, producerId, producerEpoch, coordinatorEpoch)
  }

  private notified<R extends { readonly kind: string }>(log: PartitionLog, result: R): R {
    if (result.kind === 'appended') this.appends.notify(log.topic, log.partition)
    return result
  }

  /** The broker stops: every parked fetch answers now with what it has. */
  wakeAll(): void {
    this.appends.wakeAll()
  }

  /** A topic was deleted: fetches parked on its partitions must learn it is gone. */
  topicDeleted(topic: string, partitions: number): void {
    for (let p = 0; p < partitions; p++) this.appends.notify(topic, p)
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** The offset below which every transaction is decided. */
  lastStableOffset(log: PartitionLog): number {
    return this.producers.lastStableOffset(log)
  }

  offsetsOf(log: PartitionLog): PartitionOffsets {
    return {
      highWatermark: log.highWatermark,
      lastStableOffset: this.producers.lastStableOffset(log),
      logStartOffset: log.logStartOffset,
    }
  }

  /**
   * Fetch: up to `maxBytes` from `fetchOffset`, below the high watermark (read_uncommitted) or the
   * last stable offset (read_committed), with the aborted transactions of what it returns.
   */
  read(
    log: PartitionLog,
    fetchOffset: number,
    maxBytes: number,
    options: PartitionReadOptions = {},
  ): PartitionRead {
    const highWatermark = log.highWatermark
    const lastStableOffset = this.producers.lastStableOffset(log)
    const logStartOffset = log.logStartOffset
    const result = log.read(fetchOffset, maxBytes, {
      lease: options.lease,
      minOneBatch: options.minOneBatch,
      upToOffset: options.readCommitted ? lastStableOffset : highWatermark,
    })
    const abortedTransactions =
      options.readCommitted && result.kind === 'ok' && result.sizeInBytes > 0
        ? this.abortedIn(log, fetchOffset, result.batches)
        : NO_ABORTED
    return { highWatermark, lastStableOffset, logStartOffset, result, abortedTransactions }
  }

  /** The aborted transactions of [fetchOffset, the last returned batch's end). */
  private abortedIn(
    log: PartitionLog,
    fetchOffset: number,
    batches: readonly Buffer[],
  ): readonly AbortedTxn[] {
    if (!this.producers.hasAbortedTransactions(log)) return NO_ABORTED
    const last = batches[batches.length - 1]
    let end = fetchOffset
    for (const at of iterateBatches(last)) {
      end = Number(batchBaseOffset(last, at.pos)) + batchLastOffsetDelta(last, at.pos) + 1
    }
    return this.producers.abortedTransactions(log, fetchOffset, end)
  }

  /** DescribeProducers: the producers the partition knows (undefined when its state cannot be read). */
  producersOf(log: PartitionLog): ProducerEntry[] | undefined {
    return this.producers.producersOf(log)
  }

  /**
   * Waits until one of the partitions (`AppendNotifier.key(topic, partition)`) gets an append,
   * `timeoutMs` passes or `signal` aborts. Resolves true when woken by an append.
   */
  waitForAppend(keys: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return this.appends.wait(keys, timeoutMs, signal)
  }
}
