import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { CreateTopicsRequestCreatableTopic } from '@runnel/protocol'
import type { Admin as KafkaJsAdmin } from 'kafkajs'
import { brokerInternals } from '../../src/broker.ts'
import {
  type AdminTestBroker,
  confluentAdmin,
  type platformaticAdmin,
  platformaticErrors,
  rawRequest,
  rejection,
  startAdminBrokerAndKafkajs,
  stopAdminBroker,
  withPlatformaticAdmin,
} from './admin-helpers.ts'

const ZERO_UUID = '00000000-0000-0000-0000-000000000000'

const topic = (
  name: string,
  extra: Partial<CreateTopicsRequestCreatableTopic> = {},
): CreateTopicsRequestCreatableTopic => ({
  name,
  numPartitions: 1,
  replicationFactor: 1,
  assignments: [],
  configs: [],
  ...extra,
})

describe('CreateTopics', () => {
  let broker: AdminTestBroker
  let kafkajs: KafkaJsAdmin

  before(async () => {
    // A broker-level default, so configs can come from three sources.
    ;({ broker, kafkajs } = await startAdminBrokerAndKafkajs({
      numPartitions: 2,
      brokerConfigs: { 'log.retention.ms': '3600000' },
    }))
  })
  after(() => stopAdminBroker(broker, kafkajs))

  describe('kafkajs (v3)', () => {
    test('creates a topic with its partitions and config overrides', async () => {
      const created = await kafkajs.createTopics({
        topics: [
          {
            topic: 'kj-orders',
            numPartitions: 3,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
      })
      assert.equal(created, true)
      const metadata = await kafkajs.fetchTopicMetadata({ topics: ['kj-orders'] })
      assert.equal(metadata.topics[0].partitions.length, 3)
      const described = await kafkajs.describeConfigs({
        resources: [{ type: 2, name: 'kj-orders', configNames: ['cleanup.policy'] }],
        includeSynonyms: false,
      })
      assert.equal(described.resources[0].configEntries[0].configValue, 'compact')
    })

    test('an existing topic is TOPIC_ALREADY_EXISTS, which kafkajs reports as false', async () => {
      await kafkajs.createTopics({ topics: [{ topic: 'kj-twice' }] })
      assert.equal(await kafkajs.createTopics({ topics: [{ topic: 'kj-twice' }] }), false)
    })

    test('validateOnly checks and creates nothing', async () => {
      // waitForLeaders would poll Metadata for a topic that, by design, does not exist.
      const dryRun = {
        validateOnly: true,
        waitForLeaders: false,
        topics: [{ topic: 'kj-dry-run', numPartitions: 4 }],
      }
      assert.equal(await kafkajs.createTopics(dryRun), true)
      assert.equal((await kafkajs.listTopics()).includes('kj-dry-run'), false)
    })

    test('an illegal name is INVALID_TOPIC_EXCEPTION', async () => {
      const err = await rejection(kafkajs.createTopics({ topics: [{ topic: 'has space' }] }))
      const [first] = err.errors as { type: string; message: string }[]
      assert.equal(first.type, 'INVALID_TOPIC_EXCEPTION')
      assert.equal(first.message, 'The request attempted to perform an operation on an invalid topic')
    })

    test('an invalid config value is INVALID_CONFIG', async () => {
      const err = await rejection(
        kafkajs.createTopics({
          topics: [{ topic: 'kj-bad-config', configEntries: [{ name: 'retention.ms', value: 'soon' }] }],
        }),
      )
      const [first] = err.errors as { type: string; message: string }[]
      assert.equal(first.type, 'INVALID_CONFIG')
      assert.equal(first.message, 'Configuration is invalid')
      assert.equal((await kafkajs.listTopics()).includes('kj-bad-config'), false)
    })
  })

  describe('@platformatic/kafka (v7)', () => {
    test('returns the topic id, counts and every config with its value', async () => {
      await withPlatformaticAdmin(broker.bootstrap, async (admin) => {
        const [created] = await admin.createTopics({
          topics: ['pl-payments'],
          partitions: 4,
          replicas: 1,
          configs: [{ name: 'segment.bytes', value: '1048576' }],
        })
        assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
        assert.notEqual(created.id, ZERO_UUID)
        assert.equal(created.id, brokerInternals(broker).topics.get('pl-payments')?.topicId)
        assert.equal(created.partitions, 4)
        assert.equal(created.replicas, 1)
        assert.equal(created.configuration['segment.bytes'], '1048576')
        assert.equal(created.configuration['retention.ms'], '3600000', 'the broker-level default')
        assert.equal(created.configuration['cleanup.policy'], 'delete', "Kafka's default")
      })
    })

    const cases: [
      string,
      Parameters<ReturnType<typeof platformaticAdmin>['createTopics']>[0],
      string,
      string,
    ][] = [
      [
        'a replication factor above 1',
        { topics: ['pl-rf3'], partitions: 1, replicas: 3 },
        'INVALID_REPLICATION_FACTOR',
        'Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.',
      ],
      [
        'zero partitions',
        { topics: ['pl-p0'], partitions: 0, replicas: 1 },
        'INVALID_PARTITIONS',
        'Number of partitions must be larger than 0.',
      ],
      [
        'an unknown config',
        { topics: ['pl-unknown-config'], configs: [{ name: 'no.such.config', value: '1' }] },
        'INVALID_CONFIG',
        'Unknown topic config name: no.such.config',
      ],
      [
        'an invalid config value',
        { topics: ['pl-bad-value'], configs: [{ name: 'cleanup.policy', value: 'shred' }] },
        'INVALID_CONFIG',
        'Invalid value shred for configuration cleanup.policy: must be a list of delete, compact, got "shred"',
      ],
      [
        'an assignment naming another broker',
        { topics: ['pl-assign'], assignments: [{ partition: 0, brokers: [7] }] },
        'INVALID_REPLICA_ASSIGNMENT',
        'Replica assignment [7] for partition 0 must be [1]: this broker is the only node.',
      ],
      [
        'an existing topic',
        { topics: ['pl-payments'] },
        'TOPIC_ALREADY_EXISTS',
        "Topic 'pl-payments' already exists.",
      ],
    ]
    for (const [what, options, errorId, message] of cases) {
      test(`${what} is ${errorId}`, async () => {
        await withPlatformaticAdmin(broker.bootstrap, async (admin) => {
          const err = await rejection(admin.createTopics(options))
          assert.deepEqual(platformaticErrors(err), [[errorId, message]])
        })
      })
    }
  })

  describe('requests no client sends', () => {
    test('a name given twice is answered once with INVALID_REQUEST and not created; the rest is', async () => {
      const response = await rawRequest(broker.bootstrap, 19, 7, {
        topics: [topic('raw-dup'), topic('raw-single'), topic('raw-dup')],
        timeoutMs: 5000,
        validateOnly: false,
      })
      const byName = new Map(response.topics.map((t) => [t.name, t]))
      assert.equal(response.topics.length, 2)
      assert.equal(byName.get('raw-dup')?.errorCode, 42)
      assert.equal(byName.get('raw-dup')?.errorMessage, 'Duplicate topic name.')
      assert.equal(byName.get('raw-single')?.errorCode, 0)
      assert.equal(brokerInternals(broker).topics.get('raw-dup'), undefined)
      assert.ok(brokerInternals(broker).topics.get('raw-single'))
    })

    test('a null config value is INVALID_CONFIG', async () => {
      const response = await rawRequest(broker.bootstrap, 19, 5, {
        topics: [topic('raw-null-config', { configs: [{ name: 'retention.ms', value: null }] })],
        timeoutMs: 5000,
        validateOnly: false,
      })
      assert.equal(response.topics[0].errorCode, 40)
      assert.equal(
        response.topics[0].errorMessage,
        'Null value not supported for topic configs: retention.ms',
      )
      assert.equal(response.topics[0].numPartitions, -1)
      assert.deepEqual(response.topics[0].configs, [])
    })

    test('counts together with a manual assignment is INVALID_REQUEST', async () => {
      const response = await rawRequest(broker.bootstrap, 19, 4, {
        topics: [
          topic('raw-both', { numPartitions: 2, assignments: [{ partitionIndex: 0, brokerIds: [1] }] }),
        ],
        timeoutMs: 5000,
        validateOnly: false,
      })
      assert.equal(response.topics[0].errorCode, 42)
      assert.equal(
        response.topics[0].errorMessage,
        'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
      )
    })

    test('__cluster_metadata cannot be created', async () => {
      const response = await rawRequest(broker.bootstrap, 19, 7, {
        topics: [topic('__cluster_metadata')],
        timeoutMs: 5000,
        validateOnly: false,
      })
      assert.equal(response.topics[0].errorCode, 42)
      assert.equal(
        response.topics[0].errorMessage,
        'Creation of internal topic __cluster_metadata is prohibited.',
      )
    })

    test('v7 validateOnly answers with the defaults it would use and no topic id', async () => {
      const response = await rawRequest(broker.bootstrap, 19, 7, {
        topics: [
          topic('raw-preview', {
            numPartitions: -1,
            replicationFactor: -1,
            configs: [{ name: 'segment.ms', value: '60000' }],
          }),
        ],
        timeoutMs: 5000,
        validateOnly: true,
      })
      const [t] = response.topics
      assert.equal(t.errorCode, 0)
      assert.equal(t.topicId, ZERO_UUID)
      assert.equal(t.numPartitions, 2, "the broker's num.partitions")
      assert.equal(t.replicationFactor, 1)
      const configs = new Map((t.configs ?? []).map((c) => [c.name, c]))
      // ConfigSource: 1 TOPIC_CONFIG, 4 STATIC_BROKER_CONFIG, 5 DEFAULT_CONFIG
      assert.deepEqual(
        [configs.get('segment.ms')?.value, configs.get('segment.ms')?.configSource],
        ['60000', 1],
      )
      assert.deepEqual(
        [configs.get('retention.ms')?.value, configs.get('retention.ms')?.configSource],
        ['3600000', 4],
      )
      assert.deepEqual(
        [configs.get('cleanup.policy')?.value, configs.get('cleanup.policy')?.configSource],
        ['delete', 5],
      )
      assert.equal(brokerInternals(broker).topics.get('raw-preview'), undefined)
    })

    test('v0 carries the error code without a message', async () => {
      const response = await rawRequest(broker.bootstrap, 19, 0, {
        topics: [topic('bad/name')],
        timeoutMs: 5000,
      })
      assert.equal(response.topics[0].errorCode, 17)
      assert.equal(response.topics[0].errorMessage ?? null, null)
    })
  })

  test('confluent_kafka (librdkafka): create, validate_only and the messages it shows', async () => {
    const [created, dryRun, refused] = await confluentAdmin(broker.bootstrap, [
      {
        op: 'create',
        topics: [{ name: 'ck-events', partitions: 3, config: { 'retention.ms': '86400000' } }],
      },
      { op: 'create', validate_only: true, topics: [{ name: 'ck-dry-run', partitions: 2 }] },
      {
        op: 'create',
        topics: [
          { name: 'ck-rf2', partitions: 1, replication_factor: 2 },
          { name: 'ck-events', partitions: 1 },
          { name: 'ck-bad', partitions: 1, config: { 'max.message.bytes': '-5' } },
        ],
      },
    ])
    assert.deepEqual(created, { 'ck-events': { ok: true } })
    assert.deepEqual(dryRun, { 'ck-dry-run': { ok: true } })
    assert.equal(brokerInternals(broker).topics.get('ck-events')?.partitions.length, 3)
    assert.equal(brokerInternals(broker).topics.get('ck-events')?.overrides['retention.ms'], '86400000')
    assert.equal(brokerInternals(broker).topics.get('ck-dry-run'), undefined)
    assert.deepEqual(refused['ck-rf2'], {
      ok: false,
      code: 38,
      name: 'INVALID_REPLICATION_FACTOR',
      str: 'Unable to replicate the partition 2 time(s): The target replication factor of 2 cannot be reached because only 1 broker(s) are registered.',
    })
    assert.deepEqual(refused['ck-events'], {
      ok: false,
      code: 36,
      name: 'TOPIC_ALREADY_EXISTS',
      str: "Topic 'ck-events' already exists.",
    })
    assert.deepEqual(refused['ck-bad'], {
      ok: false,
      code: 40,
      name: 'INVALID_CONFIG',
      str: 'Invalid value -5 for configuration max.message.bytes: must be at least 0, got -5',
    })
  })
})
