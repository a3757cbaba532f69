// The harness against real Apache Kafka 4.4: a 1-node cluster takes a topic, a record produced
// with acks=all and the same record consumed back in a group, and is gone (processes and
// files) after close(); a 3-node cluster lists 3 brokers and keeps 3 in-sync replicas of a
// topic. Skips with the reason when Java or the jars are missing, unless RUNNEL_REQUIRE_KAFKA=1.
// Start-up measured on the shared 2-core machine: about 4-6 s for 1 node, 8-16 s for 3.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { type ApacheKafka, kafkaSkipReason, startApacheKafka } from '../src/index.ts'

const skip = kafkaSkipReason()
const START_TIMEOUT_MS = 90_000

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Starts a cluster before the suite's tests and closes it after them. */
function useCluster(nodes: 1 | 3) {
  const state = {} as { kafka: ApacheKafka; admin: Admin }
  before(async () => {
    state.kafka = await startApacheKafka({ nodes, timeoutMs: START_TIMEOUT_MS })
    console.log(`${nodes} node${nodes === 1 ? '' : 's'} started in ${state.kafka.startupMs} ms`)
    state.admin = new Admin(clientOptions(state.kafka, 'harness-test-admin'))
  })
  after(async () => {
    await state.admin?.close()
    const pids = state.kafka?.brokers.map((b) => b.pid) ?? []
    await state.kafka?.close()
    assert.deepEqual(
      pids.filter((pid) => alive(pid)),
      [],
      'no process left after close',
    )
  })
  return state
}

const clientOptions = (kafka: ApacheKafka, clientId: string) => ({
  clientId,
  bootstrapBrokers: kafka.bootstrap.split(','),
  retries: 5,
  retryDelay: 200,
  timeout: 10_000,
})

describe('Apache Kafka 4.4, 1 node', { skip, timeout: 180_000 }, () => {
  const cluster = useCluster(1)

  it('lists its one broker on 127.0.0.1', async () => {
    const metadata = await cluster.admin.metadata({ topics: [], forceUpdate: true })
    assert.deepEqual([...metadata.brokers.keys()], [1])
    assert.equal(cluster.kafka.brokers[0].host, '127.0.0.1')
    assert.equal(cluster.kafka.bootstrap, `127.0.0.1:${cluster.kafka.brokers[0].port}`)
  })

  it('creates a topic, produces a record with acks=all and consumes it in a group', async () => {
    const topic = 'harness-one'
    const [created] = await cluster.admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    assert.equal(created.name, topic)

    const producer = new Producer({
      ...clientOptions(cluster.kafka, 'harness-test-producer'),
      serializers: stringSerializers,
    })
    const consumer = new Consumer({
      ...clientOptions(cluster.kafka, 'harness-test-consumer'),
      groupId: 'harness-one-group',
      deserializers: stringDeserializers,
    })
    try {
      const sent = await producer.send({ acks: -1, messages: [{ topic, key: 'k1', value: 'hello kafka' }] })
      assert.equal(sent.offsets?.[0].offset, 0n)

      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', maxWaitTime: 200 })
      let received: { key: string; value: string; offset: bigint } | undefined
      for await (const message of stream) {
        received = { key: message.key, value: message.value, offset: message.offset }
        break
      }
      await stream.close()
      assert.deepEqual(received, { key: 'k1', value: 'hello kafka', offset: 0n })
    } finally {
      await Promise.allSettled([producer.close(), consumer.close(true)])
    }
  })

  it('stops its node and removes its files on close', async () => {
    const pids = cluster.kafka.brokers.map((b) => b.pid)
    assert.ok(pids.every(alive), 'running before close')
    await cluster.kafka.close()
    assert.deepEqual(
      pids.filter((pid) => alive(pid)),
      [],
      'no process left',
    )
    assert.equal(existsSync(cluster.kafka.dir), false, `${cluster.kafka.dir} removed`)
  })
})

describe('Apache Kafka 4.4, 3 nodes', { skip, timeout: 240_000 }, () => {
  const cluster = useCluster(3)

  it('lists 3 brokers, each on its own port', async () => {
    const metadata = await cluster.admin.metadata({ topics: [], forceUpdate: true })
    assert.deepEqual([...metadata.brokers.keys()].sort(), [1, 2, 3])
    const ports = [...metadata.brokers.values()].map((b) => b.port).sort()
    assert.deepEqual(ports, cluster.kafka.brokers.map((b) => b.port).sort())
  })

  it('keeps 3 replicas of a topic, all in sync (default.replication.factor=3)', async () => {
    const topic = 'harness-three'
    // replicas: -1 lets the cluster's default.replication.factor decide
    await cluster.admin.createTopics({ topics: [topic], partitions: 3, replicas: -1 })
    // a new partition's ISR fills as the followers catch up: wait for it, bounded
    let partitions: { replicas: number[]; isr: number[] }[] = []
    for (let attempt = 0; attempt < 50; attempt++) {
      const metadata = await cluster.admin.metadata({ topics: [topic], forceUpdate: true })
      partitions = metadata.topics.get(topic)?.partitions ?? []
      if (partitions.length === 3 && partitions.every((p) => p.isr.length === 3)) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    assert.equal(partitions.length, 3)
    for (const p of partitions) {
      assert.deepEqual([...p.replicas].sort(), [1, 2, 3])
      assert.deepEqual([...p.isr].sort(), [1, 2, 3])
    }
  })
})
