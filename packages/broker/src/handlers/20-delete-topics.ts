// DeleteTopics (key 20)
//
// Behavior:
// - Each topic gets its own result. A topic is deleted with its partition logs; fetches
//   parked on it wake up and learn it is gone.
// - By name (every version): an unknown name is UNKNOWN_TOPIC_OR_PARTITION.
// - v6 may name a topic by id instead: an unknown id is UNKNOWN_TOPIC_ID; neither name nor id,
//   or both, is INVALID_REQUEST. A name or id given twice is INVALID_REQUEST (answered once),
//   and so is a name that resolves to an id also given.
// - Messages are Kafka 3.9's (KRaft); the request timeout is not waited on.
//
// Version notes:
// - v0-v3 are the same; v4 is flexible; v5 adds errorMessage; v6 replaces the list of names
//   with (name, topicId) pairs, and the response carries the topic id.
import { type DeleteTopicsResponseDeletableTopicResult, ErrorCode } from '@runnel/protocol'
import type { TopicState } from '../cluster/topics.ts'
import { registerHandler } from './registry.ts'

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'
const UNKNOWN_TOPIC_MESSAGE = 'This server does not host this topic-partition.'
const UNKNOWN_TOPIC_ID_MESSAGE = 'This server does not host this topic ID.'

/** One deletion to attempt, or an answer already decided. */
type Wanted =
  | { kind: 'topic'; topic: TopicState; requestedBy: 'name' | 'id' }
  | { kind: 'answer'; result: DeleteTopicsResponseDeletableTopicResult }

const answer = (
  name: string | null,
  topicId: string,
  errorCode: number,
  errorMessage: string | null,
): Wanted => ({ kind: 'answer', result: { name, topicId, errorCode, errorMessage } })

export const deleteTopics = registerHandler({
  apiKey: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 6,
  uses: ['topics'],
  async handle(request, ctx) {
    const { topics } = ctx
    const requested: { name: string | null; topicId: string }[] =
      ctx.header.apiVersion >= 6
        ? (request.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId || ZERO_UUID }))
        : (request.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }))

    const count = (key: string, map: Map<string, number>) => map.set(key, (map.get(key) ?? 0) + 1)
    const nameCounts = new Map<string, number>()
    const idCounts = new Map<string, number>()
    for (const r of requested) {
      if (r.name !== null && r.topicId === ZERO_UUID) count(r.name, nameCounts)
      else if (r.name === null && r.topicId !== ZERO_UUID) count(r.topicId, idCounts)
    }

    const wanted: Wanted[] = []
    const answeredDuplicates = new Set<string>()
    const idsToDelete = new Set<string>()
    for (const r of requested) {
      if (r.name === null) {
        if (r.topicId === ZERO_UUID) {
          wanted.push(
            answer(null, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'),
          )
        } else if ((idCounts.get(r.topicId) ?? 0) > 1) {
          if (!answeredDuplicates.has(`id:${r.topicId}`)) {
            wanted.push(answer(null, r.topicId, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'))
          }
          answeredDuplicates.add(`id:${r.topicId}`)
        } else {
          const topic = topics.byId(r.topicId)
          if (!topic) {
            wanted.push(answer(null, r.topicId, ErrorCode.UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_ID_MESSAGE))
          } else {
            idsToDelete.add(topic.topicId)
            wanted.push({ kind: 'topic', topic, requestedBy: 'id' })
          }
        }
      } else if (r.topicId !== ZERO_UUID) {
        wanted.push(
          answer(
            r.name,
            r.topicId,
            ErrorCode.INVALID_REQUEST,
            'You may not specify both topic name and topic id.',
          ),
        )
      } else if ((nameCounts.get(r.name) ?? 0) > 1) {
        if (!answeredDuplicates.has(`name:${r.name}`)) {
          wanted.push(answer(r.name, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'))
        }
        answeredDuplicates.add(`name:${r.name}`)
      } else {
        const topic = topics.get(r.name)
        if (!topic) {
          wanted.push(answer(r.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_MESSAGE))
        } else {
          wanted.push({ kind: 'topic', topic, requestedBy: 'name' })
        }
      }
    }

    // A name that resolves to an id also given: Kafka deletes neither and answers once, for the name.
    const conflicts = new Set<string>()
    for (const w of wanted) {
      if (w.kind === 'topic' && w.requestedBy === 'name' && idsToDelete.has(w.topic.topicId))
        conflicts.add(w.topic.topicId)
    }

    const responses: DeleteTopicsResponseDeletableTopicResult[] = []
    for (const w of wanted) {
      if (w.kind === 'answer') {
        responses.push(w.result)
        continue
      }
      const { topic } = w
      if (conflicts.has(topic.topicId)) {
        if (w.requestedBy === 'id') continue
        responses.push({
          name: topic.name,
          topicId: topic.topicId,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: 'The provided topic name maps to an ID that was already supplied.',
        })
        continue
      }
      const outcome = await topics.delete(topic.name)
      // Not ok only when a concurrent request deleted it between our lookup and the delete.
      responses.push({
        name: topic.name,
        topicId: topic.topicId,
        errorCode: outcome.ok ? ErrorCode.NONE : outcome.errorCode,
        errorMessage: outcome.ok ? null : outcome.errorMessage,
      })
    }
    return { throttleTimeMs: 0, responses }
  },
})
