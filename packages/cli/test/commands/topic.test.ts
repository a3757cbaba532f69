// `runnel topic ...` against a real broker, through the real command line.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Producer } from '@platformatic/kafka'
import { killAll, oneLine, runnel, type TestBroker, testBroker } from '../support/cli.ts'

let kafka: TestBroker
const run = (...args: string[]) => runnel([...args, ...kafka.flag])

before(async () => {
  kafka = await testBroker({ described: 2, altered: 1, doomed: 1, twice: 1 })
})
after(async () => {
  killAll()
  await kafka?.close()
})

describe('runnel topic', { concurrency: true }, () => {
  test('create, then list as a table and as JSON', async () => {
    const created = await run(
      'topic',
      'create',
      'orders',
      'payments',
      '--partitions',
      '3',
      '-c',
      'cleanup.policy=compact',
    )
    assert.equal(created.code, 0, created.stderr)
    const [configs] = await kafka.admin.describeConfigs({
      resources: [{ resourceType: 2, resourceName: 'payments', configurationKeys: ['cleanup.policy'] }],
    })
    assert.deepEqual(
      configs.configs.map((c) => [c.name, c.value]),
      [['cleanup.policy', 'compact']],
    )
    assert.match(created.stdout, /^TOPIC\s+PARTITIONS\s+REPLICAS\s+STATUS\n/)
    assert.match(created.stdout, /^orders\s+3\s+1\s+created$/m)
    assert.match(created.stdout, /^payments\s+3\s+1\s+created$/m)

    const table = await run('topic', 'list')
    assert.equal(table.code, 0, table.stderr)
    assert.match(table.stdout, /^NAME\s+PARTITIONS\s+REPLICAS\n/)
    assert.match(table.stdout, /^orders\s+3\s+1$/m)

    const json = await run('topic', 'list', '--json')
    const topics = JSON.parse(json.stdout) as { name: string; partitions: number; internal: boolean }[]
    assert.deepEqual(
      topics.filter((t) => t.name === 'orders' || t.name === 'payments'),
      [
        { name: 'orders', partitions: 3, replicationFactor: 1, internal: false },
        { name: 'payments', partitions: 3, replicationFactor: 1, internal: false },
      ],
    )
    assert.ok(
      topics.every((t) => !t.internal),
      'internal topics only with --internal',
    )
  })

  test('describe shows partitions with leader, replicas and offsets, and configs with their source', async () => {
    await kafka.admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: 2,
          resourceName: 'described',
          configs: [{ name: 'retention.ms', configOperation: 0, value: '3600000' }],
        },
      ],
    })
    const producer = new Producer({ clientId: 'test', bootstrapBrokers: [kafka.broker.bootstrap] })
    try {
      await producer.send({
        messages: ['a', 'b', 'c'].map((v) => ({ topic: 'described', partition: 1, value: Buffer.from(v) })),
      })
    } finally {
      await producer.close()
    }

    const json = JSON.parse((await run('topic', 'describe', 'described', '--json')).stdout)
    assert.equal(json.name, 'described')
    assert.equal(json.partitionCount, 2)
    assert.deepEqual(
      json.partitions.map((p: Record<string, unknown>) => [
        p.partition,
        p.leader,
        p.replicas,
        p.earliestOffset,
        p.latestOffset,
      ]),
      [
        [0, 1, [1], 0, 0],
        [1, 1, [1], 0, 3],
      ],
    )
    const config = (name: string) => json.configs.find((c: { name: string }) => c.name === name)
    assert.deepEqual(config('retention.ms'), {
      name: 'retention.ms',
      value: '3600000',
      source: 'TOPIC_CONFIG',
      readOnly: false,
      sensitive: false,
    })
    assert.equal(config('cleanup.policy').source, 'DEFAULT_CONFIG')

    const text = await run('topic', 'describe', 'described')
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^PARTITIONS\s+2$/m)
    assert.match(text.stdout, /^PARTITION\s+LEADER\s+REPLICAS\s+ISR\s+EARLIEST\s+LATEST$/m)
    assert.match(text.stdout, /^1\s+1\s+1\s+1\s+0\s+3$/m)
    assert.match(text.stdout, /^retention\.ms\s+3600000\s+TOPIC_CONFIG$/m)
  })

  test('alter-config sets and deletes configs; a bad one fails with the broker sentence', async () => {
    await kafka.admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: 2,
          resourceName: 'altered',
          configs: [{ name: 'cleanup.policy', configOperation: 0, value: 'compact' }],
        },
      ],
    })
    const altered = await run(
      'topic',
      'alter-config',
      'altered',
      '--set',
      'retention.ms=1000',
      '--delete',
      'cleanup.policy',
    )
    assert.equal(altered.code, 0, altered.stderr)
    assert.match(altered.stdout, /^retention\.ms\s+set\s+1000$/m)
    assert.match(altered.stdout, /^cleanup\.policy\s+deleted\s+-$/m)
    const [described] = await kafka.admin.describeConfigs({
      resources: [
        { resourceType: 2, resourceName: 'altered', configurationKeys: ['cleanup.policy', 'retention.ms'] },
      ],
    })
    assert.deepEqual(described.configs.map((c) => [c.name, c.value, c.configSource]).sort(), [
      ['cleanup.policy', 'delete', 5],
      ['retention.ms', '1000', 1],
    ])

    const bad = await run('topic', 'alter-config', 'altered', '--set', 'retention.ms=soon')
    assert.equal(bad.code, 1)
    assert.match(
      oneLine(bad.stderr),
      /^runnel topic alter-config: Cannot change the configs of topic "altered": .*retention\.ms.* \(INVALID_CONFIG\)\.$/,
    )
    const nothing = await run('topic', 'alter-config', 'altered')
    assert.equal(nothing.code, 2)
    assert.equal(
      oneLine(nothing.stderr),
      'runnel topic alter-config: nothing to change: give --set key=value or --delete key',
    )
  })

  test('delete removes a topic; deleting it again fails', async () => {
    const deleted = await run('topic', 'delete', 'doomed')
    assert.equal(deleted.code, 0, deleted.stderr)
    assert.match(deleted.stdout, /^doomed\s+deleted$/m)
    const again = await run('topic', 'delete', 'doomed')
    assert.equal(again.code, 1)
    assert.equal(oneLine(again.stderr), 'runnel topic delete: Topic "doomed" does not exist.')
    const tolerant = await run('topic', 'delete', 'doomed', '--if-exists', '--json')
    assert.equal(tolerant.code, 0, tolerant.stderr)
    assert.deepEqual(JSON.parse(tolerant.stdout), { deleted: [] })
  })

  test('creating a topic that exists fails with one sentence, unless --if-not-exists', async () => {
    const again = await run('topic', 'create', 'twice')
    assert.equal(again.code, 1)
    assert.equal(oneLine(again.stderr), 'runnel topic create: Topic "twice" already exists.')
    const tolerant = await run('topic', 'create', 'twice', '--if-not-exists')
    assert.equal(tolerant.code, 0, tolerant.stderr)
    assert.match(tolerant.stdout, /^twice\s+1\s+1\s+exists$/m)
  })

  test('bad input gets one clear sentence and the right exit code', async () => {
    const cases: [string[], number, string][] = [
      [
        ['topic', 'create', 'a b'],
        2,
        `runnel topic create: topic name "a b" is invalid: use only ASCII letters, digits, '.', '_' and '-'`,
      ],
      [['topic', 'create', 'x'.repeat(250)], 2, 'is 250 characters long, the limit is 249'],
      [
        ['topic', 'create', 'ok', '--partitions', 'three'],
        2,
        '--partitions must be a whole number from 1 to 1000000, got "three"',
      ],
      [
        ['topic', 'create', 'ok', '--config', 'retention.ms'],
        2,
        '--config takes key=value, got "retention.ms"',
      ],
      [['topic', 'describe', 'nope'], 1, 'runnel topic describe: Topic "nope" does not exist.'],
      [['topic', 'create', 'rf3', '--replication-factor', '3'], 1, '(INVALID_REPLICATION_FACTOR).'],
      [['topic', 'list', '--bogus'], 2, "runnel topic list: Unknown option '--bogus'. See --help."],
      [
        ['topic', 'lst'],
        2,
        'runnel topic: unknown verb "lst"; use one of list, create, describe, delete, alter-config',
      ],
    ]
    await Promise.all(
      cases.map(async ([args, code, sentence]) => {
        const result = await run(...args)
        assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`)
        assert.ok(oneLine(result.stderr).includes(sentence), `${args.join(' ')}: ${result.stderr}`)
        assert.equal(result.stdout, '')
      }),
    )
  })
})
