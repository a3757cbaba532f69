// `__consumer_offsets`: where group metadata and committed offsets are written, and read back
// when the broker starts. A compacted internal topic like Kafka's, created on first need
// (FindCoordinator, or the first write) with offsets.topic.num.partitions partitions; a group
// lives in partition partitionForGroup(groupId). Each write is one record batch appended to
// that partition and fsynced before the caller is answered, as acks=all would be.
//
// Owner: the GroupCoordinator. Appends for one group come from that group's serial owner, and
// PartitionLog.append is synchronous, so a group's records land in the order it wrote them.
import {
  buildBatch,
  ErrorCode,
  iterateBatches,
  type RecordInput,
  readBatch,
  readControlRecord,
} from '@runnel/protocol'
import type { Broker } from '../broker.ts'
import type { TopicState } from '../cluster/topics.ts'
import type { PartitionLog } from '../storage/index.ts'
import type { CoordinatorConfig } from './coordinator-config.ts'
import { partitionForGroup } from './records.ts'

export const OFFSETS_TOPIC = '__consumer_offsets'

/** How much a replay reads from a partition at a time. */
const REPLAY_READ_BYTES = 4 * 1024 * 1024

/** One record met while replaying, in log order. */
export interface ReplayedRecord {
  readonly partition: number
  readonly offset: number
  readonly key: Buffer
  /** null: a tombstone. */
  readonly value: Buffer | null
  /** The batch's producer id when the batch is transactional (TxnOffsetCommit), else -1n. */
  readonly producerId: bigint
  readonly transactional: boolean
}

export type ReplayEvent =
  | { readonly kind: 'record'; readonly record: ReplayedRecord }
  | {
      readonly kind: 'marker'
      readonly partition: number
      readonly producerId: bigint
      readonly commit: boolean
    }

export class OffsetsTopic {
  private readonly broker: Broker
  private readonly config: CoordinatorConfig
  private creating: Promise<TopicState | undefined> | undefined

  constructor(broker: Broker, config: CoordinatorConfig) {
    this.broker = broker
    this.config = config
  }

  /** The topic, if it exists yet. */
  get topic(): TopicState | undefined {
    return this.broker.topics.get(OFFSETS_TOPIC)
  }

  /** The partition count that places groups: the existing topic's, else the configured one. */
  get partitionCount(): number {
    return this.topic?.partitions.length ?? this.config.offsetsTopicPartitions
  }

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.partitionCount)
  }

  /**
   * Creates the topic unless it exists. Resolves with the topic, or undefined when it could not
   * be created (the caller answers COORDINATOR_NOT_AVAILABLE, which clients retry).
   */
  ensure(): Promise<TopicState | undefined> {
    const existing = this.topic
    if (existing) return Promise.resolve(existing)
    this.creating ??= this.broker.topics
      .create({
        name: OFFSETS_TOPIC,
        numPartitions: this.config.offsetsTopicPartitions,
        replicationFactor: -1,
        configs: {
          'cleanup.policy': 'compact',
          'compression.type': 'producer',
          'segment.bytes': String(this.config.offsetsTopicSegmentBytes),
        },
      })
      .then((result) => {
        this.creating = undefined
        if (result.ok) return result.value
        // Someone else (a client's CreateTopics) may have won the race.
        const topic = this.topic
        if (!topic) this.broker.log.error({ error: result.errorMessage }, `cannot create ${OFFSETS_TOPIC}`)
        return topic
      })
    return this.creating
  }

  /**
   * Appends `records` for `groupId` as one batch and waits until it is on disk. Resolves with
   * NONE, or with the error code Kafka's coordinator answers for a failed write. With `txn`
   * (TxnOffsetCommit) the batch is transactional, carries the producer's id and epoch, and goes
   * through the partition's producer state, which refuses a fenced epoch (INVALID_PRODUCER_EPOCH).
   */
  async append(
    groupId: string,
    records: readonly RecordInput[],
    kind: 'offsets' | 'group',
    txn?: { readonly producerId: bigint; readonly producerEpoch: number },
  ): Promise<number> {
    if (records.length === 0) return ErrorCode.NONE
    // Build before any await: the batch captures the state the caller has now.
    const batch = txn
      ? buildBatch({
          records,
          producerId: txn.producerId,
          producerEpoch: txn.producerEpoch,
          baseSequence: 0,
          transactional: true,
        })
      : buildBatch({ records })
    const topic = this.topic ?? (await this.ensure())
    if (!topic) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const partition = partitionForGroup(groupId, topic.partitions.length)
    const log: PartitionLog | undefined = topic.partitions[partition]
    if (!log) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const result = txn ? this.broker.producers.appendCoordinatorBatch(log, batch) : log.append(batch)
    switch (result.kind) {
      case 'appended':
        break
      case 'refused':
        return result.errorCode
      case 'duplicate':
        return ErrorCode.NONE
      case 'messageTooLarge':
      case 'batchTooLarge':
        // Kafka: an offset commit too big for the log is INVALID_COMMIT_OFFSET_SIZE; a group too big, UNKNOWN_SERVER_ERROR.
        return kind === 'offsets' ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : ErrorCode.UNKNOWN_SERVER_ERROR
      default:
        this.broker.log.error({ err: result.error, partition }, `${OFFSETS_TOPIC} append failed`)
        return ErrorCode.NOT_COORDINATOR
    }
    this.broker.appends.notify(OFFSETS_TOPIC, partition)
    try {
      await log.flush()
    } catch (err) {
      this.broker.log.error({ err, partition }, `${OFFSETS_TOPIC} flush failed`)
      return ErrorCode.NOT_COORDINATOR
    }
    return ErrorCode.NONE
  }

  /** Visits every record and transaction marker of every partition, from log start to end. */
  replay(visit: (event: ReplayEvent) => void): { partitions: number; records: number } {
    const topic = this.topic
    if (!topic) return { partitions: 0, records: 0 }
    let records = 0
    topic.partitions.forEach((log, partition) => {
      let offset = log.logStartOffset
      while (offset < log.logEndOffset) {
        const read = log.read(offset, REPLAY_READ_BYTES, { minOneBatch: true })
        if (read.kind !== 'ok') {
          throw new Error(`cannot replay ${OFFSETS_TOPIC}-${partition} at ${offset}: ${read.kind}`)
        }
        if (read.batches.length === 0) break
        const before = offset
        for (const chunk of read.batches) {
          for (const loc of iterateBatches(chunk)) {
            const batch = readBatch(chunk, loc.pos)
            if (batch.lastOffset < offset) continue
            offset = batch.lastOffset + 1
            if (batch.isControl) {
              for (const r of batch.records()) {
                const marker = readControlRecord(r)
                if (marker.type === 'COMMIT' || marker.type === 'ABORT') {
                  visit({
                    kind: 'marker',
                    partition,
                    producerId: batch.producerId,
                    commit: marker.type === 'COMMIT',
                  })
                }
              }
              continue
            }
            for (const r of batch.records()) {
              if (r.key === null) continue
              records++
              visit({
                kind: 'record',
                record: {
                  partition,
                  offset: r.offset,
                  key: Buffer.from(r.key),
                  value: r.value === null ? null : Buffer.from(r.value),
                  producerId: batch.producerId,
                  transactional: batch.isTransactional,
                },
              })
            }
          }
        }
        if (offset === before) break
      }
    })
    return { partitions: topic.partitions.length, records }
  }
}
