import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Admin } from '@platformatic/kafka'
import { isRegistryError } from '../../src/errors.ts'
import { KafkaStore } from '../../src/store/kafka-store.ts'
import type { SchemaStore } from '../../src/store/schema-store.ts'
import { startTestBroker, type TestBroker } from '../support/broker.ts'
import { storeConformance } from './store-conformance.ts'

describe('KafkaStore', { timeout: 120_000 }, () => {
  let broker: TestBroker
  let topics = 0
  const topicOf = new WeakMap<SchemaStore, string>()

  before(async () => {
    broker = await startTestBroker()
  })
  after(async () => {
    await broker?.close()
  })

  const make = (topic: string) => {
    const store = new KafkaStore({ brokers: [broker.bootstrap], topic, writeTimeoutMs: 10_000 })
    topicOf.set(store, topic)
    return store
  }

  storeConformance({
    async create() {
      return make(`_schemas_${++topics}`)
    },
    async reopen(store) {
      return make(topicOf.get(store) ?? '_schemas')
    },
  })

  it('creates its topic compacted with one partition', async () => {
    const store = make('_schemas_created')
    await store.start()
    await store.close()
    const admin = new Admin({ clientId: 'test', bootstrapBrokers: [broker.bootstrap] })
    try {
      const metadata = await admin.metadata({ topics: ['_schemas_created'] })
      assert.equal(metadata.topics.get('_schemas_created')?.partitionsCount, 1)
      const [description] = await admin.describeConfigs({
        resources: [
          { resourceType: 2, resourceName: '_schemas_created', configurationKeys: ['cleanup.policy'] },
        ],
      })
      assert.equal(description.configs.find((config) => config.name === 'cleanup.policy')?.value, 'compact')
    } finally {
      await admin.close()
    }
  })

  it('on fewer brokers than the replication factor, creates its topic on all of them and warns', async () => {
    const warnings: string[] = []
    const store = new KafkaStore({
      brokers: [broker.bootstrap],
      topic: '_schemas_few',
      onWarning: (message) => warnings.push(message),
    })
    await store.start()
    await store.close()
    const admin = new Admin({ clientId: 'test', bootstrapBrokers: [broker.bootstrap] })
    try {
      const metadata = await admin.metadata({ topics: ['_schemas_few'] })
      assert.equal(metadata.topics.get('_schemas_few')?.partitions[0].replicas.length, 1)
    } finally {
      await admin.close()
    }
    assert.deepEqual(warnings, [
      "Creating the _schemas_few topic with a replication factor of 1, less than the wanted 3: the cluster has 1 broker. In production, add brokers and raise the topic's replication factor.",
    ])
    // Found again on the next start, the topic is used as it is, with a warning of its own.
    const again = new KafkaStore({
      brokers: [broker.bootstrap],
      topic: '_schemas_few',
      onWarning: (message) => warnings.push(message),
    })
    await again.start()
    await again.close()
    assert.equal(
      warnings[1],
      "The _schemas_few topic has 1 replica, less than the wanted 3. In production, add brokers and raise the topic's replication factor.",
    )
  })

  it('refuses a topic that is not compacted', async () => {
    const admin = new Admin({ clientId: 'test', bootstrapBrokers: [broker.bootstrap] })
    await admin.createTopics({ topics: ['_schemas_deleting'], partitions: 1, replicas: 1 })
    await admin.close()
    const store = make('_schemas_deleting')
    await assert.rejects(
      store.start(),
      (error: unknown) =>
        isRegistryError(error, 'STORE_CONFIGURATION') &&
        error.message ===
          'The _schemas_deleting topic has cleanup.policy=delete; the schema registry needs cleanup.policy=compact, or Kafka deletes old schemas once they pass retention.ms',
    )
    await store.close()
  })

  it('refuses a topic with more than one partition', async () => {
    const admin = new Admin({ clientId: 'test', bootstrapBrokers: [broker.bootstrap] })
    await admin.createTopics({ topics: ['_schemas_wide'], partitions: 3, replicas: 1 })
    await admin.close()
    const store = make('_schemas_wide')
    await assert.rejects(
      store.start(),
      (error: unknown) =>
        isRegistryError(error, 'STORE_CONFIGURATION') &&
        error.message === 'The _schemas_wide topic has 3 partitions; the schema registry needs exactly 1',
    )
    await store.close()
  })
})
