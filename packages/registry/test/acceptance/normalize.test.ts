import { describe } from 'node:test'
import { memoryRegistry, registryOnItsOwnBroker } from '../support/registries.ts'
import { normalizeWalkThrough } from './suites/normalize.ts'

// Normalization (suites/normalize.ts) on memory and on Runnel's broker; apache-kafka.test.ts runs
// it on a 3-node Apache Kafka.

describe('normalize on the in-memory registry', { timeout: 60_000 }, () => {
  normalizeWalkThrough(memoryRegistry)
})

describe('normalize on the registry on Kafka', { timeout: 120_000 }, () => {
  const { start, stop } = registryOnItsOwnBroker()
  normalizeWalkThrough(start, stop)
})
