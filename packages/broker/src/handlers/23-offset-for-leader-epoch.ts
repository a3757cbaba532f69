// OffsetForLeaderEpoch (key 23)
//
// Behavior:
// - Every partition's leader epoch is 0 and never changes (one node, no elections), so the
//   end offset of epoch 0 is the log end offset. A larger epoch, or a negative one, has no
//   end offset: UNDEFINED_EPOCH (-1) and UNDEFINED_EPOCH_OFFSET (-1), as Kafka answers.
// - CurrentLeaderEpoch (v2+) above 0 is from the future: UNKNOWN_LEADER_EPOCH; -1 skips the
//   check. librdkafka sends v2 when it sees a leader epoch rise, and is content with this.
// - Errors: UNKNOWN_TOPIC_OR_PARTITION.
//
// Version notes: v1 returns the epoch; v2 adds current leader epoch; v3 replica id; v4 flexible.
import { ErrorCode } from '@runnel/protocol'
import { registerHandler } from './registry.ts'

export const offsetForLeaderEpoch = registerHandler({
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: 4,
  uses: ['topics'],
  handle(request, ctx) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => {
        const topic = ctx.topics.get(t.topic)
        return {
          topic: t.topic,
          partitions: t.partitions.map((p) => {
            const log = topic?.partitions[p.partition]
            const answer = (errorCode: number, leaderEpoch = -1, endOffset = -1n) => ({
              errorCode,
              partition: p.partition,
              leaderEpoch,
              endOffset,
            })
            if (!log) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
            if ((p.currentLeaderEpoch ?? -1) > 0) return answer(ErrorCode.UNKNOWN_LEADER_EPOCH)
            if (p.leaderEpoch !== 0) return answer(ErrorCode.NONE)
            return answer(ErrorCode.NONE, 0, BigInt(log.logEndOffset))
          }),
        }
      }),
    }
  },
})
