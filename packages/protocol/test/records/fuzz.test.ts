// Garbage in, never a crash out: validateBatch and iterateBatches must not throw on any
// bytes, and reading records may only fail with CorruptRecordError.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CompressionType, Offsets } from '../../src/records/batch-header.ts'
import { buildBatch } from '../../src/records/build-batch.ts'
import { CorruptRecordError } from '../../src/records/corrupt-record-error.ts'
import { writeBatchCrc } from '../../src/records/crc.ts'
import { iterateBatches } from '../../src/records/iterate-batches.ts'
import { readBatch } from '../../src/records/read-batch.ts'
import { validateBatch } from '../../src/records/validate-batch.ts'
import { prng, sampleRecords } from './sample-records.ts'

const CODES = new Set([0, 2, 76, 87])
const seeds = Object.values(CompressionType).map((compression) =>
  buildBatch({ records: sampleRecords(6, 40 + compression), compression }),
)

type Rand = () => number

function randomBytes(rand: Rand, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length)
  for (let i = 0; i < length; i++) buf[i] = Math.floor(rand() * 256)
  return buf
}

/** Random bytes, or a valid batch mutated (flips, truncation, lying length fields). */
function fuzzInput(rand: Rand, i: number): Buffer {
  if (i % 5 === 0) return randomBytes(rand, Math.floor(rand() * 300))
  const buf = Buffer.from(seeds[i % seeds.length])
  const flips = Math.floor(rand() * 4)
  for (let f = 0; f < flips; f++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256)
  if (i % 3 === 0) buf.writeInt32BE(Math.floor(rand() * 2 ** 32) - 2 ** 31, Offsets.recordCount)
  if (i % 7 === 0) buf.writeInt32BE(Math.floor(rand() * 400) - 50, Offsets.batchLength)
  return i % 4 === 0 ? buf.subarray(0, Math.floor(rand() * buf.length)) : buf
}

describe('fuzz', () => {
  it('validateBatch answers a known code for 5000 garbage inputs, never throws', () => {
    const rand = prng(2024)
    const seen = new Set<number>()
    for (let i = 0; i < 5000; i++) {
      const buf = fuzzInput(rand, i)
      const code = validateBatch(buf, 0, buf.length)
      assert.ok(CODES.has(code), `input ${i}: code ${code}`)
      seen.add(code)
      // Arbitrary bounds too.
      const pos = Math.floor(rand() * (buf.length + 2)) - 1
      assert.ok(CODES.has(validateBatch(buf, pos, Math.floor(rand() * (buf.length + 2)))))
    }
    assert.ok(seen.has(2) && seen.has(87), 'the inputs reached the checks')
  })

  it('iterateBatches stays inside its bounds for 5000 garbage logs, never throws', () => {
    const rand = prng(77)
    for (let i = 0; i < 5000; i++) {
      const log = Buffer.concat([fuzzInput(rand, i), fuzzInput(rand, i + 1), fuzzInput(rand, i + 2)])
      let expectedPos = 0
      for (const { pos, size } of iterateBatches(log)) {
        assert.equal(pos, expectedPos)
        assert.ok(size >= 61 && pos + size <= log.length)
        expectedPos = pos + size
      }
    }
  })

  it('reading records of batches that pass the CRC fails only with CorruptRecordError', () => {
    const rand = prng(99)
    let read = 0
    let corrupt = 0
    for (let i = 0; i < 3000; i++) {
      const buf = Buffer.from(seeds[i % seeds.length])
      // Mutate what lies under the CRC, then repair the CRC so the reader sees the damage.
      const flips = 1 + Math.floor(rand() * 3)
      for (let f = 0; f < flips; f++)
        buf[21 + Math.floor(rand() * (buf.length - 21))] = Math.floor(rand() * 256)
      writeBatchCrc(buf)
      assert.ok(CODES.has(validateBatch(buf, 0, buf.length, { origin: i % 2 ? 'client' : 'internal' })))
      try {
        for (const record of readBatch(buf).records()) assert.ok(record.headers.length >= 0)
        read++
      } catch (err) {
        if (!(err instanceof CorruptRecordError)) throw err
        corrupt++
      }
    }
    assert.ok(corrupt > 1000, `only ${corrupt} of 3000 damaged batches were found corrupt`)
    assert.equal(read + corrupt, 3000)
  })
})
