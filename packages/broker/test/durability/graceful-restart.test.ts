// A broker stopped cleanly keeps everything: topics (same ids, partitions, configs), every
// record produced with acks=0, 1 and all, offsets and the lookup by timestamp; and it
// continues the logs where they ended. Once in this process (close() then startBroker() on
// the same directory) and once as the CLI stopped by SIGTERM.
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { Admin, ConfigResourceTypes, Consumer, Producer } from '@platformatic/kafka'
import { type RunningBroker, startBroker } from '../../src/index.ts'
import { BrokerProcess, freePort, makeTempDir, removeDir, sleep } from '../helpers/broker.ts'
import { fetchTopic } from '../helpers/platformatic-fetch.ts'
import { confluent } from '../helpers/python.ts'
import {
  assertSameRecords,
  byPartition,
  chunksByCodec,
  expectedOffsetForTimestamp,
  fromWire,
  generateRecords,
  type TestRecord,
  toWire,
  type WireRecord,
} from '../helpers/records.ts'
import { WireClient } from '../helpers/wire-client.ts'

const client = (bootstrap: string, clientId: string) => ({
  clientId,
  bootstrapBrokers: [bootstrap],
  retries: 2,
  retryDelay: 100,
  timeout: 10_000,
})

const toMessage = (topic: string) => (r: TestRecord) => {
  const headers = new Map<Buffer, Buffer>()
  for (const h of r.headers) headers.set(Buffer.from(h.key), h.value as Buffer)
  return {
    topic,
    partition: r.partition,
    key: r.key ?? undefined,
    value: r.value as Buffer,
    headers,
    timestamp: BigInt(r.timestamp),
  }
}

describe('graceful stop and restart', () => {
  const dirs: string[] = []
  after(async () => {
    for (const d of dirs) await removeDir(d)
  })

  it('close() then startBroker() on the same data dir: topics, configs, records and offsets are all there', async () => {
    const TOPIC = 'restart-in-process'
    const PARTITIONS = 4
    const dataDir = await makeTempDir('restart')
    dirs.push(dataDir)
    const records = generateRecords({
      count: 4000,
      partitions: PARTITIONS,
      seed: 0x5eed,
      baseTimestamp: Date.now() - 600_000,
      nullHeaderValues: true,
      emptyNotNull: true,
    })
    const expected = byPartition(records, PARTITIONS)
    const configs = [
      { name: 'segment.bytes', value: String(64 * 1024) }, // several segments per partition
      { name: 'retention.ms', value: String(30 * 24 * 3_600_000) },
      { name: 'max.message.bytes', value: String(2 * 1024 * 1024) },
    ]

    let broker: RunningBroker | undefined = await startBroker({
      port: 0,
      dataDir,
      logLevel: 'silent',
      autoCreateTopics: false,
    })
    let topicId: string
    try {
      const admin = new Admin(client(broker.bootstrap, 'restart-admin'))
      const producer = new Producer({ ...client(broker.bootstrap, 'restart-producer'), idempotent: false })
      try {
        const [created] = await admin.createTopics({
          topics: [TOPIC],
          partitions: PARTITIONS,
          replicas: 1,
          configs,
        })
        topicId = created.id
        // acks=0 requests are answered by nothing; the acks=1 request after them on the same
        // connection is handled after them, so once it is answered they are all in the log.
        const acksCycle = [1, 0, -1, 0, 1]
        const chunks = chunksByCodec(records, ['none', 'gzip', 'lz4', 'snappy'], 250)
        for (const [i, chunk] of chunks.entries()) {
          const acks = i === chunks.length - 1 ? 1 : acksCycle[i % acksCycle.length]
          await producer.send({
            acks,
            compression: chunk.codec as 'none',
            messages: chunk.records.map(toMessage(TOPIC)),
          })
        }
      } finally {
        await Promise.allSettled([admin.close(), producer.close()])
      }
      assertSameRecords(records, await fetchTopic(broker.bootstrap, TOPIC), PARTITIONS)
      await broker.close()
      broker = undefined
      // segment.bytes=64 KiB: every partition rolled, so recovery reads more than one segment.
      for (let p = 0; p < PARTITIONS; p++) {
        const segments = (await readdir(join(dataDir, `${TOPIC}-${p}`))).filter((f) => f.endsWith('.log'))
        assert.ok(segments.length >= 3, `partition ${p} has ${segments.length} segments`)
      }

      broker = await startBroker({ port: 0, dataDir, logLevel: 'silent', autoCreateTopics: false })
      const admin2 = new Admin(client(broker.bootstrap, 'restart-admin-2'))
      const consumer = new Consumer({ ...client(broker.bootstrap, 'restart-consumer'), groupId: 'unused' })
      const producer2 = new Producer({ ...client(broker.bootstrap, 'restart-producer-2'), idempotent: false })
      try {
        const metadata = await admin2.metadata({
          topics: [TOPIC],
          forceUpdate: true,
          autocreateTopics: false,
        })
        assert.equal(metadata.topics.get(TOPIC)?.id, topicId, 'topic id survives the restart')
        assert.equal(metadata.topics.get(TOPIC)?.partitionsCount, PARTITIONS)

        const [described] = await admin2.describeConfigs({
          resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: TOPIC }],
        })
        for (const c of configs) {
          assert.equal(described.configs.find((d) => d.name === c.name)?.value, c.value, `config ${c.name}`)
        }

        assertSameRecords(records, await fetchTopic(broker.bootstrap, TOPIC), PARTITIONS)

        const latest = await consumer.listOffsets({ topics: [TOPIC], timestamp: -1n })
        assert.deepEqual(
          latest.get(TOPIC),
          expected.map((e) => BigInt(e.length)),
        )
        for (let p = 0; p < PARTITIONS; p++) {
          for (const r of [
            expected[p][0],
            expected[p][Math.floor(expected[p].length / 2)],
            expected[p].at(-1)!,
          ]) {
            const answer = await consumer.listOffsetsWithTimestamps({
              topics: [TOPIC],
              partitions: { [TOPIC]: [p] },
              timestamp: BigInt(r.timestamp),
            })
            const want = expectedOffsetForTimestamp(expected[p], r.timestamp)!
            assert.deepEqual(
              answer.get(TOPIC)?.get(p),
              { offset: BigInt(want.offset), timestamp: BigInt(want.timestamp) },
              `partition ${p} timestamp ${r.timestamp} after restart`,
            )
          }
        }

        // The logs continue where they ended.
        const more = generateRecords({
          count: 200,
          partitions: PARTITIONS,
          seed: 0x5eee,
          baseTimestamp: Date.now(),
          nullHeaderValues: true,
        }).map((r) => ({ ...r, index: r.index + records.length }))
        const result = await producer2.send({ acks: -1, messages: more.map(toMessage(TOPIC)) })
        for (const o of result.offsets ?? []) {
          assert.equal(
            Number(o.offset),
            expected[o.partition].length,
            `first new offset of partition ${o.partition}`,
          )
        }
        assertSameRecords([...records, ...more], await fetchTopic(broker.bootstrap, TOPIC), PARTITIONS)
      } finally {
        await Promise.allSettled([admin2.close(), consumer.close(), producer2.close()])
      }
    } finally {
      await broker?.close()
    }
  })

  it('the CLI stopped by SIGTERM exits 0 and keeps every record (librdkafka, acks=1, all codecs)', async () => {
    const TOPIC = 'restart-cli'
    const PARTITIONS = 3
    const dataDir = await makeTempDir('restart-cli')
    dirs.push(dataDir)
    const port = await freePort()
    const records = generateRecords({
      count: 3000,
      partitions: PARTITIONS,
      seed: 0xc11,
      baseTimestamp: Date.now() - 60_000,
      nullHeaderValues: true,
      emptyNotNull: true,
    })
    let broker: BrokerProcess | undefined = await BrokerProcess.start({ port, dataDir })
    try {
      await confluent('create-topic', [broker.bootstrap, TOPIC, PARTITIONS])
      const chunks = chunksByCodec(records, ['zstd', 'none', 'snappy', 'gzip', 'lz4'], 600).map((c) => ({
        codec: c.codec,
        acks: 1,
        records: c.records.map(toWire),
      }))
      const reports = await confluent<{ err: string | null }>('produce', [broker.bootstrap, TOPIC], {
        input: { chunks },
      })
      assert.deepEqual(
        reports.filter((r) => r.err !== null),
        [],
      )
      assert.equal(await broker.terminate(), 0, `exit code after SIGTERM\n${broker.output}`)
      broker = undefined

      broker = await BrokerProcess.start({ port, dataDir })
      const lines = await confluent<WireRecord & { watermarks?: unknown }>('consume', [
        broker.bootstrap,
        TOPIC,
        PARTITIONS,
      ])
      assertSameRecords(records, lines.filter((l) => !l.watermarks).map(fromWire), PARTITIONS)
      assert.equal(await broker.terminate(), 0, `exit code after SIGTERM\n${broker.output}`)
      broker = undefined
    } finally {
      await broker?.kill9()
    }
  })

  it('SIGTERM while long-poll fetches wait (one client still connected, one gone): exits 0 promptly', async () => {
    const dataDir = await makeTempDir('restart-long-poll')
    dirs.push(dataDir)
    const port = await freePort()
    let broker: BrokerProcess | undefined = await BrokerProcess.start({ port, dataDir })
    const clients: WireClient[] = []
    try {
      const setup = await WireClient.connect(port)
      clients.push(setup)
      const created = await setup.request(19, 5, {
        topics: [{ name: 'long-poll', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 5000,
        validateOnly: false,
      })
      assert.equal(created.topics[0].errorCode, 0)
      // Fetches that wait up to 10 minutes for 1 MiB that never comes.
      for (let i = 0; i < 2; i++) {
        const c = await WireClient.connect(port)
        clients.push(c)
        await c.send(1, 11, {
          replicaId: -1,
          maxWaitMs: 600_000,
          minBytes: 1024 * 1024,
          maxBytes: 1024 * 1024,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [
            {
              topic: 'long-poll',
              partitions: [
                {
                  partition: 0,
                  currentLeaderEpoch: -1,
                  fetchOffset: 0n,
                  logStartOffset: -1n,
                  partitionMaxBytes: 1024 * 1024,
                },
              ],
            },
          ],
          forgottenTopicsData: [],
          rackId: '',
        })
      }
      await sleep(300)
      clients[2].close() // this client gave up; its fetch is still waiting in the broker
      const started = Date.now()
      const code = await broker.terminate(10_000)
      assert.equal(
        code,
        0,
        `exit after SIGTERM: ${code} after ${Date.now() - started} ms (null = still running, killed)`,
      )
      broker = undefined
    } finally {
      for (const c of clients) c.close()
      await broker?.kill9()
    }
  })
})
