// DeleteRecords (key 21)
//
// Behavior:
// - Moves a partition's log start offset (its low watermark) up to the given offset: records
//   below it can no longer be fetched, and segments wholly below it are deleted. The new low
//   watermark is persisted before the answer, and returned. An offset at or below the current
//   log start changes nothing and returns the current one.
// - Offset -1 means the high watermark (delete everything). Any other negative offset, or one
//   above the high watermark, is OFFSET_OUT_OF_RANGE.
// - Per partition, with low watermark -1 on any error: unknown topic or partition
//   UNKNOWN_TOPIC_OR_PARTITION; an internal topic INVALID_TOPIC_EXCEPTION; a topic whose
//   cleanup.policy lacks "delete" POLICY_VIOLATION (as Kafka); a log gone offline
//   KAFKA_STORAGE_ERROR.
// - The request timeout is not waited on: with one replica the deletion is complete (and
//   durable) when the answer is sent.
//
// Version notes:
// - v0 and v1 are the same (v1 answers before throttling); v2 is flexible. The response has
//   no error message field.
import {
  type DeleteRecordsResponseDeleteRecordsPartitionResult,
  type DeleteRecordsResponseDeleteRecordsTopicResult,
  ErrorCode,
} from '@runnel/protocol'
import type { TopicManager } from '../cluster/topics.ts'
import { registerHandler } from './registry.ts'
import { storageFailureCode } from './storage-failures.ts'

/** Kafka's DeleteRecordsRequest.HIGH_WATERMARK. */
const HIGH_WATERMARK = -1n
const INVALID_LOW_WATERMARK = -1n

async function deleteOne(
  topics: TopicManager,
  topicName: string,
  partitionIndex: number,
  offset: bigint,
): Promise<DeleteRecordsResponseDeleteRecordsPartitionResult> {
  const failed = (errorCode: number): DeleteRecordsResponseDeleteRecordsPartitionResult => ({
    partitionIndex,
    lowWatermark: INVALID_LOW_WATERMARK,
    errorCode,
  })
  const topic = topics.get(topicName)
  const log = topics.partition(topicName, partitionIndex)
  if (!topic || !log) return failed(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
  if (topic.isInternal) return failed(ErrorCode.INVALID_TOPIC_EXCEPTION)
  const policy = (topic.config['cleanup.policy'] ?? 'delete').split(',').map((s) => s.trim())
  if (!policy.includes('delete')) return failed(ErrorCode.POLICY_VIOLATION)

  const highWatermark = BigInt(log.highWatermark)
  const target = offset === HIGH_WATERMARK ? highWatermark : offset
  if (target < 0n || target > highWatermark) return failed(ErrorCode.OFFSET_OUT_OF_RANGE)

  const result = await log.deleteRecordsBefore(Number(target))
  switch (result.kind) {
    case 'ok':
      return { partitionIndex, lowWatermark: BigInt(result.lowWatermark), errorCode: ErrorCode.NONE }
    case 'offsetOutOfRange':
      // The log moved between our check and the call (e.g. it was truncated); its answer wins.
      return failed(ErrorCode.OFFSET_OUT_OF_RANGE)
    default:
      return failed(storageFailureCode(result)[0])
  }
}

export const deleteRecords = registerHandler({
  apiKey: 21,
  name: 'DeleteRecords',
  minVersion: 0,
  maxVersion: 2,
  uses: ['topics'],
  async handle(request, ctx) {
    const topics: DeleteRecordsResponseDeleteRecordsTopicResult[] = []
    for (const t of request.topics) {
      const partitions: DeleteRecordsResponseDeleteRecordsPartitionResult[] = []
      for (const p of t.partitions)
        partitions.push(await deleteOne(ctx.topics, t.name, p.partitionIndex, p.offset))
      topics.push({ name: t.name, partitions })
    }
    return { throttleTimeMs: 0, topics }
  },
})
