// Topics: names, ids, partition logs and configs, kept in the storage's topic catalog so they
// survive restarts. Admin handlers (CreateTopics, DeleteTopics, CreatePartitions, the config
// APIs) and Metadata go through here.
//
// Owner: the broker's TopicManager. Every mutation is serialized through `exclusive`, so two
// CreateTopics for one name, or a delete racing a create, cannot interleave their catalog
// writes; reads (Produce, Fetch, Metadata) see the in-memory maps.
import { randomUUID } from 'node:crypto'
import { ErrorCode } from '@runnel/protocol'
import type { Logger } from 'pino'
import type { BrokerConfig } from '../config/broker-config.ts'
import { effectiveTopicConfig, validateTopicConfig } from '../config/topic-configs.ts'
import { SerialQueue } from '../serial-queue.ts'
import {
  type LogConfig,
  type LogStore,
  logConfigFromTopicConfigs,
  type PartitionLog,
  type TopicCatalog,
} from '../storage/index.ts'
import { INTERNAL_TOPICS, validateTopicName } from './topic-names.ts'

export interface TopicState {
  readonly name: string
  readonly topicId: string
  readonly isInternal: boolean
  /** Partition logs by partition index. */
  partitions: PartitionLog[]
  /** Topic-level overrides, as set by CreateTopics / AlterConfigs. */
  overrides: Record<string, string>
  /** Every topic config's effective value (override, else broker default, else Kafka's). */
  config: Record<string, string>
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; errorCode: number; errorMessage: string }

const fail = (
  errorCode: number,
  errorMessage: string,
): { ok: false; errorCode: number; errorMessage: string } => ({
  ok: false,
  errorCode,
  errorMessage,
})

export interface CreateTopicSpec {
  name: string
  /** -1 = the broker's num.partitions. */
  numPartitions: number
  /** -1 = default (1). Anything above 1 is refused: one node holds one replica. */
  replicationFactor: number
  /** Manual assignment: partition index -> broker ids. */
  assignments?: { partitionIndex: number; brokerIds: number[] }[]
  configs?: Record<string, string | null>
  validateOnly?: boolean
}

/**
 * Storage settings from topic overrides over broker defaults. Values were validated when they
 * were set, so a failure here is a bug (or a hand-edited catalog) and throws.
 */
export function logConfigOf(
  overrides: Readonly<Record<string, string>>,
  brokerDefaults: Readonly<Record<string, string>>,
): LogConfig {
  const parsed = logConfigFromTopicConfigs(effectiveTopicConfig(overrides, brokerDefaults))
  if (!parsed.ok) throw new Error(`invalid topic config: ${parsed.reason}`)
  return parsed.config
}

/** What the topic manager works with: the catalog, the logs and the broker's settings. */
export interface TopicManagerDeps {
  readonly config: Pick<BrokerConfig, 'brokerConfigs' | 'numPartitions' | 'nodeId'>
  readonly log: Logger
  readonly catalog: TopicCatalog
  readonly logs: LogStore
  /** Called once a topic's partitions are gone, so that fetches parked on them end. */
  topicDeleted(name: string, partitions: number): void
}

export class TopicManager {
  private readonly deps: TopicManagerDeps
  /** Owner: this manager. */
  private readonly byName = new Map<string, TopicState>()
  private readonly byTopicId = new Map<string, TopicState>()
  /** Catalog mutations (create, delete, configs, partitions), one at a time in arrival order. */
  private readonly mutations = new SerialQueue()

  constructor(deps: TopicManagerDeps) {
    this.deps = deps
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.mutations.run(work)
  }

  /** Loads the catalog and opens every partition log (at start). */
  async load(): Promise<void> {
    for (const entry of this.deps.catalog.list()) {
      const config = effectiveTopicConfig(entry.configs, this.brokerDefaults())
      const logConfig = this.logConfig(config)
      const partitions: PartitionLog[] = []
      for (let p = 0; p < entry.partitions; p++) {
        partitions.push(await this.deps.logs.createPartition(entry.name, p, logConfig))
      }
      this.add({
        name: entry.name,
        topicId: entry.topicId,
        isInternal: INTERNAL_TOPICS.has(entry.name),
        partitions,
        overrides: { ...entry.configs },
        config,
      })
    }
  }

  private add(topic: TopicState): void {
    this.byName.set(topic.name, topic)
    this.byTopicId.set(topic.topicId, topic)
  }

  /** The storage settings of a topic's effective config (validated before it gets here). */
  logConfig(config: Readonly<Record<string, string>>): LogConfig {
    return logConfigOf(config, {})
  }

  brokerDefaults(): Record<string, string> {
    return { ...this.deps.config.brokerConfigs }
  }

  list(): TopicState[] {
    return [...this.byName.values()]
  }
  get(name: string): TopicState | undefined {
    return this.byName.get(name)
  }
  byId(topicId: string): TopicState | undefined {
    return this.byTopicId.get(topicId)
  }
  partition(topic: string, index: number): PartitionLog | undefined {
    return this.byName.get(topic)?.partitions[index]
  }

  /** Partitions whose log went offline after an I/O error, with the failure (for /health and /metrics). */
  offlinePartitions(): { topic: string; partition: number; errno: string | undefined; reason: string }[] {
    const out: { topic: string; partition: number; errno: string | undefined; reason: string }[] = []
    for (const t of this.byName.values()) {
      for (let p = 0; p < t.partitions.length; p++) {
        const reason = t.partitions[p].offlineReason
        if (reason !== undefined)
          out.push({ topic: t.name, partition: p, errno: reason.errno, reason: reason.message })
      }
    }
    return out
  }

  *partitionOffsets(): Iterable<{
    topic: string
    partition: number
    logStartOffset: number
    logEndOffset: number
  }> {
    for (const t of this.byName.values()) {
      for (let p = 0; p < t.partitions.length; p++) {
        const log = t.partitions[p]
        yield {
          topic: t.name,
          partition: p,
          logStartOffset: log.logStartOffset,
          logEndOffset: log.logEndOffset,
        }
      }
    }
  }

  /** Creates a topic with the broker's defaults, as Metadata's auto-creation does. */
  async autoCreate(name: string): Promise<TopicState | undefined> {
    const result = await this.create({ name, numPartitions: -1, replicationFactor: -1 })
    if (result.ok) return result.value
    return this.byName.get(name)
  }

  /** Checks a topic's configs; returns the first problem. */
  validateConfigs(configs: Readonly<Record<string, string | null>>): Outcome<Record<string, string>> {
    const out: Record<string, string> = {}
    for (const [name, value] of Object.entries(configs)) {
      const problem = validateTopicConfig(name, value)
      if (problem) return fail(ErrorCode.INVALID_CONFIG, `Invalid value for ${name}: ${problem}`)
      if (value !== null) out[name] = value.trim()
    }
    const parsed = logConfigFromTopicConfigs(effectiveTopicConfig(out, this.brokerDefaults()))
    if (!parsed.ok)
      return fail(ErrorCode.INVALID_CONFIG, `Invalid value for ${parsed.name}: ${parsed.reason}`)
    return { ok: true, value: out }
  }

  create(spec: CreateTopicSpec): Promise<Outcome<TopicState>> {
    return this.exclusive(async () => {
      const invalid = validateTopicName(spec.name)
      if (invalid) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid)
      if (this.byName.has(spec.name)) {
        return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`)
      }
      const assignments = spec.assignments ?? []
      let numPartitions = spec.numPartitions
      if (assignments.length > 0) {
        if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
          return fail(
            ErrorCode.INVALID_REQUEST,
            'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
          )
        }
        const problem = this.checkAssignments(assignments, 0)
        if (problem) return problem
        numPartitions = assignments.length
      }
      if (numPartitions === -1) numPartitions = this.deps.config.numPartitions
      if (!Number.isInteger(numPartitions) || numPartitions < 1) {
        return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.')
      }
      if (spec.replicationFactor === 0 || spec.replicationFactor < -1) {
        return fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.')
      }
      if (spec.replicationFactor > 1) {
        return fail(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${spec.replicationFactor} time(s): The target replication factor of ${spec.replicationFactor} cannot be reached because only 1 broker(s) are registered.`,
        )
      }
      const configs = this.validateConfigs(spec.configs ?? {})
      if (!configs.ok) return configs
      const config = effectiveTopicConfig(configs.value, this.brokerDefaults())
      if (spec.validateOnly) {
        const preview: TopicState = {
          name: spec.name,
          topicId: randomUUID(),
          isInternal: INTERNAL_TOPICS.has(spec.name),
          partitions: [],
          overrides: configs.value,
          config,
        }
        return { ok: true, value: preview }
      }
      const created = await this.deps.catalog.create({
        name: spec.name,
        partitions: numPartitions,
        configs: configs.value,
      })
      if (created.kind !== 'created') {
        return fail(ErrorCode.UNKNOWN_SERVER_ERROR, `The topic catalog refused ${spec.name}: ${created.kind}`)
      }
      const topic: TopicState = {
        name: spec.name,
        topicId: created.topic.topicId,
        isInternal: INTERNAL_TOPICS.has(spec.name),
        partitions: [],
        overrides: configs.value,
        config,
      }
      const logConfig = this.logConfig(config)
      for (let p = 0; p < numPartitions; p++) {
        topic.partitions.push(await this.deps.logs.createPartition(topic.name, p, logConfig))
      }
      this.add(topic)
      this.deps.log.info(
        { topic: topic.name, partitions: numPartitions, configs: topic.overrides },
        'topic created',
      )
      return { ok: true, value: topic }
    })
  }

  private checkAssignments(
    assignments: { partitionIndex: number; brokerIds: number[] }[],
    firstIndex: number,
  ): { ok: false; errorCode: number; errorMessage: string } | undefined {
    const sorted = [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex)
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i]
      if (a.partitionIndex !== firstIndex + i) {
        return fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'Partitions in the assignment must be consecutive from 0.',
        )
      }
      if (a.brokerIds.length !== 1 || a.brokerIds[0] !== this.deps.config.nodeId) {
        return fail(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Replica assignment ${JSON.stringify(a.brokerIds)} for partition ${a.partitionIndex} must be [${this.deps.config.nodeId}]: this broker is the only node.`,
        )
      }
    }
    return undefined
  }

  delete(name: string): Promise<Outcome<TopicState>> {
    return this.exclusive(async () => {
      const topic = this.byName.get(name)
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`)
      this.byName.delete(name)
      this.byTopicId.delete(topic.topicId)
      await this.deps.catalog.delete(name)
      await this.deps.logs.deletePartitions(name)
      // Fetches parked on this topic must learn it is gone.
      this.deps.topicDeleted(name, topic.partitions.length)
      this.deps.log.info({ topic: name }, 'topic deleted')
      return { ok: true, value: topic }
    })
  }

  addPartitions(
    name: string,
    count: number,
    assignments: { brokerIds: number[] }[] | null,
    validateOnly: boolean,
  ): Promise<Outcome<TopicState>> {
    return this.exclusive(async () => {
      const topic = this.byName.get(name)
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`)
      const current = topic.partitions.length
      if (count < current) {
        return fail(
          ErrorCode.INVALID_PARTITIONS,
          `Topic currently has ${current} partitions, which is higher than the requested ${count}.`,
        )
      }
      if (count === current) {
        return fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`)
      }
      if (assignments) {
        if (assignments.length !== count - current) {
          return fail(
            ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            `Increasing the number of partitions by ${count - current} but ${assignments.length} assignments provided.`,
          )
        }
        const problem = this.checkAssignments(
          assignments.map((a, i) => ({ partitionIndex: current + i, brokerIds: a.brokerIds })),
          current,
        )
        if (problem) return problem
      }
      if (validateOnly) return { ok: true, value: topic }
      await this.deps.catalog.setPartitionCount(name, count)
      const logConfig = this.logConfig(topic.config)
      for (let p = current; p < count; p++) {
        topic.partitions.push(await this.deps.logs.createPartition(name, p, logConfig))
      }
      this.deps.log.info({ topic: name, from: current, to: count }, 'partitions added')
      return { ok: true, value: topic }
    })
  }

  /**
   * Replaces a topic's overrides (AlterConfigs). Given a function instead, applies it to the
   * current overrides inside the lock (IncrementalAlterConfigs), so two concurrent changes to
   * one topic never overwrite each other.
   */
  setConfigs(
    name: string,
    overrides:
      | Record<string, string>
      | ((current: Readonly<Record<string, string>>) => Outcome<Record<string, string>>),
    validateOnly: boolean,
  ): Promise<Outcome<TopicState>> {
    return this.exclusive(async () => {
      const topic = this.byName.get(name)
      if (!topic) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`)
      const next =
        typeof overrides === 'function' ? overrides(topic.overrides) : { ok: true as const, value: overrides }
      if (!next.ok) return next
      const checked = this.validateConfigs(next.value)
      if (!checked.ok) return checked
      if (validateOnly) return { ok: true, value: topic }
      const config = effectiveTopicConfig(checked.value, this.brokerDefaults())
      await this.deps.catalog.setConfigs(name, checked.value)
      topic.overrides = checked.value
      topic.config = config
      this.deps.logs.updateConfig(name, this.logConfig(config))
      this.deps.log.info({ topic: name, configs: checked.value }, 'topic configs changed')
      return { ok: true, value: topic }
    })
  }

  enforceRetention(now: number): void {
    this.deps.logs.enforceRetention(now)
  }
}
