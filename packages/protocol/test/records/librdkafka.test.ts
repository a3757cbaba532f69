import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { CompressionType } from '../../src/records/batch-header.ts'
import { buildBatch, type RecordInput } from '../../src/records/build-batch.ts'
import { iterateBatches } from '../../src/records/iterate-batches.ts'
import { readBatch } from '../../src/records/read-batch.ts'
import { validateBatch } from '../../src/records/validate-batch.ts'
import { pythonUnavailable } from './kafka-python.ts'
import {
  fetchRecords,
  type HexRecord,
  KafkaConnection,
  type MockCluster,
  produce,
  startMockCluster,
} from './librdkafka-mock.ts'
import { sampleRecords } from './sample-records.ts'

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const

const toHex = (r: RecordInput): HexRecord => ({
  key: r.key == null ? null : Buffer.from(r.key).toString('hex'),
  value: r.value == null ? null : Buffer.from(r.value).toString('hex'),
  headers: (r.headers ?? []).map((h) => [
    h.key,
    h.value == null ? null : Buffer.from(h.value).toString('hex'),
  ]),
  timestamp: r.timestamp as number,
})

// librdkafka sends only what compresses, so values are long and repetitive.
const inputs = (seed: number) =>
  sampleRecords(30, seed).map((r, i) => ({
    ...r,
    value: i % 7 === 3 ? null : Buffer.from(`value ${i} `.repeat(20)),
  }))

describe('record batches exchanged with librdkafka (mock cluster)', { skip: pythonUnavailable }, () => {
  let cluster: MockCluster
  let conn: KafkaConnection
  const theirs = Object.fromEntries(CODECS.map((codec, i) => [codec, inputs(100 + i)]))
  const ours = Object.fromEntries(CODECS.map((codec, i) => [codec, inputs(200 + i)]))

  before(async () => {
    cluster = await startMockCluster(
      Object.fromEntries(CODECS.map((codec) => [codec, theirs[codec].map(toHex)])),
      Object.fromEntries(CODECS.map((codec) => [`ours-${codec}`, ours[codec].length])),
    )
    conn = await KafkaConnection.open(cluster.bootstrap.host, cluster.bootstrap.port)
  })
  after(() => {
    conn?.close()
    cluster?.kill()
  })

  for (const codec of CODECS) {
    it(`reads the ${codec} batches librdkafka produced`, async () => {
      const bytes = await fetchRecords(conn, `rd-${codec}`)
      const read: HexRecord[] = []
      let offset = 0
      for (const { pos, size } of iterateBatches(bytes)) {
        assert.equal(validateBatch(bytes, pos, pos + size), 0)
        const batch = readBatch(bytes, pos)
        assert.equal(batch.compression, CompressionType[codec], 'librdkafka compressed it')
        // The shapes this covers, which our own writer never produces:
        const payload = bytes.subarray(pos + 61, pos + size)
        if (codec === 'snappy') assert.notEqual(payload[0], 0x82, 'raw snappy, not snappy-java framing')
        if (codec === 'zstd') assert.equal(payload[4] & 0xc0, 0, 'a zstd frame without its content size')
        for (const record of batch.records()) {
          assert.equal(record.offset, offset++)
          read.push(toHex(record))
        }
      }
      assert.deepEqual(read, theirs[codec].map(toHex))
    })
  }

  it('librdkafka decodes the batches we produce, every codec', async () => {
    for (const codec of CODECS) {
      const batch = buildBatch({ records: ours[codec], compression: CompressionType[codec] })
      assert.equal(await produce(conn, `ours-${codec}`, batch), 0, `produce ${codec}`)
    }
    const consumed = await cluster.consume()
    for (const codec of CODECS) {
      assert.deepEqual(
        consumed[`ours-${codec}`],
        // offset 0 holds the seed message that created the topic
        ours[codec].map((r, i) => ({ offset: i + 1, ...toHex(r) })),
        codec,
      )
    }
  })
})
