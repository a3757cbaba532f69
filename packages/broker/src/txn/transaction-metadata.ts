// A transactional id's metadata and the decisions Kafka 3.9's TransactionCoordinator and
// TransactionMetadata make on it, as pure functions: each takes the current metadata (or none)
// and a request, and says what to answer and what to write. Nothing here does I/O; the
// coordinator (transaction-coordinator.ts) writes the new metadata to `__transaction_state` and
// only then makes it current.
//
//   Empty/CompleteCommit/CompleteAbort --AddPartitions/AddOffsets--> Ongoing
//   Ongoing --EndTxn commit--> PrepareCommit --markers written--> CompleteCommit
//   Ongoing --EndTxn abort, timeout, or a new InitProducerId (epoch bumped)--> PrepareAbort
//   PrepareAbort --markers written--> CompleteAbort
//   Empty/Complete* --InitProducerId--> Empty (epoch + 1, or a new producer id when exhausted)
//   Empty/Complete* --transactional.id.expiration.ms idle--> gone (a tombstone)
import { ErrorCode } from '@runnel/protocol'

export const TxnState = {
  Empty: 'Empty',
  Ongoing: 'Ongoing',
  PrepareCommit: 'PrepareCommit',
  PrepareAbort: 'PrepareAbort',
  CompleteCommit: 'CompleteCommit',
  CompleteAbort: 'CompleteAbort',
  Dead: 'Dead',
  PrepareEpochFence: 'PrepareEpochFence',
} as const
export type TxnState = (typeof TxnState)[keyof typeof TxnState]

/** The ids Kafka stores in TransactionLogValue.TransactionStatus. */
export const TXN_STATE_IDS: Readonly<Record<TxnState, number>> = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
}

const STATE_BY_ID = Object.fromEntries(
  Object.entries(TXN_STATE_IDS).map(([name, id]) => [id, name]),
) as Record<number, TxnState>

export function txnStateOfId(id: number): TxnState | undefined {
  return STATE_BY_ID[id]
}

export const NO_PRODUCER_ID = -1n
export const NO_PRODUCER_EPOCH = -1
const SHORT_MAX = 32767

/** Kafka's isEpochExhausted: the epoch can no longer be bumped twice (a fence and an init). */
export const isEpochExhausted = (epoch: number): boolean => epoch >= SHORT_MAX - 1

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

export interface TxnMetadata {
  readonly transactionalId: string
  readonly producerId: bigint
  /** The producer id before a rotation (epoch exhaustion); kept in memory only, as in Kafka 3.9. */
  readonly lastProducerId: bigint
  readonly producerEpoch: number
  /** The epoch before the last bump, so a retried InitProducerId (v3+) gets the same answer. */
  readonly lastProducerEpoch: number
  readonly txnTimeoutMs: number
  readonly state: TxnState
  /** The partitions in the transaction, sorted, each once. */
  readonly partitions: readonly TopicPartition[]
  /** When the first partition was added (-1 before). */
  readonly txnStartTimestamp: number
  readonly txnLastUpdateTimestamp: number
}

export type Decision =
  | { readonly kind: 'error'; readonly errorCode: number }
  /** Answer NONE; nothing changes. */
  | { readonly kind: 'none' }
  /** Write `next` to `__transaction_state`, then answer. */
  | { readonly kind: 'write'; readonly next: TxnMetadata }
  /**
   * Abort the ongoing transaction as `next` (PrepareAbort, epoch bumped), write its markers,
   * then answer CONCURRENT_TRANSACTIONS: the client retries and gets the epoch bumped again.
   */
  | { readonly kind: 'fence'; readonly next: TxnMetadata }

const error = (errorCode: number): Decision => ({ kind: 'error', errorCode })

export function hasPartition(meta: TxnMetadata, topic: string, partition: number): boolean {
  return meta.partitions.some((p) => p.topic === topic && p.partition === partition)
}

function comparePartitions(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition
}

export function mergePartitions(
  current: readonly TopicPartition[],
  added: readonly TopicPartition[],
): TopicPartition[] {
  const out = [...current]
  for (const p of added) if (!out.some((q) => q.topic === p.topic && q.partition === p.partition)) out.push(p)
  return out.sort(comparePartitions)
}

/** A transactional id's first metadata: a fresh producer id, no epoch yet, Empty. */
export function newTxnMetadata(
  transactionalId: string,
  producerId: bigint,
  timeoutMs: number,
  now: number,
): TxnMetadata {
  return {
    transactionalId,
    producerId,
    lastProducerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    txnTimeoutMs: timeoutMs,
    state: TxnState.Empty,
    partitions: [],
    txnStartTimestamp: -1,
    txnLastUpdateTimestamp: now,
  }
}

export interface InitProducerIdInput {
  readonly timeoutMs: number
  /** InitProducerId v3+: the producer id and epoch the client has (both -1: none). */
  readonly expected: { readonly producerId: bigint; readonly producerEpoch: number } | null
  readonly now: number
}

/**
 * InitProducerId for a transactional id (Kafka's prepareInitProducerIdTransit). An expected
 * producer id that is neither the current one nor, after an epoch exhaustion, the previous one
 * is fenced; a transaction in the middle of its markers makes the client retry; an ongoing one is
 * aborted with a bumped epoch first (the old producer is fenced); otherwise the epoch goes up by
 * one (or stays, when this is a retry of the last bump).
 */
export function decideInitProducerId(
  meta: TxnMetadata,
  input: InitProducerIdInput,
  newProducerId: () => bigint,
): Decision {
  const expected = input.expected
  if (expected) {
    const valid =
      meta.producerEpoch === NO_PRODUCER_EPOCH ||
      expected.producerId === meta.producerId ||
      (expected.producerId === meta.lastProducerId && isEpochExhausted(expected.producerEpoch))
    if (!valid) return error(ErrorCode.PRODUCER_FENCED)
  }
  switch (meta.state) {
    case TxnState.PrepareCommit:
    case TxnState.PrepareAbort:
      return error(ErrorCode.CONCURRENT_TRANSACTIONS)
    case TxnState.Ongoing:
      return { kind: 'fence', next: fenced(meta, input.now) }
    case TxnState.Empty:
    case TxnState.CompleteCommit:
    case TxnState.CompleteAbort: {
      const base = {
        ...meta,
        txnTimeoutMs: input.timeoutMs,
        state: TxnState.Empty,
        partitions: [],
        txnStartTimestamp: -1,
        txnLastUpdateTimestamp: input.now,
      }
      if (
        isEpochExhausted(meta.producerEpoch) &&
        (!expected || expected.producerEpoch === meta.producerEpoch)
      ) {
        return {
          kind: 'write',
          next: {
            ...base,
            producerId: newProducerId(),
            lastProducerId: meta.producerId,
            producerEpoch: 0,
            lastProducerEpoch: expected ? meta.producerEpoch : NO_PRODUCER_EPOCH,
          },
        }
      }
      if (isEpochExhausted(meta.producerEpoch)) return error(ErrorCode.PRODUCER_FENCED)
      if (!expected) {
        return {
          kind: 'write',
          next: { ...base, producerEpoch: meta.producerEpoch + 1, lastProducerEpoch: NO_PRODUCER_EPOCH },
        }
      }
      if (meta.producerEpoch === NO_PRODUCER_EPOCH || expected.producerEpoch === meta.producerEpoch) {
        return {
          kind: 'write',
          next: { ...base, producerEpoch: meta.producerEpoch + 1, lastProducerEpoch: meta.producerEpoch },
        }
      }
      if (expected.producerEpoch === meta.lastProducerEpoch) {
        // A retry of a bump whose answer was lost: the same epoch again.
        return { kind: 'write', next: base }
      }
      return error(ErrorCode.PRODUCER_FENCED)
    }
    default:
      return error(ErrorCode.CONCURRENT_TRANSACTIONS)
  }
}

/** The ongoing transaction aborted under a bumped epoch (Kafka's prepareFenceProducerEpoch + PrepareAbort). */
export function fenced(meta: TxnMetadata, now: number): TxnMetadata {
  return {
    ...meta,
    producerEpoch: meta.producerEpoch < SHORT_MAX ? meta.producerEpoch + 1 : meta.producerEpoch,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    state: TxnState.PrepareAbort,
    txnLastUpdateTimestamp: now,
  }
}

/** The producer id and epoch a request carries must be the transactional id's current ones. */
function checkProducer(
  meta: TxnMetadata | undefined,
  producerId: bigint,
  producerEpoch: number,
): Decision | undefined {
  if (!meta || meta.producerId !== producerId) return error(ErrorCode.INVALID_PRODUCER_ID_MAPPING)
  if (meta.producerEpoch !== producerEpoch) return error(ErrorCode.PRODUCER_FENCED)
  return undefined
}

/** AddPartitionsToTxn (and AddOffsetsToTxn, which adds the group's `__consumer_offsets` partition). */
export function decideAddPartitions(
  meta: TxnMetadata | undefined,
  producerId: bigint,
  producerEpoch: number,
  partitions: readonly TopicPartition[],
  now: number,
): Decision {
  const bad = checkProducer(meta, producerId, producerEpoch)
  if (bad) return bad
  const m = meta!
  switch (m.state) {
    case TxnState.PrepareCommit:
    case TxnState.PrepareAbort:
    case TxnState.PrepareEpochFence:
    case TxnState.Dead:
      return error(ErrorCode.CONCURRENT_TRANSACTIONS)
    case TxnState.Ongoing:
      if (partitions.every((p) => hasPartition(m, p.topic, p.partition))) return { kind: 'none' }
      break
    default:
      break
  }
  const starting = m.state !== TxnState.Ongoing
  return {
    kind: 'write',
    next: {
      ...m,
      state: TxnState.Ongoing,
      partitions: mergePartitions(starting ? [] : m.partitions, partitions),
      txnStartTimestamp: starting ? now : m.txnStartTimestamp,
      txnLastUpdateTimestamp: now,
    },
  }
}

/** EndTxn from the client (Kafka's endTransaction with isFromClient = true). */
export function decideEndTxn(
  meta: TxnMetadata | undefined,
  producerId: bigint,
  producerEpoch: number,
  commit: boolean,
  now: number,
): Decision {
  const bad = checkProducer(meta, producerId, producerEpoch)
  if (bad) return bad
  const m = meta!
  switch (m.state) {
    case TxnState.Ongoing:
      return {
        kind: 'write',
        next: {
          ...m,
          state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort,
          txnLastUpdateTimestamp: now,
        },
      }
    case TxnState.CompleteCommit:
      return commit ? { kind: 'none' } : error(ErrorCode.INVALID_TXN_STATE)
    case TxnState.CompleteAbort:
      return commit ? error(ErrorCode.INVALID_TXN_STATE) : { kind: 'none' }
    case TxnState.PrepareCommit:
      return commit ? error(ErrorCode.CONCURRENT_TRANSACTIONS) : error(ErrorCode.INVALID_TXN_STATE)
    case TxnState.PrepareAbort:
      return commit ? error(ErrorCode.INVALID_TXN_STATE) : error(ErrorCode.CONCURRENT_TRANSACTIONS)
    case TxnState.Empty:
      return error(ErrorCode.INVALID_TXN_STATE)
    default:
      return error(ErrorCode.CONCURRENT_TRANSACTIONS)
  }
}

/** Once every marker is written: PrepareCommit -> CompleteCommit, PrepareAbort -> CompleteAbort. */
export function completed(meta: TxnMetadata, now: number): TxnMetadata {
  return {
    ...meta,
    state: meta.state === TxnState.PrepareCommit ? TxnState.CompleteCommit : TxnState.CompleteAbort,
    partitions: [],
    txnLastUpdateTimestamp: now,
  }
}

/** transaction.timeout.ms: an Ongoing transaction started longer ago is aborted, its producer fenced. */
export function isTimedOut(meta: TxnMetadata, now: number): boolean {
  return (
    meta.state === TxnState.Ongoing &&
    meta.txnStartTimestamp >= 0 &&
    meta.txnStartTimestamp + meta.txnTimeoutMs < now
  )
}

/** transactional.id.expiration.ms: an idle transactional id with nothing in flight is forgotten. */
export function isExpired(meta: TxnMetadata, now: number, expirationMs: number): boolean {
  const idle =
    meta.state === TxnState.Empty ||
    meta.state === TxnState.CompleteCommit ||
    meta.state === TxnState.CompleteAbort
  return idle && now - meta.txnLastUpdateTimestamp >= expirationMs
}

/**
 * Whether a transactional batch from (producerId, producerEpoch) may start a transaction in
 * `topic`-`partition` (Kafka 3.6+'s transaction verification): the transactional id's current
 * producer, with the partition added to its ongoing transaction.
 */
export function verifyPartition(
  meta: TxnMetadata | undefined,
  producerId: bigint,
  producerEpoch: number,
  topic: string,
  partition: number,
): { errorCode: number; message: string } {
  if (!meta || meta.producerId !== producerId) {
    return { errorCode: ErrorCode.INVALID_TXN_STATE, message: 'The producer has no ongoing transaction' }
  }
  if (producerEpoch < meta.producerEpoch) {
    return {
      errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
      message: `Producer epoch ${producerEpoch} is older than the transaction's ${meta.producerEpoch}`,
    }
  }
  if (
    producerEpoch !== meta.producerEpoch ||
    meta.state !== TxnState.Ongoing ||
    !hasPartition(meta, topic, partition)
  ) {
    return {
      errorCode: ErrorCode.INVALID_TXN_STATE,
      message: `The partition ${topic}-${partition} was not added to the producer's ongoing transaction`,
    }
  }
  return { errorCode: ErrorCode.NONE, message: '' }
}
