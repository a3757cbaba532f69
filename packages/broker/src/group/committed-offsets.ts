// A group's committed offsets, by topic and partition, and the rule that expires them
// (Kafka's GroupMetadata.removeExpiredOffsets, KIP-211). Owned by the ClassicGroup holding it.
import { CONSUMER_PROTOCOL_TYPE } from './consumer-protocol.ts'
import { GroupState } from './group-state.ts'

export interface CommittedOffset {
  readonly offset: bigint
  /** -1 when the client did not send one (OffsetCommit before v6). */
  readonly leaderEpoch: number
  readonly metadata: string
  readonly commitTimestamp: number
  /** Only OffsetCommit v1-v4 with an explicit retention time sets it; null otherwise. */
  readonly expireTimestamp: number | null
}

export interface TopicPartitionOffset {
  readonly topic: string
  readonly partition: number
  readonly committed: CommittedOffset
}

export class CommittedOffsets {
  private readonly byTopic = new Map<string, Map<number, CommittedOffset>>()
  private count = 0

  get size(): number {
    return this.count
  }

  get(topic: string, partition: number): CommittedOffset | undefined {
    return this.byTopic.get(topic)?.get(partition)
  }

  set(topic: string, partition: number, committed: CommittedOffset): void {
    let partitions = this.byTopic.get(topic)
    if (!partitions) {
      partitions = new Map()
      this.byTopic.set(topic, partitions)
    }
    if (!partitions.has(partition)) this.count++
    partitions.set(partition, committed)
  }

  delete(topic: string, partition: number): boolean {
    const partitions = this.byTopic.get(topic)
    if (!partitions?.delete(partition)) return false
    this.count--
    if (partitions.size === 0) this.byTopic.delete(topic)
    return true
  }

  topics(): string[] {
    return [...this.byTopic.keys()]
  }

  /** The partitions of `topic` with an offset, in ascending order. */
  partitions(topic: string): number[] {
    return [...(this.byTopic.get(topic)?.keys() ?? [])].sort((a, b) => a - b)
  }

  *entries(): IterableIterator<TopicPartitionOffset> {
    for (const [topic, partitions] of this.byTopic) {
      for (const [partition, committed] of partitions) yield { topic, partition, committed }
    }
  }
}

export interface ExpiryFacts {
  readonly protocolType: string | null
  readonly state: GroupState
  /** When the group entered its current state; null when unknown (loaded from an old record). */
  readonly stateTimestamp: number | null
  /** The topics the members subscribe to, when known (consumer groups only). */
  readonly subscribedTopics: ReadonlySet<string> | null
}

/**
 * The offsets to expire now, as Kafka decides:
 * - a group with a protocol type that is Empty: all offsets, once `retentionMs` has passed
 *   since the group became empty (or since the commit, when that time is unknown);
 * - a Stable consumer group whose subscriptions are known: offsets of topics nobody
 *   subscribes to any more, `retentionMs` after their commit;
 * - a group without a protocol type (only commits, no membership): each offset
 *   `retentionMs` after its commit;
 * - an offset committed with an explicit retention (v1-v4) expires at its expire timestamp.
 */
export function expiredOffsets(
  offsets: CommittedOffsets,
  group: ExpiryFacts,
  now: number,
  retentionMs: number,
): TopicPartitionOffset[] {
  let base: ((c: CommittedOffset) => number) | undefined
  let keepTopics: ReadonlySet<string> = new Set()
  if (group.protocolType !== null && group.state === GroupState.Empty) {
    base = (c) => group.stateTimestamp ?? c.commitTimestamp
  } else if (
    group.protocolType === CONSUMER_PROTOCOL_TYPE &&
    group.subscribedTopics !== null &&
    group.state === GroupState.Stable
  ) {
    base = (c) => c.commitTimestamp
    keepTopics = group.subscribedTopics
  } else if (group.protocolType === null) {
    base = (c) => c.commitTimestamp
  }
  if (!base) return []
  const out: TopicPartitionOffset[] = []
  for (const entry of offsets.entries()) {
    if (keepTopics.has(entry.topic)) continue
    const c = entry.committed
    const expired = c.expireTimestamp !== null ? now >= c.expireTimestamp : now - base(c) >= retentionMs
    if (expired) out.push(entry)
  }
  return out
}
