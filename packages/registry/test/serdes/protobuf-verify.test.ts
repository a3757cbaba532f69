import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseProtobuf } from '../../src/formats/protobuf.ts'
import { verifyProtobufValue } from '../../src/serdes/protobuf-verify.ts'

const schema = parseProtobuf(
  `syntax = "proto3";
enum Kind { A = 0; B = 1; }
message Item { string sku = 1; int64 qty = 2; }
message Order { repeated Item items = 1; map<string, int32> tags = 2; Kind kind = 3; bytes blob = 4; double total = 5; }`,
  [],
)
const Order = schema.root.lookupType('Order')

describe('verifyProtobufValue', () => {
  it('accepts what protobufjs encodes faithfully: enum names, 64-bit strings, bytes', () => {
    const value = {
      items: [{ sku: 'a', qty: '9007199254740993' }],
      tags: { x: 1 },
      kind: 'B',
      blob: Buffer.from([1]),
      total: 2.5,
    }
    assert.equal(verifyProtobufValue(Order, value), undefined)
    assert.equal(verifyProtobufValue(Order, { kind: 1, items: [{ qty: 5n }] }), undefined)
  })

  it('names the first field that does not fit', () => {
    assert.equal(
      verifyProtobufValue(Order, { items: [{ sku: 3 }] }),
      'items[0].sku: a string expected, got 3',
    )
    assert.equal(
      verifyProtobufValue(Order, { kind: 'C' }),
      'kind: one of A, B (or its number) expected, got "C"',
    )
    assert.equal(verifyProtobufValue(Order, { tags: { x: 'y' } }), 'tags[x]: an integer expected, got "y"')
    assert.equal(verifyProtobufValue(Order, { items: {} }), 'items: an array expected')
    assert.equal(verifyProtobufValue(Order, { total: '1' }), 'total: a number expected, got "1"')
    assert.equal(verifyProtobufValue(Order, 'x'), 'the value: an object expected')
  })
})
