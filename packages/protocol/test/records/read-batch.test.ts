import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CompressionType, Offsets, TimestampType } from '../../src/records/batch-header.ts'
import { buildBatch, type RecordInput } from '../../src/records/build-batch.ts'
import { CorruptRecordError } from '../../src/records/corrupt-record-error.ts'
import { batchCrcIsValid } from '../../src/records/crc.ts'
import { stampLogAppendTime } from '../../src/records/log-append-time.ts'
import { readBatch } from '../../src/records/read-batch.ts'
import type { KafkaRecord } from '../../src/records/record.ts'
import { validateBatch } from '../../src/records/validate-batch.ts'
import { sampleRecords } from './sample-records.ts'

const CODECS = Object.entries(CompressionType) as [string, CompressionType][]

/** What a record should read back as, given what it was built from. */
function expected(records: RecordInput[], baseOffset = 0) {
  return records.map((r, i) => ({
    offset: baseOffset + (r.offsetDelta ?? i),
    timestamp: r.timestamp,
    key: r.key == null ? null : Buffer.from(r.key),
    value: r.value == null ? null : Buffer.from(r.value),
    headers: (r.headers ?? []).map((h) => ({
      key: h.key,
      value: h.value == null ? null : Buffer.from(h.value),
    })),
  }))
}

const plain = (records: Iterable<KafkaRecord>) =>
  [...records].map((r) => ({
    ...r,
    key: r.key && Buffer.from(r.key),
    value: r.value && Buffer.from(r.value),
  }))

describe('buildBatch then readBatch', () => {
  for (const [name, compression] of CODECS) {
    it(`${name}: 500 records of every shape, header fields and records intact`, () => {
      const records = sampleRecords(500, 3)
      const buf = buildBatch({ records, compression, baseOffset: 2 ** 40 + 7, partitionLeaderEpoch: 5 })
      assert.equal(validateBatch(buf, 0, buf.length), 0)
      const batch = readBatch(buf)
      assert.equal(batch.size, buf.length)
      assert.equal(batch.magic, 2)
      assert.equal(batch.compression, compression)
      assert.equal(batch.recordCount, 500)
      assert.equal(batch.lastOffsetDelta, 499)
      assert.equal(batch.baseOffset, 2 ** 40 + 7)
      assert.equal(batch.lastOffset, 2 ** 40 + 7 + 499)
      assert.equal(batch.partitionLeaderEpoch, 5)
      assert.equal(batch.baseTimestamp, records[0].timestamp)
      assert.equal(batch.maxTimestamp, Math.max(...records.map((r) => r.timestamp as number)))
      assert.equal(batch.timestampType, TimestampType.createTime)
      assert.equal(batch.producerId, -1n)
      assert.equal(batch.producerEpoch, -1)
      assert.equal(batch.baseSequence, -1)
      assert.equal(batch.isTransactional, false)
      assert.equal(batch.isControl, false)
      assert.deepEqual(plain(batch.records()), expected(records, 2 ** 40 + 7))
      if (compression !== CompressionType.none) {
        assert.ok(buf.length < buildBatch({ records }).length, 'the records were compressed')
      }
    })
  }

  it('keeps null and empty keys, values and header values apart', () => {
    const records: RecordInput[] = [
      { key: null, value: null, timestamp: 10 },
      { key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: 10 },
      {
        value: Buffer.from('no key given'),
        headers: [{ key: 'null', value: null }, { key: 'empty' }],
        timestamp: 10,
      },
    ]
    const [a, b, c] = readBatch(buildBatch({ records })).records()
    assert.equal(a.key, null)
    assert.equal(a.value, null)
    assert.deepEqual(b.key, Buffer.alloc(0))
    assert.deepEqual(b.value, Buffer.alloc(0))
    assert.equal(c.key, null)
    assert.deepEqual(c.headers, [
      { key: 'null', value: null },
      { key: 'empty', value: null },
    ])
  })

  it('reads records as views into the batch, not copies', () => {
    const buf = buildBatch({ records: [{ key: Buffer.from('kk'), value: Buffer.from('vvv'), timestamp: 1 }] })
    const [record] = readBatch(buf).records()
    assert.equal(record.value?.buffer, buf.buffer)
  })

  it('producer and transaction fields', () => {
    const buf = buildBatch({
      records: sampleRecords(3),
      producerId: 123_456_789_012n,
      producerEpoch: 7,
      baseSequence: 2_147_483_000,
      transactional: true,
    })
    const batch = readBatch(buf)
    assert.equal(batch.producerId, 123_456_789_012n)
    assert.equal(batch.producerEpoch, 7)
    assert.equal(batch.baseSequence, 2_147_483_000)
    assert.equal(batch.isTransactional, true)
    assert.equal(batch.attributes, 0x10)
    assert.equal(validateBatch(buf, 0, buf.length), 0)
  })

  it('timestamps: an explicit baseTimestamp, deltas either way, records defaulting to now', () => {
    const before = Date.now()
    const buf = buildBatch({
      baseTimestamp: 1_000,
      records: [{ timestamp: 5_000 }, { timestamp: 999 }, { timestamp: 2 ** 45 }, {}],
    })
    const batch = readBatch(buf)
    assert.equal(batch.baseTimestamp, 1_000)
    const timestamps = [...batch.records()].map((r) => r.timestamp)
    assert.deepEqual(timestamps.slice(0, 3), [5_000, 999, 2 ** 45])
    assert.ok(timestamps[3] >= before && timestamps[3] <= Date.now())
    assert.equal(batch.maxTimestamp, 2 ** 45)
  })

  it('LogAppendTime: every record reads the batch maxTimestamp', () => {
    const buf = buildBatch({
      records: sampleRecords(4),
      timestampType: TimestampType.logAppendTime,
      logAppendTime: 1_800_000_000_000,
    })
    const batch = readBatch(buf)
    assert.equal(batch.timestampType, TimestampType.logAppendTime)
    assert.equal(batch.maxTimestamp, 1_800_000_000_000)
    assert.deepEqual(
      [...batch.records()].map((r) => r.timestamp),
      [1_800_000_000_000, 1_800_000_000_000, 1_800_000_000_000, 1_800_000_000_000],
    )
  })

  it('stampLogAppendTime turns a produced batch into a LogAppendTime one with a valid CRC', () => {
    const buf = buildBatch({ records: sampleRecords(5), compression: CompressionType.lz4 })
    stampLogAppendTime(buf, 1_900_000_000_000)
    assert.ok(batchCrcIsValid(buf))
    assert.equal(validateBatch(buf, 0, buf.length), 0)
    const batch = readBatch(buf)
    assert.equal(batch.compression, CompressionType.lz4)
    assert.equal(batch.timestampType, TimestampType.logAppendTime)
    assert.ok([...batch.records()].every((r) => r.timestamp === 1_900_000_000_000))
  })

  it('an empty batch: legal to build and read, refused from a client', () => {
    for (const compression of [CompressionType.none, CompressionType.gzip, CompressionType.snappy]) {
      const buf = buildBatch({ records: [], compression })
      const batch = readBatch(buf)
      assert.equal(batch.recordCount, 0)
      assert.equal(batch.lastOffsetDelta, -1)
      assert.equal(batch.maxTimestamp, -1)
      assert.deepEqual([...batch.records()], [])
      assert.equal(validateBatch(buf, 0, buf.length), 87)
      assert.equal(validateBatch(buf, 0, buf.length, { origin: 'internal' }), 0)
    }
    assert.equal(buildBatch({ records: [] }).length, 61)
  })

  it('offset gaps and a kept lastOffsetDelta, as a log cleaner writes them', () => {
    const records = [
      { value: Buffer.from('a'), timestamp: 1, offsetDelta: 0 },
      { value: Buffer.from('b'), timestamp: 2, offsetDelta: 5 },
      { value: Buffer.from('c'), timestamp: 3, offsetDelta: 9 },
    ]
    const buf = buildBatch({ records, baseOffset: 100, lastOffsetDelta: 12 })
    const batch = readBatch(buf)
    assert.equal(batch.lastOffsetDelta, 12)
    assert.equal(batch.lastOffset, 112)
    assert.deepEqual(
      [...batch.records()].map((r) => r.offset),
      [100, 105, 109],
    )
    assert.equal(validateBatch(buf, 0, buf.length, { origin: 'internal' }), 0)
    assert.equal(validateBatch(buf, 0, buf.length), 87, 'a client batch must have no gaps')
    const emptied = buildBatch({ records: [], lastOffsetDelta: 12 })
    assert.equal(readBatch(emptied).lastOffsetDelta, 12)
    assert.equal(validateBatch(emptied, 0, emptied.length, { origin: 'internal' }), 0)
  })

  it('refuses inputs that cannot be encoded', () => {
    assert.throws(() => buildBatch({ records: [{ offsetDelta: 1 }, { offsetDelta: 1 }] }), RangeError)
    assert.throws(() => buildBatch({ records: [{ offsetDelta: -1 }] }), RangeError)
    assert.throws(() => buildBatch({ records: [{}, {}], lastOffsetDelta: 0 }), RangeError)
    assert.throws(() => buildBatch({ records: [{ timestamp: 1.5 }] }), RangeError)
    assert.throws(() => buildBatch({ records: [], compression: 6 as CompressionType }), RangeError)
  })

  for (const [name, compression] of CODECS) {
    it(`${name}: a large batch (20 000 records, some of 100 KiB)`, () => {
      const records = sampleRecords(20_000, 9)
      for (let i = 0; i < records.length; i += 2_000) records[i].value = Buffer.alloc(100 * 1024, i & 0xff)
      const buf = buildBatch({ records, compression })
      assert.equal(validateBatch(buf, 0, buf.length), 0)
      const batch = readBatch(buf)
      assert.equal(batch.lastOffsetDelta, 19_999)
      let n = 0
      for (const record of batch.records()) {
        const input = records[n]
        assert.equal(record.offset, n)
        assert.deepEqual(record.value, input.value == null ? null : Buffer.from(input.value))
        n++
      }
      assert.equal(n, 20_000)
    })
  }
})

describe('readBatch on bytes that lie', () => {
  const good = () => buildBatch({ records: sampleRecords(3, 2) })

  const assertCorrupt = (fn: () => unknown, message: RegExp) =>
    assert.throws(fn, (err: unknown) => err instanceof CorruptRecordError && message.test(err.message))

  it('refuses a header that is not whole, runs past the buffer, or is not magic 2', () => {
    const buf = good()
    assertCorrupt(() => readBatch(buf.subarray(0, 60)), /no batch header/)
    assertCorrupt(() => readBatch(buf.subarray(0, buf.length - 1)), /claims/)
    assertCorrupt(() => readBatch(buf, 1), /claims|no batch header/)
    const v1 = Buffer.from(buf)
    v1[Offsets.magic] = 1
    assertCorrupt(() => readBatch(v1), /magic 1/)
  })

  it('reads a batch at an offset inside a larger buffer', () => {
    const a = good()
    const b = buildBatch({ records: [{ value: Buffer.from('second'), timestamp: 9 }], baseOffset: 3 })
    const joined = Buffer.concat([a, b])
    const batch = readBatch(joined, a.length)
    assert.equal(batch.baseOffset, 3)
    assert.deepEqual(batch.bytes(), b)
    assert.equal([...batch.records()][0].value?.toString(), 'second')
  })

  it('a record count above the records present', () => {
    const buf = good()
    buf.writeInt32BE(4, Offsets.recordCount)
    const records = readBatch(buf).records()
    for (let i = 0; i < 3; i++) records.next()
    assertCorrupt(() => records.next(), /runs past|record length/)
    assert.deepEqual(records.next(), { done: true, value: undefined }, 'the iterator ends after an error')
  })

  it('a record count below the records present leaves bytes over', () => {
    const buf = good()
    buf.writeInt32BE(2, Offsets.recordCount)
    assertCorrupt(() => [...readBatch(buf).records()], /bytes left after/)
  })

  it('a negative record count', () => {
    const buf = good()
    buf.writeInt32BE(-1, Offsets.recordCount)
    assertCorrupt(() => readBatch(buf).records(), /claims -1 records/)
  })

  it('a record length that disagrees with its fields', () => {
    const buf = good()
    // The first record's length varint is the byte after the header (records are short).
    buf[61] += 2
    assertCorrupt(() => [...readBatch(buf).records()], /claims|bytes left|runs past/)
    const shorter = good()
    shorter[61] -= 2
    assertCorrupt(() => [...readBatch(shorter).records()], /claims|bytes left|runs past|length/)
  })

  it('a key length past the record end', () => {
    const buf = buildBatch({ records: [{ key: Buffer.from('abc'), value: null, timestamp: 0 }] })
    // length, attributes, timestampDelta, offsetDelta, then keyLength (3 -> zig-zag 6).
    assert.equal(buf[65], 6)
    buf[65] = 40
    assertCorrupt(() => [...readBatch(buf).records()], /field length 20/)
  })

  it('a negative header count, a negative header key length', () => {
    const buf = buildBatch({ records: [{ headers: [{ key: 'k', value: null }], timestamp: 0 }] })
    // length, attributes, tsDelta, offsetDelta, key -1, value -1, headerCount at 67
    assert.equal(buf[67], 2)
    const negCount = Buffer.from(buf)
    negCount[67] = 1
    assertCorrupt(() => [...readBatch(negCount).records()], /-1 headers/)
    const negKey = Buffer.from(buf)
    negKey[68] = 1
    assertCorrupt(() => [...readBatch(negKey).records()], /header key length -1/)
  })

  it('an unknown codec, or a payload that does not decompress, fails when records are asked for', () => {
    const buf = buildBatch({ records: sampleRecords(3), compression: CompressionType.zstd })
    const codec7 = Buffer.from(buf)
    codec7.writeInt16BE(7, Offsets.attributes)
    const batch = readBatch(codec7)
    assert.equal(batch.compression, 7)
    assertCorrupt(() => batch.records(), /unsupported compression type 7/)
    const garbled = Buffer.from(buf)
    garbled.fill(0x55, 70, 80)
    assertCorrupt(() => [...readBatch(garbled).records()], /zstd/)
  })

  it('maxDecompressedBytes bounds what records() will inflate', () => {
    const buf = buildBatch({
      records: [{ value: Buffer.alloc(1 << 20), timestamp: 0 }],
      compression: CompressionType.gzip,
    })
    assertCorrupt(() => readBatch(buf, 0, { maxDecompressedBytes: 1000 }).records(), /more than 1000 bytes/)
    assert.equal([...readBatch(buf).records()][0].value?.length, 1 << 20)
  })
})
