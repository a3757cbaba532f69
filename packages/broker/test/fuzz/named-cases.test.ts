// Bad input with a name: what a client sees for each. Errors that Kafka reports per partition
// come back as error codes on a connection that stays usable; requests Kafka cannot parse
// close that connection only. A second connection, opened first, must be served throughout.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { buildBatch, CompressionType, decodeResponse, ErrorCode, encodeRequest } from '@runnel/protocol'
import {
  BrokerProcess,
  freePort,
  makeTempDir,
  removeDir,
  startTestBroker,
  type TestBroker,
} from '../helpers/broker.ts'
import { rawFrame, WireClient } from '../helpers/wire-client.ts'

const TOPIC = 'named-cases'
const SMALL_TOPIC = 'named-cases-small' // max.message.bytes=2048
const CLOSE_WITHIN_MS = 3000

function batchOf(values: Buffer[]): Buffer {
  return buildBatch({
    records: values.map((value, i) => ({ key: Buffer.from(`k${i}`), value, timestamp: Date.now() })),
    compression: CompressionType.none,
  })
}

describe('named bad inputs', () => {
  let broker: TestBroker
  let bystander: WireClient

  const produce = async (topic: string, partition: number, records: Buffer, version = 9) => {
    const c = await WireClient.connect(broker.port)
    try {
      const response = await c.request(0, version, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
      })
      assert.equal(response.responses.length, 1)
      assert.equal(response.responses[0].partitionResponses.length, 1)
      // The connection stays usable after a per-partition error.
      const again = await c.request(18, 3, { clientSoftwareName: 'runnel-test', clientSoftwareVersion: '0' })
      assert.equal(again.errorCode, 0)
      return response.responses[0].partitionResponses[0]
    } finally {
      c.close()
    }
  }

  const latestOffset = async (topic: string, partition: number) => {
    const c = await WireClient.connect(broker.port)
    try {
      const r = await c.request(2, 7, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          {
            name: topic,
            partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }],
          },
        ],
      })
      return r.topics[0].partitions[0].offset
    } finally {
      c.close()
    }
  }

  /** The bystander connection still gets answers. */
  const bystanderServed = async () => {
    const r = await bystander.request(3, 12, {
      topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: TOPIC }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    })
    assert.equal(r.topics[0].errorCode, 0)
  }

  before(async () => {
    broker = await startTestBroker({ autoCreateTopics: false })
    bystander = await WireClient.connect(broker.port)
    const created = await bystander.request(19, 5, {
      topics: [
        { name: TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] },
        {
          name: SMALL_TOPIC,
          numPartitions: 1,
          replicationFactor: 1,
          assignments: [],
          configs: [{ name: 'max.message.bytes', value: '2048' }],
        },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    })
    assert.deepEqual(
      created.topics.map((t) => [t.name, t.errorCode]),
      [
        [TOPIC, 0],
        [SMALL_TOPIC, 0],
      ],
    )
  })

  after(async () => {
    bystander?.close()
    await broker?.dispose()
  })

  it('unknown API key: the connection is closed, nothing is answered', async () => {
    for (const apiKey of [999, 32767, -1, 68 /* ConsumerGroupHeartbeat: Kafka's, not ours */]) {
      const c = await WireClient.connect(broker.port)
      await c.write(rawFrame(apiKey, 0, 7))
      assert.equal(await c.waitClosed(CLOSE_WITHIN_MS), true, `API key ${apiKey}: connection not closed`)
      assert.equal(c.pendingFrames, 0, `API key ${apiKey}: answered`)
    }
    await bystanderServed()
  })

  it('unsupported version: ApiVersions is answered in v0 with UNSUPPORTED_VERSION; other APIs close', async () => {
    const c = await WireClient.connect(broker.port)
    let supportedRange: { apiKey: number; minVersion: number; maxVersion: number }[]
    try {
      const supported = await c.request(18, 3, {
        clientSoftwareName: 'runnel-test',
        clientSoftwareVersion: '0',
      })
      supportedRange = supported.apiKeys
      const own = supported.apiKeys.find((k) => k.apiKey === 18)!
      await c.write(rawFrame(18, 127, 42))
      const next = await c.next(CLOSE_WITHIN_MS)
      assert.ok('frame' in next, 'ApiVersions v127 got no answer')
      const answer = decodeResponse(18, 0, next.frame)
      assert.equal(answer.correlationId, 42)
      assert.equal(answer.body.errorCode, ErrorCode.UNSUPPORTED_VERSION)
      assert.equal(answer.body.errorCode, 35)
      assert.deepEqual(answer.body.apiKeys, [
        { apiKey: 18, minVersion: own.minVersion, maxVersion: own.maxVersion },
      ])
      // The client retries lower on the same connection.
      const retried = await c.request(18, 0, {})
      assert.equal(retried.errorCode, 0)
    } finally {
      c.close()
    }
    // Just outside each advertised range (read from ApiVersions, as clients do).
    const range = (apiKey: number) => supportedRange.find((k) => k.apiKey === apiKey)!
    const outside: [number, number][] = [
      [3, range(3).maxVersion + 1],
      [0, range(0).maxVersion + 1],
      [1, range(1).maxVersion + 1],
      [3, 32767],
      [3, -1],
    ]
    for (const key of [0, 1, 2]) if (range(key).minVersion > 0) outside.push([key, range(key).minVersion - 1])
    for (const [apiKey, version] of outside) {
      const d = await WireClient.connect(broker.port)
      await d.write(rawFrame(apiKey, version, 9))
      assert.equal(await d.waitClosed(CLOSE_WITHIN_MS), true, `API ${apiKey} v${version}: not closed`)
      assert.equal(d.pendingFrames, 0, `API ${apiKey} v${version}: answered`)
    }
    await bystanderServed()
  })

  it('truncated frame: a body cut short closes the connection; a frame never finished is never answered', async () => {
    const whole = Buffer.concat(
      encodeRequest(3, 12, 5, 'runnel-test', {
        topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: TOPIC }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      }),
    )
    for (const cut of [1, 3, 10, whole.length - 4 - 14]) {
      const c = await WireClient.connect(broker.port)
      const frame = Buffer.from(whole.subarray(0, whole.length - cut))
      frame.writeInt32BE(frame.length - 4, 0) // a consistent size over a body that ends early
      await c.write(frame)
      assert.equal(await c.waitClosed(CLOSE_WITHIN_MS), true, `cut by ${cut}: not closed`)
      assert.equal(c.pendingFrames, 0, `cut by ${cut}: answered`)
    }
    // The size promises more than ever arrives: the broker waits, answers nothing, and lets go
    // when the client goes away.
    const c = await WireClient.connect(broker.port)
    await c.write(whole.subarray(0, whole.length - 5))
    const next = await c.next(300)
    assert.ok('timeout' in next, 'answered a frame that never arrived whole')
    c.end()
    assert.equal(await c.waitClosed(CLOSE_WITHIN_MS), true)
    await bystanderServed()
  })

  it('a frame over socket.request.max.bytes (100 MiB): the 4-byte size alone closes the connection', async () => {
    for (const size of [100 * 1024 * 1024 + 1, 0x7fffffff, -1, 0, 3]) {
      const c = await WireClient.connect(broker.port)
      const prefix = Buffer.alloc(4)
      prefix.writeInt32BE(size)
      await c.write(prefix)
      assert.equal(await c.waitClosed(CLOSE_WITHIN_MS), true, `size ${size}: not closed`)
      assert.equal(c.pendingFrames, 0)
    }
    await bystanderServed()
  })

  it('a batch with a bad CRC: CORRUPT_MESSAGE, nothing appended', async () => {
    const logEnd = await latestOffset(TOPIC, 0)
    const good = batchOf([Buffer.from('hello'), Buffer.from('world')])
    const inRecords = Buffer.from(good)
    inRecords[inRecords.length - 3] ^= 0x40 // a bit of a record value: the CRC no longer matches
    const inCrc = Buffer.from(good)
    inCrc[18] ^= 0x01 // the stored CRC-32C itself (bytes 17..20)
    for (const [name, batch] of [
      ['record bytes', inRecords],
      ['crc field', inCrc],
    ] as const) {
      const r = await produce(TOPIC, 0, batch)
      assert.equal(r.errorCode, ErrorCode.CORRUPT_MESSAGE, `${name}: error ${r.errorCode}`)
      assert.equal(r.errorCode, 2)
    }
    assert.equal(await latestOffset(TOPIC, 0), logEnd)
    // The same batch unharmed is accepted (the test's batches are otherwise valid).
    assert.equal((await produce(TOPIC, 0, good)).errorCode, 0)
    assert.equal(await latestOffset(TOPIC, 0), logEnd! + 2n)
  })

  it('a record over max.message.bytes: MESSAGE_TOO_LARGE', async () => {
    const big = await produce(SMALL_TOPIC, 0, batchOf([Buffer.alloc(4096, 0x61)]))
    assert.equal(big.errorCode, ErrorCode.MESSAGE_TOO_LARGE)
    assert.equal(big.errorCode, 10)
    assert.equal(await latestOffset(SMALL_TOPIC, 0), 0n)
    const small = await produce(SMALL_TOPIC, 0, batchOf([Buffer.alloc(512, 0x61)]))
    assert.equal(small.errorCode, 0)
  })

  it('produce to a missing topic with auto-create off: UNKNOWN_TOPIC_OR_PARTITION, and no topic appears', async () => {
    const r = await produce('no-such-topic', 0, batchOf([Buffer.from('x')]))
    assert.equal(r.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.equal(r.errorCode, 3)
    const missingPartition = await produce(TOPIC, 7, batchOf([Buffer.from('x')]))
    assert.equal(missingPartition.errorCode, 3, 'a partition the topic does not have')
    const metadata = await bystander.request(3, 12, {
      topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'no-such-topic' }],
      allowAutoTopicCreation: true, // the broker's auto.create.topics.enable=false wins
      includeTopicAuthorizedOperations: false,
    })
    assert.equal(metadata.topics[0].errorCode, 3)
  })

  it('an invalid topic name: INVALID_TOPIC_EXCEPTION from Metadata and CreateTopics; Produce says UNKNOWN_TOPIC_OR_PARTITION, as Kafka 4.4', async () => {
    for (const name of ['bad name', 'a/b', '..', 'x'.repeat(250), 'ünïcode']) {
      const r = await produce(name, 0, batchOf([Buffer.from('x')]))
      // Kafka's produce path looks the partition up and never checks the name.
      assert.equal(r.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `produce to ${JSON.stringify(name)}`)
      const metadata = await bystander.request(3, 12, {
        topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name }],
        allowAutoTopicCreation: true,
        includeTopicAuthorizedOperations: false,
      })
      assert.equal(metadata.topics[0].errorCode, 17, `metadata for ${JSON.stringify(name)}`)
      const created = await bystander.request(19, 5, {
        topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 5000,
        validateOnly: false,
      })
      assert.equal(created.topics[0].errorCode, 17, `create ${JSON.stringify(name)}`)
    }
  })
})

describe('a null where the schema forbids one', () => {
  it('a null non-nullable string (a topic or resource name) closes the connection like any unparseable request, with no handler failure', async () => {
    const dataDir = await makeTempDir('null-strings')
    const broker = await BrokerProcess.start({ port: await freePort(), dataDir, logLevel: 'error' })
    try {
      // Each request names 'QQ'; its int16 length and bytes are replaced by -1 (null).
      const cases: [number, number, Record<string, unknown>][] = [
        [
          0,
          3,
          { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'QQ', partitionData: [] }] },
        ],
        [
          19,
          4,
          {
            topics: [{ name: 'QQ', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
            timeoutMs: 1000,
          },
        ],
        [
          32,
          3,
          {
            resources: [{ resourceType: 2, resourceName: 'QQ', configurationKeys: null }],
            includeSynonyms: false,
          },
        ],
        [33, 1, { resources: [{ resourceType: 2, resourceName: 'QQ', configs: [] }], validateOnly: true }],
      ]
      const outcomes: string[] = []
      for (const [apiKey, version, body] of cases) {
        const c = await WireClient.connect(broker.port)
        try {
          await c.write(
            nullifyString(Buffer.concat(encodeRequest(apiKey as 0, version, 5, 'x', body as never)), 'QQ'),
          )
          const next = await c.next(CLOSE_WITHIN_MS)
          outcomes.push(
            `API ${apiKey} v${version}: ${'closed' in next ? 'closed' : 'frame' in next ? 'answered' : 'no answer'}`,
          )
        } finally {
          c.close()
        }
      }
      assert.deepEqual(
        outcomes,
        cases.map(([apiKey, version]) => `API ${apiKey} v${version}: closed`),
      )
      const failures = broker.output
        .split('\n')
        .filter((l) => /"level":(50|60)/.test(l))
        .map(
          (l) =>
            /"api":"(\w+)","version":(\d+),"msg":"([^"]+)"/.exec(l)?.slice(1).join(' ') ?? l.slice(0, 160),
        )
      assert.deepEqual(failures, [], 'errors the broker logged')
    } finally {
      await broker.terminate()
      await removeDir(dataDir)
    }
  })
})

/** Replaces the classic (int16-length) string `marker` in a request frame with a null string. */
function nullifyString(frame: Buffer, marker: string): Buffer {
  const encoded = Buffer.concat([Buffer.from([0, marker.length]), Buffer.from(marker)])
  const at = frame.indexOf(encoded, 14)
  assert.ok(at > 0, `${marker} not found in the frame`)
  const out = Buffer.concat([
    frame.subarray(0, at),
    Buffer.from([0xff, 0xff]),
    frame.subarray(at + encoded.length),
  ])
  out.writeInt32BE(out.length - 4, 0)
  return out
}
