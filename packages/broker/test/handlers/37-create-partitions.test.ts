import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Admin as KafkaJsAdmin } from 'kafkajs'
import { brokerInternals } from '../../src/broker.ts'
import {
  type AdminTestBroker,
  confluentAdmin,
  createTopic,
  kafkajsError,
  platformaticErrors,
  rawRequest,
  rejection,
  startAdminBrokerAndKafkajs,
  stopAdminBroker,
  withPlatformaticAdmin,
} from './admin-helpers.ts'

describe('CreatePartitions', () => {
  let broker: AdminTestBroker
  let kafkajs: KafkaJsAdmin

  const create = (name: string, numPartitions: number) => createTopic(broker, name, numPartitions)
  const partitionCount = (name: string) => brokerInternals(broker).topics.get(name)?.partitions.length

  before(async () => {
    ;({ broker, kafkajs } = await startAdminBrokerAndKafkajs())
  })
  after(() => stopAdminBroker(broker, kafkajs))

  test('kafkajs (v1) raises the count, and Metadata shows the new partitions led by this node', async () => {
    await create('kj-grow', 2)
    await kafkajs.createPartitions({ topicPartitions: [{ topic: 'kj-grow', count: 5 }] })
    const metadata = await kafkajs.fetchTopicMetadata({ topics: ['kj-grow'] })
    assert.deepEqual(
      metadata.topics[0].partitions.map((p) => [p.partitionId, p.leader]).sort((a, b) => a[0] - b[0]),
      [0, 1, 2, 3, 4].map((p) => [p, 1]),
    )
  })

  test('kafkajs: a count below the current one is INVALID_PARTITIONS', async () => {
    await create('kj-shrink', 3)
    const err = await rejection(
      kafkajs.createPartitions({ topicPartitions: [{ topic: 'kj-shrink', count: 2 }] }),
    )
    assert.deepEqual(kafkajsError(err), {
      type: 'INVALID_PARTITIONS',
      message: 'Number of partitions is invalid',
    })
    assert.equal(partitionCount('kj-shrink'), 3)
  })

  describe('@platformatic/kafka (v3)', () => {
    test('validateOnly changes nothing; without it the count rises', async () => {
      await create('pl-grow', 1)
      await withPlatformaticAdmin(broker.bootstrap, async (admin) => {
        await admin.createPartitions({ topics: [{ name: 'pl-grow', count: 3 }], validateOnly: true })
        assert.equal(partitionCount('pl-grow'), 1)
        await admin.createPartitions({ topics: [{ name: 'pl-grow', count: 3 }] })
        assert.equal(partitionCount('pl-grow'), 3)
      })
    })

    const cases: [
      string,
      { name: string; count: number; assignments?: { brokerIds: number[] }[] },
      string,
      string,
    ][] = [
      [
        'an unknown topic',
        { name: 'pl-missing', count: 2 },
        'UNKNOWN_TOPIC_OR_PARTITION',
        "The topic 'pl-missing' does not exist.",
      ],
      [
        'the same count',
        { name: 'pl-fixed', count: 3 },
        'INVALID_PARTITIONS',
        'Topic already has 3 partitions.',
      ],
      [
        'a smaller count',
        { name: 'pl-fixed', count: 2 },
        'INVALID_PARTITIONS',
        'Topic currently has 3 partitions, which is higher than the requested 2.',
      ],
      [
        'too few assignments',
        { name: 'pl-fixed', count: 5, assignments: [{ brokerIds: [1] }] },
        'INVALID_REPLICA_ASSIGNMENT',
        'Increasing the number of partitions by 2 but 1 assignments provided.',
      ],
      [
        'an assignment naming another broker',
        { name: 'pl-fixed', count: 4, assignments: [{ brokerIds: [2] }] },
        'INVALID_REPLICA_ASSIGNMENT',
        'Replica assignment [2] for partition 3 must be [1]: this broker is the only node.',
      ],
    ]
    before(() => create('pl-fixed', 3))
    for (const [what, topic, errorId, message] of cases) {
      test(`${what} is ${errorId}`, async () => {
        await withPlatformaticAdmin(broker.bootstrap, async (admin) => {
          const err = await rejection(admin.createPartitions({ topics: [topic] }))
          assert.deepEqual(platformaticErrors(err), [[errorId, message]])
          assert.equal(partitionCount('pl-fixed') ?? 3, 3)
        })
      })
    }
  })

  test('a topic named twice in one request is answered once with INVALID_REQUEST and not changed', async () => {
    await create('raw-dup', 1)
    const response = await rawRequest(broker.bootstrap, 37, 3, {
      topics: [
        { name: 'raw-dup', count: 2, assignments: null },
        { name: 'raw-dup', count: 3, assignments: null },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    })
    assert.deepEqual(response.results, [
      { name: 'raw-dup', errorCode: 42, errorMessage: 'Duplicate topic name.' },
    ])
    assert.equal(partitionCount('raw-dup'), 1)
  })

  test('confluent_kafka (librdkafka): increase, validate_only and an error it shows', async () => {
    await create('ck-grow', 1)
    const [dryRun, grown, refused] = await confluentAdmin(broker.bootstrap, [
      { op: 'partitions', validate_only: true, topics: [{ name: 'ck-grow', count: 4 }] },
      { op: 'partitions', topics: [{ name: 'ck-grow', count: 4 }] },
      { op: 'partitions', topics: [{ name: 'ck-grow', count: 2 }] },
    ])
    assert.deepEqual(dryRun, { 'ck-grow': { ok: true } })
    assert.deepEqual(grown, { 'ck-grow': { ok: true } })
    assert.deepEqual(refused, {
      'ck-grow': {
        ok: false,
        code: 37,
        name: 'INVALID_PARTITIONS',
        str: 'Topic currently has 4 partitions, which is higher than the requested 2.',
      },
    })
    assert.equal(partitionCount('ck-grow'), 4)
  })
})
