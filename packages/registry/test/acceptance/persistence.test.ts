import { describe } from 'node:test'
import { ownBroker } from '../support/registries.ts'
import { persistence } from './suites/persistence.ts'

// suites/persistence.ts on Runnel's broker, restarted under the registry; apache-kafka.test.ts
// runs it on a 3-node Apache Kafka, which stays up while the registry restarts.
describe('restarting the registry and the broker', {
  timeout: 120_000,
}, () => {
  persistence(ownBroker())
})
