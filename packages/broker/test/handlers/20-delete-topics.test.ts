import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Admin as KafkaJsAdmin } from 'kafkajs'
import { brokerInternals } from '../../src/broker.ts'
import {
  type AdminTestBroker,
  confluentAdmin,
  createTopic,
  platformaticErrors,
  rawRequest,
  rejection,
  startAdminBrokerAndKafkajs,
  stopAdminBroker,
  withPlatformaticAdmin,
} from './admin-helpers.ts'

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'
const UNKNOWN_ID = '0b7c5a2e-51d1-4f0c-9a57-3f1e2d4c5b6a'

describe('DeleteTopics', () => {
  let broker: AdminTestBroker
  let kafkajs: KafkaJsAdmin

  const create = async (...names: string[]) => {
    for (const name of names) await createTopic(broker, name, 2)
  }
  const exists = (name: string) => brokerInternals(broker).topics.get(name) !== undefined

  before(async () => {
    ;({ broker, kafkajs } = await startAdminBrokerAndKafkajs())
  })
  after(() => stopAdminBroker(broker, kafkajs))

  test('kafkajs (v1) deletes topics by name; a recreated topic gets a new id', async () => {
    await create('kj-a', 'kj-b')
    const oldId = brokerInternals(broker).topics.get('kj-a')?.topicId
    await kafkajs.deleteTopics({ topics: ['kj-a', 'kj-b'] })
    const listed = await kafkajs.listTopics()
    assert.equal(listed.includes('kj-a') || listed.includes('kj-b'), false)
    await create('kj-a')
    assert.notEqual(brokerInternals(broker).topics.get('kj-a')?.topicId, oldId)
  })

  test('kafkajs: an unknown topic is UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const err = await rejection(kafkajs.deleteTopics({ topics: ['kj-never-created'] }))
    // kafkajs wraps the retriable protocol error once its retries (none here) are spent.
    assert.equal(err.name, 'KafkaJSNumberOfRetriesExceeded')
    const cause = err.cause as { type: string; message: string }
    assert.equal(cause.type, 'UNKNOWN_TOPIC_OR_PARTITION')
    assert.equal(cause.message, 'This server does not host this topic-partition')
  })

  test('@platformatic/kafka (v6) deletes by name and reports an unknown one with its message', async () => {
    await create('pl-a')
    await withPlatformaticAdmin(broker.bootstrap, async (admin) => {
      await admin.deleteTopics({ topics: ['pl-a'] })
      assert.equal(exists('pl-a'), false)
      const err = await rejection(admin.deleteTopics({ topics: ['pl-a'] }))
      assert.deepEqual(platformaticErrors(err), [
        ['UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.'],
      ])
    })
  })

  describe('v6 by topic id (raw)', () => {
    test('deletes by id and answers with the name and id', async () => {
      await create('raw-by-id')
      const topicId = brokerInternals(broker).topics.get('raw-by-id')?.topicId ?? ''
      const response = await rawRequest(broker.bootstrap, 20, 6, {
        topics: [{ name: null, topicId }],
        timeoutMs: 5000,
      })
      assert.deepEqual(response.responses, [{ name: 'raw-by-id', topicId, errorCode: 0, errorMessage: null }])
      assert.equal(exists('raw-by-id'), false)
    })

    test('bad entries get their own errors and the good one is still deleted', async () => {
      await create('raw-keep-going', 'raw-dup', 'raw-both')
      const both = brokerInternals(broker).topics.get('raw-both')?.topicId ?? ''
      const response = await rawRequest(broker.bootstrap, 20, 6, {
        topics: [
          { name: null, topicId: UNKNOWN_ID },
          { name: null, topicId: ZERO_UUID },
          { name: 'raw-both', topicId: both },
          { name: 'raw-dup', topicId: ZERO_UUID },
          { name: 'raw-dup', topicId: ZERO_UUID },
          { name: 'raw-keep-going', topicId: ZERO_UUID },
        ],
        timeoutMs: 5000,
      })
      const keepGoingId = response.responses.find((r) => r.name === 'raw-keep-going')?.topicId
      assert.deepEqual(response.responses, [
        {
          name: null,
          topicId: UNKNOWN_ID,
          errorCode: 100,
          errorMessage: 'This server does not host this topic ID.',
        },
        {
          name: null,
          topicId: ZERO_UUID,
          errorCode: 42,
          errorMessage: 'Neither topic name nor id were specified.',
        },
        {
          name: 'raw-both',
          topicId: both,
          errorCode: 42,
          errorMessage: 'You may not specify both topic name and topic id.',
        },
        { name: 'raw-dup', topicId: ZERO_UUID, errorCode: 42, errorMessage: 'Duplicate topic name.' },
        { name: 'raw-keep-going', topicId: keepGoingId, errorCode: 0, errorMessage: null },
      ])
      assert.notEqual(keepGoingId, ZERO_UUID)
      assert.equal(exists('raw-keep-going'), false)
      assert.equal(exists('raw-dup'), true)
      assert.equal(exists('raw-both'), true)
    })

    test('a name that resolves to an id also given deletes neither', async () => {
      await create('raw-same')
      const topicId = brokerInternals(broker).topics.get('raw-same')?.topicId ?? ''
      const response = await rawRequest(broker.bootstrap, 20, 6, {
        topics: [
          { name: null, topicId },
          { name: 'raw-same', topicId: ZERO_UUID },
        ],
        timeoutMs: 5000,
      })
      assert.deepEqual(response.responses, [
        {
          name: 'raw-same',
          topicId,
          errorCode: 42,
          errorMessage: 'The provided topic name maps to an ID that was already supplied.',
        },
      ])
      assert.equal(exists('raw-same'), true)
    })
  })

  test('v0 names topics in a plain list and answers without messages', async () => {
    await create('raw-v0')
    const response = await rawRequest(broker.bootstrap, 20, 0, {
      topicNames: ['raw-v0', 'raw-v0-missing'],
      timeoutMs: 5000,
    })
    assert.deepEqual(
      response.responses.map((r) => [r.name, r.errorCode, r.errorMessage ?? null]),
      [
        ['raw-v0', 0, null],
        ['raw-v0-missing', 3, null],
      ],
    )
    assert.equal(exists('raw-v0'), false)
  })

  test('confluent_kafka (librdkafka, DeleteTopics v1: no message field) deletes and reports an unknown topic', async () => {
    await create('ck-a')
    const [result] = await confluentAdmin(broker.bootstrap, [
      { op: 'delete', topics: ['ck-a', 'ck-missing'] },
    ])
    assert.deepEqual(result['ck-a'], { ok: true })
    assert.deepEqual(result['ck-missing'], {
      ok: false,
      code: 3,
      name: 'UNKNOWN_TOPIC_OR_PART',
      str: 'Broker: Unknown topic or partition',
    })
    assert.equal(exists('ck-a'), false)
  })
})
