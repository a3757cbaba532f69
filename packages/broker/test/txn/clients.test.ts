// Issue 5 acceptance with real clients: a second producer with the same transactional.id
// fences the first (librdkafka, kafkajs, @platformatic/kafka: each gets PRODUCER_FENCED or
// INVALID_PRODUCER_EPOCH, as its protocol version says) and the first one's open transaction is
// aborted; a transaction left open past its timeout is aborted by the broker and a
// read_committed consumer moves on.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Producer as PlatformaticProducer } from '@platformatic/kafka'
import { Kafka, logLevel } from 'kafkajs'
import { brokerInternals } from '../../src/broker.ts'
import { sleep, startTestBroker, type TestBroker } from '../helpers/broker.ts'
import { jsonLines, runChecked, tail } from '../helpers/child-process.ts'
import { PYTHON } from '../helpers/python.ts'
import { readAll, spawnLoop, TXN_CLIENT } from './exactly-once.ts'

const CONFIGS = {
  'transaction.state.log.num.partitions': '3',
  'offsets.topic.num.partitions': '3',
  'group.initial.rebalance.delay.ms': '0',
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': '200',
}

/** Every Kafka error name inside a client error (platformatic nests them). */
function errorNames(err: unknown): string[] {
  const out: string[] = []
  const walk = (e: unknown) => {
    if (e === null || typeof e !== 'object') return
    const o = e as { apiId?: unknown; type?: unknown; errors?: unknown[]; cause?: unknown }
    if (typeof o.apiId === 'string') out.push(o.apiId)
    if (typeof o.type === 'string') out.push(o.type)
    for (const inner of o.errors ?? []) walk(inner)
    walk(o.cause)
  }
  walk(err)
  return out
}

describe('fencing and timeouts with real clients', () => {
  let broker: TestBroker
  let kafka: Kafka

  before(async () => {
    broker = await startTestBroker({ brokerConfigs: CONFIGS })
    for (const name of ['fence-rdkafka', 'fence-kafkajs', 'fence-platformatic', 'txn-timeout']) {
      assert.ok(
        (await brokerInternals(broker).topics.create({ name, numPartitions: 1, replicationFactor: -1 })).ok,
      )
    }
    kafka = new Kafka({
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3, initialRetryTime: 50 },
    })
  })
  after(async () => {
    await broker?.dispose()
  })

  async function assertZombieAborted(topic: string): Promise<void> {
    const committed = await readAll(broker.bootstrap, topic, 1, 'read_committed')
    const uncommitted = await readAll(broker.bootstrap, topic, 1, 'read_uncommitted')
    assert.deepEqual(
      committed.map((r) => r.v),
      ['survivor'],
      'read_committed sees only the new producer',
    )
    assert.ok(
      uncommitted.some((r) => r.v === 'zombie-1'),
      'the zombie wrote, and its transaction was aborted',
    )
    const log = brokerInternals(broker).topics.partition(topic, 0)!
    assert.equal(brokerInternals(broker).partitions.lastStableOffset(log), log.highWatermark)
  }

  test('librdkafka: the fenced producer fails with a fatal fencing error, its transaction aborted', {
    timeout: 60_000,
  }, async (t) => {
    const zombie = spawnLoop(PYTHON, [TXN_CLIENT, 'fenced', broker.bootstrap, 'fence-rdkafka', 'rd-fence'])
    try {
      await zombie.waitFor(
        (lines) => lines.includes('{"open":true}'),
        30_000,
        'the zombie to open its transaction',
      )
      await runChecked(PYTHON, [TXN_CLIENT, 'init', broker.bootstrap, 'rd-fence'], { timeoutMs: 30_000 })
      const meta = brokerInternals(broker).transactions.transaction('rd-fence')!
      const p = kafka.producer({
        transactionalId: 'rd-fence-survivor',
        maxInFlightRequests: 1,
        idempotent: true,
      })
      await p.connect()
      const tx = await p.transaction()
      await tx.send({ topic: 'fence-rdkafka', messages: [{ value: 'survivor' }] })
      await tx.commit()
      await p.disconnect()
      zombie.write('go\n')
      await zombie.waitFor(
        (lines) => lines.some((l) => l.startsWith('{"outcome"')),
        30_000,
        'the zombie to try to commit',
      )
      const outcome = jsonLines<{ outcome: string; code: string; fatal: boolean }>(
        zombie.lines.filter((l) => l.startsWith('{"outcome"')).join('\n'),
      )[0]
      t.diagnostic(JSON.stringify(outcome))
      assert.equal(outcome.outcome, 'error', tail(zombie.stderr))
      assert.ok(
        ['_FENCED', 'PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'].includes(outcome.code),
        JSON.stringify(outcome),
      )
      assert.equal(outcome.fatal, true)
      assert.equal(meta.producerEpoch, 2, 'epoch 0, bumped once by the fence and once for the new producer')
    } finally {
      await zombie.kill('SIGKILL')
    }
    await assertZombieAborted('fence-rdkafka')
  })

  test('kafkajs (EndTxn v1): the fenced producer gets INVALID_PRODUCER_EPOCH, its transaction aborted', async () => {
    const first = kafka.producer({ transactionalId: 'kjs-fence', maxInFlightRequests: 1, idempotent: true })
    const second = kafka.producer({ transactionalId: 'kjs-fence', maxInFlightRequests: 1, idempotent: true })
    await first.connect()
    try {
      const tx = await first.transaction()
      await tx.send({ topic: 'fence-kafkajs', messages: [{ value: 'zombie-1' }] })
      await second.connect()
      const survivor = await second.transaction()
      await survivor.send({ topic: 'fence-kafkajs', messages: [{ value: 'survivor' }] })
      await survivor.commit()
      const err = await tx.commit().then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(err, 'the fenced producer could commit')
      assert.ok(errorNames(err).includes('INVALID_PRODUCER_EPOCH'), `${errorNames(err)} ${String(err)}`)
    } finally {
      await first.disconnect()
      await second.disconnect()
    }
    await assertZombieAborted('fence-kafkajs')
  })

  test('@platformatic/kafka (EndTxn v4): the fenced producer gets PRODUCER_FENCED, its transaction aborted', async () => {
    const options = {
      bootstrapBrokers: [broker.bootstrap],
      transactionalId: 'plt-fence',
      producerId: -1n,
      producerEpoch: -1,
      idempotent: true,
      retries: 3,
      retryDelay: 50,
    }
    const first = new PlatformaticProducer({ ...options, clientId: 'zombie' })
    const second = new PlatformaticProducer({ ...options, clientId: 'survivor' })
    try {
      const tx = await first.beginTransaction()
      await tx.send({
        messages: [{ topic: 'fence-platformatic', value: Buffer.from('zombie-1'), partition: 0 }],
      })
      const survivor = await second.beginTransaction()
      await survivor.send({
        messages: [{ topic: 'fence-platformatic', value: Buffer.from('survivor'), partition: 0 }],
      })
      await survivor.commit()
      const err = await tx.commit().then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(err, 'the fenced producer could commit')
      assert.ok(errorNames(err).includes('PRODUCER_FENCED'), `${errorNames(err)} ${String(err)}`)
    } finally {
      await first.close(true)
      await second.close(true)
    }
    await assertZombieAborted('fence-platformatic')
  })

  test('a transaction left open past transaction.timeout.ms is aborted and read_committed consumers move on', {
    timeout: 60_000,
  }, async (t) => {
    const stuck = kafka.producer({
      transactionalId: 'kjs-timeout',
      maxInFlightRequests: 1,
      idempotent: true,
      transactionTimeout: 1000,
    })
    const plain = kafka.producer()
    const consumer = kafka.consumer({ groupId: 'timeout-reader', maxWaitTimeInMs: 100 })
    const seen: string[] = []
    // The transaction's state at the broker when the consumer got each record: it may only read
    // past the open transaction once the broker has aborted it.
    const stateWhenRead: (string | undefined)[] = []
    await stuck.connect()
    await plain.connect()
    try {
      const tx = await stuck.transaction()
      await tx.send({ topic: 'txn-timeout', messages: [{ value: 'never-committed' }] })
      await plain.send({ topic: 'txn-timeout', messages: [{ value: 'after' }] })
      await consumer.connect()
      await consumer.subscribe({ topic: 'txn-timeout', fromBeginning: true })
      const started = Date.now()
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(String(message.value))
          stateWhenRead.push(brokerInternals(broker).transactions.transaction('kjs-timeout')?.state)
        },
      })
      while (!seen.includes('after')) {
        assert.ok(Date.now() - started < 20_000, 'the consumer never got past the open transaction')
        await sleep(50)
      }
      const waited = Date.now() - started
      t.diagnostic(
        `the consumer read past the open transaction after ${waited} ms (transaction.timeout.ms 1000)`,
      )
      assert.deepEqual(seen, ['after'])
      // Not a time bound (the steps before `started` may outlast the timeout on a slow machine):
      // the record was handed over only after the broker had begun the abort.
      assert.ok(
        ['PrepareAbort', 'CompleteAbort'].includes(stateWhenRead[0] ?? ''),
        `read past the open transaction while it was ${stateWhenRead[0]}`,
      )
      // the markers (what the consumer waited for) are written before the Complete record
      while (brokerInternals(broker).transactions.transaction('kjs-timeout')?.state !== 'CompleteAbort') {
        assert.ok(Date.now() - started < 20_000, 'the aborted transaction never completed')
        await sleep(20)
      }
      const err = await tx.commit().then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(errorNames(err).includes('INVALID_PRODUCER_EPOCH'), `${errorNames(err)} ${String(err)}`)
    } finally {
      await consumer.disconnect()
      await plain.disconnect()
      await stuck.disconnect()
    }
  })
})
