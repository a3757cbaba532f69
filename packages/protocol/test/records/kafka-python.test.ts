import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { CompressionType } from '../../src/records/batch-header.ts'
import { buildBatch, type RecordInput } from '../../src/records/build-batch.ts'
import { buildControlBatch } from '../../src/records/control.ts'
import { readBatch } from '../../src/records/read-batch.ts'
import type { KafkaRecord } from '../../src/records/record.ts'
import { validateBatch } from '../../src/records/validate-batch.ts'
import { pythonUnavailable, runPython } from './kafka-python.ts'
import type { HexRecord } from './librdkafka-mock.ts'
import { sampleRecords } from './sample-records.ts'

const CODECS = Object.entries(CompressionType) as [keyof typeof CompressionType, CompressionType][]

const toHex = (r: RecordInput | KafkaRecord): HexRecord => ({
  key: r.key == null ? null : Buffer.from(r.key).toString('hex'),
  value: r.value == null ? null : Buffer.from(r.value).toString('hex'),
  headers: (r.headers ?? []).map((h) => [
    h.key,
    h.value == null ? null : Buffer.from(h.value).toString('hex'),
  ]),
  timestamp: r.timestamp as number,
})
const fromHex = (r: HexRecord): RecordInput => ({
  key: r.key === null ? null : Buffer.from(r.key, 'hex'),
  value: r.value === null ? null : Buffer.from(r.value, 'hex'),
  headers: r.headers.map(([key, value]) => ({
    key,
    value: value === null ? null : Buffer.from(value, 'hex'),
  })),
  timestamp: r.timestamp,
})

interface PythonBatchSpec {
  codec: number
  records: HexRecord[]
  transactional?: boolean
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
}

/** kafka-python's DefaultRecordBatchBuilder, as its producer uses it (offsets 0..N-1). */
const BUILD = `
import json, sys
from kafka.record.default_records import DefaultRecordBatchBuilder
out = []
for spec in json.load(sys.stdin):
    b = DefaultRecordBatchBuilder(magic=2, compression_type=spec['codec'],
        is_transactional=spec.get('transactional', False), producer_id=spec.get('producerId', -1),
        producer_epoch=spec.get('producerEpoch', -1), base_sequence=spec.get('baseSequence', -1),
        batch_size=1 << 30)
    for i, r in enumerate(spec['records']):
        unhex = lambda v: None if v is None else bytes.fromhex(v)
        assert b.append(i, r['timestamp'], unhex(r['key']), unhex(r['value']),
                        [(k, unhex(v)) for k, v in r['headers']]) is not None
    out.append(bytes(b.build()).hex())
print(json.dumps(out))
`

/** kafka-python's DefaultRecordBatch reading our bytes: header, CRC check, every record. */
const READ = `
import json, sys
from kafka.record.default_records import DefaultRecordBatch
out = []
for h in json.load(sys.stdin):
    batch = DefaultRecordBatch(bytes.fromhex(h))
    crc_ok = batch.validate_crc()
    hd = batch._header_data
    records = [{'offset': r.offset, 'timestamp': r.timestamp,
                'key': None if r.key is None else r.key.hex(),
                'value': None if r.value is None else r.value.hex(),
                'headers': [[k, None if v is None else v.hex()] for k, v in r.headers]} for r in batch]
    out.append({'crcOk': crc_ok, 'compression': batch.compression_type, 'baseOffset': batch.base_offset,
                'lastOffsetDelta': batch.last_offset_delta, 'transactional': batch.is_transactional,
                'control': batch.is_control_batch, 'firstTimestamp': batch.first_timestamp,
                'maxTimestamp': batch.max_timestamp, 'producerId': hd[9], 'producerEpoch': hd[10],
                'baseSequence': hd[11], 'records': records})
print(json.dumps(out))
`

const FIXTURE = new URL('./fixtures/kafka-python-batches.json', import.meta.url)

interface Fixture {
  source: string
  batches: { codec: string; hex: string; records: HexRecord[] }[]
}

function assertReads(hex: string, codec: CompressionType, records: HexRecord[]): void {
  const buf = Buffer.from(hex, 'hex')
  assert.equal(validateBatch(buf, 0, buf.length), 0)
  const batch = readBatch(buf)
  assert.equal(batch.compression, codec, 'kafka-python kept the codec (it falls back to none when useless)')
  assert.equal(batch.recordCount, records.length)
  assert.equal(batch.lastOffsetDelta, records.length - 1)
  assert.equal(batch.baseTimestamp, records[0].timestamp)
  assert.equal(batch.maxTimestamp, Math.max(...records.map((r) => r.timestamp)))
  const read = [...batch.records()]
  assert.deepEqual(
    read.map((r) => r.offset),
    records.map((_, i) => i),
  )
  assert.deepEqual(read.map(toHex), records)
}

describe('kafka-python batches captured as fixtures', () => {
  // Written by kafka-python 2.0.2; regenerate with RUNNEL_WRITE_FIXTURES=1 (needs python).
  const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture
  it('holds one batch per codec', () => {
    assert.deepEqual(
      fixture.batches.map((b) => b.codec),
      CODECS.map(([name]) => name),
    )
  })
  for (const { codec, hex, records } of fixture.batches) {
    it(`reads the ${codec} batch`, () => {
      assertReads(hex, CompressionType[codec as keyof typeof CompressionType], records)
    })
  }
})

describe('record batches against kafka-python', { skip: pythonUnavailable }, () => {
  const inputs = (seed: number) => sampleRecords(40, seed).map(toHex)

  it('reads what DefaultRecordBatchBuilder writes, every codec', () => {
    // Two records of each shape sampleRecords makes: enough, and a small fixture.
    const specs = CODECS.map(([, codec], i) => ({ codec, records: sampleRecords(14, 10 + i).map(toHex) }))
    const written = runPython<string[]>(BUILD, specs)
    specs.forEach((spec, i) => {
      assertReads(written[i], spec.codec, spec.records)
    })
    if (process.env.RUNNEL_WRITE_FIXTURES) {
      const fixture: Fixture = {
        source: 'kafka-python 2.0.2 DefaultRecordBatchBuilder (see kafka-python.test.ts)',
        batches: specs.map((spec, i) => ({ codec: CODECS[i][0], hex: written[i], records: spec.records })),
      }
      writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 1)}\n`)
    }
  })

  it('reads its idempotent and transactional header fields', () => {
    const spec: PythonBatchSpec = {
      codec: CompressionType.lz4,
      records: inputs(20),
      transactional: true,
      producerId: 9_876_543_210,
      producerEpoch: 12,
      baseSequence: 1_000,
    }
    const [hex] = runPython<string[]>(BUILD, [spec])
    const batch = readBatch(Buffer.from(hex, 'hex'))
    assert.equal(batch.isTransactional, true)
    assert.equal(batch.producerId, 9_876_543_210n)
    assert.equal(batch.producerEpoch, 12)
    assert.equal(batch.baseSequence, 1_000)
  })

  it('writes the same bytes as DefaultRecordBatchBuilder for the same uncompressed batch', () => {
    const records = inputs(30)
    const [theirs] = runPython<string[]>(BUILD, [
      { codec: 0, records, transactional: true, producerId: 77, producerEpoch: 2, baseSequence: 5 },
    ])
    const ours = buildBatch({
      records: records.map(fromHex),
      partitionLeaderEpoch: 0, // kafka-python leaves 0 where the broker's epoch goes
      transactional: true,
      producerId: 77n,
      producerEpoch: 2,
      baseSequence: 5,
    })
    assert.equal(ours.toString('hex'), theirs)
  })

  it('DefaultRecordBatch reads what buildBatch writes, every codec', () => {
    const cases = CODECS.map(([, codec], i) => ({ codec, records: inputs(30 + i) }))
    const hexes = cases.map(({ codec, records }, i) =>
      buildBatch({
        records: records.map(fromHex),
        compression: codec,
        baseOffset: 1_000 * (i + 1),
        producerId: 4_000_000_000n + BigInt(i),
        producerEpoch: 3,
        baseSequence: 50,
      }).toString('hex'),
    )
    const read = runPython<Record<string, unknown>[]>(READ, hexes)
    cases.forEach(({ codec, records }, i) => {
      assert.deepEqual(read[i], {
        crcOk: true,
        compression: codec,
        baseOffset: 1_000 * (i + 1),
        lastOffsetDelta: records.length - 1,
        transactional: false,
        control: false,
        firstTimestamp: records[0].timestamp,
        maxTimestamp: Math.max(...records.map((r) => r.timestamp)),
        producerId: 4_000_000_000 + i,
        producerEpoch: 3,
        baseSequence: 50,
        records: records.map((r, n) => ({ offset: 1_000 * (i + 1) + n, ...r })),
      })
    })
  })

  it('DefaultRecordBatch reads our control batch as a transactional control batch', () => {
    const hex = buildControlBatch({
      type: 'ABORT',
      producerId: 31n,
      producerEpoch: 4,
      coordinatorEpoch: 8,
      timestamp: 1_700_000_000_000,
      baseOffset: 70,
    }).toString('hex')
    const [read] = runPython<Record<string, unknown>[]>(READ, [hex])
    assert.deepEqual(read, {
      crcOk: true,
      compression: 0,
      baseOffset: 70,
      lastOffsetDelta: 0,
      transactional: true,
      control: true,
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_000,
      producerId: 31,
      producerEpoch: 4,
      baseSequence: -1,
      records: [
        { offset: 70, timestamp: 1_700_000_000_000, key: '00000000', value: '000000000008', headers: [] },
      ],
    })
  })
})
