// Captures real clients' request and response frames for the protocol's fixture tests.
//
// A recording proxy sits between each client and a Runnel broker that advertises the proxy's
// address, so every connection passes through it. Each client runs a small scripted session
// (metadata, produce with several codecs, fetch, list offsets). Frames are written to
// packages/protocol/test/fixtures/<client>.json as hex, with the API key and version read
// from the request header. Run: `npx tsx scripts/capture-fixtures.ts` (needs kcat and
// /usr/bin/python3 with confluent_kafka). The fixtures are committed; the tests never run this.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Admin, Consumer, Producer, stringSerializers } from '@platformatic/kafka'
import { startBroker } from '@runnel/broker'
import { CompressionTypes, Kafka, logLevel } from 'kafkajs'

interface Exchange {
  apiKey: number
  apiVersion: number
  request: string
  response?: string
}

const root = new URL('..', import.meta.url).pathname
const fixturesDir = join(root, 'packages/protocol/test/fixtures')

/** Splits a byte stream into size-prefixed frames (without their size). */
function framer(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0)
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk])
    while (buffered.length >= 4) {
      const size = buffered.readInt32BE(0)
      if (buffered.length < size + 4) break
      onFrame(buffered.subarray(4, size + 4))
      buffered = buffered.subarray(size + 4)
    }
  }
}

async function withRecordingProxy(
  client: string,
  session: (bootstrap: string) => Promise<void>,
): Promise<Exchange[]> {
  const exchanges: Exchange[] = []
  const proxy = createServer()
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const proxyPort = (proxy.address() as { port: number }).port
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-capture-'))
  const broker = await startBroker({ port: 0, dataDir, advertisedPort: proxyPort, logLevel: 'warn' })
  const sockets = new Set<Socket>()
  proxy.on('connection', (downstream) => {
    const upstream = connect(broker.port, '127.0.0.1')
    sockets.add(downstream).add(upstream)
    // Requests on one connection are answered in order: pair them FIFO by correlation id.
    const pending = new Map<number, Exchange>()
    downstream.on(
      'data',
      framer((frame) => {
        const e: Exchange = {
          apiKey: frame.readInt16BE(0),
          apiVersion: frame.readInt16BE(2),
          request: frame.toString('hex'),
        }
        pending.set(frame.readInt32BE(4), e)
        exchanges.push(e)
      }),
    )
    upstream.on(
      'data',
      framer((frame) => {
        const e = pending.get(frame.readInt32BE(0))
        if (e) e.response = frame.toString('hex')
      }),
    )
    downstream.pipe(upstream)
    upstream.pipe(downstream)
    downstream.on('error', () => upstream.destroy())
    upstream.on('error', () => downstream.destroy())
    downstream.on('close', () => upstream.destroy())
    upstream.on('close', () => downstream.destroy())
  })
  try {
    await session(`127.0.0.1:${proxyPort}`)
  } finally {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => proxy.close(() => resolve()))
    await broker.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
  console.log(`${client}: ${exchanges.length} exchanges`)
  return exchanges
}

const TOPIC = 'fixture-topic'
const records = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    key: i % 3 === 2 ? null : `k${i}`,
    // Long enough to compress: librdkafka sends a batch uncompressed when that is smaller.
    value: i % 4 === 3 ? null : `v${i}${'.'.repeat(100)}`,
    headers: { h: `x${i}` },
  }))

async function kafkajsSession(bootstrap: string): Promise<void> {
  const kafka = new Kafka({ clientId: 'fixture-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] })
  const producer = kafka.producer()
  await producer.connect()
  for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
    await producer.send({
      topic: TOPIC,
      compression,
      messages: records(5).map((r) => ({
        key: r.key,
        value: r.value,
        headers: r.headers,
        partition: 0,
        timestamp: '1700000000000',
      })),
    })
  }
  await admin.fetchTopicOffsets(TOPIC)
  await admin.fetchTopicOffsetsByTimestamp(TOPIC, 1700000000000)
  await producer.disconnect()
  await admin.disconnect()
}

async function platformaticSession(bootstrap: string): Promise<void> {
  const admin = new Admin({ clientId: 'fixture-platformatic', bootstrapBrokers: [bootstrap] })
  await admin.createTopics({ topics: [TOPIC], partitions: 2, replicas: 1 })
  // platformatic's zstd needs Node 22's zlib; on Node 20 it refuses to compress.
  for (const compression of ['none', 'gzip', 'snappy', 'lz4'] as const) {
    const producer = new Producer({
      clientId: 'fixture-platformatic',
      bootstrapBrokers: [bootstrap],
      serializers: stringSerializers,
      compression,
    })
    await producer.send({
      messages: records(5).map((r) => ({
        topic: TOPIC,
        key: r.key ?? undefined,
        value: r.value ?? undefined,
        headers: r.headers,
        partition: 0,
        timestamp: 1700000000000n,
      })),
    })
    await producer.close()
  }
  const consumer = new Consumer({
    clientId: 'fixture-platformatic',
    groupId: 'fixture',
    bootstrapBrokers: [bootstrap],
  })
  await consumer.listOffsets({ topics: [TOPIC] })
  await consumer.listOffsets({ topics: [TOPIC], timestamp: 1700000000000n })
  const metadata = await consumer.metadata({ topics: [TOPIC] })
  const topicId = metadata.topics.get(TOPIC)!.id
  await consumer.fetch({
    node: 1,
    topics: [
      {
        topicId,
        partitions: [
          {
            partition: 0,
            fetchOffset: 0n,
            partitionMaxBytes: 1048576,
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
          },
        ],
      },
    ],
    maxWaitTime: 10,
  } as never)
  await consumer.close()
  await admin.close()
}

async function librdkafkaSession(bootstrap: string): Promise<void> {
  const script = `
import json, sys
from confluent_kafka import Producer, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
b = sys.argv[1]
a = AdminClient({'bootstrap.servers': b})
a.create_topics([NewTopic('${TOPIC}', 2, 1)])['${TOPIC}'].result(10)
for codec in ['none', 'gzip', 'snappy', 'lz4', 'zstd']:
    p = Producer({'bootstrap.servers': b, 'compression.codec': codec, 'client.id': 'fixture-librdkafka', 'linger.ms': 100})
    for i in range(5):
        p.produce('${TOPIC}', key=None if i % 3 == 2 else f'k{i}', value=None if i % 4 == 3 else f'v{i}' + '.' * 100,
                  headers=[('h', f'x{i}'.encode())], partition=0, timestamp=1700000000000)
    p.flush(10)
c = Consumer({'bootstrap.servers': b, 'group.id': 'fixture', 'client.id': 'fixture-librdkafka', 'enable.auto.commit': False})
c.assign([TopicPartition('${TOPIC}', 0, 0)])
got = 0
while got < 25:
    m = c.poll(5)
    if m is None: break
    if not m.error(): got += 1
c.offsets_for_times([TopicPartition('${TOPIC}', 0, 1700000000000)], timeout=10)
c.close()
print(got)
`
  // Asynchronously: the recording proxy lives in this process's event loop.
  const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, bootstrap], {
    timeout: 60000,
  })
  const out = stdout.trim()
  if (out !== '25') throw new Error(`librdkafka session consumed ${out} records, expected 25`)
}

const sessions: Record<string, (bootstrap: string) => Promise<void>> = {
  kafkajs: kafkajsSession,
  platformatic: platformaticSession,
  librdkafka: librdkafkaSession,
}

const only = process.argv.slice(2)
for (const [client, session] of Object.entries(sessions)) {
  if (only.length > 0 && !only.includes(client)) continue
  const exchanges = await withRecordingProxy(client, session)
  writeFileSync(join(fixturesDir, `${client}.json`), `${JSON.stringify(exchanges, null, 1)}\n`)
}
