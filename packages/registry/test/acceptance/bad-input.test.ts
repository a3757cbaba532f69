import { describe } from 'node:test'
import { ownBroker } from '../support/registries.ts'
import { badInput } from './suites/bad-input.ts'

// suites/bad-input.ts on Runnel's broker; apache-kafka.test.ts runs it on a 3-node Apache Kafka.
describe('bad input to the registry on Kafka', { timeout: 120_000 }, () => {
  badInput(ownBroker())
})
