// `runnel group ...` and `runnel consume --group` against a real broker, including issue 3's
// "rewind and replay" acceptance: after `group reset-offsets --to-datetime ... --execute`, the
// group re-reads exactly the records from that time on.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Producer } from '@platformatic/kafka'
import { eventually, killAll, oneLine, runnel, start, type TestBroker, testBroker } from '../support/cli.ts'

let kafka: TestBroker
const run = (...args: string[]) => runnel([...args, ...kafka.flag])

interface DescribedGroup {
  groupId: string
  state: string
  members: { memberId: string; clientId: string; assignment: { topic: string; partitions: number[] }[] }[]
  offsets: {
    topic: string
    partition: number
    committedOffset: number | null
    logEndOffset: number | null
    lag: number | null
  }[]
}

async function describeGroup(groupId: string): Promise<DescribedGroup> {
  const result = await run('group', 'describe', groupId, '--json')
  assert.equal(result.code, 0, result.stderr)
  return JSON.parse(result.stdout) as DescribedGroup
}

before(async () => {
  kafka = await testBroker({ replay: 3, live: 2, shifty: 2 })
})
after(async () => {
  killAll()
  await kafka?.close()
})

describe('runnel group', { concurrency: true }, () => {
  test('rewind and replay: after reset-offsets --to-datetime --execute the group re-reads exactly the records from that time on', async () => {
    // 30 records one second apart, spread over the partitions, with known timestamps.
    const base = BigInt(Date.now() - 3_600_000)
    const producer = new Producer({ clientId: 'test', bootstrapBrokers: [kafka.broker.bootstrap] })
    try {
      await producer.send({
        messages: Array.from({ length: 30 }, (_, i) => ({
          topic: 'replay',
          partition: i % 3,
          key: Buffer.from(`k${i}`),
          value: Buffer.from(`r${i}`),
          timestamp: base + BigInt(i) * 1000n,
        })),
      })
    } finally {
      await producer.close()
    }

    // The group reads everything once, and commits it.
    const first = await run(
      'consume',
      'replay',
      '--group',
      'replayers',
      '--from-beginning',
      '--count',
      '30',
      '--json',
    )
    assert.equal(first.code, 0, first.stderr)
    const firstValues = first.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).value as string)
    assert.deepEqual([...firstValues].sort(), Array.from({ length: 30 }, (_, i) => `r${i}`).sort())
    const groups = JSON.parse((await run('group', 'list', '--json')).stdout) as { group: string }[]
    assert.deepEqual(
      groups.find((g) => g.group === 'replayers'),
      { group: 'replayers', state: 'Empty', protocolType: 'consumer' },
    )
    const read = await describeGroup('replayers')
    assert.equal(read.state, 'Empty')
    assert.deepEqual(
      read.offsets.map((o) => [o.partition, o.committedOffset, o.logEndOffset, o.lag]),
      [
        [0, 10, 10, 0],
        [1, 10, 10, 0],
        [2, 10, 10, 0],
      ],
    )

    // The time of record 20: records 20..29 are at or after it, 3, 3 and 4 of them per partition.
    const at = new Date(Number(base + 20_000n)).toISOString()
    const dry = await run('group', 'reset-offsets', 'replayers', '--topic', 'replay', '--to-datetime', at)
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /^TOPIC\s+PARTITION\s+CURRENT\s+NEW\n/)
    // Record i is in partition i % 3 at offset floor(i / 3): r20 -> p2@6, r21 -> p0@7, r22 -> p1@7.
    assert.match(dry.stdout, /^replay\s+0\s+10\s+7$/m)
    assert.match(dry.stdout, /^replay\s+1\s+10\s+7$/m)
    assert.match(dry.stdout, /^replay\s+2\s+10\s+6$/m)
    assert.match(dry.stdout, /Dry run: nothing changed\. Run again with --execute to apply\./)
    // A dry run changes nothing.
    assert.deepEqual(
      (await describeGroup('replayers')).offsets.map((o) => o.committedOffset),
      [10, 10, 10],
    )

    const executed = await run(
      'group',
      'reset-offsets',
      'replayers',
      '--topic',
      'replay',
      '--to-datetime',
      at,
      '--execute',
      '--json',
    )
    assert.equal(executed.code, 0, executed.stderr)
    assert.deepEqual(JSON.parse(executed.stdout), {
      group: 'replayers',
      executed: true,
      partitions: [
        { topic: 'replay', partition: 0, current: 10, new: 7 },
        { topic: 'replay', partition: 1, current: 10, new: 7 },
        { topic: 'replay', partition: 2, current: 10, new: 6 },
      ],
    })
    assert.deepEqual(
      (await describeGroup('replayers')).offsets.map((o) => [o.committedOffset, o.lag]),
      [
        [7, 3],
        [7, 3],
        [6, 4],
      ],
    )

    // The group re-reads exactly records 20..29, with their original timestamps, and no more.
    const replay = await run('consume', 'replay', '--group', 'replayers', '--count', '10', '--json')
    assert.equal(replay.code, 0, replay.stderr)
    const replayed = replay.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { value: string; timestamp: number; partition: number; offset: number })
    assert.deepEqual(
      replayed.map((r) => r.value).sort(),
      Array.from({ length: 10 }, (_, i) => `r${20 + i}`).sort(),
    )
    for (const r of replayed) {
      const i = Number(r.value.slice(1))
      assert.equal(r.timestamp, Number(base) + i * 1000)
      assert.deepEqual([r.partition, r.offset], [i % 3, Math.floor(i / 3)])
    }
    assert.deepEqual(
      (await describeGroup('replayers')).offsets.map((o) => [o.committedOffset, o.lag]),
      [
        [10, 0],
        [10, 0],
        [10, 0],
      ],
    )
  })

  test('a group with a member: describe shows it and its assignment; reset and delete are refused; Ctrl-C commits and leaves', async () => {
    const consumer = start(['consume', 'live', '--group', 'watchers', '--from-beginning', ...kafka.flag])
    try {
      await eventually('the consumer to join', async () => {
        const g = (await kafka.admin.describeGroups({ groups: ['watchers'] })).get('watchers')
        return g?.state.toUpperCase() === 'STABLE' && g.members.size === 1 ? true : undefined
      })
      const described = await describeGroup('watchers')
      assert.equal(described.members[0].clientId, 'runnel-cli')
      assert.deepEqual(described.members[0].assignment, [{ topic: 'live', partitions: [0, 1] }])

      const produced = await runnel(['produce', 'live', ...kafka.flag], { stdin: 'a\nb\nc\nd\n' })
      assert.equal(produced.code, 0, produced.stderr)
      await eventually('the records to be printed', async () =>
        consumer.stdout.split('\n').length > 4 ? true : undefined,
      )
      assert.deepEqual(consumer.stdout.trim().split('\n').sort(), ['a', 'b', 'c', 'd'])

      const text = await run('group', 'describe', 'watchers')
      assert.equal(text.code, 0, text.stderr)
      assert.match(text.stdout, /^STATE\s+Stable$/m)
      assert.match(text.stdout, /^MEMBERS\s+1$/m)
      assert.match(
        text.stdout,
        /^TOPIC\s+PARTITION\s+COMMITTED OFFSET\s+LOG END OFFSET\s+LAG\s+MEMBER ID\s+CLIENT ID\s+HOST$/m,
      )
      assert.match(text.stdout, /^live\s+0\s+\S+\s+2\s+\S+\s+runnel-cli-\S+\s+runnel-cli\s+\S+$/m)
      assert.match(text.stdout, /^MEMBER ID\s+INSTANCE ID\s+CLIENT ID\s+HOST\s+ASSIGNMENT$/m)
      assert.match(text.stdout, /live:0,1$/m)

      const reset = await run(
        'group',
        'reset-offsets',
        'watchers',
        '--topic',
        'live',
        '--to-earliest',
        '--execute',
      )
      assert.equal(reset.code, 1)
      assert.equal(
        oneLine(reset.stderr),
        'runnel group reset-offsets: Group "watchers" has 1 active member (state Stable): stop its consumers first, its offsets can only be reset while the group is inactive.',
      )
      const deleted = await run('group', 'delete', 'watchers')
      assert.equal(deleted.code, 1)
      assert.equal(
        oneLine(deleted.stderr),
        'runnel group delete: Group "watchers" has active members: stop its consumers first, it can only be deleted while the group is inactive.',
      )

      // Ctrl-C: the consumer commits what it printed, leaves the group, and exits 0.
      consumer.child.kill('SIGINT')
      const exit = await consumer.done
      assert.equal(exit.code, 0, exit.stderr)
      assert.equal(exit.stderr, '')
    } finally {
      if (consumer.child.exitCode === null) consumer.child.kill('SIGKILL')
    }
    const [committed] = await kafka.admin.listConsumerGroupOffsets({ groups: ['watchers'] })
    assert.deepEqual(
      committed.topics[0].partitions.map((p) => [p.partitionIndex, p.committedOffset]),
      [
        [0, 2n],
        [1, 2n],
      ],
    )
    const list = await run('group', 'list')
    assert.match(list.stdout, /^GROUP\s+STATE\s+PROTOCOL TYPE\n/)
    assert.match(list.stdout, /^watchers\s+Empty\s+consumer$/m)

    const deleted = await run('group', 'delete', 'watchers')
    assert.equal(deleted.code, 0, deleted.stderr)
    assert.ok(!(await kafka.admin.listGroups()).has('watchers'))
    const gone = await run('group', 'describe', 'watchers')
    assert.equal(gone.code, 1)
    assert.equal(oneLine(gone.stderr), 'runnel group describe: Group "watchers" does not exist.')
  })

  test('reset-offsets: earliest, latest, offset and shift-by, per partition; and its bad input', async () => {
    const producer = new Producer({ clientId: 'test', bootstrapBrokers: [kafka.broker.bootstrap] })
    try {
      await producer.send({
        messages: ['1', '2', '3', '4', '5'].map((v) => ({
          topic: 'shifty',
          partition: 0,
          value: Buffer.from(v),
        })),
      })
    } finally {
      await producer.close()
    }
    const plan = async (...args: string[]) => {
      const r = await run('group', 'reset-offsets', 'shifters', '--topic', 'shifty', ...args, '--json')
      assert.equal(r.code, 0, r.stderr)
      return (
        JSON.parse(r.stdout).partitions as { partition: number; current: number | null; new: number }[]
      ).map((p) => [p.partition, p.current, p.new])
    }
    // A group with no offsets yet can be prepared, as kafka-consumer-groups allows.
    assert.deepEqual(await plan('--to-latest', '--execute'), [
      [0, null, 5],
      [1, null, 0],
    ])
    assert.deepEqual(await plan('--shift-by', '-2'), [
      [0, 5, 3],
      [1, 0, 0],
    ])
    assert.deepEqual(await plan('--to-offset', '4'), [
      [0, 5, 4],
      [1, 0, 0],
    ])
    const one = await run(
      'group',
      'reset-offsets',
      'shifters',
      '--topic',
      'shifty:0',
      '--to-earliest',
      '--execute',
    )
    assert.equal(one.code, 0, one.stderr)
    assert.match(one.stdout, /^shifty\s+0\s+5\s+0\nReset the offsets of group "shifters" on 1 partition\.$/m)

    const cases: [string[], number, string][] = [
      [
        ['group', 'reset-offsets', 'shifters', '--topic', 'shifty'],
        2,
        'say where to: --to-earliest, --to-latest, --to-datetime, --to-offset or --shift-by',
      ],
      [
        ['group', 'reset-offsets', 'shifters', '--topic', 'shifty', '--to-earliest', '--to-latest'],
        2,
        'choose one of --to-earliest, --to-latest',
      ],
      [
        ['group', 'reset-offsets', 'shifters', '--to-earliest'],
        2,
        'say which topics: --topic <topic> or --all-topics',
      ],
      [
        ['group', 'reset-offsets', 'shifters', '--topic', 'shifty', '--to-datetime', 'yesterday'],
        2,
        '--to-datetime takes an ISO 8601 time such as 2024-05-01T12:00:00Z, got "yesterday"',
      ],
      [
        ['group', 'reset-offsets', 'shifters', '--topic', 'shifty', '--to-offset', 'x'],
        2,
        '--to-offset must be a whole number, 0 or more, got "x"',
      ],
      [
        ['group', 'reset-offsets', 'shifters', '--topic', 'nope', '--to-earliest'],
        1,
        'runnel group reset-offsets: Topic "nope" does not exist.',
      ],
      [
        ['group', 'reset-offsets', 'shifters', '--topic', 'shifty:7', '--to-earliest'],
        1,
        'Topic "shifty" has no partition 7: it has 2 partitions (0 to 1).',
      ],
      [
        ['group', 'reset-offsets', 'fresh', '--topic', 'shifty', '--shift-by', '1'],
        1,
        'has no committed offset to shift',
      ],
      [
        ['group', 'describe'],
        2,
        'runnel group describe: expected one group id. Usage: runnel group describe <group>',
      ],
    ]
    await Promise.all(
      cases.map(async ([args, code, sentence]) => {
        const result = await run(...args)
        assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`)
        assert.ok(oneLine(result.stderr).includes(sentence), `${args.join(' ')}: ${result.stderr}`)
      }),
    )
  })
})
