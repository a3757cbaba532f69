import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Admin } from '@platformatic/kafka'
import { type ApacheKafka, kafkaSkipReason, startApacheKafka } from '../../../../tools/kafka/src/index.ts'
import { http, kafkaRegistry, registryStarter, type SuiteKafka, snapshot } from '../support/registries.ts'
import { badInput } from './suites/bad-input.ts'
import { interoperability } from './suites/confluent-client.ts'
import { walkThroughs } from './suites/evolution.ts'
import { normalizeWalkThrough } from './suites/normalize.ts'
import { persistence } from './suites/persistence.ts'
import { twoInstances } from './suites/two-instances.ts'

// The registry's acceptance suites on a 3-node Apache Kafka 4.4 (replication factor 3,
// min.insync.replicas 2; docs/kafka-harness.md), one cluster for the whole file: each suite on a
// schemas topic and an election group of its own, then `_schemas` itself: created with 3
// replicas, read back by a restarted registry, and still read and written with a node down.
describe('the registry on a 3-node Apache Kafka', { skip: kafkaSkipReason(), timeout: 600_000 }, () => {
  let kafka: ApacheKafka | undefined
  before(async () => {
    kafka = await startApacheKafka({ nodes: 3 })
  })
  after(async () => {
    await kafka?.close()
  })
  const bootstrap = () => {
    if (kafka === undefined) throw new Error('the cluster has not started')
    return kafka.bootstrap
  }

  /** A topic and a group of the suite's own on the shared cluster, which outlives the suite. */
  const onCluster = (suite: string): SuiteKafka => ({
    start: async () => {},
    get bootstrap() {
      return bootstrap()
    },
    topic: `_schemas-${suite}`,
    groupId: `schema-registry-${suite}`,
    restart: async () => {},
    stop: async () => {},
  })
  const registryOnCluster = (suite: string) => {
    const { start, stop } = registryStarter(onCluster(suite))
    return [start, stop] as const
  }

  describe('evolution walk-throughs', () => walkThroughs(...registryOnCluster('evolution')))
  describe('normalize', () => normalizeWalkThrough(...registryOnCluster('normalize')))
  describe('@kafkajs/confluent-schema-registry', () => interoperability(...registryOnCluster('client')))
  describe('bad input', () => badInput(onCluster('bad-input')))
  describe('two registry instances', () => twoInstances(onCluster('two')))
  describe('restarting the registry', () => persistence(onCluster('persistence')))

  describe('_schemas', () => {
    let admin: Admin
    before(() => {
      admin = new Admin({ clientId: 'test', bootstrapBrokers: bootstrap().split(',') })
    })
    after(async () => {
      await admin?.close()
    })
    const partition = async () => {
      const metadata = await admin.metadata({ topics: ['_schemas'], forceUpdate: true })
      return metadata.topics.get('_schemas')?.partitions[0]
    }
    const register = (url: string, subject: string, schema: string) =>
      http(url, 'POST', `/subjects/${subject}/versions`, { schema })

    it('is created with 3 replicas, compacted, and the cluster min.insync.replicas of 2; no warning', async () => {
      const warnings: string[] = []
      const registry = await kafkaRegistry(bootstrap(), { onWarning: (message) => warnings.push(message) })
      try {
        assert.deepEqual((await register(registry.url, 'orders-value', '"string"')).body, { id: 1 })
      } finally {
        await registry.close()
      }
      assert.deepEqual(warnings, [])
      const metadata = await admin.metadata({ topics: ['_schemas'], forceUpdate: true })
      const topic = metadata.topics.get('_schemas')
      assert.equal(topic?.partitionsCount, 1)
      assert.deepEqual([...(topic?.partitions[0].replicas ?? [])].sort(), [1, 2, 3])
      assert.deepEqual([...(topic?.partitions[0].isr ?? [])].sort(), [1, 2, 3])
      const [described] = await admin.describeConfigs({
        resources: [
          {
            resourceType: 2,
            resourceName: '_schemas',
            configurationKeys: ['cleanup.policy', 'min.insync.replicas'],
          },
        ],
      })
      const config = (name: string) => described.configs.find((c) => c.name === name)?.value
      assert.equal(config('cleanup.policy'), 'compact')
      assert.equal(config('min.insync.replicas'), '2')
    })

    it('a restarted registry reads it back from the cluster', async () => {
      const first = await kafkaRegistry(bootstrap())
      await register(first.url, 'payments-value', '"int"')
      const before = await snapshot(first.url)
      await first.close()
      const second = await kafkaRegistry(bootstrap())
      try {
        assert.deepEqual(await snapshot(second.url), before)
        assert.deepEqual((await http(second.url, 'GET', '/subjects')).body, [
          'orders-value',
          'payments-value',
        ])
      } finally {
        await second.close()
      }
    })

    it('with the node leading it killed, still serves reads and writes (acks=all, 2 in sync)', async () => {
      const registry = await kafkaRegistry(bootstrap())
      try {
        const before = await snapshot(registry.url)
        const leader = (await partition())?.leader
        assert.ok(leader !== undefined && leader > 0, 'the topic has a leader')
        await kafka?.stopNode(leader, 'SIGKILL')
        // The controller fences the node after broker.session.timeout.ms (9 s), which moves the
        // leadership and shrinks the ISR to the two live replicas.
        const deadline = Date.now() + 60_000
        for (;;) {
          const now = await partition().catch(() => undefined)
          if (now && now.leader > 0 && now.leader !== leader && now.isr.length === 2) break
          assert.ok(Date.now() < deadline, `no new leader for _schemas: ${JSON.stringify(now)}`)
          await new Promise((resolve) => setTimeout(resolve, 250))
        }
        assert.deepEqual(await snapshot(registry.url), before)
        const written = await register(registry.url, 'after-kill', '"boolean"')
        assert.deepEqual(written.body, { id: 3 })
        assert.deepEqual((await http(registry.url, 'GET', '/subjects')).body, [
          'after-kill',
          'orders-value',
          'payments-value',
        ])
        const again = await kafkaRegistry(bootstrap())
        try {
          assert.deepEqual(await snapshot(again.url), await snapshot(registry.url))
        } finally {
          await again.close()
        }
      } finally {
        await registry.close()
      }
    })
  })
})
