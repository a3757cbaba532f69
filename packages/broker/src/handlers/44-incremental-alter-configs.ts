// IncrementalAlterConfigs (key 44)
//
// Behavior:
// - TOPIC (2): each config operation changes one key of the topic's overrides, leaving the
//   others as they are: SET (0) sets it, DELETE (1) removes the override (back to the
//   default), APPEND (2) and SUBTRACT (3) add or remove items of a LIST config such as
//   cleanup.policy, starting from the override or, without one, the config's default (as
//   Kafka does). APPEND/SUBTRACT on any other config is INVALID_CONFIG. All operations of a
//   resource apply together or not at all.
// - Checks, per resource, in Kafka's order: a resource named twice (INVALID_REQUEST for both),
//   a key named twice, a null value outside DELETE, or an unknown operation (INVALID_REQUEST);
//   the empty topic name (INVALID_REQUEST); an illegal name (INVALID_TOPIC_EXCEPTION); the
//   resulting overrides (INVALID_CONFIG); an unknown topic (UNKNOWN_TOPIC_OR_PARTITION).
// - BROKER (4) and BROKER_LOGGER (8): INVALID_REQUEST; this broker has no dynamic broker
//   configs and no runtime log levels. Other resource types: INVALID_REQUEST.
// - validateOnly runs every check and changes nothing.
//
// Version notes:
// - v0 is classic; v1 is flexible. Nothing else differs.
import {
  ErrorCode,
  type IncrementalAlterConfigsRequestAlterConfigsResource,
  type IncrementalAlterConfigsResponseAlterConfigsResourceResponse,
} from '@runnel/protocol'
import type { Outcome } from '../cluster/topics.ts'
import { ConfigType, topicConfigByName } from '../config/topic-configs.ts'
import {
  type ApiFailure,
  brokerConfigsNotSupported,
  checkTopicOverrides,
  checkTopicResourceName,
  duplicates,
  ResourceType,
  resourceKey,
  unknownTopic,
} from './config-resources.ts'
import { type BrokerServices, registerHandler } from './registry.ts'

/** AlterConfigOp.OpType ids. */
export const ConfigOperation = {
  SET: 0,
  DELETE: 1,
  APPEND: 2,
  SUBTRACT: 3,
} as const

const operationNames = ['SET', 'DELETE', 'APPEND', 'SUBTRACT']

const invalidRequest = (errorMessage: string): ApiFailure => ({
  errorCode: ErrorCode.INVALID_REQUEST,
  errorMessage,
})

/** Kafka splits list values on commas and drops empty items. */
const listItems = (value: string | undefined): string[] => (value ?? '').split(',').filter((s) => s !== '')

/** Applies the operations to a copy of the current overrides. */
function applyOperations(
  current: Readonly<Record<string, string>>,
  resource: IncrementalAlterConfigsRequestAlterConfigsResource,
): { ok: true; overrides: Record<string, string> } | { ok: false; failure: ApiFailure } {
  const next: Record<string, string> = { ...current }
  for (const op of resource.configs) {
    switch (op.configOperation) {
      case ConfigOperation.SET:
        next[op.name] = op.value ?? ''
        break
      case ConfigOperation.DELETE:
        delete next[op.name]
        break
      case ConfigOperation.APPEND:
      case ConfigOperation.SUBTRACT: {
        const def = topicConfigByName.get(op.name)
        if (def?.type !== ConfigType.LIST) {
          return {
            ok: false,
            failure: {
              errorCode: ErrorCode.INVALID_CONFIG,
              errorMessage: `Can't ${operationNames[op.configOperation]} to key ${op.name} because its type is not LIST.`,
            },
          }
        }
        const items = listItems(next[op.name] ?? def.default)
        const given = (op.value ?? '').split(',')
        const changed =
          op.configOperation === ConfigOperation.APPEND
            ? [...items, ...given.filter((v, i) => !items.includes(v) && given.indexOf(v) === i)]
            : items.filter((v) => !given.includes(v))
        next[op.name] = changed.join(',')
        break
      }
    }
  }
  return { ok: true, overrides: next }
}

async function alterOne(
  services: Pick<BrokerServices, 'node' | 'topics'>,
  resource: IncrementalAlterConfigsRequestAlterConfigsResource,
  validateOnly: boolean,
): Promise<ApiFailure | undefined> {
  const { resourceType, resourceName } = resource
  if (duplicates(resource.configs.map((c) => c.name)).size > 0)
    return invalidRequest('Error due to duplicate config keys')
  const nulls = resource.configs.filter(
    (c) => c.configOperation !== ConfigOperation.DELETE && c.value === null,
  )
  if (nulls.length > 0)
    return invalidRequest(`Null value not supported for : ${nulls.map((c) => c.name).join(', ')}`)
  const badOp = resource.configs.find((c) => operationNames[c.configOperation] === undefined)
  if (badOp) return invalidRequest(`Unknown operations type ${badOp.configOperation}`)

  switch (resourceType) {
    case ResourceType.TOPIC:
      break
    case ResourceType.BROKER:
      return brokerConfigsNotSupported(services.node, resourceName)
    case ResourceType.BROKER_LOGGER:
      return invalidRequest(
        'Changing broker log levels at runtime is not supported: set logLevel when starting the broker.',
      )
    default:
      return invalidRequest(`Unknown resource type ${resourceType}`)
  }

  const badName = checkTopicResourceName(resourceName)
  if (badName) return badName
  // The operations apply to the overrides as they are when the change runs, inside the topic
  // manager's lock, so concurrent changes to one topic never lose each other. For an unknown
  // topic they still run first, against no overrides: Kafka reports bad operations and
  // values before a missing topic.
  const change = (current: Readonly<Record<string, string>>): Outcome<Record<string, string>> => {
    const applied = applyOperations(current, resource)
    const problem = applied.ok ? checkTopicOverrides(applied.overrides) : applied.failure
    if (problem) return { ok: false, errorCode: problem.errorCode, errorMessage: problem.errorMessage ?? '' }
    return { ok: true, value: applied.ok ? applied.overrides : {} }
  }
  if (!services.topics.get(resourceName)) {
    const first = change({})
    return first.ok ? unknownTopic(resourceName) : first
  }
  const outcome = await services.topics.setConfigs(resourceName, change, validateOnly)
  return outcome.ok ? undefined : outcome
}

export const incrementalAlterConfigs = registerHandler({
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  uses: ['node', 'topics'],
  async handle(request, ctx) {
    const validateOnly = request.validateOnly === true
    const twice = duplicates(request.resources.map((r) => resourceKey(r.resourceType, r.resourceName)))
    const responses: IncrementalAlterConfigsResponseAlterConfigsResourceResponse[] = []
    for (const resource of request.resources) {
      const failure = twice.has(resourceKey(resource.resourceType, resource.resourceName))
        ? invalidRequest('Each resource must appear at most once.')
        : await alterOne(ctx, resource, validateOnly)
      responses.push({
        errorCode: failure?.errorCode ?? ErrorCode.NONE,
        errorMessage: failure?.errorMessage ?? null,
        resourceType: resource.resourceType,
        resourceName: resource.resourceName,
      })
    }
    return { throttleTimeMs: 0, responses }
  },
})
