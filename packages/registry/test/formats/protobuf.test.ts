import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRegistryError } from '../../src/errors.ts'
import { parseProtobuf } from '../../src/formats/protobuf.ts'
import type { ResolvedReference } from '../../src/schema-types.ts'

describe('parseProtobuf', () => {
  it('numbers the messages of the file, nested ones inside their parent, enums not counted', () => {
    const parsed = parseProtobuf(
      `syntax = "proto3";
package shop.orders;
enum Status { NEW = 0; }
message Order {
  message Line { string sku = 1; }
  enum Kind { A = 0; }
  message Total { int64 cents = 1; message Tax { int32 rate = 1; } }
  repeated Line lines = 1;
}
message Refund { string reason = 1; }`,
      [],
    )
    assert.equal(parsed.package, 'shop.orders')
    assert.equal(parsed.syntax, 'proto3')
    assert.deepEqual(
      parsed.messages.map((message) => [message.fullName, message.indexes]),
      [
        ['shop.orders.Order', [0]],
        ['shop.orders.Order.Line', [0, 0]],
        ['shop.orders.Order.Total', [0, 1]],
        ['shop.orders.Order.Total.Tax', [0, 1, 0]],
        ['shop.orders.Refund', [1]],
      ],
    )
    assert.deepEqual(parsed.enums, ['Status', 'Order.Kind'])
  })

  it('keeps the submitted text and gives texts differing in comments and layout one fingerprint', () => {
    const a = parseProtobuf('syntax = "proto3";\nmessage A { string s = 1; }\n', [])
    const b = parseProtobuf(
      '// the A message\nsyntax = "proto3";\n\nmessage A {\n  string s = 1; // a string\n}',
      [],
    )
    assert.equal(a.canonical, 'syntax = "proto3";\nmessage A { string s = 1; }\n')
    assert.equal(a.fingerprint, b.fingerprint)
    const c = parseProtobuf('syntax = "proto3";\nmessage A { string s = 2; }', [])
    assert.notEqual(a.fingerprint, c.fingerprint)
  })

  it('refuses bad syntax with the line, and duplicate field numbers', () => {
    assert.throws(
      () => parseProtobuf('syntax = "proto3";\nmessage { int32 a = 1; }', []),
      (error: unknown) =>
        isRegistryError(error, 'INVALID_SCHEMA') &&
        error.message ===
          "Invalid schema: the Protobuf schema is not valid Protobuf: illegal type name '{' (line 2)",
    )
    assert.throws(
      () => parseProtobuf('syntax = "proto3";\nmessage A { int32 a = 1; int32 b = 1; }', []),
      /duplicate id 1/,
    )
  })

  it('refuses an unknown type and an import without a reference', () => {
    assert.throws(
      () => parseProtobuf('syntax = "proto3";\nmessage A { Missing m = 1; }', []),
      /does not resolve: no such Type or Enum 'Missing' in Type .A/,
    )
    assert.throws(
      () => parseProtobuf('syntax = "proto3";\nimport "customer.proto";\nmessage A { int32 a = 1; }', []),
      /import "customer.proto" cannot be resolved: register it as a reference named "customer.proto"/,
    )
  })

  it('resolves well-known types without a reference', () => {
    const parsed = parseProtobuf(
      'syntax = "proto3";\nimport "google/protobuf/timestamp.proto";\nmessage A { google.protobuf.Timestamp at = 1; }',
      [],
    )
    assert.equal(parsed.root.lookupType('A').fields.at.resolvedType?.fullName, '.google.protobuf.Timestamp')
    assert.deepEqual(
      parsed.messages.map((message) => message.fullName),
      ['A'],
    )
  })

  it('resolves imports from references and does not number imported messages', () => {
    const customer: ResolvedReference = {
      name: 'customer.proto',
      subject: 'customer',
      version: 1,
      schemaType: 'PROTOBUF',
      schema: 'syntax = "proto3";\npackage crm;\nmessage Customer { string name = 1; }',
      references: [],
    }
    const parsed = parseProtobuf(
      'syntax = "proto3";\npackage shop;\nimport "customer.proto";\nmessage Order { crm.Customer buyer = 1; }',
      [customer],
    )
    assert.deepEqual(
      parsed.messages.map((message) => message.fullName),
      ['shop.Order'],
    )
    assert.equal(parsed.packageOf.get('crm.Customer'), 'crm')
    const Order = parsed.root.lookupType('shop.Order')
    const bytes = Order.encode(Order.fromObject({ buyer: { name: 'Ada' } })).finish()
    assert.deepEqual(Order.toObject(Order.decode(bytes)), { buyer: { name: 'Ada' } })
  })
})
