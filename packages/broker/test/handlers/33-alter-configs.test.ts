import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { ConfigResourceTypeValue } from '@platformatic/kafka'
import { Kafka, type Admin as KafkaJsAdmin, logLevel } from 'kafkajs'
import { brokerInternals } from '../../src/broker.ts'
import { startBroker } from '../../src/index.ts'
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

const NOT_SUPPORTED =
  'Dynamic broker configs are not supported: this broker reads its settings at start-up; restart it with new ones (see `runnel broker --help`).'

describe('AlterConfigs', () => {
  let broker: AdminTestBroker
  let kafkajs: KafkaJsAdmin

  const create = (name: string, configs: Record<string, string> = {}) => createTopic(broker, name, 1, configs)
  const overrides = (name: string) => brokerInternals(broker).topics.get(name)?.overrides

  before(async () => {
    ;({ broker, kafkajs } = await startAdminBrokerAndKafkajs())
  })
  after(() => stopAdminBroker(broker, kafkajs))

  describe('kafkajs (v1)', () => {
    test('replaces the overrides: a config left out returns to its default', async () => {
      await create('kj-alter', { 'retention.ms': '1000' })
      const set = async (configEntries: { name: string; value: string }[]) =>
        kafkajs.alterConfigs({
          validateOnly: false,
          resources: [{ type: 2, name: 'kj-alter', configEntries }],
        })
      await set([{ name: 'cleanup.policy', value: 'compact' }])
      const { resources } = await kafkajs.describeConfigs({
        resources: [{ type: 2, name: 'kj-alter', configNames: ['cleanup.policy', 'retention.ms'] }],
        includeSynonyms: false,
      })
      assert.deepEqual(
        resources[0].configEntries.map((e) => [e.configName, e.configValue, e.configSource]),
        [
          ['cleanup.policy', 'compact', 1],
          ['retention.ms', '604800000', 5],
        ],
      )
    })

    test('validateOnly checks and changes nothing', async () => {
      await create('kj-dry', { 'retention.ms': '1000' })
      await kafkajs.alterConfigs({
        validateOnly: true,
        resources: [{ type: 2, name: 'kj-dry', configEntries: [{ name: 'retention.ms', value: '5000' }] }],
      })
      assert.deepEqual(overrides('kj-dry'), { 'retention.ms': '1000' })
    })

    const cases: [
      string,
      { type: number; name: string; configEntries: { name: string; value: string }[] },
      string,
      string,
    ][] = [
      [
        'an unknown topic',
        { type: 2, name: 'kj-missing', configEntries: [{ name: 'retention.ms', value: '1' }] },
        'UNKNOWN_TOPIC_OR_PARTITION',
        'This server does not host this topic-partition',
      ],
      [
        'an invalid value',
        { type: 2, name: 'kj-alter', configEntries: [{ name: 'segment.bytes', value: '10' }] },
        'INVALID_CONFIG',
        'Configuration is invalid',
      ],
      [
        'a broker resource',
        { type: 4, name: '1', configEntries: [{ name: 'num.partitions', value: '4' }] },
        'INVALID_REQUEST',
        'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details',
      ],
    ]
    for (const [what, resource, type, message] of cases) {
      test(`${what} is ${type}`, async () => {
        const err = await rejection(kafkajs.alterConfigs({ validateOnly: false, resources: [resource] }))
        assert.deepEqual(kafkajsError(err), { type, message })
      })
    }
  })

  describe('@platformatic/kafka (v2)', () => {
    test('sets overrides, and the messages of refused resources say why', async () => {
      await create('pl-alter')
      await withPlatformaticAdmin(broker.bootstrap, async (admin) => {
        await admin.alterConfigs({
          resources: [
            {
              resourceType: 2,
              resourceName: 'pl-alter',
              configs: [{ name: 'segment.ms', value: '3600000' }],
            },
          ],
        })
        assert.deepEqual(overrides('pl-alter'), { 'segment.ms': '3600000' })

        const refused = async (resource: {
          resourceType: ConfigResourceTypeValue
          resourceName: string
          configs: { name: string; value: string }[]
        }) => platformaticErrors(await rejection(admin.alterConfigs({ resources: [resource] })))
        assert.deepEqual(
          await refused({
            resourceType: 4,
            resourceName: '1',
            configs: [{ name: 'log.retention.ms', value: '1' }],
          }),
          [['INVALID_REQUEST', NOT_SUPPORTED]],
        )
        assert.deepEqual(
          await refused({
            resourceType: 2,
            resourceName: 'pl-alter',
            configs: [{ name: 'retention.hours', value: '1' }],
          }),
          [['INVALID_CONFIG', 'Unknown topic config name: retention.hours']],
        )
        assert.deepEqual(
          await refused({
            resourceType: 2,
            resourceName: 'pl-nowhere',
            configs: [{ name: 'retention.ms', value: '1' }],
          }),
          [['UNKNOWN_TOPIC_OR_PARTITION', "The topic 'pl-nowhere' does not exist."]],
        )
        assert.deepEqual(overrides('pl-alter'), { 'segment.ms': '3600000' }, 'refusals change nothing')
      })
    })
  })

  test('raw: duplicates, nulls, the default topic and unsupported resource types', async () => {
    await create('raw-alter', { 'retention.ms': '1000' })
    const resource = (
      resourceType: number,
      resourceName: string,
      configs: { name: string; value: string | null }[],
    ) => ({
      resourceType,
      resourceName,
      configs,
    })
    const one = [{ name: 'retention.ms', value: '2000' }]
    const response = await rawRequest(broker.bootstrap, 33, 2, {
      resources: [
        resource(2, 'raw-twice', one),
        resource(2, 'raw-twice', one),
        resource(2, 'raw-alter', [
          { name: 'retention.ms', value: '1' },
          { name: 'retention.ms', value: '2' },
        ]),
        resource(2, 'raw-alter', [{ name: 'retention.ms', value: null }]),
        resource(2, '', one),
        resource(2, 'bad name', one),
        resource(8, '1', one),
        resource(4, '9', one),
        resource(4, 'one', one),
      ],
      validateOnly: false,
    })
    assert.deepEqual(
      response.responses.map((r) => [r.resourceType, r.resourceName, r.errorCode, r.errorMessage]),
      [
        [2, 'raw-twice', 42, 'Each resource must appear at most once.'],
        [2, 'raw-twice', 42, 'Each resource must appear at most once.'],
        [2, 'raw-alter', 42, 'Each resource must appear at most once.'],
        [2, 'raw-alter', 42, 'Each resource must appear at most once.'],
        [2, '', 42, 'Default topic resources are not allowed.'],
        [
          2,
          'bad name',
          17,
          `Topic name "bad name" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
        ],
        [8, '1', 42, 'Unknown resource type 8'],
        [4, '9', 42, 'Unexpected broker id, expected 1, but received 9'],
        [4, 'one', 42, 'Node id must be an integer, but it is: one'],
      ],
    )
    const single = await rawRequest(broker.bootstrap, 33, 0, {
      resources: [
        resource(2, 'raw-alter', [
          { name: 'retention.ms', value: '1' },
          { name: 'retention.ms', value: '2' },
        ]),
      ],
      validateOnly: false,
    })
    assert.deepEqual(
      single.responses.map((r) => [r.errorCode, r.errorMessage]),
      [[42, 'Error due to duplicate config keys']],
    )
    const nulls = await rawRequest(broker.bootstrap, 33, 1, {
      resources: [resource(2, 'raw-alter', [{ name: 'retention.ms', value: null }])],
      validateOnly: false,
    })
    assert.deepEqual(
      nulls.responses.map((r) => [r.errorCode, r.errorMessage]),
      [[42, 'Null value not supported for : retention.ms']],
    )
    assert.deepEqual(overrides('raw-alter'), { 'retention.ms': '1000' })
  })

  test('a lower max.message.bytes applies to the next produce at once', async () => {
    await create('kj-small')
    const client = new Kafka({
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).producer()
    await client.connect()
    try {
      const big = { topic: 'kj-small', messages: [{ value: Buffer.alloc(4000, 1) }] }
      await client.send(big)
      await kafkajs.alterConfigs({
        validateOnly: false,
        resources: [
          { type: 2, name: 'kj-small', configEntries: [{ name: 'max.message.bytes', value: '1000' }] },
        ],
      })
      const err = await rejection(client.send(big))
      assert.equal(kafkajsError(err).type, 'MESSAGE_TOO_LARGE')
    } finally {
      await client.disconnect()
    }
  })

  test('confluent_kafka (librdkafka): set, validate_only and a broker resource', async () => {
    await create('ck-alter')
    const [dryRun, set, refused] = await confluentAdmin(broker.bootstrap, [
      {
        op: 'alter',
        validate_only: true,
        resources: [{ type: 2, name: 'ck-alter', set: { 'retention.ms': '123' } }],
      },
      { op: 'alter', resources: [{ type: 2, name: 'ck-alter', set: { 'retention.ms': '456' } }] },
      {
        op: 'alter',
        resources: [
          { type: 4, name: '1', set: { 'num.partitions': '2' } },
          { type: 2, name: 'ck-alter', set: { 'retention.ms': 'forever' } },
        ],
      },
    ])
    assert.deepEqual(dryRun, { '2:ck-alter': { ok: true } })
    assert.deepEqual(set, { '2:ck-alter': { ok: true } })
    assert.deepEqual(refused['4:1'], { ok: false, code: 42, name: 'INVALID_REQUEST', str: NOT_SUPPORTED })
    assert.deepEqual(refused['2:ck-alter'], {
      ok: false,
      code: 40,
      name: 'INVALID_CONFIG',
      str: 'Invalid value forever for configuration retention.ms: must be a whole number, got "forever"',
    })
    assert.deepEqual(overrides('ck-alter'), { 'retention.ms': '456' })
  })
})

test('altered configs survive a restart', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'runnel-admin-'))
  try {
    const first = await startBroker({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent' })
    try {
      const created = await brokerInternals(first).topics.create({
        name: 'durable',
        numPartitions: 1,
        replicationFactor: 1,
      })
      assert.ok(created.ok)
      const response = await rawRequest(first.bootstrap, 33, 2, {
        resources: [
          {
            resourceType: 2,
            resourceName: 'durable',
            configs: [{ name: 'cleanup.policy', value: 'compact,delete' }],
          },
        ],
        validateOnly: false,
      })
      assert.equal(response.responses[0].errorCode, 0)
    } finally {
      await first.close()
    }
    const second = await startBroker({ host: '127.0.0.1', port: 0, dataDir, logLevel: 'silent' })
    try {
      const described = await rawRequest(second.bootstrap, 32, 4, {
        resources: [{ resourceType: 2, resourceName: 'durable', configurationKeys: ['cleanup.policy'] }],
        includeSynonyms: false,
        includeDocumentation: false,
      })
      assert.deepEqual(
        described.results[0].configs.map((c) => [c.name, c.value, c.configSource]),
        [['cleanup.policy', 'compact,delete', 1]],
      )
    } finally {
      await second.close()
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
})
