// What the config APIs share: CreateTopics (v5+ returns the new topic's configs),
// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs all describe a topic's configs
// the same way (value, source, synonyms) and check proposed overrides with the same rules and
// the same messages, which are Kafka 3.9's (KRaft mode) wherever Kafka has one.
import { ErrorCode } from '@runnel/protocol'
import { validateTopicName } from '../cluster/topic-names.ts'
import { ConfigSource, ConfigType, topicConfigByName, topicConfigDefs } from '../config/topic-configs.ts'
import { COORDINATOR_DEFAULTS } from '../group/coordinator-config.ts'
import type { BrokerServices, NodeIdentity } from './registry.ts'

/** Kafka's ConfigResource.Type ids. */
export const ResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
} as const

const resourceTypeNames: Record<number, string> = {
  2: 'TOPIC',
  4: 'BROKER',
  8: 'BROKER_LOGGER',
  16: 'CLIENT_METRICS',
}

/** The name Kafka prints for a resource type; ids it does not know are UNKNOWN. */
export function resourceTypeName(id: number): string {
  return resourceTypeNames[id] ?? 'UNKNOWN'
}

export interface ApiFailure {
  readonly errorCode: number
  readonly errorMessage: string | null
}

const failure = (errorCode: number, errorMessage: string | null): ApiFailure => ({ errorCode, errorMessage })

export interface ConfigSynonym {
  name: string
  value: string | null
  source: number
}

/** One described config, in the shape DescribeConfigs and CreateTopics v5+ both need. */
export interface ConfigView {
  name: string
  value: string | null
  readOnly: boolean
  isSensitive: boolean
  source: number
  configType: number
  documentation: string
  /** Where the value comes from, most specific first; the first one is `source`. */
  synonyms: ConfigSynonym[]
}

/**
 * Every topic config with its effective value, sorted by name. The source is TOPIC_CONFIG for
 * an override, STATIC_BROKER_CONFIG when the broker sets the config's broker-level synonym
 * (log.retention.ms for retention.ms, ...), DEFAULT_CONFIG otherwise, as Kafka reports it.
 */
export function describeTopicConfigs(
  services: Pick<BrokerServices, 'config'>,
  overrides: Readonly<Record<string, string>>,
): ConfigView[] {
  const brokerConfigs = services.config.brokerConfigs
  const views: ConfigView[] = []
  for (const def of topicConfigDefs) {
    const synonyms: ConfigSynonym[] = []
    const override = overrides[def.name]
    if (override !== undefined)
      synonyms.push({ name: def.name, value: override, source: ConfigSource.TOPIC_CONFIG })
    if (def.brokerSynonym !== undefined) {
      const brokerValue = brokerConfigs[def.brokerSynonym]
      if (brokerValue !== undefined) {
        synonyms.push({
          name: def.brokerSynonym,
          value: brokerValue,
          source: ConfigSource.STATIC_BROKER_CONFIG,
        })
      }
      synonyms.push({ name: def.brokerSynonym, value: def.default, source: ConfigSource.DEFAULT_CONFIG })
    }
    const first = synonyms[0] ?? { value: def.default, source: ConfigSource.DEFAULT_CONFIG }
    views.push({
      name: def.name,
      value: first.value,
      readOnly: false,
      isSensitive: false,
      source: first.source,
      configType: def.type,
      documentation: def.doc,
      synonyms,
    })
  }
  return views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

interface BrokerSetting {
  name: string
  value: string | null
  /** Kafka's default for the setting; undefined when Kafka has none (node.id, listeners). */
  kafkaDefault?: string | null
  type: number
  doc: string
}

/**
 * The broker's own configs as DescribeConfigs reports them for resource type BROKER. Every one
 * is read-only: the broker reads its settings once at start and has no dynamic configs. A
 * setting given at start-up is STATIC_BROKER_CONFIG; one left at Kafka's default is
 * DEFAULT_CONFIG (the resolved options do not remember which were passed, so a value equal to
 * the default is reported as the default).
 */
export function describeBrokerConfigs(services: Pick<BrokerServices, 'config' | 'node'>): ConfigView[] {
  const c = services.config
  const settings: BrokerSetting[] = [
    {
      name: 'broker.id',
      value: String(c.nodeId),
      type: ConfigType.INT,
      doc: 'This node id (same as node.id).',
    },
    {
      name: 'node.id',
      value: String(c.nodeId),
      type: ConfigType.INT,
      doc: 'This node id, reported as leader and controller.',
    },
    {
      name: 'listeners',
      value: `PLAINTEXT://${c.host}:${c.port}`,
      type: ConfigType.LIST,
      doc: 'The address the Kafka listener binds (port 0 picks a free one at start).',
    },
    {
      name: 'advertised.listeners',
      value: `PLAINTEXT://${services.node.advertisedHost}:${services.node.advertisedPort}`,
      type: ConfigType.LIST,
      doc: 'The address clients are told to connect to in Metadata.',
    },
    {
      name: 'log.dirs',
      value: c.dataDir ?? null,
      kafkaDefault: null,
      type: ConfigType.LIST,
      doc: 'Where partition logs and topic metadata live; null keeps everything in memory.',
    },
    {
      name: 'auto.create.topics.enable',
      value: String(c.autoCreateTopics),
      kafkaDefault: 'true',
      type: ConfigType.BOOLEAN,
      doc: 'Whether Metadata for an unknown topic creates it.',
    },
    {
      name: 'num.partitions',
      value: String(c.numPartitions),
      kafkaDefault: '1',
      type: ConfigType.INT,
      doc: 'Partitions of an auto-created topic, and of CreateTopics with numPartitions -1.',
    },
    {
      name: 'default.replication.factor',
      value: '1',
      kafkaDefault: '1',
      type: ConfigType.INT,
      doc: 'Always 1: a single node holds the only replica.',
    },
    {
      name: 'delete.topic.enable',
      value: 'true',
      kafkaDefault: 'true',
      type: ConfigType.BOOLEAN,
      doc: 'DeleteTopics is always allowed.',
    },
    {
      name: 'socket.request.max.bytes',
      value: String(c.socketRequestMaxBytes),
      kafkaDefault: '104857600',
      type: ConfigType.INT,
      doc: 'Largest request frame the broker accepts; a bigger one closes the connection.',
    },
    {
      name: 'log.retention.check.interval.ms',
      value: String(c.retentionCheckIntervalMs),
      kafkaDefault: '300000',
      type: ConfigType.LONG,
      doc: 'How often retention deletes old segments.',
    },
  ]
  // The group coordinator's settings (offsets.topic.num.partitions, ...), as the broker uses them.
  for (const [name, kafkaDefault] of Object.entries(COORDINATOR_DEFAULTS)) {
    settings.push({
      name,
      value: c.brokerConfigs[name] ?? String(kafkaDefault),
      kafkaDefault: String(kafkaDefault),
      type: name.endsWith('.ms') || name.endsWith('.bytes') ? ConfigType.LONG : ConfigType.INT,
      doc: 'A group coordinator setting.',
    })
  }
  // Kafka's hour form of the retention default, beside log.retention.ms.
  settings.push({
    name: 'log.retention.hours',
    value: c.brokerConfigs['log.retention.hours'] ?? '168',
    kafkaDefault: '168',
    type: ConfigType.INT,
    doc: 'Broker default retention in hours, when log.retention.ms is not set.',
  })
  // The broker-level defaults of topic configs (log.retention.ms, message.max.bytes, ...).
  const listed = new Set(settings.map((s) => s.name))
  for (const def of topicConfigDefs) {
    if (def.brokerSynonym === undefined || listed.has(def.brokerSynonym)) continue
    listed.add(def.brokerSynonym)
    // Kafka leaves log.retention.ms unset (null) by default: log.retention.hours supplies it.
    const unsetIsNull = def.brokerSynonym === 'log.retention.ms'
    settings.push({
      name: def.brokerSynonym,
      value: c.brokerConfigs[def.brokerSynonym] ?? (unsetIsNull ? null : def.default),
      kafkaDefault: unsetIsNull ? null : def.default,
      type: def.type,
      doc: `Broker default of the topic config ${def.name}. ${def.doc}`,
    })
  }
  // Anything else passed in brokerConfigs is reported as given, so the answer hides nothing.
  for (const [name, value] of Object.entries(c.brokerConfigs)) {
    if (listed.has(name)) continue
    listed.add(name)
    settings.push({ name, value, type: 0, doc: 'Passed to the broker at start; not read by it.' })
  }

  return settings
    .map((s): ConfigView => {
      const isDefault = s.kafkaDefault !== undefined && s.value === s.kafkaDefault
      const synonyms: ConfigSynonym[] = []
      if (!isDefault)
        synonyms.push({ name: s.name, value: s.value, source: ConfigSource.STATIC_BROKER_CONFIG })
      if (s.kafkaDefault !== undefined && s.kafkaDefault !== null) {
        synonyms.push({ name: s.name, value: s.kafkaDefault, source: ConfigSource.DEFAULT_CONFIG })
      }
      return {
        name: s.name,
        value: s.value,
        readOnly: true,
        isSensitive: false,
        source: isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG,
        configType: s.type,
        documentation: s.doc,
        synonyms,
      }
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/**
 * Checks a topic config resource's name as Kafka's controller does before anything else:
 * an empty name means "the default topic", which Kafka refuses.
 */
export function checkTopicResourceName(name: string): ApiFailure | undefined {
  if (name === '') return failure(ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.')
  const invalid = validateTopicName(name)
  return invalid ? failure(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid) : undefined
}

/** Checks a full set of proposed topic overrides; returns the first problem, as Kafka words it. */
export function checkTopicOverrides(
  configs: Readonly<Record<string, string | null>>,
): ApiFailure | undefined {
  const nulls = Object.keys(configs).filter((name) => configs[name] === null)
  if (nulls.length > 0) {
    return failure(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${nulls.join(',')}`)
  }
  for (const [name, value] of Object.entries(configs)) {
    const def = topicConfigByName.get(name)
    if (!def) return failure(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`)
    const problem = value === null ? undefined : def.validate?.(value)
    if (problem)
      return failure(ErrorCode.INVALID_CONFIG, `Invalid value ${value} for configuration ${name}: ${problem}`)
  }
  return undefined
}

/** The "topic does not exist" answer of the config APIs. */
export function unknownTopic(name: string): ApiFailure {
  return failure(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`)
}

/**
 * The answer to an attempt to change a broker's configs. Kafka supports dynamic broker
 * configs; this broker reads its settings once at start, so it refuses clearly rather than
 * pretending to apply them. The resource name is checked first, with Kafka's messages.
 */
export function brokerConfigsNotSupported(node: NodeIdentity, resourceName: string): ApiFailure {
  if (resourceName !== '') {
    if (!/^-?\d+$/.test(resourceName)) {
      return failure(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${resourceName}`)
    }
    if (Number(resourceName) !== node.nodeId) {
      return failure(
        ErrorCode.INVALID_REQUEST,
        `Unexpected broker id, expected ${node.nodeId}, but received ${resourceName}`,
      )
    }
  }
  return failure(
    ErrorCode.INVALID_REQUEST,
    'Dynamic broker configs are not supported: this broker reads its settings at start-up; restart it with new ones (see `runnel broker --help`).',
  )
}

/** Resource type + name, to find a resource named twice in one request. */
export const resourceKey = (resourceType: number, resourceName: string): string =>
  `${resourceType}\u0000${resourceName}`

/** Names that occur more than once. */
export function duplicates(names: Iterable<string>): Set<string> {
  const seen = new Set<string>()
  const twice = new Set<string>()
  for (const n of names) {
    if (seen.has(n)) twice.add(n)
    else seen.add(n)
  }
  return twice
}
