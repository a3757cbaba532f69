// CreateTopics (key 19)
//
// Behavior:
// - Each topic gets its own result; one bad topic never fails the others.
// - Checks, in Kafka's order: a name given twice in one request (INVALID_REQUEST, one result
//   for the name), __cluster_metadata (INVALID_REQUEST), an illegal name
//   (INVALID_TOPIC_EXCEPTION), an existing topic (TOPIC_ALREADY_EXISTS), null or invalid
//   configs (INVALID_CONFIG), then partitions, replication factor and manual assignments,
//   which the TopicManager decides (INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
//   INVALID_REPLICA_ASSIGNMENT, INVALID_REQUEST when both counts and assignments are given).
// - numPartitions -1 means the broker's num.partitions; replicationFactor -1 means 1, and
//   anything above 1 is refused: one node holds one replica.
// - validateOnly runs every check and answers as if created, without creating (topic id zero).
// - The request timeout is not waited on: creation is complete when the answer is sent.
//
// Version notes:
// - v1 adds errorMessage; v2 throttle time; v4 lets counts be -1 without assignments (we
//   accept -1 at every version, as Kafka's broker does); v5 is flexible and returns
//   numPartitions, replicationFactor and every config of the topic (with its source);
//   v6 may throttle (never here); v7 returns the topic id.
import {
  type CreateTopicsRequestCreatableTopic,
  type CreateTopicsResponseCreatableTopicResult,
  ErrorCode,
} from '@runnel/protocol'
import { validateTopicName } from '../cluster/topic-names.ts'
import { checkTopicOverrides, describeTopicConfigs, duplicates } from './config-resources.ts'
import { type BrokerServices, registerHandler } from './registry.ts'

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'
const CLUSTER_METADATA_TOPIC = '__cluster_metadata'

const failed = (
  name: string,
  errorCode: number,
  errorMessage: string | null,
): CreateTopicsResponseCreatableTopicResult => ({
  name,
  topicId: ZERO_UUID,
  errorCode,
  errorMessage,
  topicConfigErrorCode: ErrorCode.NONE,
  numPartitions: -1,
  replicationFactor: -1,
  configs: [],
})

async function createOne(
  services: Pick<BrokerServices, 'config' | 'topics'>,
  topic: CreateTopicsRequestCreatableTopic,
  validateOnly: boolean,
): Promise<CreateTopicsResponseCreatableTopicResult> {
  const { name } = topic
  if (name === CLUSTER_METADATA_TOPIC) {
    return failed(
      name,
      ErrorCode.INVALID_REQUEST,
      `Creation of internal topic ${CLUSTER_METADATA_TOPIC} is prohibited.`,
    )
  }
  const invalidName = validateTopicName(name)
  if (invalidName) return failed(name, ErrorCode.INVALID_TOPIC_EXCEPTION, invalidName)
  if (services.topics.get(name))
    return failed(name, ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`)

  // A config named twice: the last value wins, as in Kafka.
  const configs: Record<string, string | null> = {}
  for (const c of topic.configs) configs[c.name] = c.value
  const badConfig = checkTopicOverrides(configs)
  if (badConfig) return failed(name, badConfig.errorCode, badConfig.errorMessage)

  const outcome = await services.topics.create({
    name,
    numPartitions: topic.numPartitions,
    replicationFactor: topic.replicationFactor,
    assignments: topic.assignments,
    configs,
    validateOnly,
  })
  if (!outcome.ok) return failed(name, outcome.errorCode, outcome.errorMessage)

  const created = outcome.value
  // A validate-only topic has no partition logs: report the count it would have had.
  const numPartitions = validateOnly
    ? topic.assignments.length > 0
      ? topic.assignments.length
      : topic.numPartitions === -1
        ? services.config.numPartitions
        : topic.numPartitions
    : created.partitions.length
  return {
    name,
    topicId: validateOnly ? ZERO_UUID : created.topicId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions,
    replicationFactor: 1,
    configs: describeTopicConfigs(services, created.overrides).map((c) => ({
      name: c.name,
      value: c.value,
      readOnly: c.readOnly,
      configSource: c.source,
      isSensitive: c.isSensitive,
    })),
  }
}

export const createTopics = registerHandler({
  apiKey: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 7,
  uses: ['config', 'topics'],
  async handle(request, ctx) {
    const validateOnly = request.validateOnly === true
    const twice = duplicates(request.topics.map((t) => t.name))
    const answered = new Set<string>()
    const topics: CreateTopicsResponseCreatableTopicResult[] = []
    for (const topic of request.topics) {
      if (twice.has(topic.name)) {
        // Kafka answers a name given twice once, and creates neither.
        if (!answered.has(topic.name))
          topics.push(failed(topic.name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'))
        answered.add(topic.name)
        continue
      }
      topics.push(await createOne(ctx, topic, validateOnly))
    }
    return { throttleTimeMs: 0, topics }
  },
})
