// InternalTopic against an in-process broker: created once however many ask at the same time,
// a client's CreateTopics that wins the race is taken as the topic, writes land in the key's
// partition and are answered with what happened, and a replay gives back every batch once, in
// log order, also after a restart.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { buildBatch, buildControlBatch, ErrorCode, type RecordBatch } from '@runnel/protocol'
import type { Broker } from '../../src/broker.ts'
import { brokerInternals } from '../../src/broker.ts'
import { AppendNotifier } from '../../src/cluster/append-notifier.ts'
import { InternalTopic, type InternalTopicSpec } from '../../src/cluster/internal-topic.ts'
import { startBroker } from '../../src/index.ts'
import { makeTempDir, removeDir, startTestBroker, type TestBroker } from '../helpers/broker.ts'

const COMPACTED = { 'cleanup.policy': 'compact' }

function internalTopic(
  broker: Broker,
  name: string,
  partitions = 3,
  configs: Record<string, string> = COMPACTED,
): InternalTopic {
  const spec: InternalTopicSpec = { name, partitions, configs }
  return new InternalTopic(broker, spec)
}

function record(key: string, value: string | null = `v-${key}`) {
  return buildBatch({
    records: [{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value) }],
  })
}

/** A key of each partition in turn, so a test can write to every partition. */
function keysByPartition(topic: InternalTopic): string[] {
  const keys = new Map<number, string>()
  for (let i = 0; keys.size < topic.partitionCount; i++) {
    const key = `key-${i}`
    if (!keys.has(topic.partitionFor(key))) keys.set(topic.partitionFor(key), key)
  }
  return Array.from({ length: topic.partitionCount }, (_, p) => keys.get(p) ?? '')
}

interface Seen {
  partition: number
  baseOffset: number
  control: boolean
  keys: (string | null)[]
}

function replayAll(topic: InternalTopic): { partitions: number; seen: Seen[] } {
  const seen: Seen[] = []
  const partitions = topic.replayBatches((batch: RecordBatch, partition) => {
    seen.push({
      partition,
      baseOffset: batch.baseOffset,
      control: batch.isControl,
      keys: [...batch.records()].map((r) => (batch.isControl || r.key === null ? null : r.key.toString())),
    })
  })
  return { partitions, seen }
}

describe('InternalTopic', () => {
  let running: TestBroker
  let broker: Broker

  before(async () => {
    running = await startTestBroker()
    broker = brokerInternals(running)
  })

  after(async () => {
    await running?.dispose()
  })

  describe('ensure', () => {
    test('concurrent calls create the topic once, with its partitions and configs', async (t) => {
      const create = t.mock.method(broker.topics, 'create')
      const topic = internalTopic(broker, '__runnel_test_once', 3, {
        'cleanup.policy': 'compact',
        'segment.bytes': '1048576',
      })
      assert.equal(topic.topic, undefined)

      const results = await Promise.all([topic.ensure(), topic.ensure(), topic.ensure()])

      assert.equal(create.mock.callCount(), 1)
      assert.ok(results[0])
      for (const r of results) assert.equal(r, results[0])
      assert.equal(results[0].partitions.length, 3)
      assert.deepEqual(results[0].overrides, { 'cleanup.policy': 'compact', 'segment.bytes': '1048576' })
      assert.equal(topic.topic, results[0])

      // Once it exists, nobody creates it again.
      assert.equal(await topic.ensure(), results[0])
      assert.equal(create.mock.callCount(), 1)
    })

    test('a topic a client created first is taken as it is, without an error', async (t) => {
      const error = t.mock.method(broker.log, 'error')
      const topic = internalTopic(broker, '__runnel_test_raced', 3)

      // The client's CreateTopics is queued first, so ensure()'s own create loses the race.
      const clients = broker.topics.create({
        name: '__runnel_test_raced',
        numPartitions: 2,
        replicationFactor: -1,
      })
      const ensured = await topic.ensure()
      const created = await clients

      assert.ok(created.ok)
      assert.equal(ensured, created.value)
      assert.equal(error.mock.callCount(), 0)
      // Keys are placed by the existing topic's partition count, not the configured one.
      assert.equal(topic.partitionCount, 2)
    })

    test('a topic that cannot be created resolves undefined, is logged, and is tried again next time', async (t) => {
      const error = t.mock.method(broker.log, 'error')
      const create = t.mock.method(broker.topics, 'create')
      const topic = internalTopic(broker, 'not a legal name')

      assert.equal(await topic.ensure(), undefined)
      assert.equal(error.mock.callCount(), 1)
      assert.match(String(error.mock.calls[0].arguments[1]), /cannot create not a legal name/)

      assert.equal(await topic.ensure(), undefined)
      assert.equal(create.mock.callCount(), 2)
    })
  })

  describe('append', () => {
    test("writes to the key's partition, wakes its readers and is on disk when answered", async (t) => {
      const topic = internalTopic(broker, '__runnel_test_append', 3)
      const logs = (await topic.ensure())?.partitions ?? []
      const flushes = logs.map((log) => t.mock.method(log, 'flush'))
      for (const [partition, key] of keysByPartition(topic).entries()) {
        // A fetch parked on the partition: woken by the append (true), not by its 5 s timeout.
        const woken = broker.partitions.waitForAppend([AppendNotifier.key(topic.name, partition)], 5_000)
        assert.deepEqual(await topic.append(key, record(key)), { kind: 'written', partition })
        assert.equal(flushes[partition].mock.callCount(), 1)
        assert.equal(await woken, true)
      }
      assert.deepEqual(
        logs.map((log) => log.logEndOffset),
        [1, 1, 1],
      )
    })

    test('answered once the flush ends; not durable, before it', async (t) => {
      const topic = internalTopic(broker, '__runnel_test_durable', 1)
      const log = (await topic.ensure())!.partitions[0]
      const flush = log.flush.bind(log)
      let flushes = 0
      t.mock.method(log, 'flush', async () => {
        await new Promise((resolve) => setTimeout(resolve, 50))
        await flush()
        flushes++
      })

      assert.deepEqual(await topic.append('a', record('a')), { kind: 'written', partition: 0 })
      assert.equal(flushes, 1)

      assert.deepEqual(await topic.append('b', record('b'), { durable: false }), {
        kind: 'written',
        partition: 0,
      })
      assert.equal(flushes, 1)
      assert.equal(log.logEndOffset, 2)
    })

    test('a batch too big for the topic is refused and nothing is stored', async () => {
      const topic = internalTopic(broker, '__runnel_test_too_large', 1, { 'max.message.bytes': '1024' })
      const written = await topic.append('k', record('k', 'x'.repeat(4096)))
      assert.equal(written.kind, 'messageTooLarge')
      assert.equal(topic.topic?.partitions[0].logEndOffset, 0)
    })

    test('a topic that cannot be created answers unavailable', async () => {
      const topic = internalTopic(broker, 'still not legal')
      assert.deepEqual(await topic.append('k', record('k')), { kind: 'unavailable' })
    })

    test('a coordinator batch goes through the producer state: its refusal comes back as it is, nothing is written', async () => {
      const spec: InternalTopicSpec = { name: '__runnel_test_append_to', partitions: 1, configs: COMPACTED }
      const topic = new InternalTopic(
        {
          log: broker.log,
          topics: broker.topics,
          partitions: {
            appendInternal: (log, batch) => broker.partitions.appendInternal(log, batch),
            appendCoordinatorBatch: () => ({
              kind: 'refused',
              errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
              message: 'fenced',
            }),
          },
        },
        spec,
      )
      const written = await topic.append('k', record('k'), { coordinatorBatch: true })
      assert.deepEqual(written, {
        kind: 'refused',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: 'fenced',
      })
      assert.equal(topic.topic?.partitions[0].logEndOffset, 0)
    })
  })

  describe('replayBatches', () => {
    test('a topic that does not exist replays nothing', () => {
      const topic = internalTopic(broker, '__runnel_test_absent')
      assert.deepEqual(replayAll(topic), { partitions: 0, seen: [] })
    })

    test('every batch of every partition once, in log order, control batches and null keys included', async () => {
      const topic = internalTopic(broker, '__runnel_test_replay', 2)
      const [k0, k1] = keysByPartition(topic)
      assert.equal((await topic.append(k0, record(k0))).kind, 'written')
      assert.equal((await topic.append(k1, record(k1))).kind, 'written')
      assert.equal((await topic.append(k0, record(k0, null))).kind, 'written')
      const log0 = topic.topic!.partitions[0]
      const marker = buildControlBatch({
        type: 'COMMIT',
        producerId: 5n,
        producerEpoch: 0,
        coordinatorEpoch: 0,
        timestamp: Date.now(),
      })
      assert.equal(log0.append(marker).kind, 'appended')
      assert.equal(
        log0.append(buildBatch({ records: [{ key: null, value: Buffer.from('no key') }] })).kind,
        'appended',
      )

      assert.deepEqual(replayAll(topic), {
        partitions: 2,
        seen: [
          { partition: 0, baseOffset: 0, control: false, keys: [k0] },
          { partition: 0, baseOffset: 1, control: false, keys: [k0] },
          { partition: 0, baseOffset: 2, control: true, keys: [null] },
          { partition: 0, baseOffset: 3, control: false, keys: [null] },
          { partition: 1, baseOffset: 0, control: false, keys: [k1] },
        ],
      })
    })

    test('a partition bigger than one read is read to its end', async () => {
      const topic = internalTopic(broker, '__runnel_test_big', 1)
      // Six batches of ~900 KB: more than one 4 MiB read.
      const big = 'x'.repeat(900_000)
      for (let i = 0; i < 6; i++)
        assert.equal((await topic.append(`k${i}`, record(`k${i}`, big))).kind, 'written')

      const { seen } = replayAll(topic)
      assert.deepEqual(
        seen.map((s) => [s.baseOffset, s.keys[0]]),
        [0, 1, 2, 3, 4, 5].map((i) => [i, `k${i}`]),
      )
    })

    test('a batch a read hands back again is visited once', async (t) => {
      const topic = internalTopic(broker, '__runnel_test_reread', 1)
      for (const key of ['a', 'b', 'c']) assert.equal((await topic.append(key, record(key))).kind, 'written')
      const log = topic.topic!.partitions[0]
      const read = log.read.bind(log)
      t.mock.method(log, 'read', (...args: Parameters<typeof log.read>) => {
        const result = read(...args)
        return result.kind === 'ok' ? { ...result, batches: [...result.batches, ...result.batches] } : result
      })

      assert.deepEqual(
        replayAll(topic).seen.map((s) => s.keys[0]),
        ['a', 'b', 'c'],
      )
    })
  })

  test('what was written is replayed after a restart', async () => {
    const dataDir = await makeTempDir('internal-topic')
    const options = { logLevel: 'silent' as const, port: 0, host: '127.0.0.1', dataDir }
    let restarted = await startBroker(options)
    try {
      const before = internalTopic(brokerInternals(restarted), '__runnel_test_restart', 2)
      const keys = keysByPartition(before)
      for (const key of keys) assert.equal((await before.append(key, record(key))).kind, 'written')
      assert.equal((await before.append(keys[1], record(keys[1], null))).kind, 'written')
      const written = replayAll(before)
      await restarted.close()

      restarted = await startBroker(options)
      const after = internalTopic(brokerInternals(restarted), '__runnel_test_restart', 2)
      assert.ok(after.topic, 'the topic comes back from the catalog')
      assert.deepEqual(replayAll(after), written)
      assert.equal(written.seen.length, 3)
    } finally {
      await restarted.close()
      await removeDir(dataDir)
    }
  })
})
