// DescribeConfigs (key 32)
//
// Behavior:
// - TOPIC (2): every config of the topic config table with its effective value and source:
//   TOPIC_CONFIG for an override, STATIC_BROKER_CONFIG when the broker sets the config's
//   broker-level synonym, DEFAULT_CONFIG otherwise. An illegal name is
//   INVALID_TOPIC_EXCEPTION; an unknown topic UNKNOWN_TOPIC_OR_PARTITION (no message, as Kafka).
// - BROKER (4): named by this node's id, the broker's own settings, all read-only (there are
//   no dynamic broker configs). The empty name means the cluster-wide dynamic defaults, which
//   Kafka answers with the dynamic defaults set, so here with an empty list. Another id, or a
//   name that is not a number, is INVALID_REQUEST.
// - BROKER_LOGGER (8): named by this node's id, an empty list (log levels are not exposed
//   as configs); the same name checks as BROKER.
// - Any other resource type: INVALID_REQUEST for that resource.
// - configurationKeys null or empty means all; otherwise only the named configs that exist.
//
// Version notes:
// - v0 has isDefault instead of configSource and no synonyms; true here when the value is not
//   set on the resource itself (what the field means), so clients derive the right source.
// - v1 adds configSource and synonyms (filled only when includeSynonyms); v2 answers before
//   throttling; v3 adds configType and documentation (filled only when includeDocumentation);
//   v4 is flexible.
import {
  type DescribeConfigsRequestDescribeConfigsResource,
  type DescribeConfigsResponseDescribeConfigsResult,
  ErrorCode,
} from '@runnel/protocol'
import { validateTopicName } from '../cluster/topic-names.ts'
import { ConfigSource } from '../config/topic-configs.ts'
import {
  type ConfigView,
  describeBrokerConfigs,
  describeTopicConfigs,
  ResourceType,
  resourceTypeName,
} from './config-resources.ts'
import { type BrokerServices, type NodeIdentity, registerHandler } from './registry.ts'

interface Options {
  includeSynonyms: boolean
  includeDocumentation: boolean
}

function result(
  resource: DescribeConfigsRequestDescribeConfigsResource,
  configs: ConfigView[],
  options: Options,
): DescribeConfigsResponseDescribeConfigsResult {
  const keys = resource.configurationKeys
  const wanted = keys === null || keys.length === 0 ? configs : configs.filter((c) => keys.includes(c.name))
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
    configs: wanted.map((c) => ({
      name: c.name,
      value: c.value,
      readOnly: c.readOnly,
      isDefault:
        c.source === ConfigSource.DEFAULT_CONFIG ||
        (resource.resourceType === ResourceType.TOPIC && c.source !== ConfigSource.TOPIC_CONFIG),
      configSource: c.source,
      isSensitive: c.isSensitive,
      synonyms: options.includeSynonyms ? c.synonyms : [],
      configType: c.configType,
      documentation: options.includeDocumentation ? c.documentation : null,
    })),
  }
}

function failed(
  resource: DescribeConfigsRequestDescribeConfigsResource,
  errorCode: number,
  errorMessage: string | null,
): DescribeConfigsResponseDescribeConfigsResult {
  return {
    errorCode,
    errorMessage,
    resourceType: resource.resourceType,
    resourceName: resource.resourceName,
    configs: [],
  }
}

/** Checks a broker resource name; returns the INVALID_REQUEST message, or undefined for this node. */
function checkBrokerId(node: NodeIdentity, name: string, allowEmpty: boolean): string | undefined {
  if (name === '') return allowEmpty ? undefined : 'Broker id must not be empty'
  if (!/^-?\d+$/.test(name)) return `Broker id must be an integer, but it is: ${name}`
  if (Number(name) !== node.nodeId) {
    return allowEmpty
      ? `Unexpected broker id, expected ${node.nodeId} or empty string, but received ${name}`
      : `Unexpected broker id, expected ${node.nodeId} but received ${name}`
  }
  return undefined
}

function describeOne(
  services: Pick<BrokerServices, 'config' | 'node' | 'topics'>,
  resource: DescribeConfigsRequestDescribeConfigsResource,
  options: Options,
): DescribeConfigsResponseDescribeConfigsResult {
  const name = resource.resourceName
  switch (resource.resourceType) {
    case ResourceType.TOPIC: {
      const invalid = validateTopicName(name)
      if (invalid) return failed(resource, ErrorCode.INVALID_TOPIC_EXCEPTION, invalid)
      const topic = services.topics.get(name)
      if (!topic) return failed(resource, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null)
      return result(resource, describeTopicConfigs(services, topic.overrides), options)
    }
    case ResourceType.BROKER: {
      const problem = checkBrokerId(services.node, name, true)
      if (problem) return failed(resource, ErrorCode.INVALID_REQUEST, problem)
      // '' = the cluster-wide dynamic defaults: there are none.
      return result(resource, name === '' ? [] : describeBrokerConfigs(services), options)
    }
    case ResourceType.BROKER_LOGGER: {
      const problem = checkBrokerId(services.node, name, false)
      if (problem) return failed(resource, ErrorCode.INVALID_REQUEST, problem)
      return result(resource, [], options)
    }
    default:
      return failed(
        resource,
        ErrorCode.INVALID_REQUEST,
        `Unexpected resource type ${resourceTypeName(resource.resourceType)} for resource ${name}`,
      )
  }
}

export const describeConfigs = registerHandler({
  apiKey: 32,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  uses: ['node', 'config', 'topics'],
  handle(request, ctx) {
    const options: Options = {
      includeSynonyms: request.includeSynonyms === true,
      includeDocumentation: request.includeDocumentation === true,
    }
    return {
      throttleTimeMs: 0,
      results: request.resources.map((r) => describeOne(ctx, r, options)),
    }
  },
})
