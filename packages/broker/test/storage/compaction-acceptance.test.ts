// Issue 3 acceptance for log compaction, through a real broker and a real client: 100,000 updates
// over 1,000 keys and 100 tombstones, produced with @platformatic/kafka to a compacted topic with
// small segments; the broker's own cleaner (its timer, as in production) compacts it; a consumer
// reading from offset 0 with Consumer.fetch then sees exactly the latest value of each live key,
// each at the offset it was produced at, and no deleted key. Also: a keyless record is refused on a
// compacted topic, and `__consumer_offsets` is compacted and still gives committed offsets back
// after a restart.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Admin, Consumer, Producer } from '@platformatic/kafka'
import { buildBatch, ErrorCode, readBatch } from '@runnel/protocol'
import { brokerInternals } from '../../src/broker.ts'
import { type RunningBroker, startBroker } from '../../src/index.ts'
import type { DiskPartitionLog } from '../../src/storage/partition-log.ts'
import { makeTempDir, removeDir, sleep } from '../helpers/broker.ts'
import { WireClient } from '../helpers/wire-client.ts'

const TOPIC = 'compacted-acceptance'
const KEYS = 1000
const UPDATES = 100_000
const TOMBSTONES = 100
const PER_SEND = 1000

const key = (k: number) => `key-${String(k).padStart(4, '0')}`

const brokerOptions = (dataDir: string) => ({
  port: 0,
  host: '127.0.0.1',
  dataDir,
  logLevel: 'silent' as const,
  brokerConfigs: {
    'log.cleaner.backoff.ms': '100',
    'offsets.topic.num.partitions': '1',
    'offsets.topic.segment.bytes': '2048',
  },
})

interface SeenRecord {
  offset: number
  key: string
  value: string | null
}

/** Every record of partition 0 from offset 0 to the high watermark, with Consumer.fetch. */
async function readFromStart(consumer: Consumer, topicId: string, node: number): Promise<SeenRecord[]> {
  const out: SeenRecord[] = []
  let offset = 0n
  for (;;) {
    const response = await consumer.fetch({
      node,
      maxWaitTime: 10,
      minBytes: 1,
      maxBytes: 8 * 1024 * 1024,
      topics: [
        {
          topicId,
          partitions: [
            {
              partition: 0,
              fetchOffset: offset,
              partitionMaxBytes: 4 * 1024 * 1024,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        },
      ],
    })
    const part = response.responses[0].partitions[0]
    assert.equal(part.errorCode, 0)
    assert.equal(part.logStartOffset, 0n, 'compaction never moves the log start')
    for (const batch of part.records ?? []) {
      for (const record of batch.records) {
        const at = batch.firstOffset + BigInt(record.offsetDelta)
        if (at < offset) continue
        out.push({ offset: Number(at), key: String(record.key), value: record.value?.toString() ?? null })
      }
      // Compaction leaves holes, and batches with no records: the next fetch starts after the batch.
      const next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n
      if (next > offset) offset = next
    }
    if (offset >= part.highWatermark) return out
  }
}

describe('log compaction through the broker (issue 3 acceptance)', () => {
  let dataDir: string
  let running: RunningBroker
  let admin: Admin
  let producer: Producer
  let consumer: Consumer
  const client = (clientId: string) => ({
    clientId,
    bootstrapBrokers: [running.bootstrap],
    retries: 2,
    retryDelay: 100,
    timeout: 20_000,
  })

  before(async () => {
    dataDir = await makeTempDir('compaction')
    running = await startBroker(brokerOptions(dataDir))
    admin = new Admin(client('compaction-admin'))
    producer = new Producer({ ...client('compaction-producer'), idempotent: false, acks: -1 })
    consumer = new Consumer({ ...client('compaction-consumer'), groupId: 'unused-no-group-api' })
  })

  after(async () => {
    await Promise.allSettled([admin?.close(), producer?.close(), consumer?.close()])
    await running?.close()
    await removeDir(dataDir)
  })

  it('leaves the latest value of each live key, at its offset, for a consumer reading from the start', async (t) => {
    await admin.createTopics({
      topics: [TOPIC],
      partitions: 1,
      replicas: 1,
      configs: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.bytes', value: '65536' },
        { name: 'min.cleanable.dirty.ratio', value: '0.01' },
        { name: 'delete.retention.ms', value: '0' },
      ],
    })
    const log = brokerInternals(running).topics.partition(TOPIC, 0) as DiskPartitionLog
    const send = async (messages: { key: string; value: string | null }[]) => {
      const r = await producer.send({
        messages: messages.map((m) => ({
          topic: TOPIC,
          partition: 0,
          key: Buffer.from(m.key),
          value: m.value === null ? null : Buffer.from(m.value),
        })) as never,
      })
      return Number(r.offsets![0].offset)
    }
    // The cleaner runs from its timer all along (every 100 ms), so it also cleans while we produce.
    for (let i = 0; i < UPDATES; i += PER_SEND) {
      const base = await send(
        Array.from({ length: PER_SEND }, (_, k) => ({ key: key((i + k) % KEYS), value: `value-${i + k}` })),
      )
      assert.equal(base, i)
    }
    const tombstones = await send(
      Array.from({ length: TOMBSTONES }, (_, k) => ({ key: key(k), value: null })),
    )
    assert.equal(tombstones, UPDATES)
    // Records of other keys after them, until the tombstones are out of the active segment (the
    // cleaner never touches it).
    const tail: { offset: number; key: string; value: string }[] = []
    while (log.segmentBaseOffsets().at(-1)! <= UPDATES + TOMBSTONES - 1) {
      const batch = Array.from({ length: 200 }, (_, k) => ({
        key: `after-${tail.length + k}`,
        value: `tail-${tail.length + k}`,
      }))
      const base = await send(batch)
      for (const [k, m] of batch.entries()) tail.push({ offset: base + k, ...m })
    }
    const expected: SeenRecord[] = []
    for (let k = TOMBSTONES; k < KEYS; k++)
      expected.push({ offset: UPDATES - KEYS + k, key: key(k), value: `value-${UPDATES - KEYS + k}` })
    expected.push(...tail)

    // Wait for the broker's cleaner: the dirty data, then (delete.retention.ms=0) the tombstones.
    const metadata = await consumer.metadata({ topics: [TOPIC], forceUpdate: true })
    const topic = metadata.topics.get(TOPIC)!
    let seen: SeenRecord[] = []
    const deadline = Date.now() + 30_000
    for (;;) {
      seen = await readFromStart(consumer, topic.id, topic.partitions[0].leader)
      if (seen.length === expected.length || Date.now() > deadline) break
      await sleep(200)
    }
    assert.deepEqual(seen, expected)

    const stats = brokerInternals(running).logs.stats()
    const size = log.sizeInBytes
    t.diagnostic(
      `cleanings ${stats.cleanerRuns}, read ${stats.cleanerBytesRead} B in ${Math.round(stats.cleanerTimeMs)} ms ` +
        `(${(stats.cleanerBytesRead / 1e6 / (stats.cleanerTimeMs / 1000)).toFixed(1)} MB/s), ` +
        `reclaimed ${stats.cleanerBytesReclaimed} B of ${stats.appendedBytes} B appended, log now ${size} B`,
    )
    assert.ok(stats.cleanerBytesReclaimed > 0.9 * (stats.appendedBytes - size))
    assert.equal(stats.uncleanablePartitions, 0)
  })

  it('refuses a record without a key on a compacted topic (INVALID_RECORD)', async () => {
    const wire = await WireClient.connect(running.port)
    try {
      const end = brokerInternals(running).topics.partition(TOPIC, 0)!.logEndOffset
      const response = await wire.request(0, 9, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [
          {
            name: TOPIC,
            partitionData: [
              {
                index: 0,
                records: buildBatch({
                  records: [
                    { key: Buffer.from('k'), value: Buffer.from('v') },
                    { key: null, value: Buffer.from('no key') },
                  ],
                }),
              },
            ],
          },
        ],
      })
      const partition = response.responses[0].partitionResponses[0]
      assert.equal(partition.errorCode, ErrorCode.INVALID_RECORD)
      assert.deepEqual(
        partition.recordErrors?.map((e) => e.batchIndex),
        [1],
      )
      assert.match(partition.errorMessage ?? '', /Compacted topic cannot accept message without key/)
      assert.equal(brokerInternals(running).topics.partition(TOPIC, 0)!.logEndOffset, end, 'nothing stored')
    } finally {
      wire.close()
    }
  })

  it('compacts __consumer_offsets and still gives the committed offsets back after a restart', async () => {
    const wire = await WireClient.connect(running.port)
    // Three groups, each committing partition 0 three hundred times: three keys, 900 records.
    const groups = ['g-0', 'g-1', 'g-2']
    const commit = (group: string, offset: number) =>
      wire.request(8, 8, {
        groupId: group,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [
          {
            name: TOPIC,
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: BigInt(offset),
                committedLeaderEpoch: -1,
                committedMetadata: '',
              },
            ],
          },
        ],
      })
    try {
      for (let i = 0; i < 300; i++) {
        for (const [g, group] of groups.entries()) {
          const r = await commit(group, i * 10 + g)
          assert.equal(r.topics[0].partitions[0].errorCode, ErrorCode.NONE)
        }
      }
    } finally {
      wire.close()
    }
    const offsetsLog = brokerInternals(running).topics.partition('__consumer_offsets', 0) as DiskPartitionLog
    const deadline = Date.now() + 20_000
    const recordsIn = (log: DiskPartitionLog) => {
      let n = 0
      let offset = log.logStartOffset
      while (offset < log.logEndOffset) {
        const r = log.read(offset, 1 << 20, { minOneBatch: true })
        assert.equal(r.kind, 'ok')
        if (r.kind !== 'ok') break
        for (const bytes of r.batches) {
          const batch = readBatch(bytes, 0)
          n += batch.recordCount
          offset = batch.lastOffset + 1
        }
      }
      return n
    }
    // Once cleaned, only the active segment (2 KiB) holds more than one record per key.
    while (recordsIn(offsetsLog) > 3 * 40 && Date.now() < deadline) await sleep(100)
    assert.ok(
      recordsIn(offsetsLog) <= 3 * 40,
      `__consumer_offsets still holds ${recordsIn(offsetsLog)} records`,
    )
    assert.ok(offsetsLog.segmentCount > 1)

    await running.close()
    running = await startBroker({ ...brokerOptions(dataDir), port: 0 })
    const again = await WireClient.connect(running.port)
    try {
      for (const [g, group] of groups.entries()) {
        const fetched = await again.request(9, 5, {
          groupId: group,
          topics: [{ name: TOPIC, partitionIndexes: [0] }],
        })
        assert.equal(fetched.topics?.[0].partitions[0].committedOffset, BigInt(2990 + g), group)
      }
    } finally {
      again.close()
    }
  })
})
