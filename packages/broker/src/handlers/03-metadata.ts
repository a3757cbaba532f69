// Metadata (key 3)
//
// Behavior:
// - One broker: this node leads every partition, is its only replica and in-sync replica,
//   and is the controller (kafkajs sends CreateTopics/DeleteTopics to the controller).
// - Leader epoch 0 for every partition: librdkafka treats -1 as "no epoch support".
// - Topics requested by name that do not exist are created when the broker allows
//   auto-creation and the request does (v4+ AllowAutoTopicCreation); otherwise
//   UNKNOWN_TOPIC_OR_PARTITION, or INVALID_TOPIC_EXCEPTION for an illegal name.
// - v10+ may name topics by id; an unknown id is UNKNOWN_TOPIC_ID.
//
// Version notes:
// - v0: an empty topic list means all topics; v1+: null means all, empty means none.
// - v1 controller id and isInternal; v2 cluster id; v5 offline replicas; v7 leader epoch;
//   v8-10 authorized operations; v9 flexible; v10 topic ids; v11 drops cluster operations.
import {
  ErrorCode,
  type MetadataResponse,
  type MetadataResponseMetadataResponseTopic,
} from '@runnel/protocol'
import { AUTHORIZED_OPERATIONS_OMITTED, topicAuthorizedOperations } from '../cluster/acl.ts'
import { validateTopicName } from '../cluster/topic-names.ts'
import { partitionPlacements } from './partition-metadata.ts'
import { registerHandler } from './registry.ts'

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

export const metadata = registerHandler({
  apiKey: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  uses: ['node', 'config', 'topics'],
  async handle(request, ctx) {
    const { node: self, header } = ctx
    const version = header.apiVersion
    const node = self.nodeId
    const includeOps = request.includeTopicAuthorizedOperations === true
    const describe = (
      topic: ReturnType<typeof ctx.topics.get> & object,
    ): MetadataResponseMetadataResponseTopic => ({
      errorCode: ErrorCode.NONE,
      name: topic.name,
      topicId: topic.topicId,
      isInternal: topic.isInternal,
      partitions: partitionPlacements(topic, node).map((p) => ({ errorCode: ErrorCode.NONE, ...p })),
      topicAuthorizedOperations: includeOps ? topicAuthorizedOperations : AUTHORIZED_OPERATIONS_OMITTED,
    })
    const failed = (
      name: string | null,
      topicId: string,
      errorCode: number,
    ): MetadataResponseMetadataResponseTopic => ({
      errorCode,
      name,
      topicId,
      isInternal: false,
      partitions: [],
      topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    })

    const all = request.topics === null || (version === 0 && request.topics.length === 0)
    const topics: MetadataResponseMetadataResponseTopic[] = []
    if (all) {
      for (const t of ctx.topics.list()) topics.push(describe(t))
    } else {
      const allowAutoCreate = version < 4 || request.allowAutoTopicCreation !== false
      for (const requested of request.topics ?? []) {
        if (requested.name == null || requested.name === '') {
          const byId = requested.topicId ? ctx.topics.byId(requested.topicId) : undefined
          topics.push(
            byId ? describe(byId) : failed(null, requested.topicId ?? ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_ID),
          )
          continue
        }
        const name = requested.name
        let topic = ctx.topics.get(name)
        if (!topic) {
          if (validateTopicName(name) !== undefined) {
            topics.push(failed(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION))
            continue
          }
          if (allowAutoCreate && ctx.config.autoCreateTopics) {
            topic = await ctx.topics.autoCreate(name)
          }
        }
        topics.push(topic ? describe(topic) : failed(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION))
      }
    }
    const response: MetadataResponse = {
      throttleTimeMs: 0,
      brokers: [{ nodeId: node, host: self.advertisedHost, port: self.advertisedPort, rack: null }],
      clusterId: self.clusterId,
      controllerId: node,
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    }
    return response
  },
})
