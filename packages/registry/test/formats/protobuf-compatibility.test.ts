import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseProtobuf } from '../../src/formats/protobuf.ts'
import { checkProtobufCompatibility } from '../../src/formats/protobuf-compatibility.ts'

const roles = { reader: 'new', writer: 'old' }

function proto(body: string, header = 'syntax = "proto3";') {
  return parseProtobuf(`${header}\n${body}`, [])
}

function breaks(writer: string, reader: string, header?: string): string[] {
  return checkProtobufCompatibility(proto(writer, header), proto(reader, header), roles).map(
    (reason) => reason.errorType,
  )
}

describe('Protobuf compatibility', () => {
  const v1 = 'message SearchRequest { string query = 1; int32 page_number = 2; int32 per_page = 3; }'

  it('accepts added, removed and renamed fields', () => {
    assert.deepEqual(
      breaks(
        v1,
        'message SearchRequest { string query = 1; int32 page_number = 2; int32 per_page = 3; bool exact = 4; }',
      ),
      [],
    )
    assert.deepEqual(breaks(v1, 'message SearchRequest { string query = 1; int32 page_number = 2; }'), [])
    assert.deepEqual(
      breaks(v1, 'message SearchRequest { string text = 1; int32 page = 2; int32 per_page = 3; }'),
      [],
    )
  })

  it('refuses a field whose wire type changes, naming the field and both types', () => {
    const reasons = checkProtobufCompatibility(
      proto(v1),
      proto('message SearchRequest { string query = 1; float page_number = 2; int32 per_page = 3; }'),
      roles,
    )
    assert.deepEqual(reasons, [
      {
        errorType: 'FIELD_SCALAR_KIND_CHANGED',
        description:
          "The kind of SCALAR field 'page_number' at path '#/SearchRequest/2' in the new schema does not match its kind in the old schema (int32 -> float, not wire-compatible)",
        path: '#/SearchRequest/2',
      },
    ])
  })

  it('accepts scalars that share an encoding', () => {
    assert.deepEqual(breaks('message A { int32 n = 1; }', 'message A { int64 n = 1; }'), [])
    assert.deepEqual(breaks('message A { string s = 1; }', 'message A { bytes s = 1; }'), [])
    assert.deepEqual(breaks('message A { fixed32 n = 1; }', 'message A { sfixed32 n = 1; }'), [])
    assert.deepEqual(breaks('message A { int32 n = 1; }', 'message A { sint32 n = 1; }'), [
      'FIELD_SCALAR_KIND_CHANGED',
    ])
    assert.deepEqual(
      breaks('enum E { Z = 0; } message A { E e = 1; }', 'enum E { Z = 0; } message A { int32 e = 1; }'),
      [],
    )
  })

  it('refuses a scalar turned into a message, and a message type changed', () => {
    assert.deepEqual(
      breaks(
        'message B { int32 x = 1; } message A { int32 n = 1; }',
        'message B { int32 x = 1; } message A { B n = 1; }',
      ),
      ['FIELD_KIND_CHANGED'],
    )
    const reasons = checkProtobufCompatibility(
      proto('message B { int32 x = 1; } message C { int32 x = 1; } message A { B n = 1; }'),
      proto('message B { int32 x = 1; } message C { int32 x = 1; } message A { C n = 1; }'),
      roles,
    )
    assert.equal(reasons[0].errorType, 'FIELD_NAMED_TYPE_CHANGED')
    assert.match(
      reasons[0].description,
      /MESSAGE field 'n' .* is 'C' in the new schema but 'B' in the old schema/,
    )
  })

  it('refuses a removed message type and a changed package', () => {
    const reasons = checkProtobufCompatibility(
      proto('message A { int32 a = 1; } message B { int32 b = 1; }'),
      proto('message A { int32 a = 1; }'),
      roles,
    )
    assert.deepEqual(
      reasons.map((reason) => [reason.errorType, reason.path]),
      [['MESSAGE_REMOVED', '#/B']],
    )
    assert.match(reasons[0].description, /missing message type 'B'/)
    const moved = checkProtobufCompatibility(
      parseProtobuf('syntax = "proto3";\npackage a;\nmessage A { int32 a = 1; }', []),
      parseProtobuf('syntax = "proto3";\npackage b;\nmessage A { int32 a = 1; }', []),
      roles,
    )
    assert.deepEqual(
      moved.map((reason) => reason.errorType),
      ['PACKAGE_CHANGED'],
    )
  })

  it('accepts reordering messages and changing enums', () => {
    assert.deepEqual(
      breaks(
        'message A { int32 a = 1; } message B { int32 b = 1; }',
        'message B { int32 b = 1; } message A { int32 a = 1; }',
      ),
      [],
    )
    assert.deepEqual(
      breaks(
        'enum E { Z = 0; O = 1; } message A { E e = 1; }',
        'enum E { Z = 0; T = 2; } message A { E e = 1; }',
      ),
      [],
    )
  })

  it('refuses required fields added or removed (proto2)', () => {
    const header = 'syntax = "proto2";'
    assert.deepEqual(
      breaks(
        'message A { optional int32 a = 1; }',
        'message A { optional int32 a = 1; required string b = 2; }',
        header,
      ),
      ['REQUIRED_FIELD_ADDED'],
    )
    assert.deepEqual(breaks('message A { required int32 a = 1; }', 'message A { }', header), [
      'REQUIRED_FIELD_REMOVED',
    ])
  })

  it('refuses several fields moved into one oneof, and fields removed from a oneof', () => {
    assert.deepEqual(
      breaks(
        'message A { int32 a = 1; string b = 2; }',
        'message A { oneof choice { int32 a = 1; string b = 2; } }',
      ),
      ['MULTIPLE_FIELDS_MOVED_TO_ONEOF'],
    )
    assert.deepEqual(breaks('message A { int32 a = 1; }', 'message A { oneof choice { int32 a = 1; } }'), [])
    const reasons = checkProtobufCompatibility(
      proto('message A { oneof choice { int32 a = 1; string b = 2; } }'),
      proto('message A { oneof choice { int32 a = 1; } }'),
      roles,
    )
    assert.deepEqual(
      reasons.map((reason) => [reason.errorType, reason.path]),
      [['ONEOF_FIELD_REMOVED', '#/A/choice/2']],
    )
    assert.match(reasons[0].description, /missing field 'b' of oneof 'choice'/)
  })

  it('does not take proto3 optional fields for oneofs', () => {
    assert.deepEqual(breaks('message A { optional int32 a = 1; }', 'message A { int32 a = 1; }'), [])
  })

  it('refuses a numeric field changed between repeated and singular', () => {
    assert.deepEqual(breaks('message A { int32 n = 1; }', 'message A { repeated int32 n = 1; }'), [
      'FIELD_NUMERIC_LABEL_CHANGED',
    ])
    assert.deepEqual(breaks('message A { string s = 1; }', 'message A { repeated string s = 1; }'), [])
  })

  it('compares nested messages and map values', () => {
    const reasons = checkProtobufCompatibility(
      proto('message A { message B { int32 x = 1; } B b = 1; map<string, int32> m = 2; }'),
      proto('message A { message B { string x = 1; } B b = 1; map<string, string> m = 2; }'),
      roles,
    )
    assert.deepEqual(
      reasons.map((reason) => [reason.errorType, reason.path]),
      [
        ['FIELD_SCALAR_KIND_CHANGED', '#/A/2'],
        ['FIELD_SCALAR_KIND_CHANGED', '#/A/B/1'],
      ],
    )
    assert.match(reasons[0].description, /field 'm \(value\)'/)
  })
})
