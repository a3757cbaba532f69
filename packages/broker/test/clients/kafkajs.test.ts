// Acceptance (issue 2) with kafkajs 2.2.4: its admin creates and deletes a 6-partition topic
// (sent to the controller named in Metadata), its producer sends 10,000 keyed records with
// acks=all, uncompressed and gzip (the only codec kafkajs has built in), its group consumer
// reads them back, and its admin looks offsets up by timestamp. The records are also read back
// without a group through @platformatic/kafka's Consumer.fetch, a second opinion on what
// kafkajs wrote that does not depend on the group coordinator.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Admin, CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs'
import { startTestBroker, type TestBroker } from '../helpers/broker.ts'
import { fetchTopic } from '../helpers/platformatic-fetch.ts'
import {
  assertSameRecords,
  byPartition,
  chunksByCodec,
  expectedOffsetForTimestamp,
  generateRecords,
  lookupTargets,
  type ReadRecord,
  type TestHeader,
  type TestRecord,
} from '../helpers/records.ts'
import { storedCodecs } from '../helpers/stored-batches.ts'

const TOPIC = 'kafkajs-acceptance'
const PARTITIONS = 6
const COUNT = 10_000
const CODECS = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP } as const

/**
 * kafkajs takes headers as an object of name -> value or array of values, so headers of one
 * name end up adjacent, in the order their names first appear; it cannot send null values.
 */
function asKafkajsSendsThem(r: TestRecord): TestRecord {
  const groups = new Map<string, TestHeader[]>()
  for (const h of r.headers) {
    const group = groups.get(h.key) ?? []
    group.push(h)
    groups.set(h.key, group)
  }
  return { ...r, headers: [...groups.values()].flat() }
}

describe('kafkajs 2.2.4: produce, consume, look up and delete', () => {
  let broker: TestBroker
  let kafka: Kafka
  let admin: Admin
  let producer: Producer
  const records = generateRecords({
    count: COUNT,
    partitions: PARTITIONS,
    seed: 0x4a5,
    baseTimestamp: Date.now() - 7_200_000,
    emptyNotNull: true,
  }).map(asKafkajsSendsThem)
  const expected = byPartition(records, PARTITIONS)

  before(async () => {
    broker = await startTestBroker({ autoCreateTopics: false })
    kafka = new Kafka({
      clientId: 'runnel-test-kafkajs',
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3, initialRetryTime: 100 },
      connectionTimeout: 5_000,
      requestTimeout: 15_000,
    })
    admin = kafka.admin()
    producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false })
    await admin.connect()
    await producer.connect()
  })

  after(async () => {
    await Promise.allSettled([admin?.disconnect(), producer?.disconnect()])
    await broker?.dispose()
  })

  it('creates a topic with 6 partitions', async () => {
    const created = await admin.createTopics({
      topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }],
      waitForLeaders: true,
    })
    assert.equal(created, true)
    const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] })
    assert.equal(topics[0].partitions.length, PARTITIONS)
  })

  it(`produces ${COUNT} keyed records with acks=all, uncompressed and gzip`, async () => {
    const produced = new Array<number>(PARTITIONS).fill(0)
    for (const chunk of chunksByCodec(records, Object.keys(CODECS), 500)) {
      const result = await producer.send({
        topic: TOPIC,
        acks: -1,
        compression: CODECS[chunk.codec as keyof typeof CODECS],
        messages: chunk.records.map((r) => ({
          partition: r.partition,
          key: r.key,
          value: r.value,
          timestamp: String(r.timestamp),
          headers: headersObject(r.headers),
        })),
      })
      const sent = byPartition(chunk.records, PARTITIONS)
      for (let p = 0; p < PARTITIONS; p++) {
        if (sent[p].length === 0) continue
        const meta = result.find((m) => m.partition === p)
        assert.ok(meta, `no result for partition ${p}`)
        assert.equal(meta.errorCode, 0)
        assert.equal(
          meta.baseOffset,
          String(produced[p]),
          `base offset of partition ${p} (codec ${chunk.codec})`,
        )
        produced[p] += sent[p].length
      }
    }
    assert.deepEqual(
      await storedCodecs(broker.port, TOPIC, PARTITIONS),
      new Set(Object.keys(CODECS)),
      'codecs of the stored batches',
    )
    const offsets = await admin.fetchTopicOffsets(TOPIC)
    for (let p = 0; p < PARTITIONS; p++) {
      const o = offsets.find((x) => x.partition === p)!
      assert.equal(o.low, '0')
      assert.equal(o.high, String(expected[p].length), `high watermark of partition ${p}`)
    }
  })

  it('has every record in place, read back without a group (@platformatic/kafka fetch)', async () => {
    assertSameRecords(records, await fetchTopic(broker.bootstrap, TOPIC), PARTITIONS)
  })

  it('reads every partition back in order through its group consumer', async () => {
    const consumer = kafka.consumer({
      groupId: 'kafkajs-acceptance-group',
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    })
    const read: ReadRecord[] = []
    try {
      await consumer.connect()
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true })
      let done: () => void
      const all = new Promise<void>((resolve) => (done = resolve))
      await consumer.run({
        autoCommit: true,
        eachMessage: async ({ partition, message }) => {
          read.push({
            partition,
            offset: Number(message.offset),
            key: message.key,
            value: message.value,
            headers: Object.entries(message.headers ?? {}).flatMap(([key, v]) =>
              (Array.isArray(v) ? v : [v]).map((value) => ({
                key,
                value: value === undefined ? null : Buffer.from(value),
              })),
            ),
            timestamp: Number(message.timestamp),
          })
          if (read.length >= COUNT) done()
        },
      })
      let timer: NodeJS.Timeout | undefined
      try {
        await Promise.race([
          all,
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`read ${read.length} of ${COUNT} records in 60 s`)),
              60_000,
            )
          }),
        ])
      } finally {
        clearTimeout(timer)
      }
    } finally {
      await consumer.disconnect()
    }
    read.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
    assertSameRecords(records, read, PARTITIONS)
  })

  it('looks offsets up by timestamp', async () => {
    const targets = lookupTargets(records, 7)
    for (const target of targets) {
      const answer = await admin.fetchTopicOffsetsByTimestamp(TOPIC, target)
      assert.equal(answer.length, PARTITIONS)
      for (const { partition, offset } of answer) {
        // kafkajs answers the high watermark where no record is at or after the timestamp.
        const want =
          expectedOffsetForTimestamp(expected[partition], target)?.offset ?? expected[partition].length
        assert.equal(offset, String(want), `partition ${partition}, timestamp ${target}`)
      }
    }
  })

  it('deletes the topic', async () => {
    await admin.deleteTopics({ topics: [TOPIC], timeout: 10_000 })
    const topics = await admin.listTopics()
    assert.ok(!topics.includes(TOPIC), `${TOPIC} still listed`)
  })
})

function headersObject(headers: readonly TestHeader[]): Record<string, Buffer[]> {
  const out: Record<string, Buffer[]> = {}
  for (const h of headers) (out[h.key] ??= []).push(h.value!)
  return out
}
