// @runnel/broker/testing: startTestBroker() in memory, and its request faults seen from real
// clients over real sockets: a failed produce appends nothing and its retry succeeds, a topic
// filter leaves other topics alone, a delay holds the answer, a drop closes the connection.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { buildBatch, ErrorCode } from '@runnel/protocol'
import { Kafka, logLevel } from 'kafkajs'
import { startTestBroker, type TestBroker } from '../../src/testing/index.ts'
import { WireClient } from '../helpers/wire-client.ts'

const produceBody = (topic: string, value: string) => ({
  transactionalId: null,
  acks: -1,
  timeoutMs: 5000,
  topicData: [
    {
      name: topic,
      partitionData: [{ index: 0, records: buildBatch({ records: [{ value: Buffer.from(value) }] }) }],
    },
  ],
})

describe('startTestBroker and request faults', () => {
  let broker: TestBroker
  let wire: WireClient
  let startMs: number

  before(async () => {
    const t0 = performance.now()
    broker = await startTestBroker({ autoCreateTopics: false })
    startMs = performance.now() - t0
    wire = await WireClient.connect(broker.port)
    const created = await wire.request(19, 5, {
      topics: ['a', 'b'].map((name) => ({
        name,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [],
      })),
      timeoutMs: 5000,
      validateOnly: false,
    })
    assert.deepEqual(
      created.topics.map((t) => t.errorCode),
      [0, 0],
    )
  })
  after(async () => {
    wire?.close()
    await broker?.close()
  })

  const latest = async (topic: string) => {
    const r = await wire.request(2, 7, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
    })
    return r.topics[0].partitions[0].offset ?? -1n
  }

  it('starts in memory, on 127.0.0.1 and a free port', (t) => {
    t.diagnostic(`started in ${startMs.toFixed(0)} ms`)
    assert.match(broker.bootstrap, /^127\.0\.0\.1:\d+$/)
    assert.ok(broker.port > 0)
  })

  it('fail: the produce is answered with the error, nothing is appended, and the next one succeeds', async () => {
    const rule = broker.faults.fail(0, ErrorCode.NOT_LEADER_OR_FOLLOWER, { topic: 'a', times: 1 })
    const failed = await wire.request(0, 9, produceBody('a', 'first'))
    assert.equal(failed.responses[0].partitionResponses[0].errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER)
    assert.equal(await latest('a'), 0n, 'nothing appended')
    const ok = await wire.request(0, 9, produceBody('a', 'second'))
    assert.equal(ok.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE)
    assert.equal(await latest('a'), 1n)
    assert.equal(rule.hits, 1)
  })

  it('a topic filter leaves other topics alone', async () => {
    const rule = broker.faults.fail(0, ErrorCode.KAFKA_STORAGE_ERROR, { topic: 'a' })
    try {
      const other = await wire.request(0, 9, produceBody('b', 'x'))
      assert.equal(other.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE)
      const hit = await wire.request(0, 9, produceBody('a', 'y'))
      assert.equal(hit.responses[0].partitionResponses[0].errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
      assert.equal(rule.hits, 1)
    } finally {
      rule.remove()
    }
  })

  it('a real client retries through a retriable failure: kafkajs gets its record in once', async () => {
    broker.faults.fail(0, ErrorCode.NOT_LEADER_OR_FOLLOWER, { topic: 'b', times: 2 })
    const kafka = new Kafka({
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 50 },
    })
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    try {
      const base = await latest('b')
      const [meta] = await producer.send({ topic: 'b', messages: [{ value: 'through two failures' }] })
      assert.equal(meta.errorCode, 0)
      assert.equal(await latest('b'), base + 1n, 'appended exactly once')
    } finally {
      await producer.disconnect()
    }
  })

  it('delay: the answer comes after the delay', async () => {
    const rule = broker.faults.delay(3, 300, { times: 1 })
    const t0 = performance.now()
    const r = await wire.request(3, 12, {
      topics: null,
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    })
    const took = performance.now() - t0
    assert.ok(took >= 290, `answered after ${took.toFixed(0)} ms`)
    assert.ok(
      r.topics.some((t) => t.name === 'a'),
      'and it is the real answer',
    )
    assert.equal(rule.hits, 1)
  })

  it('drop: the connection is closed instead of answering, and the request is not carried out', async () => {
    broker.faults.drop(0, { topic: 'a', times: 1 })
    const base = await latest('a')
    const victim = await WireClient.connect(broker.port)
    await victim.send(0, 9, produceBody('a', 'dropped'))
    assert.equal(await victim.waitClosed(5000), true, 'connection closed')
    assert.equal(await latest('a'), base, 'nothing appended')
  })

  it('refuses rules it cannot carry out, saying why', () => {
    assert.throws(
      () => broker.faults.fail(75, ErrorCode.UNKNOWN_SERVER_ERROR),
      /use drop\(\) or delay\(\) for API 75/,
    )
    assert.throws(() => broker.faults.fail(0, 0), /error code other than NONE/)
    assert.throws(() => broker.faults.delay(0, -1), /non-negative/)
    assert.throws(() => broker.faults.drop(0, { times: 0 }), /times must be at least 1/)
  })
})
