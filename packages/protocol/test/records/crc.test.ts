import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { crc32c } from '@node-rs/crc32'
import { CompressionType, Offsets } from '../../src/records/batch-header.ts'
import { buildBatch } from '../../src/records/build-batch.ts'
import { batchCrcIsValid, computeBatchCrc, writeBatchCrc } from '../../src/records/crc.ts'

const batch = () =>
  buildBatch({
    records: [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: 1_700_000_000_000 },
      {
        key: null,
        value: Buffer.from('v2'),
        headers: [{ key: 'h', value: null }],
        timestamp: 1_700_000_000_005,
      },
    ],
  })

describe('batch CRC-32C', () => {
  it('is CRC-32C (Castagnoli): the standard check value', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283)
  })

  it('covers attributes to the end of the batch', () => {
    const b = batch()
    assert.equal(computeBatchCrc(b), crc32c(b.subarray(21)))
    assert.equal(b.readUInt32BE(Offsets.crc), computeBatchCrc(b))
    assert.ok(batchCrcIsValid(b))
  })

  it('detects a change to any byte it covers', () => {
    const b = batch()
    for (let i = 21; i < b.length; i++) {
      const tampered = Buffer.from(b)
      tampered[i] ^= 0x01
      assert.equal(batchCrcIsValid(tampered), false, `byte ${i}`)
    }
  })

  it('detects a tampered crc field', () => {
    const b = batch()
    b.writeUInt32BE((b.readUInt32BE(Offsets.crc) + 1) >>> 0, Offsets.crc)
    assert.equal(batchCrcIsValid(b), false)
  })

  it('ignores baseOffset and partitionLeaderEpoch, which the broker rewrites', () => {
    const b = batch()
    b.writeBigInt64BE(987654321n, Offsets.baseOffset)
    b.writeInt32BE(42, Offsets.partitionLeaderEpoch)
    assert.ok(batchCrcIsValid(b))
  })

  it('writeBatchCrc repairs the field after an edit, at any position', () => {
    const b = Buffer.concat([Buffer.from('xyz'), batch()])
    b.writeInt16BE(CompressionType.none | 0x08, 3 + Offsets.attributes)
    assert.equal(batchCrcIsValid(b, 3), false)
    writeBatchCrc(b, 3)
    assert.ok(batchCrcIsValid(b, 3))
  })

  it('is false, never a throw, for a batch that is not whole', () => {
    const b = batch()
    assert.equal(batchCrcIsValid(b.subarray(0, b.length - 1)), false)
    assert.equal(batchCrcIsValid(b.subarray(0, 20)), false)
    assert.equal(batchCrcIsValid(b, -1), false)
    assert.equal(batchCrcIsValid(b, 0.5), false)
    assert.equal(batchCrcIsValid(b, b.length), false)
    assert.throws(() => computeBatchCrc(b.subarray(0, 30)), RangeError)
  })
})
