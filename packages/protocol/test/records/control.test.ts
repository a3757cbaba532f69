import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildBatch } from '../../src/records/build-batch.ts'
import { buildControlBatch, ControlRecordType, readControlRecord } from '../../src/records/control.ts'
import { CorruptRecordError } from '../../src/records/corrupt-record-error.ts'
import { batchCrcIsValid } from '../../src/records/crc.ts'
import { readBatch } from '../../src/records/read-batch.ts'
import { validateBatch } from '../../src/records/validate-batch.ts'

const marker = (type: 'ABORT' | 'COMMIT') =>
  buildControlBatch({
    type,
    producerId: 4242n,
    producerEpoch: 3,
    coordinatorEpoch: 17,
    timestamp: 1_700_000_000_000,
    baseOffset: 500,
  })

describe('control batches', () => {
  for (const type of ['ABORT', 'COMMIT'] as const) {
    it(`${type}: one marker record in a transactional control batch`, () => {
      const buf = marker(type)
      assert.ok(batchCrcIsValid(buf))
      const batch = readBatch(buf)
      assert.equal(batch.isControl, true)
      assert.equal(batch.isTransactional, true)
      assert.equal(batch.attributes, 0x30)
      assert.equal(batch.producerId, 4242n)
      assert.equal(batch.producerEpoch, 3)
      assert.equal(batch.baseSequence, -1)
      assert.equal(batch.baseOffset, 500)
      assert.equal(batch.recordCount, 1)
      assert.equal(batch.lastOffsetDelta, 0)
      assert.equal(batch.baseTimestamp, 1_700_000_000_000)
      assert.equal(batch.maxTimestamp, 1_700_000_000_000)
      const [record, ...rest] = batch.records()
      assert.equal(rest.length, 0)
      assert.equal(record.offset, 500)
      // key: version 0, type; value: version 0, coordinatorEpoch 17
      assert.equal(record.key?.toString('hex'), type === 'ABORT' ? '00000000' : '00000001')
      assert.equal(record.value?.toString('hex'), '000000000011')
      assert.deepEqual(readControlRecord(record), { type, version: 0, coordinatorEpoch: 17 })
    })
  }

  it('is refused from a client and accepted from the broker itself', () => {
    const buf = marker('COMMIT')
    assert.equal(validateBatch(buf, 0, buf.length), 87)
    assert.equal(validateBatch(buf, 0, buf.length, { origin: 'internal' }), 0)
  })

  it('reads the KRaft types by name and anything else as UNKNOWN', () => {
    const key = (type: number, version = 0) => {
      const k = Buffer.alloc(4)
      k.writeInt16BE(version, 0)
      k.writeInt16BE(type, 2)
      return k
    }
    assert.deepEqual(
      readControlRecord({ key: key(ControlRecordType.LEADER_CHANGE), value: Buffer.alloc(20) }),
      {
        type: 'LEADER_CHANGE',
        version: 0,
      },
    )
    assert.deepEqual(readControlRecord({ key: key(99, 1), value: null }), { type: 'UNKNOWN', version: 1 })
    assert.deepEqual(readControlRecord({ key: key(-3), value: null }), { type: 'UNKNOWN', version: 0 })
    // A newer marker version with more fields still gives its coordinator epoch.
    const value = Buffer.from('0001000000090000', 'hex')
    assert.deepEqual(readControlRecord({ key: key(1, 0), value }), {
      type: 'COMMIT',
      version: 0,
      coordinatorEpoch: 9,
    })
  })

  it('refuses a short key, a negative version and a short marker value', () => {
    assert.throws(() => readControlRecord({ key: null, value: null }), CorruptRecordError)
    assert.throws(
      () => readControlRecord({ key: Buffer.from('0000', 'hex'), value: null }),
      CorruptRecordError,
    )
    assert.throws(() => readControlRecord({ key: Buffer.from('ffff0000', 'hex'), value: null }), /version -1/)
    assert.throws(
      () => readControlRecord({ key: Buffer.from('00000000', 'hex'), value: Buffer.alloc(5) }),
      /ABORT/,
    )
  })

  it('a data batch is not a control batch', () => {
    const batch = readBatch(
      buildBatch({ records: [{ value: Buffer.from('x'), timestamp: 0 }], transactional: true }),
    )
    assert.equal(batch.isControl, false)
    assert.equal(batch.isTransactional, true)
  })
})
