// The store whose log is the compacted `_schemas` topic (one partition), through
// @platformatic/kafka and standard Kafka APIs only. A reader follows the partition from its
// start and applies every record to the state; an append produces with acks=all and resolves
// once the reader has passed the appended offsets, so the state is always "the log up to here",
// on every instance alike. This is how Confluent's registry works (the store is the log).

import { Admin, Consumer, Producer } from '@platformatic/kafka'
import {
  type RecoveredErrorMessage,
  recoveredErrorChannel,
  type WarningMessage,
  warningChannel,
} from '../diagnostics.ts'
import { RegistryError } from '../errors.ts'
import { errorMessage } from '../formats/format.ts'
import { decodeRecord, encodeRecord, type StoreRecord } from './records.ts'
import type { SchemaStore } from './schema-store.ts'
import { RegistryState } from './state.ts'

export interface KafkaStoreOptions {
  /** Kafka bootstrap servers, `host:port`. */
  brokers: readonly string[]
  /** The topic holding the log. Default `_schemas`. */
  topic?: string
  clientId?: string
  /** How long an append may take to be produced and read back. Default 10 s. */
  writeTimeoutMs?: number
  /** How long start() may take to read the topic to its end. Default 60 s. */
  startTimeoutMs?: number
  /** How long a fetch waits for new records before returning empty. Default 100 ms. */
  fetchWaitMs?: number
  /**
   * The replication factor wanted for the topic (Confluent's `kafkastore.topic.replication.factor`).
   * Default 3. The topic is created with this many replicas, or with as many as the cluster has
   * brokers when it has fewer (with a warning), as Confluent's registry does.
   */
  replicationFactor?: number
  /** Called with errors the reader recovers from (it retries). */
  onReaderError?: (error: unknown) => void
  /** Called with what is worth a warning but does not stop the store (too few replicas). */
  onWarning?: (message: string) => void
}

/** Confluent's default `kafkastore.topic.replication.factor`. */
export const DEFAULT_REPLICATION_FACTOR = 3
const TOPIC_RESOURCE = 2

interface Waiter {
  offset: bigint
  resolve: () => void
  reject: (error: unknown) => void
  timer: NodeJS.Timeout
}

const CONTROL_BATCH = 0x20
const RETRY_DELAY_MS = 200

/** A Kafka client error with the causes it aggregates, which hold the useful part. */
export function kafkaErrorMessage(error: unknown): string {
  const parts = [errorMessage(error)]
  let nested: unknown = error
  for (let depth = 0; depth < 4; depth++) {
    const inner = (nested as { errors?: unknown[] }).errors?.[0] ?? (nested as { cause?: unknown }).cause
    if (inner === undefined || inner === null) break
    parts.push(errorMessage(inner))
    nested = inner
  }
  return [...new Set(parts)].join(': ')
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}

export class KafkaStore implements SchemaStore {
  readonly state = new RegistryState()
  readonly topic: string
  readonly #options: KafkaStoreOptions
  readonly #admin: Admin
  readonly #producer: Producer
  readonly #consumer: Consumer
  // Owned by the reader loop: the next offset to read, and appends waiting for it to pass theirs.
  #position = 0n
  #waiters: Waiter[] = []
  #running = false
  #reader: Promise<void> | undefined
  #closed: Promise<void> | undefined

  constructor(options: KafkaStoreOptions) {
    if (options.brokers.length === 0) {
      throw new RegistryError('STORE_CONFIGURATION', 'The Kafka store needs at least one bootstrap broker')
    }
    this.#options = options
    this.topic = options.topic ?? '_schemas'
    const base = {
      clientId: options.clientId ?? 'runnel-registry',
      bootstrapBrokers: [...options.brokers],
      retries: 3,
    }
    this.#admin = new Admin(base)
    this.#producer = new Producer({ ...base, autocreateTopics: false })
    // The reader fetches partition 0 itself: every instance reads everything, so it joins no group.
    this.#consumer = new Consumer({ ...base, groupId: `${base.clientId}-reader` })
  }

  /** The next offset the reader will read. */
  get position(): bigint {
    return this.#position
  }

  async start(): Promise<void> {
    let offsets: { start: bigint; end: bigint }
    try {
      await this.#ensureTopic()
      offsets = await this.#offsets()
    } catch (error) {
      if (error instanceof RegistryError) throw error
      throw new RegistryError(
        'STORE_ERROR',
        `Cannot read the ${this.topic} topic from Kafka at ${this.#options.brokers.join(',')}: ${kafkaErrorMessage(error)}`,
        { cause: error },
      )
    }
    const { start, end } = offsets
    this.#position = start
    this.#running = true
    this.#reader = this.#readLoop()
    await this.#waitFor(end, this.#options.startTimeoutMs ?? 60_000, 'reading the schemas topic to its end')
  }

  async append(records: readonly StoreRecord[]): Promise<void> {
    if (!this.#running) throw new RegistryError('STORE_ERROR', 'The Kafka store is not running')
    if (records.length === 0) return
    const messages = records.map((record) => {
      const encoded = encodeRecord(record)
      return { topic: this.topic, partition: 0, key: encoded.key, value: encoded.value ?? undefined }
    })
    let base: bigint | undefined
    try {
      const result = await this.#producer.send({ messages, acks: -1 })
      base = result.offsets?.find((entry) => entry.topic === this.topic && entry.partition === 0)?.offset
    } catch (error) {
      throw new RegistryError(
        'STORE_ERROR',
        `Error while writing to the ${this.topic} topic: ${errorMessage(error)}`,
        {
          cause: error,
        },
      )
    }
    if (base === undefined) {
      throw new RegistryError('STORE_ERROR', `Writing to the ${this.topic} topic returned no offset`)
    }
    await this.#waitFor(
      base + BigInt(messages.length),
      this.#options.writeTimeoutMs ?? 10_000,
      'reading back a write',
    )
  }

  async sync(): Promise<void> {
    const { end } = await this.#offsets()
    await this.#waitFor(end, this.#options.writeTimeoutMs ?? 10_000, 'catching up with the schemas topic')
  }

  close(): Promise<void> {
    this.#closed ??= this.#close()
    return this.#closed
  }

  async #close(): Promise<void> {
    this.#running = false
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer)
      waiter.reject(new RegistryError('STORE_ERROR', 'The Kafka store was closed'))
    }
    this.#waiters = []
    await this.#reader?.catch(() => undefined)
    await Promise.allSettled([
      this.#producer.close(),
      new Promise<void>((resolve) => this.#consumer.close(true, () => resolve())),
      this.#admin.close(),
    ])
  }

  // As Confluent's KafkaStore: create the topic with min(wanted, live brokers) replicas, warn when
  // that is fewer than wanted (on creating it, or on finding it so), and refuse a topic with more
  // than one partition or a cleanup policy other than compact (Kafka would delete old schemas).
  async #ensureTopic(): Promise<void> {
    const wanted = this.#options.replicationFactor ?? DEFAULT_REPLICATION_FACTOR
    if (!Number.isInteger(wanted) || wanted < 1) {
      throw new RegistryError(
        'STORE_CONFIGURATION',
        `The replication factor of the ${this.topic} topic must be a whole number of at least 1, got ${wanted}`,
      )
    }
    const existing = await this.#admin.listTopics({ includeInternals: true })
    const found = existing.includes(this.topic)
    if (!found) {
      const metadata = await this.#admin.metadata({ topics: [] })
      const replicas = Math.min(wanted, metadata.brokers.size)
      if (replicas < 1) throw new RegistryError('STORE_ERROR', 'No live Kafka brokers')
      if (replicas < wanted) {
        this.#warn(
          `Creating the ${this.topic} topic with a replication factor of ${replicas}, less than the wanted ${wanted}: the cluster has ${replicas} broker${replicas === 1 ? '' : 's'}. In production, add brokers and raise the topic's replication factor.`,
        )
      }
      try {
        await this.#admin.createTopics({
          topics: [this.topic],
          partitions: 1,
          replicas,
          configs: [{ name: 'cleanup.policy', value: 'compact' }],
        })
      } catch (error) {
        // Another instance may have created it meanwhile.
        const exists = (error as { findBy?: (key: string, value: unknown) => unknown }).findBy?.(
          'apiId',
          'TOPIC_ALREADY_EXISTS',
        )
        if (!exists) {
          throw new RegistryError(
            'STORE_ERROR',
            `Could not create the ${this.topic} topic: ${errorMessage(error)}`,
            {
              cause: error,
            },
          )
        }
      }
    }
    const metadata = await this.#consumer.metadata({ topics: [this.topic], forceUpdate: true })
    const topic = metadata.topics.get(this.topic)
    const partitions = topic?.partitionsCount
    if (partitions !== 1) {
      // Ordering across the whole log is what makes ids and versions consistent.
      throw new RegistryError(
        'STORE_CONFIGURATION',
        `The ${this.topic} topic has ${partitions} partitions; the schema registry needs exactly 1`,
      )
    }
    const replicas = topic?.partitions[0]?.replicas.length ?? 0
    if (found && replicas < wanted) {
      this.#warn(
        `The ${this.topic} topic has ${replicas} replica${replicas === 1 ? '' : 's'}, less than the wanted ${wanted}. In production, add brokers and raise the topic's replication factor.`,
      )
    }
    const [described] = await this.#admin.describeConfigs({
      resources: [
        { resourceType: TOPIC_RESOURCE, resourceName: this.topic, configurationKeys: ['cleanup.policy'] },
      ],
    })
    const policy = described?.configs.find((config) => config.name === 'cleanup.policy')?.value
    if (policy !== 'compact') {
      throw new RegistryError(
        'STORE_CONFIGURATION',
        `The ${this.topic} topic has cleanup.policy=${policy ?? '(none)'}; the schema registry needs cleanup.policy=compact, or Kafka deletes old schemas once they pass retention.ms`,
      )
    }
  }

  #warn(message: string): void {
    if (warningChannel.hasSubscribers)
      warningChannel.publish({ source: 'store', message } satisfies WarningMessage)
    this.#options.onWarning?.(message)
  }

  async #offsets(): Promise<{ start: bigint; end: bigint }> {
    const [earliest, latest] = await Promise.all([
      this.#consumer.listOffsets({ topics: [this.topic], timestamp: -2n }),
      this.#consumer.listOffsets({ topics: [this.topic], timestamp: -1n }),
    ])
    return { start: earliest.get(this.topic)?.[0] ?? 0n, end: latest.get(this.topic)?.[0] ?? 0n }
  }

  #waitFor(offset: bigint, timeoutMs: number, what: string): Promise<void> {
    if (this.#position >= offset) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        offset,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters = this.#waiters.filter((entry) => entry !== waiter)
          reject(
            new RegistryError(
              'OPERATION_TIMEOUT',
              `Timed out after ${timeoutMs} ms ${what}: read up to offset ${this.#position}, waiting for ${offset}`,
            ),
          )
        }, timeoutMs),
      }
      this.#waiters.push(waiter)
    })
  }

  #advance(position: bigint): void {
    this.#position = position
    const ready = this.#waiters.filter((waiter) => waiter.offset <= position)
    if (ready.length === 0) return
    this.#waiters = this.#waiters.filter((waiter) => waiter.offset > position)
    for (const waiter of ready) {
      clearTimeout(waiter.timer)
      waiter.resolve()
    }
  }

  async #readLoop(): Promise<void> {
    while (this.#running) {
      try {
        await this.#fetchOnce()
      } catch (error) {
        if (!this.#running) return
        if (recoveredErrorChannel.hasSubscribers) {
          recoveredErrorChannel.publish({ source: 'store', error } satisfies RecoveredErrorMessage)
        }
        this.#options.onReaderError?.(error)
        this.#consumer.clearMetadata()
        await delay(RETRY_DELAY_MS)
      }
    }
  }

  async #fetchOnce(): Promise<void> {
    const metadata = await this.#consumer.metadata({ topics: [this.topic] })
    const topic = metadata.topics.get(this.topic)
    if (topic === undefined) throw new Error(`topic ${this.topic} is missing from metadata`)
    const response = await this.#consumer.fetch({
      node: topic.partitions[0].leader,
      topics: [
        {
          topicId: topic.id,
          partitions: [
            {
              partition: 0,
              fetchOffset: this.#position,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
              partitionMaxBytes: 8 * 1024 * 1024,
            },
          ],
        },
      ],
      maxWaitTime: this.#options.fetchWaitMs ?? 100,
      minBytes: 1,
      maxBytes: 8 * 1024 * 1024,
    })
    if (!this.#running) return
    for (const topicResponse of response.responses) {
      for (const partition of topicResponse.partitions) {
        for (const batch of partition.records ?? []) {
          const next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n
          if (next <= this.#position) continue
          if ((batch.attributes & CONTROL_BATCH) === 0) {
            for (const record of batch.records) {
              // A fetch may start inside a batch: skip what was read already.
              if (batch.firstOffset + BigInt(record.offsetDelta) < this.#position) continue
              const decoded = decodeRecord(record.key, record.value)
              if (decoded !== undefined) this.state.apply(decoded)
            }
          }
          this.#advance(next)
        }
      }
    }
  }
}
