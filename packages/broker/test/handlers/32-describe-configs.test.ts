import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Admin as KafkaJsAdmin } from 'kafkajs'
import { topicConfigDefs } from '../../src/index.ts'
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

// DescribeConfigs' ConfigSource values.
const TOPIC_CONFIG = 1
const STATIC_BROKER_CONFIG = 4
const DEFAULT_CONFIG = 5

describe('DescribeConfigs', () => {
  let broker: AdminTestBroker
  let kafkajs: KafkaJsAdmin

  before(async () => {
    ;({ broker, kafkajs } = await startAdminBrokerAndKafkajs({
      numPartitions: 3,
      brokerConfigs: { 'log.retention.ms': '7200000', 'message.max.bytes': '2000000' },
    }))
    await createTopic(broker, 'dc-topic', 1, { 'retention.ms': '60000' })
  })
  after(() => stopAdminBroker(broker, kafkajs))

  describe('kafkajs (v2)', () => {
    test('a topic: every config, its source and its synonyms', async () => {
      const { resources } = await kafkajs.describeConfigs({
        resources: [{ type: 2, name: 'dc-topic' }],
        includeSynonyms: true,
      })
      assert.equal(resources[0].errorCode, 0)
      const entries = new Map(resources[0].configEntries.map((e) => [e.configName, e]))
      assert.deepEqual([...entries.keys()].sort(), topicConfigDefs.map((d) => d.name).sort())

      const synonyms = (name: string) =>
        entries.get(name)?.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource])
      // An override.
      assert.equal(entries.get('retention.ms')?.configValue, '60000')
      assert.equal(entries.get('retention.ms')?.configSource, TOPIC_CONFIG)
      assert.equal(entries.get('retention.ms')?.isDefault, false)
      assert.deepEqual(synonyms('retention.ms'), [
        ['retention.ms', '60000', TOPIC_CONFIG],
        ['log.retention.ms', '7200000', STATIC_BROKER_CONFIG],
        ['log.retention.ms', '604800000', DEFAULT_CONFIG],
      ])
      // A broker-level default.
      assert.equal(entries.get('max.message.bytes')?.configValue, '2000000')
      assert.equal(entries.get('max.message.bytes')?.configSource, STATIC_BROKER_CONFIG)
      assert.deepEqual(synonyms('max.message.bytes'), [
        ['message.max.bytes', '2000000', STATIC_BROKER_CONFIG],
        ['message.max.bytes', '1048588', DEFAULT_CONFIG],
      ])
      // Kafka's default.
      assert.equal(entries.get('cleanup.policy')?.configValue, 'delete')
      assert.equal(entries.get('cleanup.policy')?.configSource, DEFAULT_CONFIG)
      assert.equal(entries.get('cleanup.policy')?.isDefault, true)
      assert.equal(entries.get('cleanup.policy')?.readOnly, false)
      assert.equal(entries.get('cleanup.policy')?.isSensitive, false)
    })

    test('configNames picks a subset; an unknown name is left out; no synonyms unless asked', async () => {
      const { resources } = await kafkajs.describeConfigs({
        resources: [
          { type: 2, name: 'dc-topic', configNames: ['segment.bytes', 'retention.ms', 'no.such.config'] },
        ],
        includeSynonyms: false,
      })
      assert.deepEqual(
        resources[0].configEntries.map((e) => [e.configName, e.configValue, e.configSynonyms.length]),
        [
          ['retention.ms', '60000', 0],
          ['segment.bytes', '1073741824', 0],
        ],
      )
    })

    test('this broker: its settings, read-only, static when set at start', async () => {
      const { resources } = await kafkajs.describeConfigs({
        resources: [{ type: 4, name: '1' }],
        includeSynonyms: true,
      })
      const entries = new Map(resources[0].configEntries.map((e) => [e.configName, e]))
      const view = (name: string) => {
        const e = entries.get(name)
        return e && [e.configValue, e.configSource, e.readOnly]
      }
      assert.deepEqual(view('broker.id'), ['1', STATIC_BROKER_CONFIG, true])
      assert.deepEqual(view('node.id'), ['1', STATIC_BROKER_CONFIG, true])
      assert.deepEqual(view('num.partitions'), ['3', STATIC_BROKER_CONFIG, true])
      assert.deepEqual(view('auto.create.topics.enable'), ['true', DEFAULT_CONFIG, true])
      assert.deepEqual(view('socket.request.max.bytes'), ['104857600', DEFAULT_CONFIG, true])
      assert.deepEqual(view('message.max.bytes'), ['2000000', STATIC_BROKER_CONFIG, true])
      assert.deepEqual(view('log.retention.ms'), ['7200000', STATIC_BROKER_CONFIG, true])
      assert.deepEqual(view('log.segment.bytes'), ['1073741824', DEFAULT_CONFIG, true])
      assert.deepEqual(view('advertised.listeners'), [
        `PLAINTEXT://${broker.bootstrap}`,
        STATIC_BROKER_CONFIG,
        true,
      ])
      assert.ok([...entries.values()].every((e) => e.readOnly))
      const synonyms = (name: string) =>
        entries.get(name)?.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource])
      assert.deepEqual(synonyms('message.max.bytes'), [
        ['message.max.bytes', '2000000', STATIC_BROKER_CONFIG],
        ['message.max.bytes', '1048588', DEFAULT_CONFIG],
      ])
      assert.deepEqual(synonyms('log.segment.bytes'), [['log.segment.bytes', '1073741824', DEFAULT_CONFIG]])
    })

    test('an unknown topic is UNKNOWN_TOPIC_OR_PARTITION', async () => {
      const err = await rejection(
        kafkajs.describeConfigs({ resources: [{ type: 2, name: 'dc-missing' }], includeSynonyms: false }),
      )
      assert.deepEqual(kafkajsError(err), {
        type: 'UNKNOWN_TOPIC_OR_PARTITION',
        message: 'This server does not host this topic-partition',
      })
    })
  })

  describe('@platformatic/kafka (v4)', () => {
    test('includeDocumentation adds each config type and documentation', async () => {
      await withPlatformaticAdmin(broker.bootstrap, async (admin) => {
        const [withDocs] = await admin.describeConfigs({
          resources: [
            {
              resourceType: 2,
              resourceName: 'dc-topic',
              configurationKeys: ['cleanup.policy', 'retention.ms'],
            },
          ],
          includeDocumentation: true,
        })
        assert.deepEqual(
          withDocs.configs.map((c) => [
            c.name,
            c.configType,
            typeof c.documentation === 'string' && c.documentation.length > 0,
          ]),
          [
            ['cleanup.policy', 7, true], // LIST
            ['retention.ms', 5, true], // LONG
          ],
        )
        const [withoutDocs] = await admin.describeConfigs({
          resources: [{ resourceType: 2, resourceName: 'dc-topic', configurationKeys: ['cleanup.policy'] }],
        })
        assert.equal(withoutDocs.configs[0].documentation, null)
      })
    })

    test('an illegal topic name is INVALID_TOPIC_EXCEPTION with the reason', async () => {
      await withPlatformaticAdmin(broker.bootstrap, async (admin) => {
        const err = await rejection(
          admin.describeConfigs({
            resources: [{ resourceType: 2, resourceName: 'a'.repeat(250), configurationKeys: [] }],
          }),
        )
        assert.deepEqual(platformaticErrors(err), [
          [
            'INVALID_TOPIC_EXCEPTION',
            `Topic name is illegal, it can't be longer than 249 characters, topic name: ${'a'.repeat(250)}`,
          ],
        ])
      })
    })
  })

  describe('resources no client here asks for (raw)', () => {
    test('each resource is answered on its own, with Kafka messages for bad ones', async () => {
      const resource = (resourceType: number, resourceName: string) => ({
        resourceType,
        resourceName,
        configurationKeys: null,
      })
      const response = await rawRequest(broker.bootstrap, 32, 4, {
        resources: [
          resource(4, ''),
          resource(4, '2'),
          resource(4, 'abc'),
          resource(8, '1'),
          resource(8, ''),
          resource(3, 'dc-topic'),
          resource(2, 'dc-missing'),
          resource(2, 'dc-topic'),
        ],
        includeSynonyms: false,
        includeDocumentation: false,
      })
      assert.deepEqual(
        response.results.map((r) => [
          r.resourceType,
          r.resourceName,
          r.errorCode,
          r.errorMessage,
          r.configs.length > 0,
        ]),
        [
          [4, '', 0, null, false], // the cluster-wide dynamic defaults: none
          [4, '2', 42, 'Unexpected broker id, expected 1 or empty string, but received 2', false],
          [4, 'abc', 42, 'Broker id must be an integer, but it is: abc', false],
          [8, '1', 0, null, false],
          [8, '', 42, 'Broker id must not be empty', false],
          [3, 'dc-topic', 42, 'Unexpected resource type UNKNOWN for resource dc-topic', false],
          [2, 'dc-missing', 3, null, false],
          [2, 'dc-topic', 0, null, true],
        ],
      )
    })

    test('v0 reports isDefault: false only for what the topic itself sets', async () => {
      const response = await rawRequest(broker.bootstrap, 32, 0, {
        resources: [
          {
            resourceType: 2,
            resourceName: 'dc-topic',
            configurationKeys: ['retention.ms', 'max.message.bytes', 'segment.ms'],
          },
        ],
      })
      assert.deepEqual(
        response.results[0].configs.map((c) => [c.name, c.isDefault]),
        [
          ['max.message.bytes', true], // from the broker, so not set on the topic
          ['retention.ms', false],
          ['segment.ms', true],
        ],
      )
    })
  })

  test('confluent_kafka (librdkafka, v1): topic sources and synonyms, broker settings, unknown topic', async () => {
    const [result] = await confluentAdmin(broker.bootstrap, [
      {
        op: 'describe',
        resources: [
          { type: 2, name: 'dc-topic' },
          { type: 4, name: '1' },
          { type: 2, name: 'dc-missing' },
        ],
      },
    ])
    const topic = result['2:dc-topic']
    assert.equal(topic.ok, true)
    assert.deepEqual(topic.configs?.['retention.ms'], {
      value: '60000',
      source: TOPIC_CONFIG,
      is_default: false,
      is_read_only: false,
      // confluent_kafka keeps synonyms in a dict by name, so of the two log.retention.ms
      // synonyms (STATIC_BROKER_CONFIG, then DEFAULT_CONFIG) Python sees the last.
      synonyms: [
        ['retention.ms', '60000', TOPIC_CONFIG],
        ['log.retention.ms', '604800000', DEFAULT_CONFIG],
      ],
    })
    assert.equal(topic.configs?.['cleanup.policy'].source, DEFAULT_CONFIG)
    const brokerConfigs = result['4:1']
    assert.equal(brokerConfigs.configs?.['num.partitions'].value, '3')
    assert.equal(brokerConfigs.configs?.['num.partitions'].is_read_only, true)
    assert.deepEqual(result['2:dc-missing'], {
      ok: false,
      code: 3,
      name: 'UNKNOWN_TOPIC_OR_PART',
      str: 'Broker: Unknown topic or partition',
    })
  })
})
