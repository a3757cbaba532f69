// Acceptance (issue 2) with @platformatic/kafka 1.35: its Admin creates and deletes a
// 6-partition topic, its Producer sends 10,000 keyed records with every codec it supports
// (acks=all), and its Consumer reads them back without a group (Consumer.fetch, Fetch v12+
// by topic id) partition by partition and looks offsets up by timestamp (ListOffsets v7).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Admin, Consumer, compressionsAlgorithms, Producer } from '@platformatic/kafka'
import { startTestBroker, type TestBroker } from '../helpers/broker.ts'
import { fetchPartition } from '../helpers/platformatic-fetch.ts'
import {
  assertSameRecords,
  byPartition,
  chunksByCodec,
  expectedOffsetForTimestamp,
  generateRecords,
  lookupTargets,
  type ReadRecord,
  type TestRecord,
} from '../helpers/records.ts'
import { storedCodecs } from '../helpers/stored-batches.ts'

const TOPIC = 'platformatic-acceptance'
const PARTITIONS = 6
const COUNT = 10_000
// zstd needs zlib.zstdCompressSync (Node 22.15+, 24): on an older Node platformatic marks it unavailable.
const CODECS = (['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const).filter(
  (c) => compressionsAlgorithms[c].available,
)

const clientOptions = (broker: TestBroker, clientId: string) => ({
  clientId,
  bootstrapBrokers: [broker.bootstrap],
  retries: 2,
  retryDelay: 100,
  timeout: 10_000,
})

describe('@platformatic/kafka 1.35: produce, fetch, look up and delete', () => {
  let broker: TestBroker
  let admin: Admin
  let producer: Producer
  let consumer: Consumer
  const records = generateRecords({
    count: COUNT,
    partitions: PARTITIONS,
    seed: 0x9a7f,
    baseTimestamp: Date.now() - 3_600_000,
    nullHeaderValues: true,
    emptyNotNull: true,
  })
  const expected = byPartition(records, PARTITIONS)
  let read: ReadRecord[] = []

  before(async () => {
    broker = await startTestBroker({ autoCreateTopics: false })
    admin = new Admin(clientOptions(broker, 'runnel-test-admin'))
    producer = new Producer({ ...clientOptions(broker, 'runnel-test-producer'), idempotent: false, acks: -1 })
    consumer = new Consumer({
      ...clientOptions(broker, 'runnel-test-consumer'),
      groupId: 'unused-no-group-api',
    })
  })

  after(async () => {
    await Promise.allSettled([admin?.close(), producer?.close(), consumer?.close()])
    await broker?.dispose()
  })

  it('creates a topic with 6 partitions and a topic id', async () => {
    const [created] = await admin.createTopics({ topics: [TOPIC], partitions: PARTITIONS, replicas: 1 })
    assert.equal(created.name, TOPIC)
    assert.equal(created.partitions, PARTITIONS)
    const metadata = await admin.metadata({ topics: [TOPIC], forceUpdate: true })
    const topic = metadata.topics.get(TOPIC)!
    assert.equal(topic.partitionsCount, PARTITIONS)
    assert.notEqual(topic.id, '00000000-0000-0000-0000-000000000000')
    assert.equal(topic.id, created.id)
    for (const p of topic.partitions) assert.equal(p.leader, metadata.controllerId)
  })

  it(`produces ${COUNT} keyed records with acks=all and codecs ${CODECS.join(', ')}`, async () => {
    const produced = new Array<number>(PARTITIONS).fill(0)
    for (const chunk of chunksByCodec(records, CODECS, 400)) {
      const result = await producer.send({
        acks: -1,
        compression: chunk.codec as (typeof CODECS)[number],
        messages: chunk.records.map(toMessage),
      })
      // One batch per partition: its base offset is the count produced there before.
      const sent = byPartition(chunk.records, PARTITIONS)
      const offsets = new Map((result.offsets ?? []).map((o) => [o.partition, Number(o.offset)]))
      for (let p = 0; p < PARTITIONS; p++) {
        if (sent[p].length === 0) continue
        assert.equal(offsets.get(p), produced[p], `base offset of partition ${p} (codec ${chunk.codec})`)
        produced[p] += sent[p].length
      }
    }
    assert.deepEqual(
      produced,
      expected.map((e) => e.length),
    )
    assert.deepEqual(
      await storedCodecs(broker.port, TOPIC, PARTITIONS),
      new Set(CODECS),
      'codecs of the stored batches',
    )
  })

  it('fetches every partition back in order with keys, values, headers and timestamps intact', async () => {
    const metadata = await consumer.metadata({ topics: [TOPIC], forceUpdate: true })
    const topic = metadata.topics.get(TOPIC)!
    read = []
    for (let p = 0; p < PARTITIONS; p++) {
      read.push(
        ...(await fetchPartition(consumer, topic.id, topic.partitions[p].leader, p, expected[p].length)),
      )
    }
    assertSameRecords(records, read, PARTITIONS)
  })

  it('lists the earliest, latest and max-timestamp offsets', async () => {
    const earliest = await consumer.listOffsets({ topics: [TOPIC], timestamp: -2n })
    const latest = await consumer.listOffsets({ topics: [TOPIC], timestamp: -1n })
    assert.deepEqual(earliest.get(TOPIC), new Array(PARTITIONS).fill(0n))
    assert.deepEqual(
      latest.get(TOPIC),
      expected.map((e) => BigInt(e.length)),
    )
    const maxTs = await consumer.listOffsetsWithTimestamps({ topics: [TOPIC], timestamp: -3n })
    for (let p = 0; p < PARTITIONS; p++) {
      const max = Math.max(...expected[p].map((r) => r.timestamp))
      const offset = expected[p].findIndex((r) => r.timestamp === max)
      assert.deepEqual(
        maxTs.get(TOPIC)!.get(p),
        { offset: BigInt(offset), timestamp: BigInt(max) },
        `partition ${p}`,
      )
    }
  })

  it('looks offsets up by timestamp', async () => {
    for (let p = 0; p < PARTITIONS; p++) {
      for (const target of lookupTargets(expected[p], p)) {
        const answer = await consumer.listOffsetsWithTimestamps({
          topics: [TOPIC],
          partitions: { [TOPIC]: [p] },
          timestamp: BigInt(target),
        })
        const want = expectedOffsetForTimestamp(expected[p], target)
        assert.deepEqual(
          answer.get(TOPIC)!.get(p),
          want
            ? { offset: BigInt(want.offset), timestamp: BigInt(want.timestamp) }
            : { offset: -1n, timestamp: -1n },
          `partition ${p}, timestamp ${target}`,
        )
      }
    }
  })

  it('deletes the topic', async () => {
    await admin.deleteTopics({ topics: [TOPIC] })
    const topics = await admin.listTopics()
    assert.ok(!topics.includes(TOPIC), `${TOPIC} still listed: ${topics.join(', ')}`)
    await assert.rejects(
      admin.metadata({ topics: [TOPIC], forceUpdate: true, autocreateTopics: false }),
      /Unknown topic/,
    )
  })
})

function toMessage(r: TestRecord) {
  const headers = new Map<Buffer, Buffer>()
  // Distinct Buffer objects are distinct Map keys, so duplicate header names survive.
  for (const h of r.headers) headers.set(Buffer.from(h.key), h.value as Buffer)
  return {
    topic: TOPIC,
    partition: r.partition,
    key: r.key ?? undefined,
    value: r.value as Buffer,
    headers,
    timestamp: BigInt(r.timestamp),
  }
}
