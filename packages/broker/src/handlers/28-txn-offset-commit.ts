// TxnOffsetCommit (key 28)
//
// Behavior:
// - Writes a group's offsets as part of the producer's transaction: a transactional batch in
//   the group's `__consumer_offsets` partition, answered once on disk. The offsets stay pending
//   (OffsetFetch keeps answering the previous ones, and UNSTABLE_OFFSET_COMMIT when
//   requireStable is set) until EndTxn commits them, or are dropped when it aborts.
// - The producer must be its transactional id's current one (INVALID_PRODUCER_ID_MAPPING,
//   INVALID_PRODUCER_EPOCH) with the group added by AddOffsetsToTxn to its ongoing transaction
//   (INVALID_TXN_STATE otherwise). From v3 a member id, when given, must be a member of the
//   group (UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID) and a generation, when given, the group's
//   (ILLEGAL_GENERATION); -1 and "" (kafkajs, consumers that assign partitions themselves)
//   skip those checks. A group that does not exist is created.
// - Per partition: UNKNOWN_TOPIC_OR_PARTITION (no such partition, or an internal topic),
//   OFFSET_METADATA_TOO_LARGE, COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR when the write fails.
//
// Version notes:
// - kafkajs v0-v1, librdkafka v0-v3, platformatic v3-v4. v2 adds the leader epoch; v3 is
//   flexible and adds member id, group instance id and generation; v4 allows
//   TRANSACTION_ABORTABLE (never returned here).
import { commitTopics } from './commit-partitions.ts'
import { registerHandler } from './registry.ts'

export const txnOffsetCommit = registerHandler({
  apiKey: 28,
  name: 'TxnOffsetCommit',
  minVersion: 0,
  maxVersion: 4,
  uses: ['transactions'],
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const topics = await ctx.transactions.txnOffsetCommit({
      transactionalId: request.transactionalId,
      groupId: request.groupId,
      producerId: request.producerId,
      producerEpoch: request.producerEpoch,
      generationId: version >= 3 ? (request.generationIdOrMemberEpoch ?? -1) : -1,
      memberId: version >= 3 ? (request.memberId ?? '') : '',
      groupInstanceId: version >= 3 ? (request.groupInstanceId ?? null) : null,
      topics: commitTopics(request.topics, version >= 2),
    })
    return { throttleTimeMs: 0, topics }
  },
})
