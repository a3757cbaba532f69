// AlterConfigs (key 33)
//
// Behavior:
// - TOPIC (2): the given configs REPLACE the topic's overrides; a config left out returns to
//   its default (that is what the legacy API means; IncrementalAlterConfigs changes single
//   keys). The change applies to the topic's partition logs at once and survives restarts.
// - Checks, per resource, in Kafka's order: a resource named twice (INVALID_REQUEST for both),
//   a config key given twice or with a null value (INVALID_REQUEST), the empty topic name
//   (INVALID_REQUEST), an illegal name (INVALID_TOPIC_EXCEPTION), an unknown or invalid config
//   (INVALID_CONFIG), an unknown topic (UNKNOWN_TOPIC_OR_PARTITION).
// - BROKER (4): INVALID_REQUEST saying dynamic broker configs are not supported; this broker
//   reads its settings once at start. Other resource types: INVALID_REQUEST.
// - validateOnly runs every check and changes nothing.
//
// Version notes:
// - v0 and v1 are the same (v1 answers before throttling); v2 is flexible.
import { type AlterConfigsResponseAlterConfigsResourceResponse, ErrorCode } from '@runnel/protocol'
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
import { registerHandler } from './registry.ts'

export const alterConfigs = registerHandler({
  apiKey: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  uses: ['node', 'topics'],
  async handle(request, ctx) {
    const { node, topics } = ctx
    const validateOnly = request.validateOnly === true
    const twice = duplicates(request.resources.map((r) => resourceKey(r.resourceType, r.resourceName)))
    const responses: AlterConfigsResponseAlterConfigsResourceResponse[] = []
    for (const resource of request.resources) {
      const { resourceType, resourceName } = resource
      const answer = (f: ApiFailure | undefined) =>
        responses.push({
          errorCode: f?.errorCode ?? ErrorCode.NONE,
          errorMessage: f?.errorMessage ?? null,
          resourceType,
          resourceName,
        })

      if (twice.has(resourceKey(resourceType, resourceName))) {
        answer({
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: 'Each resource must appear at most once.',
        })
        continue
      }
      if (duplicates(resource.configs.map((c) => c.name)).size > 0) {
        answer({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Error due to duplicate config keys' })
        continue
      }
      const nulls = resource.configs.filter((c) => c.value === null).map((c) => c.name)
      if (nulls.length > 0) {
        answer({
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Null value not supported for : ${nulls.join(', ')}`,
        })
        continue
      }

      if (resourceType === ResourceType.BROKER) {
        answer(brokerConfigsNotSupported(node, resourceName))
        continue
      }
      if (resourceType !== ResourceType.TOPIC) {
        // The legacy API never handled BROKER_LOGGER; Kafka refuses it like any unknown type.
        answer({
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Unknown resource type ${resourceType}`,
        })
        continue
      }

      const badName = checkTopicResourceName(resourceName)
      if (badName) {
        answer(badName)
        continue
      }
      const overrides: Record<string, string> = {}
      for (const c of resource.configs) overrides[c.name] = c.value ?? ''
      const badConfig = checkTopicOverrides(overrides)
      if (badConfig) {
        answer(badConfig)
        continue
      }
      if (!topics.get(resourceName)) {
        answer(unknownTopic(resourceName))
        continue
      }
      const outcome = await topics.setConfigs(resourceName, overrides, validateOnly)
      answer(outcome.ok ? undefined : outcome)
    }
    return { throttleTimeMs: 0, responses }
  },
})
