// The transaction coordinator: producer ids, every transactional id's metadata (kept in
// `__transaction_state`), and the COMMIT/ABORT markers that end transactions. One node
// coordinates every transactional id, so FindCoordinator (key type 1) always names this broker.
//
// Ending a transaction, as Kafka does it, crash-safe at each step:
//   1. write PrepareCommit / PrepareAbort (fsynced);
//   2. write a marker into every partition of the transaction that holds its data (through the
//      producer state, which closes the transaction there), fsync them, and tell the group
//      coordinator about `__consumer_offsets` partitions so pending transactional offsets
//      become committed (or are dropped);
//   3. write CompleteCommit / CompleteAbort (not awaited to disk: step 1 and 2 already are).
// After a crash between 1 and 3 the broker finishes step 2 and 3 when it starts (partitions that
// already have their marker are skipped). Kafka answers EndTxn after step 1 and sends markers in
// the background; here the answer waits for step 3, so a client's next transaction never meets
// CONCURRENT_TRANSACTIONS.
//
// Ownership: each transactional id has one owner, a serial queue; every request and timer task
// that changes a transactional id runs on it, one at a time, to the end (including its writes).
// The map of metadata belongs to the coordinator; an id's entry is replaced only by its owner,
// and only after the new metadata is on disk. Readers (Produce's verification, Describe/List)
// read the current entry.
import { ErrorCode } from '@runnel/protocol'
import type { InternalTopicDeps } from '../cluster/internal-topic.ts'
import type { Partitions } from '../cluster/partitions.ts'
import { type Clock, systemClock, type TimerHandle } from '../group/clock.ts'
import { everyPartition, type GroupCoordinator, type TopicPartitionErrors } from '../group/coordinator.ts'
import { OFFSETS_TOPIC } from '../group/offsets-topic.ts'
import { SerialQueues } from '../serial-queue.ts'
import type { PartitionLog } from '../storage/index.ts'
import { ProducerIdManager } from './producer-ids.ts'
import { TRANSACTION_STATE_TOPIC, TransactionStateTopic } from './transaction-log.ts'
import {
  completed,
  type Decision,
  decideAddPartitions,
  decideEndTxn,
  decideInitProducerId,
  fenced,
  hasPartition,
  isExpired,
  isTimedOut,
  newTxnMetadata,
  type TopicPartition,
  type TxnMetadata,
  TxnState,
  verifyPartition,
} from './transaction-metadata.ts'
import { type TransactionConfig, transactionConfig } from './txn-config.ts'

export interface InitProducerIdResult {
  errorCode: number
  producerId: bigint
  producerEpoch: number
}

export interface TxnOffsetCommitInput {
  transactionalId: string
  groupId: string
  producerId: bigint
  producerEpoch: number
  generationId: number
  memberId: string
  groupInstanceId: string | null
  topics: {
    name: string
    partitions: {
      partitionIndex: number
      committedOffset: bigint
      committedLeaderEpoch: number
      committedMetadata: string | null
    }[]
  }[]
}

export interface DescribedTransaction {
  errorCode: number
  transactionalId: string
  transactionState: string
  transactionTimeoutMs: number
  transactionStartTimeMs: bigint
  producerId: bigint
  producerEpoch: number
  topics: { topic: string; partitions: number[] }[]
}

const ALL_STATES: ReadonlySet<string> = new Set(Object.values(TxnState))

/** The group coordinator's side of a transaction: its offsets partition and its pending offsets. */
export interface TransactionGroupSide {
  /** NONE once __consumer_offsets exists and is loaded, else the error to answer. */
  ensureReady(): Promise<number>
  /** The __consumer_offsets partition that holds a group. */
  offsetsPartitionFor(groupId: string): number
  completeTransaction: GroupCoordinator['completeTransaction']
  commitTxnOffsets: GroupCoordinator['commitTxnOffsets']
}

/** What the transaction coordinator works with. */
export interface TransactionCoordinatorDeps extends InternalTopicDeps {
  readonly brokerConfigs: Readonly<Record<string, string>>
  /** Where producer ids are kept (`<dataDir>/__producer_state`); undefined in memory. */
  readonly producerIdDir: string | undefined
  /** Writes a transaction's COMMIT/ABORT markers into its partitions. */
  readonly markers: Pick<Partitions, 'appendMarker'>
  readonly groups: TransactionGroupSide
  /** Transaction timestamps and timeouts (an injected clock in tests). */
  readonly clock?: Clock
}

export class TransactionCoordinator {
  readonly config: TransactionConfig
  readonly stateTopic: TransactionStateTopic
  private readonly deps: TransactionCoordinatorDeps
  private readonly clock: Clock
  private readonly producerIds: ProducerIdManager
  /** Owner: this coordinator (entries replaced by each id's queue; see the file comment). */
  private readonly txns = new Map<string, TxnMetadata>()
  /** Owner: this coordinator; one queue per transactional id with work queued. */
  private readonly queues = new SerialQueues<string>()
  private timer: TimerHandle | undefined
  private lastExpiryRun = 0
  private stopped = false

  constructor(deps: TransactionCoordinatorDeps) {
    this.deps = deps
    this.clock = deps.clock ?? systemClock()
    this.config = transactionConfig(deps.brokerConfigs)
    this.stateTopic = new TransactionStateTopic(deps, this.config)
    this.producerIds = new ProducerIdManager(deps.producerIdDir)
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * Rebuilds every transactional id from `__transaction_state`, finishes the transactions that
   * were between their prepare and complete records, and starts the timeout timer.
   */
  async start(): Promise<void> {
    const started = performance.now()
    this.stateTopic.replay(({ transactionalId, meta }) => {
      if (meta === null) this.txns.delete(transactionalId)
      else this.txns.set(transactionalId, meta)
    })
    for (const meta of this.txns.values()) this.producerIds.ensureAbove(meta.producerId)
    const unfinished = [...this.txns.values()].filter(
      (m) => m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort,
    )
    for (const meta of unfinished) await this.run(meta.transactionalId, () => this.finish(meta))
    this.lastExpiryRun = this.clock.now()
    this.scheduleTimer()
    if (this.stateTopic.topic) {
      this.deps.log.info(
        {
          transactionalIds: this.txns.size,
          completed: unfinished.length,
          ms: Math.round(performance.now() - started),
        },
        `transactions loaded from ${TRANSACTION_STATE_TOPIC}`,
      )
    }
  }

  /** Stops the timer and waits for the work in progress. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    this.clock.clearTimeout(this.timer)
    await this.queues.drain()
  }

  private run<T>(transactionalId: string, task: () => Promise<T>): Promise<T> {
    return this.queues.run(transactionalId, task)
  }

  // ---- writes -------------------------------------------------------------------------------

  /**
   * Writes `next` to `__transaction_state`; once it is on disk (or only appended, when not
   * `durable`) it becomes the current metadata.
   */
  private async store(next: TxnMetadata, durable = true): Promise<number> {
    const error = await this.stateTopic.write(next.transactionalId, next, durable)
    if (error === ErrorCode.NONE) this.txns.set(next.transactionalId, next)
    return error
  }

  /**
   * Ends a transaction whose Prepare state is `prepared`: writes it, the markers, and the
   * Complete state. Resolves with the error of the first write (what the client is answered);
   * when markers fail, the transaction stays prepared and the timer tries again.
   */
  private async endTransaction(prepared: TxnMetadata): Promise<number> {
    const error = await this.store(prepared)
    if (error !== ErrorCode.NONE) return error
    await this.finish(prepared)
    return ErrorCode.NONE
  }

  /** Steps 2 and 3 for a prepared transaction. True once it is complete. */
  private async finish(prepared: TxnMetadata): Promise<boolean> {
    const commit = prepared.state === TxnState.PrepareCommit
    const markersWritten = await this.writeMarkers(prepared, commit)
    if (!markersWritten) return false
    // Complete need not be fsynced before the answer: if a power loss takes it, the broker finds
    // the transaction prepared at start and completes it again (its markers are skipped). The
    // prepare record and the markers are what must be durable.
    const error = await this.store(completed(prepared, this.clock.now()), false)
    if (error !== ErrorCode.NONE) {
      this.deps.log.warn(
        { transactionalId: prepared.transactionalId, error },
        'transaction completion not written; will retry',
      )
      return false
    }
    return true
  }

  private async writeMarkers(meta: TxnMetadata, commit: boolean): Promise<boolean> {
    const now = this.clock.now()
    const touched: PartitionLog[] = []
    const offsetsPartitions: number[] = []
    let ok = true
    for (const { topic, partition } of meta.partitions) {
      const log = this.deps.topics.get(topic)?.partitions[partition]
      if (!log) continue // deleted since: nothing left to mark
      const appended = this.deps.markers.appendMarker(log, meta.producerId, meta.producerEpoch, commit, now)
      if (appended.kind === 'appended') touched.push(log)
      else if (appended.kind !== 'skipped') {
        ok = false
        this.deps.log.error({ topic, partition, result: appended.kind }, 'transaction marker not written')
      }
      if (topic === OFFSETS_TOPIC) offsetsPartitions.push(partition)
    }
    try {
      await Promise.all(touched.map((log) => log.flush()))
    } catch (err) {
      this.deps.log.error({ err }, 'transaction markers not synced')
      return false
    }
    if (offsetsPartitions.length > 0) {
      await this.deps.groups.completeTransaction(meta.producerId, offsetsPartitions, commit)
    }
    return ok
  }

  // ---- InitProducerId -----------------------------------------------------------------------

  /**
   * InitProducerId. Without a transactional id: a new producer id, epoch 0 (Kafka does this even
   * when a v3+ request names its current id). With one: see decideInitProducerId.
   */
  async initProducerId(
    transactionalId: string | null,
    transactionTimeoutMs: number,
    expected: { producerId: bigint; producerEpoch: number } | null,
  ): Promise<InitProducerIdResult> {
    const fail = (errorCode: number): InitProducerIdResult => ({
      errorCode,
      producerId: -1n,
      producerEpoch: -1,
    })
    if (this.stopped) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    if (transactionalId === null) {
      return { errorCode: ErrorCode.NONE, producerId: this.producerIds.generate(), producerEpoch: 0 }
    }
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST)
    if (transactionTimeoutMs <= 0 || transactionTimeoutMs > this.config.maxTimeoutMs) {
      return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT)
    }
    if (!(await this.stateTopic.ensure())) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    return this.run(transactionalId, async () => {
      const now = this.clock.now()
      const meta =
        this.txns.get(transactionalId) ??
        newTxnMetadata(transactionalId, this.producerIds.generate(), transactionTimeoutMs, now)
      const decision = decideInitProducerId(meta, { timeoutMs: transactionTimeoutMs, expected, now }, () =>
        this.producerIds.generate(),
      )
      switch (decision.kind) {
        case 'error':
          return fail(decision.errorCode)
        case 'fence': {
          this.deps.log.info(
            { transactionalId, producerId: meta.producerId, epoch: decision.next.producerEpoch },
            'a new producer fenced the previous one; its open transaction is aborted',
          )
          const error = await this.endTransaction(decision.next)
          return fail(error === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : error)
        }
        case 'write': {
          const error = await this.store(decision.next)
          if (error !== ErrorCode.NONE) return fail(error)
          return {
            errorCode: ErrorCode.NONE,
            producerId: decision.next.producerId,
            producerEpoch: decision.next.producerEpoch,
          }
        }
        default:
          return fail(ErrorCode.UNKNOWN_SERVER_ERROR)
      }
    })
  }

  // ---- AddPartitionsToTxn, AddOffsetsToTxn, EndTxn -------------------------------------------

  async addPartitions(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    partitions: readonly TopicPartition[],
  ): Promise<number> {
    if (this.stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST
    return this.run(transactionalId, async () => {
      const decision = decideAddPartitions(
        this.txns.get(transactionalId),
        producerId,
        producerEpoch,
        partitions,
        this.clock.now(),
      )
      return this.apply(decision)
    })
  }

  /** AddOffsetsToTxn: adds the group's `__consumer_offsets` partition to the transaction. */
  async addOffsets(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    groupId: string,
  ): Promise<number> {
    if (this.stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if ((await this.deps.groups.ensureReady()) !== ErrorCode.NONE) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const partition = this.deps.groups.offsetsPartitionFor(groupId)
    return this.addPartitions(transactionalId, producerId, producerEpoch, [
      { topic: OFFSETS_TOPIC, partition },
    ])
  }

  async endTxn(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    commit: boolean,
  ): Promise<number> {
    if (this.stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST
    return this.run(transactionalId, async () => {
      const decision = decideEndTxn(
        this.txns.get(transactionalId),
        producerId,
        producerEpoch,
        commit,
        this.clock.now(),
      )
      if (decision.kind === 'write') return this.endTransaction(decision.next)
      return this.apply(decision)
    })
  }

  private async apply(decision: Decision): Promise<number> {
    switch (decision.kind) {
      case 'error':
        return decision.errorCode
      case 'none':
        return ErrorCode.NONE
      case 'write':
        return this.store(decision.next)
      default:
        return ErrorCode.UNKNOWN_SERVER_ERROR
    }
  }

  // ---- TxnOffsetCommit ------------------------------------------------------------------------

  /**
   * TxnOffsetCommit: the producer must be the transactional id's current one, with the group's
   * `__consumer_offsets` partition added (AddOffsetsToTxn) to its ongoing transaction; the group
   * coordinator then writes the offsets as pending. Runs on the transactional id's owner, so it
   * never interleaves with the transaction's end.
   */
  async txnOffsetCommit(input: TxnOffsetCommitInput): Promise<TopicPartitionErrors[]> {
    const everywhere = (errorCode: number): TopicPartitionErrors[] => everyPartition(input.topics, errorCode)
    if (this.stopped) return everywhere(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    if ((await this.deps.groups.ensureReady()) !== ErrorCode.NONE)
      return everywhere(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    return this.run(input.transactionalId, async () => {
      const meta = this.txns.get(input.transactionalId)
      const partition = this.deps.groups.offsetsPartitionFor(input.groupId)
      if (!meta || meta.producerId !== input.producerId)
        return everywhere(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
      if (input.producerEpoch !== meta.producerEpoch) return everywhere(ErrorCode.INVALID_PRODUCER_EPOCH)
      if (meta.state !== TxnState.Ongoing || !hasPartition(meta, OFFSETS_TOPIC, partition)) {
        return everywhere(ErrorCode.INVALID_TXN_STATE)
      }
      return this.deps.groups.commitTxnOffsets(input)
    })
  }

  // ---- Produce verification -------------------------------------------------------------------

  /** Whether a transactional batch may open a transaction in this partition (see verifyPartition). */
  verifyPartition(
    transactionalId: string | null,
    producerId: bigint,
    producerEpoch: number,
    topic: string,
    partition: number,
  ): { errorCode: number; message: string } {
    const meta = transactionalId === null ? undefined : this.txns.get(transactionalId)
    return verifyPartition(meta, producerId, producerEpoch, topic, partition)
  }

  // ---- timers ---------------------------------------------------------------------------------

  /** transaction.abort.timed.out.transaction.cleanup.interval.ms, on the coordinator's clock. */
  private scheduleTimer(): void {
    this.timer = this.clock.setTimeout(() => {
      void this.onTimer().finally(() => {
        if (!this.stopped) this.scheduleTimer()
      })
    }, this.config.abortTimedOutIntervalMs)
  }

  private async onTimer(): Promise<void> {
    if (this.stopped) return
    const now = this.clock.now()
    try {
      await this.abortTimedOutTransactions(now)
      if (now - this.lastExpiryRun >= this.config.removeExpiredIntervalMs) {
        this.lastExpiryRun = now
        await this.expireTransactionalIds(now)
      }
    } catch (err) {
      this.deps.log.error({ err }, 'transaction timer failed')
    }
  }

  /**
   * transaction.timeout.ms: aborts every Ongoing transaction older than its timeout, bumping the
   * epoch so its producer is fenced (as Kafka does), and retries transactions stuck between their
   * prepare and complete records.
   */
  async abortTimedOutTransactions(now = this.clock.now()): Promise<number> {
    let aborted = 0
    const work = [...this.txns.values()]
      .filter(
        (m) => isTimedOut(m, now) || m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort,
      )
      .map((m) =>
        this.run(m.transactionalId, async () => {
          const current = this.txns.get(m.transactionalId)
          if (!current) return
          if (current.state === TxnState.PrepareCommit || current.state === TxnState.PrepareAbort) {
            await this.finish(current)
            return
          }
          if (!isTimedOut(current, now)) return
          this.deps.log.info(
            {
              transactionalId: current.transactionalId,
              producerId: current.producerId,
              timeoutMs: current.txnTimeoutMs,
            },
            'transaction timed out; aborting it and fencing its producer',
          )
          if ((await this.endTransaction(fenced(current, this.clock.now()))) === ErrorCode.NONE) aborted++
        }),
      )
    await Promise.all(work)
    return aborted
  }

  /** transactional.id.expiration.ms: idle transactional ids are forgotten (a tombstone each). */
  async expireTransactionalIds(now = this.clock.now()): Promise<number> {
    let expired = 0
    const work = [...this.txns.values()]
      .filter((m) => isExpired(m, now, this.config.transactionalIdExpirationMs))
      .map((m) =>
        this.run(m.transactionalId, async () => {
          const current = this.txns.get(m.transactionalId)
          if (!current || !isExpired(current, now, this.config.transactionalIdExpirationMs)) return
          if ((await this.stateTopic.write(current.transactionalId, null)) === ErrorCode.NONE) {
            this.txns.delete(current.transactionalId)
            expired++
          }
        }),
      )
    await Promise.all(work)
    return expired
  }

  // ---- tooling --------------------------------------------------------------------------------

  describe(transactionalId: string): DescribedTransaction {
    const base: DescribedTransaction = {
      errorCode: ErrorCode.NONE,
      transactionalId,
      transactionState: '',
      transactionTimeoutMs: 0,
      transactionStartTimeMs: -1n,
      producerId: -1n,
      producerEpoch: -1,
      topics: [],
    }
    if (this.stopped) return { ...base, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }
    if (transactionalId === '') return { ...base, errorCode: ErrorCode.INVALID_REQUEST }
    const meta = this.txns.get(transactionalId)
    if (!meta) return { ...base, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND }
    const topics: { topic: string; partitions: number[] }[] = []
    for (const p of meta.partitions) {
      let t = topics.find((x) => x.topic === p.topic)
      if (!t) topics.push((t = { topic: p.topic, partitions: [] }))
      t.partitions.push(p.partition)
    }
    return {
      ...base,
      transactionState: meta.state,
      transactionTimeoutMs: meta.txnTimeoutMs,
      transactionStartTimeMs: BigInt(meta.txnStartTimestamp),
      producerId: meta.producerId,
      producerEpoch: meta.producerEpoch,
      topics,
    }
  }

  /** ListTransactions: filtered by state names, producer ids and (v1) how long they have run. */
  list(
    stateFilters: readonly string[],
    producerIdFilters: readonly bigint[],
    durationFilterMs: number,
  ): {
    errorCode: number
    unknownStateFilters: string[]
    transactionStates: { transactionalId: string; producerId: bigint; transactionState: string }[]
  } {
    if (this.stopped)
      return {
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        unknownStateFilters: [],
        transactionStates: [],
      }
    const unknownStateFilters = stateFilters.filter((s) => !ALL_STATES.has(s))
    const states = new Set(stateFilters.filter((s) => ALL_STATES.has(s)))
    const pids = new Set(producerIdFilters)
    const now = this.clock.now()
    const transactionStates = [...this.txns.values()]
      .filter((m) => stateFilters.length === 0 || states.has(m.state))
      .filter((m) => pids.size === 0 || pids.has(m.producerId))
      .filter(
        (m) =>
          durationFilterMs < 0 || (m.txnStartTimestamp >= 0 && now - m.txnStartTimestamp >= durationFilterMs),
      )
      .sort((a, b) =>
        a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0,
      )
      .map((m) => ({
        transactionalId: m.transactionalId,
        producerId: m.producerId,
        transactionState: m.state,
      }))
    return { errorCode: ErrorCode.NONE, unknownStateFilters, transactionStates }
  }

  /** The current metadata of a transactional id (tests and tools; read-only use). */
  transaction(transactionalId: string): TxnMetadata | undefined {
    return this.txns.get(transactionalId)
  }
}
