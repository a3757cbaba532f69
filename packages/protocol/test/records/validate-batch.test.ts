import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CompressionType, Offsets } from '../../src/records/batch-header.ts'
import { buildBatch } from '../../src/records/build-batch.ts'
import { writeBatchCrc } from '../../src/records/crc.ts'
import { BatchValidationCode, validateBatch } from '../../src/records/validate-batch.ts'
import { sampleRecords } from './sample-records.ts'

const { NONE, CORRUPT_MESSAGE, UNSUPPORTED_COMPRESSION_TYPE, INVALID_RECORD } = BatchValidationCode

const good = (compression: CompressionType = CompressionType.none) =>
  buildBatch({ records: sampleRecords(10, 4), compression })

/** A batch edited after building, with its CRC made right again: only the edit is wrong. */
function edited(edit: (buf: Buffer) => void, compression?: CompressionType): Buffer {
  const buf = good(compression)
  edit(buf)
  writeBatchCrc(buf)
  return buf
}

const check = (buf: Buffer, options?: { origin?: 'client' | 'internal' }) =>
  validateBatch(buf, 0, buf.length, options)

describe('validateBatch', () => {
  it('uses Kafka error codes', () => {
    assert.deepEqual(BatchValidationCode, {
      NONE: 0,
      CORRUPT_MESSAGE: 2,
      UNSUPPORTED_COMPRESSION_TYPE: 76,
      INVALID_RECORD: 87,
    })
  })

  for (const [name, compression] of Object.entries(CompressionType)) {
    it(`accepts a well-formed ${name} batch`, () => {
      assert.equal(check(good(compression)), NONE)
    })
  }

  it('accepts a batch inside a larger buffer when given its bounds', () => {
    const batch = good()
    const framed = Buffer.concat([Buffer.from('head'), batch, Buffer.from('tail')])
    assert.equal(validateBatch(framed, 4, 4 + batch.length), NONE)
  })

  it('CORRUPT_MESSAGE for every truncation', () => {
    const buf = good()
    for (let end = 0; end < buf.length; end++)
      assert.equal(validateBatch(buf, 0, end), CORRUPT_MESSAGE, `end ${end}`)
  })

  it('INVALID_RECORD for bytes after the batch: Produce v3+ carries exactly one', () => {
    const buf = good()
    assert.equal(validateBatch(Buffer.concat([buf, buf]), 0, buf.length * 2), INVALID_RECORD)
    assert.equal(validateBatch(Buffer.concat([buf, Buffer.alloc(1)]), 0, buf.length + 1), INVALID_RECORD)
  })

  it('CORRUPT_MESSAGE for a batchLength below the header size or past the end', () => {
    // batchLength is outside the CRC: no CRC to repair.
    const size = good().length
    for (const batchLength of [48, -1, -2147483648, size - 12 + 1, 2147483647]) {
      const buf = good()
      buf.writeInt32BE(batchLength, Offsets.batchLength)
      assert.equal(check(buf), CORRUPT_MESSAGE, `batchLength ${batchLength}`)
    }
  })

  it('CORRUPT_MESSAGE for a CRC mismatch anywhere the CRC covers', () => {
    const buf = good(CompressionType.snappy)
    for (let i = 17; i < buf.length; i++) {
      const tampered = Buffer.from(buf)
      tampered[i] ^= 0x80
      assert.equal(check(tampered), CORRUPT_MESSAGE, `byte ${i}`)
    }
  })

  it('accepts a rewritten baseOffset and partitionLeaderEpoch (outside the CRC)', () => {
    const buf = good()
    buf.writeBigInt64BE(1234n, Offsets.baseOffset)
    buf.writeInt32BE(9, Offsets.partitionLeaderEpoch)
    assert.equal(check(buf), NONE)
  })

  it('magic: 0 and 1 are INVALID_RECORD, anything else but 2 CORRUPT_MESSAGE', () => {
    assert.equal(check(edited((b) => b.writeInt8(0, Offsets.magic))), INVALID_RECORD)
    assert.equal(check(edited((b) => b.writeInt8(1, Offsets.magic))), INVALID_RECORD)
    assert.equal(check(edited((b) => b.writeInt8(3, Offsets.magic))), CORRUPT_MESSAGE)
    assert.equal(check(edited((b) => b.writeInt8(-1, Offsets.magic))), CORRUPT_MESSAGE)
  })

  it('UNSUPPORTED_COMPRESSION_TYPE for codec bits 5..7', () => {
    for (const codec of [5, 6, 7]) {
      assert.equal(
        check(edited((b) => b.writeInt16BE(codec, Offsets.attributes))),
        UNSUPPORTED_COMPRESSION_TYPE,
      )
    }
  })

  it('client rules on counts: recordCount > 0 and lastOffsetDelta + 1 == recordCount', () => {
    assert.equal(check(edited((b) => b.writeInt32BE(0, Offsets.recordCount))), INVALID_RECORD)
    assert.equal(check(edited((b) => b.writeInt32BE(-5, Offsets.recordCount))), INVALID_RECORD)
    assert.equal(check(edited((b) => b.writeInt32BE(9, Offsets.recordCount))), INVALID_RECORD)
    assert.equal(check(edited((b) => b.writeInt32BE(10, Offsets.lastOffsetDelta))), INVALID_RECORD)
    assert.equal(check(edited((b) => b.writeInt32BE(-1, Offsets.lastOffsetDelta))), INVALID_RECORD)
  })

  it('internal origin: empty and gapped batches pass, impossible counts do not', () => {
    const internal = { origin: 'internal' } as const
    assert.equal(
      check(
        edited((b) => b.writeInt32BE(9, Offsets.recordCount)),
        internal,
      ),
      NONE,
    )
    assert.equal(
      check(
        edited((b) => b.writeInt32BE(20, Offsets.lastOffsetDelta)),
        internal,
      ),
      NONE,
    )
    assert.equal(
      check(
        edited((b) => b.writeInt32BE(-1, Offsets.recordCount)),
        internal,
      ),
      CORRUPT_MESSAGE,
    )
    assert.equal(
      check(
        edited((b) => b.writeInt32BE(8, Offsets.lastOffsetDelta)),
        internal,
      ),
      CORRUPT_MESSAGE,
    )
  })

  it('CORRUPT_MESSAGE when an uncompressed batch is too short for its record count', () => {
    const buf = edited((b) => {
      b.writeInt32BE(1_000_000, Offsets.recordCount)
      b.writeInt32BE(999_999, Offsets.lastOffsetDelta)
    })
    assert.equal(check(buf), CORRUPT_MESSAGE)
    // Compressed, the count cannot be weighed against the bytes without decompressing.
    const gz = edited((b) => {
      b.writeInt32BE(1_000_000, Offsets.recordCount)
      b.writeInt32BE(999_999, Offsets.lastOffsetDelta)
    }, CompressionType.gzip)
    assert.equal(check(gz), NONE)
  })

  it('INVALID_RECORD for a control batch from a client', () => {
    assert.equal(check(edited((b) => b.writeInt16BE(0x30, Offsets.attributes))), INVALID_RECORD)
    assert.equal(
      check(
        edited((b) => b.writeInt16BE(0x30, Offsets.attributes)),
        { origin: 'internal' },
      ),
      NONE,
    )
  })

  it('INVALID_RECORD for a producerId without a baseSequence', () => {
    assert.equal(check(edited((b) => b.writeBigInt64BE(77n, Offsets.producerId))), INVALID_RECORD)
    const idempotent = buildBatch({
      records: sampleRecords(2),
      producerId: 77n,
      producerEpoch: 0,
      baseSequence: 0,
    })
    assert.equal(check(idempotent), NONE)
  })

  it('never throws on bad arguments', () => {
    const buf = good()
    for (const [pos, end] of [
      [-1, buf.length],
      [0, buf.length + 1],
      [Number.NaN, buf.length],
      [0, Number.NaN],
      [0.5, buf.length],
      [0, Number.POSITIVE_INFINITY],
      [buf.length, buf.length],
      [10, 5],
    ]) {
      assert.equal(validateBatch(buf, pos, end), CORRUPT_MESSAGE, `${pos}..${end}`)
    }
  })
})
