import { describe } from 'node:test'
import { ownBroker } from '../support/registries.ts'
import { twoInstances } from './suites/two-instances.ts'

// suites/two-instances.ts on Runnel's broker; apache-kafka.test.ts runs it on a 3-node Apache Kafka.
describe('two registry instances on one Kafka', { timeout: 120_000 }, () => {
  twoInstances(ownBroker())
})
