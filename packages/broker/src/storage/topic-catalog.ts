// The topic catalog: which topics exist, with a stable topic id (UUID v4, made at creation),
// a partition count and per-topic config overrides (Kafka config names -> string values).
// The broker loads it at start and changes it through CreateTopics, DeleteTopics,
// CreatePartitions and the config APIs. Two implementations: memory (below) and disk
// (disk-topic-catalog.ts, persisted as <dataDir>/__cluster/topics.json).
import { randomUUID } from 'node:crypto'
import { topicNameProblem } from './file-names.ts'

export interface TopicRecord {
  readonly name: string
  /** UUID v4 in canonical text form (8-4-4-4-12 hex); 16 bytes on the wire. */
  readonly topicId: string
  readonly partitions: number
  /** Topic-level overrides only (Kafka names, e.g. `retention.ms`). */
  readonly configs: Readonly<Record<string, string>>
}

export interface NewTopic {
  readonly name: string
  readonly partitions: number
  readonly configs?: Readonly<Record<string, string>>
}

export type CreateTopicResult =
  | { readonly kind: 'created'; readonly topic: TopicRecord }
  /** Kafka TOPIC_ALREADY_EXISTS (36). */
  | { readonly kind: 'exists'; readonly topic: TopicRecord }
  /** Kafka INVALID_TOPIC_EXCEPTION (17). */
  | { readonly kind: 'invalidName'; readonly reason: string }
  /** Kafka INVALID_PARTITIONS (37). */
  | { readonly kind: 'invalidPartitions'; readonly reason: string }

export type UpdateTopicResult =
  | { readonly kind: 'updated'; readonly topic: TopicRecord }
  /** Kafka UNKNOWN_TOPIC_OR_PARTITION (3). */
  | { readonly kind: 'unknownTopic' }
  /** Kafka INVALID_PARTITIONS (37): partitions can only grow. */
  | { readonly kind: 'invalidPartitions'; readonly reason: string }

export interface TopicCatalog {
  list(): readonly TopicRecord[]
  get(name: string): TopicRecord | undefined
  getById(topicId: string): TopicRecord | undefined
  /** Resolves once the new topic is durable. */
  create(topic: NewTopic): Promise<CreateTopicResult>
  /** Resolves with the removed topic (undefined when unknown) once the removal is durable. */
  delete(name: string): Promise<TopicRecord | undefined>
  /** CreatePartitions: the count can only grow. */
  setPartitionCount(name: string, partitions: number): Promise<UpdateTopicResult>
  /** Replaces the topic's overrides (AlterConfigs; IncrementalAlterConfigs computes the new map first). */
  setConfigs(name: string, configs: Readonly<Record<string, string>>): Promise<UpdateTopicResult>
}

export const MAX_PARTITIONS = 0x7fffffff

/**
 * The catalog's state and rules, without persistence. Mutations change memory synchronously (so
 * concurrent requests see each other at once) and then await `persist()`.
 */
export class MemoryTopicCatalog implements TopicCatalog {
  // Owned by this catalog; the broker's topic manager is its only caller.
  protected readonly byName = new Map<string, TopicRecord>()
  protected readonly byId = new Map<string, TopicRecord>()

  constructor(topics: readonly TopicRecord[] = []) {
    for (const t of topics) this.put(t)
  }

  /** Makes the current state durable; the memory catalog has nothing to do. */
  protected persist(): Promise<void> {
    return Promise.resolve()
  }

  list(): readonly TopicRecord[] {
    return [...this.byName.values()]
  }

  get(name: string): TopicRecord | undefined {
    return this.byName.get(name)
  }

  getById(topicId: string): TopicRecord | undefined {
    return this.byId.get(topicId.toLowerCase())
  }

  async create(topic: NewTopic): Promise<CreateTopicResult> {
    const problem = topicNameProblem(topic.name)
    if (problem !== undefined) return { kind: 'invalidName', reason: problem }
    const existing = this.byName.get(topic.name)
    if (existing !== undefined) return { kind: 'exists', topic: existing }
    if (!Number.isInteger(topic.partitions) || topic.partitions < 1 || topic.partitions > MAX_PARTITIONS)
      return {
        kind: 'invalidPartitions',
        reason: `partition count must be a positive integer, got ${topic.partitions}`,
      }
    const record: TopicRecord = Object.freeze({
      name: topic.name,
      topicId: randomUUID(),
      partitions: topic.partitions,
      configs: Object.freeze({ ...(topic.configs ?? {}) }),
    })
    this.put(record)
    await this.persist()
    return { kind: 'created', topic: record }
  }

  async delete(name: string): Promise<TopicRecord | undefined> {
    const existing = this.byName.get(name)
    if (existing === undefined) return undefined
    this.byName.delete(name)
    this.byId.delete(existing.topicId)
    await this.persist()
    return existing
  }

  async setPartitionCount(name: string, partitions: number): Promise<UpdateTopicResult> {
    const existing = this.byName.get(name)
    if (existing === undefined) return { kind: 'unknownTopic' }
    if (!Number.isInteger(partitions) || partitions <= existing.partitions || partitions > MAX_PARTITIONS)
      return {
        kind: 'invalidPartitions',
        reason: `topic ${name} has ${existing.partitions} partitions; the new count must be larger`,
      }
    return this.replace({ ...existing, partitions })
  }

  async setConfigs(name: string, configs: Readonly<Record<string, string>>): Promise<UpdateTopicResult> {
    const existing = this.byName.get(name)
    if (existing === undefined) return { kind: 'unknownTopic' }
    return this.replace({ ...existing, configs: Object.freeze({ ...configs }) })
  }

  private async replace(record: TopicRecord): Promise<UpdateTopicResult> {
    const frozen = Object.freeze(record)
    this.put(frozen)
    await this.persist()
    return { kind: 'updated', topic: frozen }
  }

  private put(record: TopicRecord): void {
    this.byName.set(record.name, record)
    this.byId.set(record.topicId.toLowerCase(), record)
  }
}
