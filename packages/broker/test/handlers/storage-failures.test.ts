// What clients and operators see when a partition's storage fails (storage/errors.ts,
// handlers/storage-failures.ts), over the wire: a log offline after an I/O failure answers
// KAFKA_STORAGE_ERROR to Fetch and Produce, shows in Metadata (offlineReplicas), in /health (503,
// which partition and why) and in /metrics; corrupt bytes answer CORRUPT_MESSAGE to the fetch that
// meets them; a defect answers UNKNOWN_SERVER_ERROR to its request. In every case the other
// partitions of the same request are served, and the broker stays up.
import assert from 'node:assert/strict'
import { closeSync, openSync, readdirSync, statSync, truncateSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { buildBatch, ErrorCode } from '@runnel/protocol'
import { brokerInternals } from '../../src/broker.ts'
import { type RunningBroker, startBroker } from '../../src/index.ts'
import { partitionDir } from '../../src/storage/file-names.ts'
import { makeTempDir, removeDir } from '../helpers/broker.ts'
import { WireClient } from '../helpers/wire-client.ts'

const TOPIC = 'fragile'
const PARTITIONS = 3
const BATCHES = 40
const PER_BATCH = 50

async function produce(client: WireClient, partition: number, records: number) {
  const r = await client.request(0, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [
      {
        name: TOPIC,
        partitionData: [
          {
            index: partition,
            records: buildBatch({
              records: Array.from({ length: records }, (_, i) => ({
                key: Buffer.from(`k${i}`),
                value: Buffer.alloc(300, i),
              })),
            }),
          },
        ],
      },
    ],
  })
  return r.responses[0].partitionResponses[0].errorCode as number
}

async function fetchAll(client: WireClient): Promise<Map<number, { errorCode: number; bytes: number }>> {
  const r = await client.request(1, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 64 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: TOPIC,
        partitions: Array.from({ length: PARTITIONS }, (_, partition) => ({
          partition,
          currentLeaderEpoch: -1,
          fetchOffset: 0n,
          logStartOffset: -1n,
          partitionMaxBytes: 1024 * 1024,
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  })
  const out = new Map<number, { errorCode: number; bytes: number }>()
  for (const p of r.responses[0].partitions) {
    const records = p.records as Buffer | Buffer[] | null
    const bytes = Array.isArray(records) ? records.reduce((n, b) => n + b.length, 0) : (records?.length ?? 0)
    out.set(p.partitionIndex, { errorCode: p.errorCode, bytes })
  }
  return out
}

const segmentFile = (dataDir: string, partition: number) => {
  const dir = partitionDir(dataDir, TOPIC, partition)
  return join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!)
}

describe('storage failures as clients and operators see them', () => {
  let dataDir: string
  let broker: RunningBroker
  let client: WireClient

  before(async () => {
    dataDir = await makeTempDir('storage-failures')
    const start = () => startBroker({ port: 0, host: '127.0.0.1', dataDir, httpPort: 0, logLevel: 'silent' })
    broker = await start()
    client = await WireClient.connect(broker.port)
    const created = await client.request(19, 4, {
      topics: [
        { name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 5000,
      validateOnly: false,
    })
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE)
    for (let p = 0; p < PARTITIONS; p++)
      for (let b = 0; b < BATCHES; b++) assert.equal(await produce(client, p, PER_BATCH), ErrorCode.NONE)
    client.close()
    await broker.close()
    // Corrupt partition 2's first batch while the broker is down: the restart trusts the segment
    // (clean shutdown) and checks only its tail, so the first cold read meets the damage.
    const fd = openSync(segmentFile(dataDir, 2), 'r+')
    const length = Buffer.alloc(4)
    length.writeInt32BE(3)
    writeSync(fd, length, 0, 4, 8) // the first batch's length: 3 bytes, not a batch
    closeSync(fd)
    broker = await start()
    client = await WireClient.connect(broker.port)
    // Partition 1's file loses its end under the running broker, as a failing disk would lose it:
    // the restart left the tail cache empty, so the fetch reads the file.
    const one = segmentFile(dataDir, 1)
    truncateSync(one, statSync(one).size - 100)
  })
  after(async () => {
    client?.close()
    await broker?.close()
    await removeDir(dataDir)
  })

  it('Fetch: the offline partition answers KAFKA_STORAGE_ERROR, the corrupt one CORRUPT_MESSAGE, the sound one its records', async () => {
    const fetched = await fetchAll(client)
    assert.equal(fetched.get(0)?.errorCode, ErrorCode.NONE)
    assert.ok((fetched.get(0)?.bytes ?? 0) > 500_000, 'partition 0 is read, cold, across its segment')
    assert.equal(fetched.get(1)?.errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
    assert.equal(fetched.get(2)?.errorCode, ErrorCode.CORRUPT_MESSAGE)
    // Corruption fails the request, not the log: a fetch further on is served.
    const again = await fetchAll(client)
    assert.equal(again.get(2)?.errorCode, ErrorCode.CORRUPT_MESSAGE)
    assert.equal(again.get(1)?.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'offline until restart')
  })

  it('Produce: the offline partition answers KAFKA_STORAGE_ERROR; the others append', async () => {
    assert.equal(await produce(client, 1, 1), ErrorCode.KAFKA_STORAGE_ERROR)
    assert.equal(await produce(client, 0, 1), ErrorCode.NONE)
    assert.equal(await produce(client, 2, 1), ErrorCode.NONE, 'corrupt data elsewhere does not stop appends')
  })

  it('Metadata lists the offline replica; /health says degraded, which partition and why; /metrics counts it', async () => {
    const metadata = await client.request(3, 12, {
      topics: [{ name: TOPIC, topicId: '00000000-0000-0000-0000-000000000000' }],
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
    })
    const partitions = metadata.topics[0].partitions
    const nodeId = metadata.brokers[0].nodeId
    assert.deepEqual(
      [...partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.offlineReplicas),
      [[], [nodeId], []],
    )
    const health = await fetch(`http://127.0.0.1:${broker.httpPort}/health`)
    assert.equal(health.status, 503)
    const body = (await health.json()) as {
      status: string
      offlinePartitions: { topic: string; partition: number; errno: string; reason: string }[]
    }
    assert.equal(body.status, 'degraded')
    assert.equal(body.offlinePartitions.length, 1)
    assert.deepEqual(
      { ...body.offlinePartitions[0], reason: undefined },
      { topic: TOPIC, partition: 1, errno: 'short read', reason: undefined },
    )
    assert.match(body.offlinePartitions[0].reason, /short read of .*fragile-1.*\.log/)
    const metrics = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text()
    assert.match(metrics, /^runnel_broker_offline_partitions 1$/m)
    assert.match(metrics, /^runnel_broker_partition_offline\{topic="fragile",partition="1"\} 1$/m)
  })

  it('a defect in a read answers UNKNOWN_SERVER_ERROR for that partition only; the next fetch is served', async () => {
    const log = brokerInternals(broker).topics.get(TOPIC)!.partitions[0] as unknown as {
      readCached: (...args: unknown[]) => unknown
    }
    const readCached = log.readCached
    log.readCached = () => {
      throw new TypeError('a programming error in the tail cache')
    }
    try {
      const fetched = await fetchAll(client)
      assert.equal(fetched.get(0)?.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR)
      assert.equal(fetched.get(1)?.errorCode, ErrorCode.KAFKA_STORAGE_ERROR)
    } finally {
      log.readCached = readCached
    }
    assert.equal((await fetchAll(client)).get(0)?.errorCode, ErrorCode.NONE)
    const health = (await (await fetch(`http://127.0.0.1:${broker.httpPort}/health`)).json()) as {
      offlinePartitions: unknown[]
    }
    assert.equal(health.offlinePartitions.length, 1, 'a defect takes nothing offline')
  })
})
