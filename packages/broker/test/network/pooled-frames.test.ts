// Produce requests of about 1 MB arrive over many socket chunks and are framed into pooled
// memory that the broker reuses (storage/buffer-pool.ts); the tail cache keeps their batches in
// place, and fetches answered from it hold them until the socket has taken the bytes. If any
// of those holds were missing, a later request would be copied over batches still cached or
// still being sent, and the records read back would differ from those written. This test
// writes distinct ~1 MB batches, interleaves fetches at the tail with the writes, reads
// everything back with a different client, and checks /metrics shows the memory was reused.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { Consumer } from '@platformatic/kafka'
import { Kafka, logLevel } from 'kafkajs'
import { scrapeMetrics, startTestBroker, type TestBroker } from '../helpers/broker.ts'
import { fetchPartition, fetchTopic } from '../helpers/platformatic-fetch.ts'

const TOPIC = 'pooled-frames'
const SENDS = 12
const PER_SEND = 100
const VALUE_BYTES = 10_000

function recordValue(send: number, index: number): Buffer {
  // Distinct, incompressible-looking bytes per record: a digest chain seeded by its position.
  const out = Buffer.allocUnsafe(VALUE_BYTES)
  let block = createHash('sha256').update(`${send}/${index}`).digest()
  for (let at = 0; at < VALUE_BYTES; at += block.length) {
    block.copy(out, at)
    block = createHash('sha256').update(block).digest()
  }
  return out
}

describe('pooled produce frames', { timeout: 120_000 }, () => {
  let broker: TestBroker

  before(async () => {
    broker = await startTestBroker({ httpPort: 0 })
  })
  after(async () => {
    await broker?.dispose()
  })

  it('read back byte for byte while their memory is reused, and show in /metrics', async () => {
    const kafka = new Kafka({ clientId: 'pooled', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
    const admin = kafka.admin()
    const producer = kafka.producer({ allowAutoTopicCreation: false })
    const reader = new Consumer({
      clientId: 'pooled-reader',
      bootstrapBrokers: [broker.bootstrap],
      groupId: 'unused-no-group-api',
    })
    await admin.connect()
    await producer.connect()
    try {
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] })
      const topic = (await reader.metadata({ topics: [TOPIC], forceUpdate: true })).topics.get(TOPIC)!
      let tailReads = 0
      for (let send = 0; send < SENDS; send++) {
        const messages = Array.from({ length: PER_SEND }, (_, index) => ({
          key: `${send}/${index}`,
          value: recordValue(send, index),
        }))
        // One ~1 MB batch per send: far more than one socket chunk, so it is framed into the pool.
        await producer.send({ topic: TOPIC, acks: 1, messages })
        // A fetch at the tail right away is answered from the cache, from the pooled request.
        const from = BigInt(send * PER_SEND)
        const tail = await fetchPartition(reader, topic.id, topic.partitions[0].leader, 0, undefined, from)
        assert.equal(tail.length, PER_SEND)
        const last = tail[tail.length - 1]
        assert.equal(last.key?.toString(), `${send}/${PER_SEND - 1}`)
        assert.ok(
          last.value?.equals(recordValue(send, PER_SEND - 1)),
          `send ${send}: its last record reads back as written`,
        )
        tailReads++
      }

      const records = await fetchTopic(broker.bootstrap, TOPIC)
      assert.equal(records.length, SENDS * PER_SEND)
      const wrong = records.filter((record) => {
        const [send, index] = record.key!.toString().split('/').map(Number)
        return !record.value!.equals(recordValue(send, index))
      })
      assert.deepEqual(
        wrong.map((record) => record.key?.toString()),
        [],
        'every record reads back with the bytes it was written with',
      )

      const metrics = await scrapeMetrics(broker.httpPort!)
      const acquired = metrics.get('runnel_broker_buffer_pool_acquired_total') ?? 0
      const reused = metrics.get('runnel_broker_buffer_pool_reused_total') ?? 0
      assert.ok(acquired >= SENDS, `every large produce request was pooled (${acquired} of ${SENDS})`)
      assert.ok(reused > 0, `the pool handed memory out again (${reused} reuses)`)
      assert.ok((metrics.get('runnel_broker_tail_cache_hits_total') ?? 0) >= tailReads)
      assert.equal(metrics.get(`runnel_broker_messages_in_total{topic="${TOPIC}"}`), SENDS * PER_SEND)
      assert.equal(
        metrics.get(`runnel_broker_log_end_offset{topic="${TOPIC}",partition="0"}`),
        SENDS * PER_SEND,
      )
      const cached = metrics.get('runnel_broker_tail_cache_bytes') ?? 0
      assert.ok(cached > 0)
      // Every response has been sent: what stays in use is the requests the tail cache keeps
      // (each rounded up to its size class), not one read buffer more.
      const inUse = metrics.get('runnel_broker_buffer_pool_in_use_bytes') ?? 0
      assert.ok(
        inUse >= cached && inUse - cached < 1024 * 1024,
        `pooled memory in use (${inUse}) is the tail cache's requests (${cached} bytes of batches)`,
      )
    } finally {
      await reader.close()
      await producer.disconnect()
      await admin.disconnect()
    }
  })
})
