import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Admin, ConfigResourceTypeValue, IncrementalAlterConfigsOptions } from '@platformatic/kafka'
import { brokerInternals } from '../../src/broker.ts'
import {
  type AdminTestBroker,
  createTopic,
  platformaticAdmin,
  platformaticErrors,
  rawRequest,
  rejection,
  startAdminBroker,
} from './admin-helpers.ts'

const SET = 0
const DELETE = 1
const APPEND = 2
const SUBTRACT = 3

type Op = { name: string; configOperation: number; value: string | null }

// kafkajs has no IncrementalAlterConfigs and Debian's confluent_kafka (1.7) predates it:
// @platformatic/kafka (v1) and raw requests (v0) cover it.
describe('IncrementalAlterConfigs', () => {
  let broker: AdminTestBroker
  let admin: Admin

  const create = (name: string, configs: Record<string, string> = {}) => createTopic(broker, name, 1, configs)
  const overrides = (name: string) => brokerInternals(broker).topics.get(name)?.overrides
  const alter = (
    resourceName: string,
    configs: Op[],
    options: { validateOnly?: boolean; resourceType?: number } = {},
  ) =>
    admin.incrementalAlterConfigs({
      resources: [
        {
          // Loose types on purpose: the tests send what the client's types would forbid.
          resourceType: (options.resourceType ?? 2) as ConfigResourceTypeValue,
          resourceName,
          configs: configs as IncrementalAlterConfigsOptions['resources'][number]['configs'],
        },
      ],
      validateOnly: options.validateOnly ?? false,
    })

  before(async () => {
    broker = await startAdminBroker()
    admin = platformaticAdmin(broker.bootstrap)
  })
  after(async () => {
    await admin?.close()
    await broker?.dispose()
  })

  test('SET and DELETE change only the keys named', async () => {
    await create('inc-set', { 'retention.ms': '1000', 'segment.ms': '60000' })
    await alter('inc-set', [
      { name: 'retention.bytes', configOperation: SET, value: '1048576' },
      { name: 'segment.ms', configOperation: DELETE, value: null },
      { name: 'flush.ms', configOperation: DELETE, value: null }, // not overridden: nothing to do
    ])
    assert.deepEqual(overrides('inc-set'), { 'retention.ms': '1000', 'retention.bytes': '1048576' })
  })

  test('APPEND and SUBTRACT edit a LIST config, starting from its default', async () => {
    await create('inc-list')
    await alter('inc-list', [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }])
    assert.deepEqual(overrides('inc-list'), { 'cleanup.policy': 'delete,compact' })
    await alter('inc-list', [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact,delete' }])
    assert.deepEqual(overrides('inc-list'), { 'cleanup.policy': 'delete,compact' }, 'no duplicates')
    await alter('inc-list', [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }])
    assert.deepEqual(overrides('inc-list'), { 'cleanup.policy': 'compact' })
    const [described] = await admin.describeConfigs({
      resources: [{ resourceType: 2, resourceName: 'inc-list', configurationKeys: ['cleanup.policy'] }],
    })
    assert.deepEqual(
      described.configs.map((c) => [c.name, c.value, c.configSource]),
      [['cleanup.policy', 'compact', 1]],
    )
  })

  test('concurrent changes to different keys of one topic both stick', async () => {
    await create('inc-race')
    const keys = ['retention.ms', 'segment.ms', 'retention.bytes', 'segment.bytes', 'delete.retention.ms']
    // Separate connections, sent at once: each change must see the ones before it.
    await Promise.all(
      keys.map((name, i) =>
        rawRequest(broker.bootstrap, 44, 1, {
          resources: [
            {
              resourceType: 2,
              resourceName: 'inc-race',
              configs: [{ name, configOperation: SET, value: String(1000000 + i) }],
            },
          ],
          validateOnly: false,
        }),
      ),
    )
    assert.deepEqual(Object.keys(overrides('inc-race') ?? {}).sort(), [...keys].sort())
  })

  test('validateOnly checks and changes nothing', async () => {
    await create('inc-dry', { 'retention.ms': '1000' })
    await alter('inc-dry', [{ name: 'retention.ms', configOperation: SET, value: '2000' }], {
      validateOnly: true,
    })
    assert.deepEqual(overrides('inc-dry'), { 'retention.ms': '1000' })
  })

  const refusals: [string, string, Op[], number, string, string][] = [
    [
      'APPEND to a config that is not a LIST',
      'inc-refused',
      [{ name: 'retention.ms', configOperation: APPEND, value: '5' }],
      2,
      'INVALID_CONFIG',
      "Can't APPEND to key retention.ms because its type is not LIST.",
    ],
    [
      'SUBTRACT from an unknown config',
      'inc-refused',
      [{ name: 'no.such.list', configOperation: SUBTRACT, value: 'a' }],
      2,
      'INVALID_CONFIG',
      "Can't SUBTRACT to key no.such.list because its type is not LIST.",
    ],
    [
      'SUBTRACT of every item',
      'inc-refused',
      [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }],
      2,
      'INVALID_CONFIG',
      'Invalid value  for configuration cleanup.policy: must be a list of delete, compact, got ""',
    ],
    [
      'SET of an invalid value, with a valid SET beside it',
      'inc-refused',
      [
        { name: 'retention.ms', configOperation: SET, value: '5' },
        { name: 'message.timestamp.type', configOperation: SET, value: 'BrokerTime' },
      ],
      2,
      'INVALID_CONFIG',
      'Invalid value BrokerTime for configuration message.timestamp.type: must be one of CreateTime, LogAppendTime, got "BrokerTime"',
    ],
    [
      'an unknown topic',
      'inc-missing',
      [{ name: 'retention.ms', configOperation: SET, value: '5' }],
      2,
      'UNKNOWN_TOPIC_OR_PARTITION',
      "The topic 'inc-missing' does not exist.",
    ],
    [
      'a broker resource',
      '1',
      [{ name: 'log.retention.ms', configOperation: SET, value: '5' }],
      4,
      'INVALID_REQUEST',
      'Dynamic broker configs are not supported: this broker reads its settings at start-up; restart it with new ones (see `runnel broker --help`).',
    ],
    [
      'a broker logger resource',
      '1',
      [{ name: 'kafka.server', configOperation: SET, value: 'DEBUG' }],
      8,
      'INVALID_REQUEST',
      'Changing broker log levels at runtime is not supported: set logLevel when starting the broker.',
    ],
  ]
  for (const [what, name, ops, resourceType, errorId, message] of refusals) {
    test(`${what} is ${errorId} and changes nothing`, async () => {
      if (!brokerInternals(broker).topics.get('inc-refused'))
        await create('inc-refused', { 'segment.ms': '60000' })
      const err = await rejection(alter(name, ops, { resourceType }))
      assert.deepEqual(platformaticErrors(err), [[errorId, message]])
      assert.deepEqual(overrides('inc-refused'), { 'segment.ms': '60000' })
    })
  }

  test('raw v0: duplicates, a null SET and an unknown operation', async () => {
    await create('inc-raw', { 'retention.ms': '1000' })
    const resource = (resourceName: string, configs: Op[]) => ({ resourceType: 2, resourceName, configs })
    const response = await rawRequest(broker.bootstrap, 44, 0, {
      resources: [
        resource('inc-twice', []),
        resource('inc-twice', []),
        resource('inc-raw', [
          { name: 'retention.ms', configOperation: SET, value: '1' },
          { name: 'retention.ms', configOperation: DELETE, value: null },
        ]),
      ],
      validateOnly: false,
    })
    const nullSet = await rawRequest(broker.bootstrap, 44, 1, {
      resources: [resource('inc-raw', [{ name: 'retention.ms', configOperation: SET, value: null }])],
      validateOnly: false,
    })
    const badOp = await rawRequest(broker.bootstrap, 44, 1, {
      resources: [resource('inc-raw', [{ name: 'retention.ms', configOperation: 7, value: '1' }])],
      validateOnly: false,
    })
    const emptyName = await rawRequest(broker.bootstrap, 44, 1, {
      resources: [resource('', [{ name: 'retention.ms', configOperation: SET, value: '1' }])],
      validateOnly: false,
    })
    assert.deepEqual(
      [...response.responses, ...nullSet.responses, ...badOp.responses, ...emptyName.responses].map((r) => [
        r.resourceName,
        r.errorCode,
        r.errorMessage,
      ]),
      [
        ['inc-twice', 42, 'Each resource must appear at most once.'],
        ['inc-twice', 42, 'Each resource must appear at most once.'],
        ['inc-raw', 42, 'Error due to duplicate config keys'],
        ['inc-raw', 42, 'Null value not supported for : retention.ms'],
        ['inc-raw', 42, 'Unknown operations type 7'],
        ['', 42, 'Default topic resources are not allowed.'],
      ],
    )
    assert.deepEqual(overrides('inc-raw'), { 'retention.ms': '1000' })
  })
})
