import { describe } from 'node:test'
import { memoryRegistry, registryOnItsOwnBroker } from '../support/registries.ts'
import { interoperability } from './suites/confluent-client.ts'

// suites/confluent-client.ts on memory and on Runnel's broker; apache-kafka.test.ts runs it on a
// 3-node Apache Kafka.

describe('@kafkajs/confluent-schema-registry against the in-memory registry', { timeout: 60_000 }, () => {
  interoperability(memoryRegistry)
})

describe('@kafkajs/confluent-schema-registry against the registry on Kafka', {
  timeout: 120_000,
}, () => {
  const { start, stop } = registryOnItsOwnBroker()
  interoperability(start, stop)
})
