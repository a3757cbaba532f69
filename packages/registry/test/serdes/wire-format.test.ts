import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRegistryError } from '../../src/errors.ts'
import {
  decodeMessageIndexes,
  decodeWireFormat,
  encodeMessageIndexes,
  encodeWireFormat,
} from '../../src/serdes/wire-format.ts'

describe('Confluent wire format', () => {
  it('writes magic byte 0 and the id big-endian before the payload', () => {
    const bytes = encodeWireFormat(258, Buffer.from([0xaa, 0xbb]))
    assert.deepEqual([...bytes], [0, 0, 0, 1, 2, 0xaa, 0xbb])
    assert.deepEqual(decodeWireFormat(bytes), { schemaId: 258, payload: Buffer.from([0xaa, 0xbb]) })
  })

  it('writes message indexes as zigzag varints, [0] as a single zero byte', () => {
    assert.deepEqual([...encodeMessageIndexes([0])], [0])
    assert.deepEqual([...encodeMessageIndexes([1])], [2, 2])
    assert.deepEqual([...encodeMessageIndexes([0, 2])], [4, 0, 4])
    assert.deepEqual([...encodeMessageIndexes([70])], [2, 0x8c, 0x01])
    const bytes = encodeWireFormat(5, Buffer.from([9]), [1, 0])
    assert.deepEqual([...bytes], [0, 0, 0, 0, 5, 4, 2, 0, 9])
    assert.deepEqual(decodeMessageIndexes(decodeWireFormat(bytes).payload), {
      indexes: [1, 0],
      message: Buffer.from([9]),
    })
    assert.deepEqual(decodeMessageIndexes(Buffer.from([0, 7])), { indexes: [0], message: Buffer.from([7]) })
    assert.deepEqual(decodeMessageIndexes(Buffer.from([2, 0x8c, 0x01])).indexes, [70])
  })

  it('refuses records too short or with another magic byte', () => {
    assert.throws(
      () => decodeWireFormat(Buffer.from([0, 0, 1])),
      (error: unknown) =>
        isRegistryError(error, 'SERDES_MALFORMED_PAYLOAD') &&
        /^The record is 3 bytes long/.test(error.message),
    )
    assert.throws(
      () => decodeWireFormat(Buffer.from('{"id":1}')),
      (error: unknown) =>
        isRegistryError(error, 'SERDES_BAD_MAGIC_BYTE') &&
        error.message ===
          'Unknown magic byte 0x7b: the record is not in the Confluent wire format (it starts with "{\\"id\\":1}")',
    )
  })

  it('refuses message indexes that run past the end', () => {
    assert.throws(() => decodeMessageIndexes(Buffer.from([4, 2])), /run past the end/)
  })
})
