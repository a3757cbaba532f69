import { describe } from 'node:test'
import { memoryRegistry, registryOnItsOwnBroker } from '../support/registries.ts'
import { walkThroughs } from './suites/evolution.ts'

// The walk-throughs (suites/evolution.ts) on memory and on Runnel's broker; apache-kafka.test.ts
// runs them on a 3-node Apache Kafka.

describe('evolution walk-throughs on the in-memory registry', { timeout: 60_000 }, () => {
  walkThroughs(memoryRegistry)
})

describe('evolution walk-throughs on the registry on Kafka', {
  timeout: 120_000,
}, () => {
  const { start, stop } = registryOnItsOwnBroker()
  walkThroughs(start, stop)
})
