import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CorruptRecordError } from '../../src/records/corrupt-record-error.ts'
import {
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
  zigzagDecode32,
  zigzagEncode32,
} from '../../src/records/varint.ts'
import { pythonUnavailable, runPython } from './kafka-python.ts'

const hexOfVarint = (n: number) => {
  const buf = Buffer.alloc(5)
  return buf.subarray(0, writeVarint(buf, 0, n)).toString('hex')
}
const hexOfVarlong = (n: number) => {
  const buf = Buffer.alloc(10)
  return buf.subarray(0, writeVarlong(buf, 0, n)).toString('hex')
}

// Encodings from zig-zag + LEB128 by hand for the varints; the varlongs as kafka-python's
// encode_varint writes them (the live cross-check below covers more).
const VARINTS: [number, string][] = [
  [0, '00'],
  [-1, '01'],
  [1, '02'],
  [-2, '03'],
  [63, '7e'],
  [-64, '7f'],
  [64, '8001'],
  [300, 'd804'],
  [2147483647, 'feffffff0f'],
  [-2147483648, 'ffffffff0f'],
]
const VARLONGS: [number, string][] = [
  [2147483648, '8080808010'],
  [-2147483649, '8180808010'],
  [1700000000000, '80a0abfef962'],
  [-1700000000000, 'ff9fabfef962'],
  [2 ** 52, '8080808080808010'],
]

describe('record varints', () => {
  it('zig-zag maps small magnitudes to small numbers', () => {
    assert.deepEqual([0, -1, 1, -2, 2].map(zigzagEncode32), [0, 1, 2, 3, 4])
    assert.equal(zigzagEncode32(-2147483648), 0xffffffff)
    assert.deepEqual([0, 1, 2, 3, 4, 0xffffffff].map(zigzagDecode32), [0, -1, 1, -2, 2, -2147483648])
  })

  for (const [n, hex] of VARINTS) {
    it(`varint ${n} is ${hex} and reads back`, () => {
      assert.equal(hexOfVarint(n), hex)
      assert.equal(sizeOfVarint(n), hex.length / 2)
      assert.equal(hexOfVarlong(n), hex, 'a varlong in the int32 range is encoded the same')
      const cursor = { buf: Buffer.from(hex, 'hex'), pos: 0 }
      assert.equal(readVarint(cursor, cursor.buf.length), n)
      assert.equal(cursor.pos, hex.length / 2)
    })
  }

  for (const [n, hex] of VARLONGS) {
    it(`varlong ${n} is ${hex} and reads back`, () => {
      assert.equal(hexOfVarlong(n), hex)
      assert.equal(sizeOfVarlong(n), hex.length / 2)
      const cursor = { buf: Buffer.from(hex, 'hex'), pos: 0 }
      assert.equal(readVarlong(cursor, cursor.buf.length), n)
      assert.equal(cursor.pos, hex.length / 2)
    })
  }

  it('random values round trip', () => {
    const buf = Buffer.alloc(10)
    for (let i = 0; i < 20_000; i++) {
      const n32 = (Math.random() * 2 ** 32) | 0
      let end = writeVarint(buf, 0, n32)
      assert.equal(end, sizeOfVarint(n32))
      assert.equal(readVarint({ buf, pos: 0 }, end), n32)
      const n64 = Math.round((Math.random() - 0.5) * 2 ** (1 + Math.floor(Math.random() * 52))) || 0
      end = writeVarlong(buf, 0, n64)
      assert.equal(end, sizeOfVarlong(n64))
      assert.equal(readVarlong({ buf, pos: 0 }, end), n64)
    }
  })

  it('a varint cut short, or longer than 5 bytes, is corrupt', () => {
    assert.throws(() => readVarint({ buf: Buffer.from('8080', 'hex'), pos: 0 }, 2), CorruptRecordError)
    // The bound is the record's end, not the buffer's.
    assert.throws(() => readVarint({ buf: Buffer.from('d804', 'hex'), pos: 0 }, 1), CorruptRecordError)
    assert.throws(() => readVarint({ buf: Buffer.from('808080808001', 'hex'), pos: 0 }, 6), /longer than 5/)
    assert.throws(
      () => readVarlong({ buf: Buffer.from('80'.repeat(10) + '01', 'hex'), pos: 0 }, 11),
      /longer than 10/,
    )
    assert.throws(() => readVarlong({ buf: Buffer.alloc(0), pos: 0 }, 0), CorruptRecordError)
  })

  it('drops bits past 32 in the fifth byte, as Kafka does', () => {
    assert.equal(readVarint({ buf: Buffer.from('ffffffff7f', 'hex'), pos: 0 }, 5), -2147483648)
  })

  it('matches kafka-python for timestamps and lengths', { skip: pythonUnavailable }, () => {
    const values = [
      0,
      1,
      -1,
      127,
      -128,
      8191,
      2 ** 31 - 1,
      -(2 ** 31),
      2 ** 31,
      1_700_000_000_123,
      -86_400_000,
    ]
    const theirs = runPython<string[]>(
      `
import json, sys
from kafka.record.util import encode_varint
out = []
for v in json.load(sys.stdin):
    b = bytearray()
    encode_varint(v, b.append)
    out.append(b.hex())
print(json.dumps(out))
`,
      values,
    )
    assert.deepEqual(values.map(hexOfVarlong), theirs)
  })
})
