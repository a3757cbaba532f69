// What OffsetCommit and TxnOffsetCommit share: the partitions of a commit, as the group
// coordinator takes them. Only the version that brings the leader epoch differs (OffsetCommit
// v6, TxnOffsetCommit v2); before it the epoch is -1, "unknown".
import type { CommitPartition } from '../group/coordinator.ts'

interface WirePartition {
  partitionIndex: number
  committedOffset: bigint
  committedLeaderEpoch?: number
  committedMetadata: string | null
}

/** The request's topics and partitions; `hasLeaderEpoch`: the version carries committedLeaderEpoch. */
export function commitTopics(
  // `name` is absent only from the versions that name topics by id (OffsetCommit v10+,
  // TxnOffsetCommit v6+), which are not advertised.
  topics: readonly { name?: string; partitions: readonly WirePartition[] }[],
  hasLeaderEpoch: boolean,
): { name: string; partitions: CommitPartition[] }[] {
  return topics.map((t) => ({
    name: t.name ?? '',
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partitionIndex,
      committedOffset: p.committedOffset,
      committedLeaderEpoch: hasLeaderEpoch ? (p.committedLeaderEpoch ?? -1) : -1,
      committedMetadata: p.committedMetadata,
    })),
  }))
}
