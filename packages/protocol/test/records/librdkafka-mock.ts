// librdkafka's mock cluster (python3-confluent-kafka, librdkafka 2.x) as a third-party
// Kafka to exchange record batches with: librdkafka produces batches into it that we fetch
// and read, and we produce batches into it that librdkafka's consumer fetches and decodes.
// A tiny hand-written client speaks just Produce v7 and Fetch v4 (classic encodings) so
// these tests depend on nothing but the batch format itself.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { iterateBatches } from '../../src/records/iterate-batches.ts'

const PYTHON = '/usr/bin/python3'

/** A JSON-friendly record: bytes as hex, null for null. */
export interface HexRecord {
  key: string | null
  value: string | null
  headers: [string, string | null][]
  timestamp: number
}

// The python side: start a mock cluster, have librdkafka produce `produce` (per codec) and a
// seed message into each topic we will produce to, print the bootstrap address, wait for a
// line on stdin, then consume `consume` topics with check.crcs and print what it decoded.
const SCRIPT = `
import json, sys
from confluent_kafka import Consumer, Producer, TopicPartition
req = json.loads(sys.stdin.readline())
first = Producer({'test.mock.num.brokers': 1, 'log_level': 0})
md = first.list_topics(timeout=10)
broker = md.brokers[list(md.brokers)[0]]
bootstrap = '%s:%d' % (broker.host, broker.port)
def unhex(v):
    return None if v is None else bytes.fromhex(v)
# One batch per codec however slow this loop runs (flush() sends at once): a linger that ran out
# mid-loop on a loaded machine split off a small batch that librdkafka sent uncompressed.
for codec, records in req['produce'].items():
    p = Producer({'bootstrap.servers': bootstrap, 'compression.codec': codec, 'linger.ms': 5000, 'log_level': 0})
    for r in records:
        p.produce('rd-' + codec, partition=0, value=unhex(r['value']), key=unhex(r['key']),
                  headers=[(k, unhex(v)) for k, v in r['headers']], timestamp=r['timestamp'])
    assert p.flush(10) == 0
seed = Producer({'bootstrap.servers': bootstrap, 'log_level': 0})
for topic in req['consume']:
    seed.produce(topic, partition=0, value=b'seed')
assert seed.flush(10) == 0
print(json.dumps({'bootstrap': bootstrap}), flush=True)
sys.stdin.readline()
out = {}
for topic, count in req['consume'].items():
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'g-' + topic, 'check.crcs': True,
                  'enable.auto.commit': False, 'log_level': 0})
    c.assign([TopicPartition(topic, 0, 0)])
    got = []
    while len(got) < count + 1:
        m = c.poll(10)
        if m is None:
            break
        if m.error():
            got.append({'error': str(m.error())})
            break
        got.append({'offset': m.offset(), 'timestamp': m.timestamp()[1],
                    'key': None if m.key() is None else m.key().hex(),
                    'value': None if m.value() is None else m.value().hex(),
                    'headers': [[k, None if v is None else v.hex()] for k, v in (m.headers() or [])]})
    c.close()
    out[topic] = got[1:]
print(json.dumps(out), flush=True)
`

export interface MockCluster {
  bootstrap: { host: string; port: number }
  /** Lets librdkafka consume; resolves with what it decoded, per topic (seed message dropped). */
  consume(): Promise<Record<string, (HexRecord & { offset: number })[]>>
  kill(): void
}

export async function startMockCluster(
  produce: Record<string, HexRecord[]>,
  consume: Record<string, number>,
): Promise<MockCluster> {
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, ['-c', SCRIPT])
  let stderr = ''
  child.stderr.on('data', (d) => {
    stderr += d
  })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const nextLine = async (what: string) => {
    const line = await lines.next()
    if (line.done) throw new Error(`python exited before ${what}: ${stderr}`)
    return JSON.parse(line.value)
  }
  child.stdin.write(`${JSON.stringify({ produce, consume })}\n`)
  const { bootstrap } = (await nextLine('the bootstrap address')) as { bootstrap: string }
  const [host, port] = bootstrap.split(':')
  return {
    bootstrap: { host, port: Number(port) },
    async consume() {
      child.stdin.write('go\n')
      return await nextLine('consuming')
    },
    kill() {
      child.kill()
    },
  }
}

/** One connection; requests answered in order, as Kafka does. */
export class KafkaConnection {
  private readonly socket: Socket
  private buffered = Buffer.alloc(0)
  private readonly waiting: ((body: Buffer) => void)[] = []
  private correlationId = 0

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk) => {
      this.buffered = Buffer.concat([this.buffered, chunk])
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0)
        const frame = this.buffered.subarray(4, 4 + size)
        this.buffered = this.buffered.subarray(4 + size)
        this.waiting.shift()?.(frame.subarray(4)) // after the correlation id (response header v0)
      }
    })
  }

  static open(host: string, port: number): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new KafkaConnection(socket)))
      socket.once('error', reject)
    })
  }

  request(apiKey: number, apiVersion: number, body: Buffer): Promise<Buffer> {
    const header = Buffer.alloc(10 + 6)
    header.writeInt16BE(apiKey, 0)
    header.writeInt16BE(apiVersion, 2)
    header.writeInt32BE(++this.correlationId, 4)
    header.writeInt16BE(6, 8)
    header.write('runnel', 10, 'latin1')
    const size = Buffer.alloc(4)
    size.writeInt32BE(header.length + body.length)
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      this.socket.write(Buffer.concat([size, header, body]))
    })
  }

  close(): void {
    this.socket.destroy()
  }
}

const int16 = (n: number) => {
  const b = Buffer.alloc(2)
  b.writeInt16BE(n)
  return b
}
const int32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}
const int64 = (n: bigint) => {
  const b = Buffer.alloc(8)
  b.writeBigInt64BE(n)
  return b
}
const string = (s: string) => Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)])

/** Produce v7 of one batch to partition 0 of `topic`; resolves with the partition error code. */
export async function produce(conn: KafkaConnection, topic: string, batch: Buffer): Promise<number> {
  // transactional_id, acks, timeout, [topic [partition, records]]
  const body = Buffer.concat([
    int16(-1),
    int16(-1),
    int32(10_000),
    int32(1),
    string(topic),
    int32(1),
    int32(0),
    int32(batch.length),
    batch,
  ])
  const r = await conn.request(0, 7, body)
  // [name [index, error_code, base_offset, log_append_time, log_start_offset]], throttle
  const nameLength = r.readInt16BE(4)
  return r.readInt16BE(4 + 2 + nameLength + 4 + 4)
}

/** Fetch v4 of partition 0 of `topic` from offset 0; resolves with its records bytes. */
/**
 * Every batch of partition 0 of `topic`, fetched until the high watermark: the mock may answer
 * one batch per Fetch, and librdkafka may have split a send into several batches.
 */
export async function fetchRecords(conn: KafkaConnection, topic: string): Promise<Buffer> {
  const parts: Buffer[] = []
  let offset = 0n
  for (let round = 0; round < 100; round++) {
    const { records, highWatermark } = await fetchOnce(conn, topic, offset)
    let next = offset
    for (const { pos, size } of iterateBatches(records)) {
      parts.push(records.subarray(pos, pos + size))
      next = records.readBigInt64BE(pos) + BigInt(records.readInt32BE(pos + 23)) + 1n
    }
    if (next >= highWatermark || next === offset) break
    offset = next
  }
  return Buffer.concat(parts)
}

async function fetchOnce(
  conn: KafkaConnection,
  topic: string,
  offset: bigint,
): Promise<{ records: Buffer; highWatermark: bigint }> {
  // replica_id, max_wait, min_bytes, max_bytes, isolation_level, [topic [partition, offset, max_bytes]]
  const body = Buffer.concat([
    int32(-1),
    int32(100),
    int32(1),
    int32(16 * 1024 * 1024),
    Buffer.from([0]),
    int32(1),
    string(topic),
    int32(1),
    int32(0),
    int64(offset),
    int32(16 * 1024 * 1024),
  ])
  const r = await conn.request(1, 4, body)
  // throttle, [topic [partition, error, high_watermark, last_stable_offset, aborted[], records]]
  let pos = 4 + 4
  pos += 2 + r.readInt16BE(pos) + 4 + 4
  const error = r.readInt16BE(pos)
  if (error !== 0) throw new Error(`fetch ${topic}: error ${error}`)
  const highWatermark = r.readBigInt64BE(pos + 2)
  pos += 2 + 8 + 8
  const aborted = r.readInt32BE(pos)
  pos += 4 + Math.max(0, aborted) * 16
  const length = r.readInt32BE(pos)
  return { records: r.subarray(pos + 4, pos + 4 + Math.max(0, length)), highWatermark }
}
