// CreatePartitions (key 37)
//
// Behavior:
// - Raises a topic's partition count; each topic gets its own result. New partitions start
//   empty; existing ones are untouched (keys hashed by the client may move to new partitions,
//   as with Kafka).
// - A topic named twice in one request: INVALID_REQUEST "Duplicate topic name." (answered
//   once, changed never). Unknown topic: UNKNOWN_TOPIC_OR_PARTITION. A count that is not an
//   increase: INVALID_PARTITIONS. Manual assignments must list one entry per new partition,
//   each naming only this node: INVALID_REPLICA_ASSIGNMENT otherwise.
// - validateOnly runs every check and changes nothing.
//
// Version notes:
// - v0 and v1 are the same (v1 answers before throttling); v2 is flexible; v3 may answer
//   THROTTLING_QUOTA_EXCEEDED (never here).
import { type CreatePartitionsResponseCreatePartitionsTopicResult, ErrorCode } from '@runnel/protocol'
import { duplicates } from './config-resources.ts'
import { registerHandler } from './registry.ts'

export const createPartitions = registerHandler({
  apiKey: 37,
  name: 'CreatePartitions',
  minVersion: 0,
  maxVersion: 3,
  uses: ['topics'],
  async handle(request, ctx) {
    const { topics } = ctx
    const twice = duplicates(request.topics.map((t) => t.name))
    const answered = new Set<string>()
    const results: CreatePartitionsResponseCreatePartitionsTopicResult[] = []
    for (const topic of request.topics) {
      if (twice.has(topic.name)) {
        if (!answered.has(topic.name)) {
          results.push({
            name: topic.name,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: 'Duplicate topic name.',
          })
        }
        answered.add(topic.name)
        continue
      }
      const outcome = await topics.addPartitions(
        topic.name,
        topic.count,
        topic.assignments,
        request.validateOnly === true,
      )
      results.push(
        outcome.ok
          ? { name: topic.name, errorCode: ErrorCode.NONE, errorMessage: null }
          : { name: topic.name, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage },
      )
    }
    return { throttleTimeMs: 0, results }
  },
})
