// `__transaction_state`: where the transaction coordinator keeps each transactional id's
// metadata, in Kafka's own record formats, so Kafka's tools read it and a log written by Kafka
// reads here. A compacted internal topic created on first need (the first InitProducerId with a
// transactional id) with transaction.state.log.num.partitions partitions; a transactional id
// lives in partition abs(javaHashCode(id)) % partitions, as in Kafka. Each write is one batch,
// uncompressed (Kafka enforces it), fsynced before the caller is answered. Creating, writing and
// reading back are cluster/internal-topic.ts's; this file holds the record formats and the
// transaction coordinator's error codes.
//
//   key   v0: TransactionalId string
//   value v0: ProducerId int64, ProducerEpoch int16, TransactionTimeoutMs int32,
//             TransactionStatus int8 (transaction-metadata.ts TXN_STATE_IDS),
//             TransactionPartitions nullable [Topic string, PartitionIds [int32]] (null when Empty),
//             TransactionLastUpdateTimestampMs int64, TransactionStartTimestampMs int64
//   value v1 is the flexible encoding of the same fields (read, not written: Kafka 3.9 writes v0)
//   a null value is a tombstone: the transactional id expired.
//
// Owner: the TransactionCoordinator; writes for one transactional id come from its serial queue.
import { buildBatch, ErrorCode, Reader, Writer } from '@runnel/protocol'
import { InternalTopic, type InternalTopicDeps } from '../cluster/internal-topic.ts'
import type { TopicState } from '../cluster/topics.ts'
import {
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  type TopicPartition,
  TXN_STATE_IDS,
  type TxnMetadata,
  TxnState,
  txnStateOfId,
} from './transaction-metadata.ts'
import type { TransactionConfig } from './txn-config.ts'

export const TRANSACTION_STATE_TOPIC = '__transaction_state'
const KEY_VERSION = 0
const VALUE_VERSION = 0

export function encodeTxnKey(transactionalId: string): Buffer {
  return new Writer(32).int16(KEY_VERSION).nullableString(transactionalId).toBuffer()
}

/** The transactional id of a key, or undefined for a key of another record type. */
export function decodeTxnKey(key: Buffer): string | undefined {
  const r = new Reader(key)
  if (r.int16() !== KEY_VERSION) return undefined
  return r.nullableString() ?? ''
}

export function encodeTxnValue(meta: TxnMetadata): Buffer {
  const w = new Writer(128)
  w.int16(VALUE_VERSION)
  w.int64(meta.producerId)
  w.int16(meta.producerEpoch)
  w.int32(meta.txnTimeoutMs)
  w.int8(TXN_STATE_IDS[meta.state])
  if (meta.state === TxnState.Empty) {
    w.int32(-1)
  } else {
    const byTopic = new Map<string, number[]>()
    for (const p of meta.partitions) {
      const list = byTopic.get(p.topic) ?? []
      list.push(p.partition)
      byTopic.set(p.topic, list)
    }
    w.int32(byTopic.size)
    for (const [topic, partitions] of byTopic) {
      w.nullableString(topic)
      w.int32(partitions.length)
      for (const p of partitions) w.int32(p)
    }
  }
  w.int64(BigInt(meta.txnLastUpdateTimestamp))
  w.int64(BigInt(meta.txnStartTimestamp))
  return w.toBuffer()
}

/** Throws RangeError on a value this code cannot read. */
export function decodeTxnValue(transactionalId: string, value: Buffer): TxnMetadata {
  const r = new Reader(value)
  const version = r.int16()
  if (version < 0 || version > 1) throw new RangeError(`unknown TransactionLogValue version ${version}`)
  const flexible = version >= 1
  const producerId = r.int64()
  const producerEpoch = r.int16()
  const txnTimeoutMs = r.int32()
  const statusId = r.int8()
  const state = txnStateOfId(statusId)
  if (state === undefined) throw new RangeError(`unknown transaction status ${statusId}`)
  const partitions: TopicPartition[] = []
  const topics = r.arrayLength(flexible)
  for (let i = 0; i < topics; i++) {
    const topic = (flexible ? r.compactNullableString() : r.nullableString()) ?? ''
    const n = r.arrayLength(flexible)
    for (let j = 0; j < n; j++) partitions.push({ topic, partition: r.int32() })
    if (flexible) skipTaggedFields(r)
  }
  const txnLastUpdateTimestamp = Number(r.int64())
  const txnStartTimestamp = Number(r.int64())
  if (flexible) skipTaggedFields(r)
  return {
    transactionalId,
    producerId,
    lastProducerId: NO_PRODUCER_ID,
    producerEpoch,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    txnTimeoutMs,
    state,
    partitions: state === TxnState.Empty ? [] : partitions,
    txnStartTimestamp,
    txnLastUpdateTimestamp,
  }
}

function skipTaggedFields(r: Reader): void {
  const n = r.uvarint()
  for (let i = 0; i < n; i++) {
    r.uvarint()
    r.raw(r.uvarint())
  }
}

/** One record met while replaying, in log order: the last one of each key wins. */
export interface ReplayedTxnRecord {
  readonly transactionalId: string
  /** null: a tombstone. */
  readonly meta: TxnMetadata | null
}

export class TransactionStateTopic {
  private readonly deps: InternalTopicDeps
  private readonly internal: InternalTopic

  constructor(deps: InternalTopicDeps, config: TransactionConfig) {
    this.deps = deps
    this.internal = new InternalTopic(deps, {
      name: TRANSACTION_STATE_TOPIC,
      partitions: config.statePartitions,
      configs: {
        'cleanup.policy': 'compact',
        'compression.type': 'uncompressed',
        'segment.bytes': String(config.stateSegmentBytes),
      },
    })
  }

  get topic(): TopicState | undefined {
    return this.internal.topic
  }

  /** Creates the topic unless it exists; undefined when it cannot be (COORDINATOR_NOT_AVAILABLE). */
  ensure(): Promise<TopicState | undefined> {
    return this.internal.ensure()
  }

  /**
   * Writes `meta` (or a tombstone for `transactionalId`) and, unless `durable` is false, waits
   * until it is on disk. Resolves NONE, or the error Kafka's coordinator answers for a failed write.
   */
  async write(transactionalId: string, meta: TxnMetadata | null, durable = true): Promise<number> {
    const batch = buildBatch({
      records: [{ key: encodeTxnKey(transactionalId), value: meta === null ? null : encodeTxnValue(meta) }],
    })
    const written = await this.internal.append(transactionalId, batch, { durable })
    switch (written.kind) {
      case 'written':
        return ErrorCode.NONE
      case 'messageTooLarge':
      case 'batchTooLarge':
        return ErrorCode.UNKNOWN_SERVER_ERROR
      default:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
    }
  }

  /** Visits every record of every partition from log start to end (the state the broker starts from). */
  replay(visit: (record: ReplayedTxnRecord) => void): number {
    let skipped = 0
    this.internal.replayBatches((batch, partition) => {
      if (batch.isControl) return
      for (const record of batch.records()) {
        if (record.key === null) continue
        try {
          const id = decodeTxnKey(Buffer.from(record.key))
          if (id === undefined) continue
          visit({
            transactionalId: id,
            meta: record.value === null ? null : decodeTxnValue(id, Buffer.from(record.value)),
          })
        } catch (err) {
          skipped++
          this.deps.log.warn(
            { err, partition, offset: record.offset },
            `skipping a ${TRANSACTION_STATE_TOPIC} record that does not decode`,
          )
        }
      }
    })
    return skipped
  }
}
