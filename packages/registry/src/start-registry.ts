// Starting a registry as a library: against Kafka (the `_schemas` topic, a consumer group to
// elect the writer) or, for development, on an in-memory store.

import type { FastifyInstance } from 'fastify'
import { KafkaGroupElection } from './election/kafka-group-election.ts'
import { type Leadership, singleNode } from './election/leadership.ts'
import { RegistryError } from './errors.ts'
import { buildRegistryApp } from './http/app.ts'
import { RegistryService } from './service/registry-service.ts'
import { KafkaStore, kafkaErrorMessage } from './store/kafka-store.ts'
import type { SchemaStore } from './store/schema-store.ts'

export interface RegistryOptions {
  /** Kafka bootstrap servers (`host:port`, or a comma-separated list). */
  brokers?: string | readonly string[]
  /** A store to use instead of Kafka, e.g. `createMemoryStore()` for `--dev`. Such a registry runs alone. */
  store?: SchemaStore
  /** HTTP port; 0 picks a free one. Default 8081. */
  port?: number
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string
  /** The URL other instances forward writes to. Default `http://<host>:<port>`. */
  advertisedUrl?: string
  /** The compacted topic holding the schemas. Default `_schemas`. */
  topic?: string
  /**
   * Replicas wanted for the topic when it is created (Confluent's
   * `kafkastore.topic.replication.factor`). Default 3; a cluster with fewer brokers gets the
   * topic on all of them, with a warning.
   */
  replicationFactor?: number
  /** The consumer group that elects the leader. Default `schema-registry`. */
  groupId?: string
  clientId?: string
  /** Whether this instance may become the leader. Default true. */
  leaderEligibility?: boolean
  /** Consumer-group session timeout of the election. Default 10 s. */
  sessionTimeoutMs?: number
  /** How long a write may take to be stored and read back. Default 10 s. */
  writeTimeoutMs?: number
  /** How long a write waits for a leader to be known. Default 10 s. */
  leaderWaitMs?: number
  /** fastify's logger option. Off by default. */
  logger?: boolean | object
  /** Errors the registry recovers from (Kafka unreachable for a while...). Default: a warning at most every 10 s. */
  onError?: (error: unknown) => void
  /** What should be fixed but does not stop the registry (a topic with too few replicas). Default: a process warning. */
  onWarning?: (message: string) => void
}

export interface RunningRegistry {
  /** The URL clients use, e.g. `http://127.0.0.1:8081`. */
  readonly url: string
  readonly host: string
  readonly port: number
  readonly store: SchemaStore
  readonly leadership: Leadership
  readonly service: RegistryService
  readonly app: FastifyInstance
  /** Stops serving, leaves the election, closes the store. Idempotent. */
  close(): Promise<void>
}

function throttledWarning(): (error: unknown) => void {
  let last = 0
  return (error) => {
    const now = Date.now()
    if (now - last < 10_000) return
    last = now
    process.emitWarning(`runnel registry: ${kafkaErrorMessage(error)} (retrying)`)
  }
}

function brokerList(brokers: RegistryOptions['brokers']): string[] {
  if (brokers === undefined) return []
  const list = typeof brokers === 'string' ? brokers.split(',') : [...brokers]
  return list.map((broker) => broker.trim()).filter((broker) => broker !== '')
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const brokers = brokerList(options.brokers)
  if (options.store === undefined && brokers.length === 0) {
    throw new RegistryError(
      'STORE_CONFIGURATION',
      'startRegistry needs `brokers` (a Kafka bootstrap list) or a `store` (createMemoryStore() for development)',
    )
  }
  const host = options.host ?? '127.0.0.1'
  const topic = options.topic ?? '_schemas'
  const clientId = options.clientId ?? 'runnel-registry'
  const onError = options.onError ?? throttledWarning()
  const store: SchemaStore =
    options.store ??
    new KafkaStore({
      brokers,
      topic,
      clientId,
      writeTimeoutMs: options.writeTimeoutMs,
      replicationFactor: options.replicationFactor,
      onReaderError: onError,
      onWarning: options.onWarning ?? ((message) => process.emitWarning(`runnel registry: ${message}`)),
    })
  const closers: (() => Promise<void>)[] = [() => store.close()]
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined)
  }
  try {
    await store.start()
    const service = new RegistryService(store)
    const leadership: Leadership =
      options.store !== undefined
        ? singleNode()
        : new KafkaGroupElection({
            brokers,
            topic,
            clientId,
            groupId: options.groupId,
            eligible: options.leaderEligibility,
            sessionTimeoutMs: options.sessionTimeoutMs,
            onElected: () => store.append([{ key: { keytype: 'NOOP' }, value: null }]),
            onError,
          })
    const app = buildRegistryApp({
      service,
      leadership,
      sync: () => store.sync(),
      leaderWaitMs: options.leaderWaitMs,
      logger: options.logger,
    })
    await app.listen({ port: options.port ?? 8081, host })
    closers.push(() => app.close())
    const address = app.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 8081)
    const advertisedHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
    const url =
      options.advertisedUrl ??
      `http://${advertisedHost.includes(':') ? `[${advertisedHost}]` : advertisedHost}:${port}`
    closers.push(() => leadership.close())
    await leadership.start(url)
    let closing: Promise<void> | undefined
    return {
      url,
      host,
      port,
      store,
      leadership,
      service,
      app,
      close: () => {
        closing ??= closeAll()
        return closing
      },
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}
