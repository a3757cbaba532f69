// The CLI's verbs on a 3-node Apache Kafka 4.4 (replication factor 3, min.insync.replicas 2;
// docs/kafka-harness.md), through the real command line as the other command tests: topics,
// produce and consume across three partition leaders, a group's offsets, lag and reset, and the
// schema verbs against `runnel registry` started on the same cluster. One cluster for the file.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Admin } from '@platformatic/kafka'
import { type ApacheKafka, kafkaSkipReason, startApacheKafka } from '../../../../tools/kafka/src/index.ts'
import { eventually, killAll, oneLine, type RunResult, runnel, start } from '../support/cli.ts'

interface DescribedGroup {
  state: string
  coordinator: { nodeId: number }
  offsets: { topic: string; partition: number; committedOffset: number | null; lag: number | null }[]
}

describe('runnel on a 3-node Apache Kafka', { skip: kafkaSkipReason(), timeout: 600_000 }, () => {
  let kafka: ApacheKafka | undefined
  let admin: Admin
  let dir: string
  before(async () => {
    kafka = await startApacheKafka({ nodes: 3 })
    admin = new Admin({ clientId: 'cli-test', bootstrapBrokers: kafka.bootstrap.split(',') })
    dir = mkdtempSync(join(tmpdir(), 'runnel-cli-kafka-'))
  })
  after(async () => {
    killAll()
    await admin?.close()
    await kafka?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })
  const run = (args: string[], stdin?: string) =>
    runnel([...args, '--brokers', kafka?.bootstrap ?? ''], { stdin })
  const ok = (result: RunResult) => {
    assert.equal(result.code, 0, result.stderr)
    return result
  }
  const json = async (...args: string[]) => JSON.parse(ok(await run([...args, '--json'])).stdout)
  const describeGroup = (group: string) => json('group', 'describe', group) as Promise<DescribedGroup>

  test('topic create, list and describe: 3 replicas by default, led across the nodes', async () => {
    const created = ok(await run(['topic', 'create', 'orders', 'doomed', '--partitions', '3']))
    assert.match(created.stdout, /^orders\s+3\s+3\s+created$/m)
    assert.match(ok(await run(['topic', 'list'])).stdout, /^orders\s+3\s+3$/m)
    const listed = (await json('topic', 'list')) as { name: string }[]
    assert.deepEqual(
      listed.filter((t) => t.name === 'orders'),
      [{ name: 'orders', partitions: 3, replicationFactor: 3, internal: false }],
    )
    const described = await json('topic', 'describe', 'orders')
    const partitions = described.partitions as { leader: number; replicas: number[]; isr: number[] }[]
    assert.deepEqual(
      partitions.map((p) => [[...p.replicas].sort(), [...p.isr].sort()]),
      Array(3).fill([
        [1, 2, 3],
        [1, 2, 3],
      ]),
    )
    // Kafka spreads the leaders: one partition led by each node.
    assert.deepEqual(partitions.map((p) => p.leader).sort(), [1, 2, 3])
    const text = ok(await run(['topic', 'describe', 'orders'])).stdout
    assert.match(text, /^REPLICAS\s+3$/m)
    assert.match(text, /^0\s+[123]\s+[123],[123],[123]\s+[123],[123],[123]\s+0\s+0$/m)
    assert.match(text, /^min\.insync\.replicas\s+2\s+\S+_BROKER_CONFIG$/m)

    const tooMany = await run(['topic', 'create', 'wide', '--replication-factor', '4'])
    assert.equal(tooMany.code, 1)
    assert.match(
      oneLine(tooMany.stderr),
      /^runnel topic create: Cannot create topic "wide": .*\(INVALID_REPLICATION_FACTOR\)\.$/,
    )

    assert.match(ok(await run(['topic', 'delete', 'doomed'])).stdout, /^doomed\s+deleted$/m)
    // Deleting is asynchronous on Kafka: the topic leaves the metadata a moment later.
    await eventually('doomed to leave the metadata', async () =>
      (await admin.listTopics()).includes('doomed') ? undefined : true,
    )
    const again = await run(['topic', 'delete', 'doomed'])
    assert.equal(oneLine(again.stderr), 'runnel topic delete: Topic "doomed" does not exist.')
  })

  test('produce with acks=all to three leaders, consume it back without a group', async () => {
    const lines = Array.from({ length: 9 }, (_, i) => `k${i}=v${i}`).join('\n')
    const produced = ok(await run(['produce', 'orders', '-K', '='], `${lines}\n`))
    assert.match(produced.stdout, /^Produced 9 records to "orders"/)
    const records = ok(await run(['consume', 'orders', '--from-beginning', '--exit-at-end', '--json'])).stdout
    const values = records
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { partition: number; key: string; value: string })
    assert.deepEqual(
      values.map((r) => r.value).sort(),
      Array.from({ length: 9 }, (_, i) => `v${i}`),
    )
    assert.ok(new Set(values.map((r) => r.partition)).size > 1, 'keys spread over the partitions')
  })

  test('a group on a fresh cluster: consume commits, describe shows lag, reset-offsets rewinds', async () => {
    // The cluster's first group: __consumer_offsets is created now, and the coordinator answers
    // NOT_COORDINATOR while it loads; consume waits for it as Kafka's consumer does.
    const consumed = ok(
      await run(['consume', 'orders', '--group', 'billing', '--from-beginning', '--count', '9']),
    )
    assert.equal(consumed.stdout.trim().split('\n').length, 9)

    const list = ok(await run(['group', 'list'])).stdout
    assert.match(list, /^billing\s+Empty\s+consumer$/m)
    const groups = (await json('group', 'list')) as { group: string }[]
    assert.ok(groups.some((g) => g.group === 'billing'))

    let described = await describeGroup('billing')
    assert.equal(described.state, 'Empty')
    assert.ok([1, 2, 3].includes(described.coordinator.nodeId), `coordinator ${described.coordinator.nodeId}`)
    assert.deepEqual(
      described.offsets.map((o) => o.lag),
      [0, 0, 0],
    )
    ok(await run(['produce', 'orders', '-p', '1'], 'late-1\nlate-2\n'))
    described = await describeGroup('billing')
    assert.deepEqual(
      described.offsets.map((o) => [o.partition, o.lag]),
      [
        [0, 0],
        [1, 2],
        [2, 0],
      ],
    )
    const text = ok(await run(['group', 'describe', 'billing'])).stdout
    assert.match(text, /^TOTAL LAG\s+2$/m)
    assert.match(text, /^COORDINATOR\s+[123] \(127\.0\.0\.1:\d+\)$/m)

    const dry = ok(await run(['group', 'reset-offsets', 'billing', '--topic', 'orders', '--to-earliest']))
    assert.match(dry.stdout, /^TOPIC\s+PARTITION\s+CURRENT\s+NEW\n/)
    assert.match(dry.stdout, /Dry run: nothing changed\./)
    const reset = await json(
      'group',
      'reset-offsets',
      'billing',
      '--topic',
      'orders',
      '--to-earliest',
      '--execute',
    )
    assert.equal(reset.group, 'billing')
    described = await describeGroup('billing')
    assert.deepEqual(
      described.offsets.map((o) => o.committedOffset),
      [0, 0, 0],
    )
    assert.equal(
      described.offsets.reduce((sum, o) => sum + (o.lag ?? 0), 0),
      11,
    )

    // Now that it exists, the offsets topic is described like any other, replicated 3 times.
    const offsets = await json('topic', 'describe', '__consumer_offsets')
    assert.equal(offsets.internal, true)
    assert.equal(offsets.partitionCount, 50)
    assert.ok((offsets.partitions as { replicas: number[] }[]).every((p) => p.replicas.length === 3))
    const internal = (await json('topic', 'list', '--internal')) as {
      name: string
      replicationFactor: number
    }[]
    assert.deepEqual(
      internal.find((t) => t.name === '__consumer_offsets'),
      { name: '__consumer_offsets', partitions: 50, replicationFactor: 3, internal: true },
    )
  })

  test('schema verbs against `runnel registry` on the cluster, its _schemas on 3 replicas', async () => {
    const registry = start(['registry', '--port', '0', '--brokers', kafka?.bootstrap ?? ''])
    try {
      const url = await eventually(
        'the registry to serve',
        async () => registry.stderr.match(/serving (\S+),/)?.[1],
      )
      assert.doesNotMatch(registry.stderr, /replication factor/, 'no warning on 3 brokers')
      const schema = (...args: string[]) => runnel(['schema', ...args, '--registry', url])
      const file = (name: string, fields: object[]) => {
        const path = join(dir, name)
        writeFileSync(path, JSON.stringify({ type: 'record', name: 'Order', namespace: 'shop', fields }))
        return path
      }
      const v1 = file('order-v1.avsc', [{ name: 'id', type: 'string' }])
      const v2 = file('order-v2.avsc', [
        { name: 'id', type: 'string' },
        { name: 'note', type: 'string', default: '' },
      ])
      const broken = file('order-email.avsc', [
        { name: 'id', type: 'string' },
        { name: 'email', type: 'string' },
      ])

      assert.match(
        ok(await schema('register', 'orders-value', v1)).stdout,
        /^orders-value +1 +1 +registered$/m,
      )
      assert.match(
        ok(await schema('check', 'orders-value', v2)).stdout,
        /^compatible with orders-value \(BACKWARD\)$/m,
      )
      const refused = await schema('check', 'orders-value', broken)
      assert.equal(refused.code, 1)
      assert.match(refused.stdout, /^1 +READER_FIELD_MISSING_DEFAULT_VALUE +/m)
      assert.deepEqual(
        JSON.parse(ok(await schema('register', 'orders-value', v2, '--json')).stdout).version,
        2,
      )
      assert.match(ok(await schema('list')).stdout, /^orders-value +2 +2 +AVRO/m)
      assert.match(ok(await schema('get', 'orders-value')).stdout, /^VERSION +2$/m)
      assert.match(
        ok(await schema('delete', 'orders-value', '--version', '1')).stdout,
        /^orders-value +1 +soft-deleted$/m,
      )

      const metadata = await admin.metadata({ topics: ['_schemas'], forceUpdate: true })
      assert.deepEqual([...(metadata.topics.get('_schemas')?.partitions[0].replicas ?? [])].sort(), [1, 2, 3])
    } finally {
      registry.child.kill('SIGTERM')
      await registry.done
    }
  })
})
