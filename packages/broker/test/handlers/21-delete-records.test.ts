import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { Kafka, type Admin as KafkaJsAdmin, logLevel, type Producer } from 'kafkajs'
import { brokerInternals } from '../../src/broker.ts'
import { startBroker } from '../../src/index.ts'
import {
  type AdminTestBroker,
  createTopic,
  kafkajsError,
  platformaticErrors,
  rawRequest,
  rejection,
  startAdminBrokerAndKafkajs,
  stopAdminBroker,
  withPlatformaticAdmin,
} from './admin-helpers.ts'

const run = promisify(execFile)

/** The offsets kcat (librdkafka, no consumer group) reads from the start of a partition. */
async function offsetsFromBeginning(bootstrap: string, topic: string, partition: number): Promise<number[]> {
  const { stdout } = await run(
    '/usr/bin/kcat',
    [
      '-b',
      bootstrap,
      '-X',
      'broker.address.family=v4',
      '-C',
      '-t',
      topic,
      '-p',
      String(partition),
      '-o',
      'beginning',
      '-e',
      '-q',
      '-f',
      '%o\\n',
    ],
    { timeout: 20_000 },
  )
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map(Number)
}

describe('DeleteRecords', () => {
  let broker: AdminTestBroker
  let kafkajs: KafkaJsAdmin
  let producer: Producer

  /** Creates a topic and writes `count` keyed records to partition 0, one batch each (compacted topics refuse keyless ones). */
  const createWith = async (name: string, count: number, configs: Record<string, string> = {}) => {
    await createTopic(broker, name, 2, configs)
    for (let i = 0; i < count; i++)
      await producer.send({ topic: name, messages: [{ partition: 0, key: `k${i}`, value: `record ${i}` }] })
  }
  const logStart = (name: string, partition = 0) =>
    brokerInternals(broker).topics.partition(name, partition)?.logStartOffset

  before(async () => {
    ;({ broker, kafkajs } = await startAdminBrokerAndKafkajs())
    producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer()
    await producer.connect()
  })
  after(async () => {
    await producer?.disconnect()
    await stopAdminBroker(broker, kafkajs)
  })

  test('kafkajs (v1): records below the offset are gone for consumers; ListOffsets shows the new start', async () => {
    await createWith('kj-trim', 10)
    // kafkajs finds partition leaders in metadata it already holds: load it first.
    await kafkajs.fetchTopicMetadata({ topics: ['kj-trim'] })
    await kafkajs.deleteTopicRecords({ topic: 'kj-trim', partitions: [{ partition: 0, offset: '4' }] })
    const offsets = await kafkajs.fetchTopicOffsets('kj-trim')
    assert.deepEqual(
      offsets.filter((o) => o.partition === 0).map((o) => [o.low, o.high]),
      [['4', '10']],
    )
    assert.deepEqual(await offsetsFromBeginning(broker.bootstrap, 'kj-trim', 0), [4, 5, 6, 7, 8, 9])
  })

  test('kafkajs: an offset above the high watermark is OFFSET_OUT_OF_RANGE', async () => {
    await createWith('kj-beyond', 3)
    await kafkajs.fetchTopicMetadata({ topics: ['kj-beyond'] })
    const err = await rejection(
      kafkajs.deleteTopicRecords({ topic: 'kj-beyond', partitions: [{ partition: 0, offset: '4' }] }),
    )
    // kafkajs bails with a non-retriable error whose cause lists the partitions that failed.
    const cause = err.cause as { partitions?: { partition: number; error: Record<string, unknown> }[] }
    const partitions = cause.partitions ?? []
    assert.equal(partitions.length, 1)
    assert.deepEqual(kafkajsError(partitions[0].error), {
      type: 'OFFSET_OUT_OF_RANGE',
      message: 'The requested offset is not within the range of offsets maintained by the server',
    })
    assert.equal(logStart('kj-beyond'), 0)
  })

  describe('@platformatic/kafka (v2)', () => {
    test('returns the new low watermark; -1 means the high watermark; an offset below the start changes nothing', async () => {
      await createWith('pl-trim', 6)
      await withPlatformaticAdmin(broker.bootstrap, async (admin) => {
        const trim = async (offset: bigint) => {
          const [topic] = await admin.deleteRecords({
            topics: [{ name: 'pl-trim', partitions: [{ partition: 0, offset }] }],
          })
          return topic.partitions.map((p) => [p.partition, p.lowWatermark])
        }
        assert.deepEqual(await trim(2n), [[0, 2n]])
        assert.deepEqual(await trim(1n), [[0, 2n]], 'no step back')
        assert.deepEqual(await trim(-1n), [[0, 6n]])
        assert.equal(logStart('pl-trim'), 6)
        assert.deepEqual(await offsetsFromBeginning(broker.bootstrap, 'pl-trim', 0), [])
        // The log goes on from there.
        await producer.send({ topic: 'pl-trim', messages: [{ partition: 0, value: 'after' }] })
        assert.deepEqual(await offsetsFromBeginning(broker.bootstrap, 'pl-trim', 0), [6])
      })
    })

    test('a compacted topic is POLICY_VIOLATION', async () => {
      await createWith('pl-compact', 2, { 'cleanup.policy': 'compact' })
      await withPlatformaticAdmin(broker.bootstrap, async (admin) => {
        const err = await rejection(
          admin.deleteRecords({
            topics: [{ name: 'pl-compact', partitions: [{ partition: 0, offset: 1n }] }],
          }),
        )
        assert.deepEqual(platformaticErrors(err), [['POLICY_VIOLATION', null]])
        assert.equal(logStart('pl-compact'), 0)
      })
    })
  })

  test('raw: per-partition errors with low watermark -1, and the good partitions still trimmed', async () => {
    await createWith('raw-trim', 5)
    await createWith('raw-both-policies', 2, { 'cleanup.policy': 'compact,delete' })
    if (!brokerInternals(broker).topics.get('__consumer_offsets')) {
      assert.ok(
        (
          await brokerInternals(broker).topics.create({
            name: '__consumer_offsets',
            numPartitions: 1,
            replicationFactor: 1,
          })
        ).ok,
      )
    }
    const response = await rawRequest(broker.bootstrap, 21, 0, {
      topics: [
        {
          name: 'raw-trim',
          partitions: [
            { partitionIndex: 0, offset: 3n },
            { partitionIndex: 1, offset: 0n }, // empty partition: 0 is its high watermark
            { partitionIndex: 2, offset: 0n },
          ],
        },
        { name: 'raw-both-policies', partitions: [{ partitionIndex: 0, offset: -2n }] },
        { name: 'raw-missing', partitions: [{ partitionIndex: 0, offset: 0n }] },
        { name: '__consumer_offsets', partitions: [{ partitionIndex: 0, offset: 0n }] },
      ],
      timeoutMs: 5000,
    })
    assert.deepEqual(
      response.topics.map((t) => [
        t.name,
        t.partitions.map((p) => [p.partitionIndex, p.lowWatermark, p.errorCode]),
      ]),
      [
        [
          'raw-trim',
          [
            [0, 3n, 0],
            [1, 0n, 0],
            [2, -1n, 3], // UNKNOWN_TOPIC_OR_PARTITION
          ],
        ],
        ['raw-both-policies', [[0, -1n, 1]]], // OFFSET_OUT_OF_RANGE: only -1 is special
        ['raw-missing', [[0, -1n, 3]]],
        ['__consumer_offsets', [[0, -1n, 17]]], // INVALID_TOPIC_EXCEPTION
      ],
    )
    assert.equal(logStart('raw-trim'), 3)
  })
})

test('the new log start offset survives a restart', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'runnel-admin-'))
  try {
    const first = await startBroker({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent' })
    try {
      assert.ok(
        (
          await brokerInternals(first).topics.create({
            name: 'durable',
            numPartitions: 1,
            replicationFactor: 1,
          })
        ).ok,
      )
      const producer = new Kafka({ brokers: [first.bootstrap], logLevel: logLevel.NOTHING }).producer()
      await producer.connect()
      for (let i = 0; i < 4; i++) await producer.send({ topic: 'durable', messages: [{ value: `r${i}` }] })
      await producer.disconnect()
      const response = await rawRequest(first.bootstrap, 21, 2, {
        topics: [{ name: 'durable', partitions: [{ partitionIndex: 0, offset: 3n }] }],
        timeoutMs: 5000,
      })
      assert.equal(response.topics[0].partitions[0].lowWatermark, 3n)
    } finally {
      await first.close()
    }
    const second = await startBroker({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent' })
    try {
      assert.equal(brokerInternals(second).topics.partition('durable', 0)?.logStartOffset, 3)
      assert.deepEqual(await offsetsFromBeginning(second.bootstrap, 'durable', 0), [3])
    } finally {
      await second.close()
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
})
