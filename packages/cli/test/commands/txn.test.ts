// `runnel txn list|describe|producers` against a real broker holding a kafkajs transaction
// open, then committed; and against small fake Kafka nodes (built on @runnel/protocol) for what
// one Runnel broker cannot show: a cluster of two coordinators whose lists are merged, one
// still loading its state, and a Kafka too old to have the transaction APIs.
import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { type AnyApiKey, decodeRequest, ErrorCode, encodeResponse, type ResponseMap } from '@runnel/protocol'
import { Kafka, logLevel, type Producer, type Transaction } from 'kafkajs'
import {
  DEFAULT_TIMEOUT_MS,
  hungServer,
  killAll,
  oneLine,
  runnel,
  type TestBroker,
  testBroker,
  waitedAfterConnecting,
} from '../support/cli.ts'

interface Listed {
  transactionalId: string
  producerId: number
  state: string
  coordinatorId: number
}

interface Described {
  transactionalId: string
  state: string
  producerId: number
  producerEpoch: number
  transactionTimeoutMs: number
  transactionStartTimeMs: number | null
  transactionDurationMs: number | null
  coordinator: { nodeId: number; host: string; port: number }
  partitions: { topic: string; partition: number }[]
}

interface ProducerRow {
  topic: string
  partition: number
  producerId: number
  producerEpoch: number
  lastSequence: number | null
  lastTimestamp: number | null
  coordinatorEpoch: number | null
  currentTransactionStartOffset: number | null
}

// ---- a fake Kafka node: answers what the test scripts, in the wire format of the codec ----

type Answer = { [K in AnyApiKey]?: (version: number) => ResponseMap[K] }

interface FakeNode {
  port: number
  close(): Promise<void>
}

async function fakeNode(apiKeys: [number, number, number][], answers: Answer): Promise<FakeNode> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    let buffered = Buffer.alloc(0)
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0))
        buffered = buffered.subarray(4 + frame.length)
        const { header } = decodeRequest(frame)
        const key = header.apiKey as AnyApiKey
        const body =
          key === 18
            ? {
                errorCode: 0,
                throttleTimeMs: 0,
                apiKeys: apiKeys.map(([apiKey, minVersion, maxVersion]) => ({
                  apiKey,
                  minVersion,
                  maxVersion,
                })),
              }
            : (answers[key] as ((v: number) => ResponseMap[AnyApiKey]) | undefined)?.(header.apiVersion)
        if (body === undefined) throw new Error(`the fake has no answer for API ${key}`)
        for (const c of encodeResponse(key, header.apiVersion, header.correlationId, body)) socket.write(c)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

const metadataOf = (brokers: { nodeId: number; port: number }[]) => (): ResponseMap[3] => ({
  throttleTimeMs: 0,
  brokers: brokers.map((b) => ({ nodeId: b.nodeId, host: '127.0.0.1', port: b.port, rack: null })),
  clusterId: 'fake',
  controllerId: brokers[0].nodeId,
  topics: [],
  clusterAuthorizedOperations: -2147483648,
})

// ---- the real broker with an open kafkajs transaction ----

let kafka: TestBroker
let producer: Producer
let transaction: Transaction
const run = (...args: string[]) => runnel([...args, ...kafka.flag])

before(async () => {
  kafka = await testBroker({ orders: 3, quiet: 1 })
  const client = new Kafka({ brokers: [kafka.broker.bootstrap], logLevel: logLevel.NOTHING })
  producer = client.producer({ transactionalId: 'orders-tx', maxInFlightRequests: 1, idempotent: true })
  await producer.connect()
  transaction = await producer.transaction()
  await transaction.send({
    topic: 'orders',
    messages: [
      { partition: 0, value: 'a' },
      { partition: 2, value: 'b' },
      { partition: 2, value: 'c' },
    ],
  })
})
after(async () => {
  killAll()
  await producer?.disconnect().catch(() => {})
  await kafka?.close()
})

describe('runnel txn against a broker', () => {
  test('an open transaction: listed as Ongoing, described with its partitions, its producers shown', async () => {
    const listed = await run('txn', 'list')
    assert.equal(listed.code, 0, listed.stderr)
    assert.match(listed.stdout, /^TRANSACTIONAL ID\s+PRODUCER ID\s+STATE\s+COORDINATOR\n/)
    assert.match(listed.stdout, /^orders-tx\s+\d+\s+Ongoing\s+1$/m)

    const json = await run('txn', 'list', '--json')
    assert.equal(json.code, 0, json.stderr)
    const rows = JSON.parse(json.stdout) as Listed[]
    assert.equal(rows.length, 1)
    const [{ producerId }] = rows
    assert.deepEqual(rows, [{ transactionalId: 'orders-tx', producerId, state: 'Ongoing', coordinatorId: 1 }])

    // Filters, with Kafka's state names in any case and producer ids as a list.
    const filtered = await Promise.all([
      run('txn', 'list', '--state', 'ongoing,prepareCommit', '--json'),
      run('txn', 'list', '--state', 'CompleteCommit', '--json'),
      run('txn', 'list', '--producer-id', `${producerId + 1},${producerId}`, '--json'),
      run('txn', 'list', '--producer-id', `${producerId + 1}`, '--json'),
    ])
    assert.deepEqual(
      filtered.map((r) => (JSON.parse(r.stdout) as Listed[]).map((t) => t.transactionalId)),
      [['orders-tx'], [], ['orders-tx'], []],
    )

    const described = await run('txn', 'describe', 'orders-tx')
    assert.equal(described.code, 0, described.stderr)
    assert.match(described.stdout, /^TRANSACTIONAL ID {2}orders-tx$/m)
    assert.match(described.stdout, /^STATE\s+Ongoing$/m)
    assert.match(described.stdout, new RegExp(`^PRODUCER ID\\s+${producerId}$`, 'm'))
    assert.match(described.stdout, /^TIMEOUT\s+60000 ms$/m)
    assert.match(described.stdout, /^START TIME\s+\d{4}-\d\d-\d\dT[\d:.]+Z$/m)
    assert.match(described.stdout, /^\nTOPIC\s+PARTITION\norders\s+0\norders\s+2\n$/m)

    const started = Date.now()
    const detail = JSON.parse((await run('txn', 'describe', 'orders-tx', '--json')).stdout) as Described
    assert.equal(detail.state, 'Ongoing')
    assert.equal(detail.producerId, producerId)
    assert.equal(detail.producerEpoch, 0)
    assert.equal(detail.transactionTimeoutMs, 60000)
    assert.ok(detail.transactionStartTimeMs !== null && detail.transactionStartTimeMs <= started)
    assert.ok(detail.transactionDurationMs !== null && detail.transactionDurationMs >= 0)
    assert.deepEqual(detail.coordinator, { nodeId: 1, host: '127.0.0.1', port: kafka.broker.port })
    assert.deepEqual(detail.partitions, [
      { topic: 'orders', partition: 0 },
      { topic: 'orders', partition: 2 },
    ])

    // The open transaction holds each partition back from its first offset there.
    const producers = await run('txn', 'producers', 'orders', '--json')
    assert.equal(producers.code, 0, producers.stderr)
    const active = JSON.parse(producers.stdout) as ProducerRow[]
    assert.deepEqual(
      active.map((p) => [
        p.partition,
        p.producerId,
        p.producerEpoch,
        p.lastSequence,
        p.currentTransactionStartOffset,
      ]),
      [
        [0, producerId, 0, 0, 0],
        [2, producerId, 0, 1, 0],
      ],
    )
    const one = await run('txn', 'producers', 'orders', '--partition', '2')
    assert.equal(one.code, 0, one.stderr)
    assert.match(
      one.stdout,
      /^PARTITION\s+PRODUCER ID\s+EPOCH\s+LAST SEQUENCE\s+LAST TIMESTAMP\s+COORDINATOR EPOCH\s+TXN START OFFSET\n2\s+\d+\s+0\s+1\s+\S+Z\s+-\s+0\n$/,
    )

    // Committed: the id stays, its transaction closed and its partitions released.
    await transaction.commit()
    const committed = JSON.parse((await run('txn', 'describe', 'orders-tx', '--json')).stdout) as Described
    assert.equal(committed.state, 'CompleteCommit')
    assert.equal(committed.transactionDurationMs, null)
    assert.deepEqual(committed.partitions, [])
    const now = JSON.parse((await run('txn', 'list', '--json')).stdout) as Listed[]
    assert.deepEqual(
      now.map((t) => [t.transactionalId, t.state]),
      [['orders-tx', 'CompleteCommit']],
    )
    const released = JSON.parse((await run('txn', 'producers', 'orders', '--json')).stdout) as ProducerRow[]
    assert.deepEqual(
      released.map((p) => p.currentTransactionStartOffset),
      [null, null],
    )
  })

  test('errors are one sentence: unknown transactional id, topic or partition; bad flags exit 2', async () => {
    const [unknownId, unknownTopic, noPartition, badState, noId] = await Promise.all([
      run('txn', 'describe', 'nobody'),
      run('txn', 'producers', 'missing'),
      run('txn', 'producers', 'orders', '--partition', '3'),
      run('txn', 'list', '--state', 'Running'),
      run('txn', 'describe'),
    ])
    assert.equal(unknownId.code, 1)
    assert.equal(
      oneLine(unknownId.stderr),
      'runnel txn describe: Transactional id "nobody" does not exist (TRANSACTIONAL_ID_NOT_FOUND).',
    )
    assert.equal(unknownId.stdout, '')
    assert.equal(unknownTopic.code, 1)
    assert.equal(oneLine(unknownTopic.stderr), 'runnel txn producers: Topic "missing" does not exist.')
    assert.equal(noPartition.code, 1)
    assert.equal(
      oneLine(noPartition.stderr),
      'runnel txn producers: Topic "orders" has no partition 3: it has 3 partitions (0 to 2).',
    )
    assert.equal(badState.code, 2)
    assert.match(
      oneLine(badState.stderr),
      /^runnel txn list: --state takes Kafka's transaction states, got "Running"; use Empty, Ongoing,/,
    )
    assert.equal(noId.code, 2)
    assert.equal(
      oneLine(noId.stderr),
      'runnel txn describe: missing transactional id. Usage: runnel txn describe <transactional-id>',
    )
  })
})

describe('runnel txn against other Kafka clusters', () => {
  const nodes: FakeNode[] = []
  after(async () => {
    for (const n of nodes) await n.close()
  })
  const SPEAKS: [number, number, number][] = [
    [3, 0, 12],
    [10, 0, 4],
    [18, 0, 3],
    [65, 0, 0],
    [66, 0, 1],
  ]

  test('list asks every broker and merges; a coordinator still loading is asked again', async () => {
    let loading = 1
    const second = await fakeNode(SPEAKS, {
      66: () => {
        const errorCode = loading-- > 0 ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE
        return {
          throttleTimeMs: 0,
          errorCode,
          unknownStateFilters: [],
          transactionStates:
            errorCode === ErrorCode.NONE
              ? [{ transactionalId: 'billing', producerId: 7n, transactionState: 'PrepareAbort' }]
              : [],
        }
      },
    })
    nodes.push(second)
    const first: FakeNode = await fakeNode(SPEAKS, {
      3: () =>
        metadataOf([
          { nodeId: 1, port: first.port },
          { nodeId: 2, port: second.port },
        ])(),
      66: () => ({
        throttleTimeMs: 0,
        errorCode: 0,
        unknownStateFilters: [],
        transactionStates: [
          { transactionalId: 'shipping', producerId: 3n, transactionState: 'Ongoing' },
          { transactionalId: 'audit', producerId: 2n, transactionState: 'Empty' },
        ],
      }),
    })
    nodes.push(first)
    const listed = await runnel(['txn', 'list', '--brokers', `127.0.0.1:${first.port}`])
    assert.equal(listed.code, 0, listed.stderr)
    assert.equal(
      listed.stdout,
      [
        'TRANSACTIONAL ID  PRODUCER ID  STATE         COORDINATOR',
        'audit             2            Empty         1',
        'billing           7            PrepareAbort  2',
        'shipping          3            Ongoing       1',
        '',
      ].join('\n'),
    )
    assert.equal(loading, -1, 'the loading coordinator was asked twice')
  })

  test('a Kafka without the transaction APIs (before 3.0), and an unreachable broker, say so', async () => {
    const old = await fakeNode(
      SPEAKS.filter(([k]) => k < 60),
      { 3: () => metadataOf([{ nodeId: 0, port: old.port }])() },
    )
    nodes.push(old)
    const unsupported = await runnel(['txn', 'list', '--brokers', `127.0.0.1:${old.port}`])
    assert.equal(unsupported.code, 1)
    assert.equal(
      oneLine(unsupported.stderr),
      `runnel txn list: The broker at 127.0.0.1:${old.port} does not support ListTransactions, which this command needs (Kafka 3.0 or later has it).`,
    )

    // A port with nothing listening: bound once, then released.
    const closed = await fakeNode([], {})
    await closed.close()
    const refused = await runnel(['txn', 'describe', 'orders-tx', '--brokers', `127.0.0.1:${closed.port}`])
    assert.equal(refused.code, 1)
    assert.equal(
      oneLine(refused.stderr),
      `runnel txn describe: Cannot reach a Kafka broker at 127.0.0.1:${closed.port} (connection refused).`,
    )
  })

  test('a broker that never answers: the command gives up after --timeout', async () => {
    const hung = await hungServer()
    try {
      const result = await runnel(['txn', 'list', '--brokers', `127.0.0.1:${hung.port}`, '--timeout', '500'])
      const waited = waitedAfterConnecting(hung)
      assert.equal(result.code, 1)
      assert.equal(
        oneLine(result.stderr),
        `runnel txn list: No Kafka broker answered at 127.0.0.1:${hung.port} within 500 ms.`,
      )
      assert.ok(waited < DEFAULT_TIMEOUT_MS / 2, `gave up ${waited} ms after connecting`)
    } finally {
      await hung.close()
    }
  })
})
