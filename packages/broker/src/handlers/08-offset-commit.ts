// OffsetCommit (key 8)
//
// Behavior:
// - Stores a group's committed offsets in `__consumer_offsets` and answers once the batch is
//   appended and fsynced (as acks=all), so an acknowledged commit survives a crash.
// - Who may commit (Kafka's rules): the current members of the current generation; or anyone
//   with generation -1 and no member id while the group is Empty (admin tools such as
//   platformatic's admin and kafka-consumer-groups --reset-offsets, and consumers that assign
//   partitions themselves). A group that does not exist is created by such a commit.
// - Errors per partition: UNKNOWN_TOPIC_OR_PARTITION (no such topic or partition, or an
//   internal topic), UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION (another generation, or a group
//   that does not exist with a generation >= 0), FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS
//   (the group awaits its assignment), OFFSET_METADATA_TOO_LARGE (offset.metadata.max.bytes),
//   INVALID_GROUP_ID, COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR when the write fails.
// - An accepted commit from a member also counts as its heartbeat.
//
// Version notes:
// - v0-v1 (ZooKeeper-era and per-partition timestamps) are not advertised; kafkajs sends
//   v2-v5, librdkafka up to v9, platformatic v8-v9.
// - v2-v4 carry RetentionTimeMs (-1 = offsets.retention.minutes); v3 adds throttle time;
//   v5 drops the retention time; v6 adds the leader epoch; v7 group.instance.id; v8 is
//   flexible; v9 renames the generation "generation id or member epoch" (KIP-848); for a
//   classic group it is the generation.
import { commitTopics } from './commit-partitions.ts'
import { registerHandler } from './registry.ts'

export const offsetCommit = registerHandler({
  apiKey: 8,
  name: 'OffsetCommit',
  minVersion: 2,
  maxVersion: 9,
  uses: ['groups'],
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const topics = await ctx.groups.commitOffsets({
      groupId: request.groupId,
      generationId: request.generationIdOrMemberEpoch ?? -1,
      memberId: request.memberId ?? '',
      groupInstanceId: version >= 7 ? (request.groupInstanceId ?? null) : null,
      retentionTimeMs: version <= 4 ? Number(request.retentionTimeMs ?? -1n) : -1,
      topics: commitTopics(request.topics, version >= 6),
    })
    return { throttleTimeMs: 0, topics }
  },
})
