// Registries for the acceptance tests: on an in-memory store, or on Kafka (Runnel's broker, or a
// 3-node Apache Kafka in apache-kafka.test.ts).

import { after, before } from 'node:test'
import { type RunningRegistry, startRegistry } from '../../src/start-registry.ts'
import { createMemoryStore } from '../../src/store/memory-store.ts'
import { startTestBroker, type TestBroker } from './broker.ts'

export function memoryRegistry(): Promise<RunningRegistry> {
  return startRegistry({ store: createMemoryStore(), port: 0 })
}

export function kafkaRegistry(
  bootstrap: string,
  options: { groupId?: string; topic?: string; onWarning?: (message: string) => void } = {},
): Promise<RunningRegistry> {
  return startRegistry({
    brokers: bootstrap,
    port: 0,
    sessionTimeoutMs: 6_000,
    writeTimeoutMs: 10_000,
    // Runnel's single broker gets a 1-replica topic and a warning for it: known, not news here.
    onWarning: () => {},
    ...options,
  })
}

/**
 * The Kafka a suite's registries store their schemas in: Runnel's broker of its own (see
 * `ownBroker()`), or a topic and group of its own on a cluster shared by several suites.
 */
export interface SuiteKafka {
  start(): Promise<void>
  readonly bootstrap: string
  readonly topic?: string
  readonly groupId?: string
  /** Restarts what the registries run on (a broker of its own); nothing on a shared cluster. */
  restart(): Promise<void>
  stop(): Promise<void>
}

/** A registry of `kafka` with its topic and group. */
export function registryOn(kafka: SuiteKafka): Promise<RunningRegistry> {
  return kafkaRegistry(kafka.bootstrap, { topic: kafka.topic, groupId: kafka.groupId })
}

/** Runnel's broker, started for one suite on a data directory of its own. */
export function ownBroker(): SuiteKafka {
  let broker: TestBroker | undefined
  const started = () => {
    if (broker === undefined) throw new Error('the broker of this suite has not started')
    return broker
  }
  return {
    async start() {
      broker = await startTestBroker()
    },
    get bootstrap() {
      return started().bootstrap
    },
    restart: () => started().restart(),
    async stop() {
      await broker?.close()
    },
  }
}

/** For suites that take `start` and `stop`: a registry on `kafka`, started with it and stopped before it. */
export function registryStarter(kafka: SuiteKafka): {
  start: () => Promise<RunningRegistry>
  stop: () => Promise<void>
} {
  return {
    async start() {
      await kafka.start()
      return registryOn(kafka)
    },
    stop: () => kafka.stop(),
  }
}

/** For suites run on Kafka too: a registry on a broker of its own, and how to stop the broker. */
export function registryOnItsOwnBroker() {
  return registryStarter(ownBroker())
}

/**
 * Starts a registry before the tests of the suite it is called in and closes it (then `stop`s what
 * it runs on) after them. The answer gives the running registry.
 */
export function registryForSuite(
  start: () => Promise<RunningRegistry>,
  stop: () => Promise<void> = async () => {},
): () => RunningRegistry {
  let registry: RunningRegistry | undefined
  before(async () => {
    registry = await start()
  })
  after(async () => {
    await registry?.close()
    await stop()
  })
  return () => {
    if (registry === undefined) throw new Error('the registry of this suite has not started')
    return registry
  }
}

export interface HttpAnswer {
  status: number
  body: unknown
}

/** One HTTP call to a registry, JSON in and out. */
export async function http(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpAnswer> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await response.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // keep the text
  }
  return { status: response.status, body: parsed }
}

/** Everything a client can read from a registry, for before/after comparisons. */
export async function snapshot(baseUrl: string): Promise<unknown> {
  const subjects = (await http(baseUrl, 'GET', '/subjects?deleted=true')).body as string[]
  const versions: Record<string, unknown> = {}
  const ids = new Set<number>()
  for (const subject of subjects) {
    const encoded = encodeURIComponent(subject)
    const list = (await http(baseUrl, 'GET', `/subjects/${encoded}/versions?deleted=true`)).body as number[]
    versions[subject] = await Promise.all(
      list.map(async (version) => {
        const answer = (await http(baseUrl, 'GET', `/subjects/${encoded}/versions/${version}?deleted=true`))
          .body as {
          id: number
        }
        ids.add(answer.id)
        return answer
      }),
    )
    versions[`${subject} (live)`] = (await http(baseUrl, 'GET', `/subjects/${encoded}/versions`)).body
    versions[`${subject} (config)`] = (await http(baseUrl, 'GET', `/config/${encoded}`)).body
  }
  const schemas: Record<number, unknown> = {}
  for (const id of [...ids].sort((a, b) => a - b))
    schemas[id] = (await http(baseUrl, 'GET', `/schemas/ids/${id}`)).body
  return {
    subjects,
    versions,
    schemas,
    config: (await http(baseUrl, 'GET', '/config')).body,
    mode: (await http(baseUrl, 'GET', '/mode')).body,
  }
}
