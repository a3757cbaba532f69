// DescribeTopicPartitions (key 75)
//
// Behavior (Kafka's DescribeTopicPartitionsRequestHandler):
// - No topics asked: every topic, sorted by name; topics asked: those, sorted by name, each
//   unknown one answered UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for an illegal
//   name) without partitions. Nothing is auto-created.
// - At most ResponsePartitionLimit partitions per answer (clamped to [1, 2000], Kafka's
//   max.request.partition.size.limit); NextCursor names the topic and partition to go on from.
//   A cursor starts the listing at its topic and partition; with topics asked, the cursor's topic
//   must be one of them, and its partition must not be negative, else INVALID_REQUEST for every
//   topic.
// - Each partition as Metadata describes it (partition-metadata.ts); eligible leader replicas and
//   last known ELR are empty (no ELR on one node).
//
// Version notes:
// - v0 only (Kafka 3.8+).
import {
  type DescribeTopicPartitionsResponse,
  ErrorCode,
  type DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic as TopicAnswer,
} from '@runnel/protocol'
import { topicAuthorizedOperations } from '../cluster/acl.ts'
import { validateTopicName } from '../cluster/topic-names.ts'
import { partitionPlacements } from './partition-metadata.ts'
import { registerHandler } from './registry.ts'

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'
/** Kafka's max.request.partition.size.limit default. */
const MAX_PARTITIONS = 2000

export const describeTopicPartitions = registerHandler({
  apiKey: 75,
  name: 'DescribeTopicPartitions',
  minVersion: 0,
  maxVersion: 0,
  uses: ['node', 'topics'],
  handle(request, ctx) {
    const { topics } = ctx
    const node = ctx.node.nodeId
    const cursor = request.cursor
    const cursorTopic = cursor?.topicName ?? ''
    const all = request.topics.length === 0
    const names = [...new Set(all ? topics.list().map((t) => t.name) : request.topics.map((t) => t.name))]
      .filter((name) => name >= cursorTopic)
      .sort()
    const empty = (name: string, errorCode: number): TopicAnswer => ({
      errorCode,
      name,
      topicId: ZERO_UUID,
      isInternal: false,
      partitions: [],
      topicAuthorizedOperations: topicAuthorizedOperations,
    })
    const invalid =
      (cursor !== null && !all && !names.includes(cursor.topicName)) ||
      (cursor !== null && cursor.partitionIndex < 0)
    if (invalid) {
      return {
        throttleTimeMs: 0,
        topics: request.topics.map((t) => empty(t.name, ErrorCode.INVALID_REQUEST)),
        nextCursor: null,
      }
    }
    const response: DescribeTopicPartitionsResponse = { throttleTimeMs: 0, topics: [], nextCursor: null }
    let remaining = Math.max(Math.min(MAX_PARTITIONS, request.responsePartitionLimit), 1)
    for (const name of names) {
      if (remaining === 0) {
        response.nextCursor = { topicName: name, partitionIndex: 0 }
        break
      }
      const topic = topics.get(name)
      if (!topic) {
        if (!all)
          response.topics.push(
            empty(
              name,
              validateTopicName(name)
                ? ErrorCode.INVALID_TOPIC_EXCEPTION
                : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            ),
          )
        continue
      }
      const from = name === cursorTopic ? (cursor?.partitionIndex ?? 0) : 0
      const to = Math.min(topic.partitions.length, from + remaining)
      response.topics.push({
        errorCode: ErrorCode.NONE,
        name,
        topicId: topic.topicId,
        isInternal: topic.isInternal,
        partitions: partitionPlacements(topic, node, from, to).map((p) => ({
          errorCode: ErrorCode.NONE,
          ...p,
          eligibleLeaderReplicas: [],
          lastKnownElr: [],
        })),
        topicAuthorizedOperations: topicAuthorizedOperations,
      })
      if (to < topic.partitions.length) {
        response.nextCursor = { topicName: name, partitionIndex: to }
        break
      }
      remaining -= Math.max(0, to - from)
    }
    return response
  },
})
