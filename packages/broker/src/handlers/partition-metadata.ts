// What Metadata and DescribeTopicPartitions say of a partition on one node: this node leads it
// (leader epoch 0), is its only replica and in-sync replica, and lists itself as an offline
// replica while the partition's log is offline after an I/O error (Kafka: a replica on a failed
// log dir).
import type { TopicState } from '../cluster/topics.ts'

export interface PartitionPlacement {
  readonly partitionIndex: number
  readonly leaderId: number
  readonly leaderEpoch: number
  readonly replicaNodes: number[]
  readonly isrNodes: number[]
  readonly offlineReplicas: number[]
}

/** Partitions [from, to) of `topic` as seen from `node`. */
export function partitionPlacements(
  topic: TopicState,
  node: number,
  from = 0,
  to = topic.partitions.length,
): PartitionPlacement[] {
  const out: PartitionPlacement[] = []
  for (let index = from; index < to; index++) {
    out.push({
      partitionIndex: index,
      leaderId: node,
      leaderEpoch: 0,
      replicaNodes: [node],
      isrNodes: [node],
      offlineReplicas: topic.partitions[index].offlineReason === undefined ? [] : [node],
    })
  }
  return out
}
