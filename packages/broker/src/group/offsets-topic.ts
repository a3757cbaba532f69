// `__consumer_offsets`: where group metadata and committed offsets are written, and read back
// when the broker starts. A compacted internal topic like Kafka's, created on first need
// (FindCoordinator, or the first write) with offsets.topic.num.partitions partitions; a group
// lives in partition partitionForGroup(groupId). Each write is one record batch appended to
// that partition and fsynced before the caller is answered, as acks=all would be. Creating,
// writing and reading back are cluster/internal-topic.ts's; this file maps them onto the group
// coordinator's records and error codes.
//
// Owner: the GroupCoordinator. Appends for one group come from that group's serial owner, and
// PartitionLog.append is synchronous, so a group's records land in the order it wrote them.
import { buildBatch, ErrorCode, type RecordInput, readControlRecord } from '@runnel/protocol'
import { InternalTopic, type InternalTopicDeps } from '../cluster/internal-topic.ts'
import type { TopicState } from '../cluster/topics.ts'
import type { CoordinatorConfig } from './coordinator-config.ts'

export const OFFSETS_TOPIC = '__consumer_offsets'

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
  private readonly internal: InternalTopic

  constructor(deps: InternalTopicDeps, config: CoordinatorConfig) {
    this.internal = new InternalTopic(deps, {
      name: OFFSETS_TOPIC,
      partitions: config.offsetsTopicPartitions,
      configs: {
        'cleanup.policy': 'compact',
        'compression.type': 'producer',
        'segment.bytes': String(config.offsetsTopicSegmentBytes),
      },
    })
  }

  /** The topic, if it exists yet. */
  get topic(): TopicState | undefined {
    return this.internal.topic
  }

  /** The partition count that places groups: the existing topic's, else the configured one. */
  get partitionCount(): number {
    return this.internal.partitionCount
  }

  partitionFor(groupId: string): number {
    return this.internal.partitionFor(groupId)
  }

  /**
   * Creates the topic unless it exists. Resolves with the topic, or undefined when it could not
   * be created (the caller answers COORDINATOR_NOT_AVAILABLE, which clients retry).
   */
  ensure(): Promise<TopicState | undefined> {
    return this.internal.ensure()
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
    const written = await this.internal.append(groupId, batch, {
      coordinatorBatch: txn !== undefined,
    })
    switch (written.kind) {
      case 'written':
      case 'duplicate':
        return ErrorCode.NONE
      case 'unavailable':
        return ErrorCode.COORDINATOR_NOT_AVAILABLE
      case 'refused':
        return written.errorCode
      case 'messageTooLarge':
      case 'batchTooLarge':
        // Kafka: an offset commit too big for the log is INVALID_COMMIT_OFFSET_SIZE; a group too big, UNKNOWN_SERVER_ERROR.
        return kind === 'offsets' ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : ErrorCode.UNKNOWN_SERVER_ERROR
      case 'storageError':
        return ErrorCode.NOT_COORDINATOR
    }
  }

  /** Visits every record and transaction marker of every partition, from log start to end. */
  replay(visit: (event: ReplayEvent) => void): { partitions: number; records: number } {
    let records = 0
    const partitions = this.internal.replayBatches((batch, partition) => {
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
        return
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
    })
    return { partitions, records }
  }
}
