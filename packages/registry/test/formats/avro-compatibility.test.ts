import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseAvro } from '../../src/formats/avro.ts'
import { checkAvroCompatibility } from '../../src/formats/avro-compatibility.ts'

const backward = { reader: 'new', writer: 'old' }
const forward = { reader: 'old', writer: 'new' }

function record(fields: unknown[], extra: Record<string, unknown> = {}) {
  return parseAvro(JSON.stringify({ type: 'record', name: 'User', namespace: 'shop', fields, ...extra }), [])
    .type
}

const id = { name: 'id', type: 'int' }
const name = { name: 'name', type: 'string' }

describe('checkAvroCompatibility', () => {
  it('lets a new reader add a field that has a default', () => {
    const old = record([id])
    const changed = record([id, { name: 'email', type: 'string', default: '' }])
    assert.deepEqual(checkAvroCompatibility(changed, old, backward), [])
  })

  it('names the added field that has no default', () => {
    const reasons = checkAvroCompatibility(
      record([id, { name: 'email', type: 'string' }]),
      record([id]),
      backward,
    )
    assert.deepEqual(reasons, [
      {
        errorType: 'READER_FIELD_MISSING_DEFAULT_VALUE',
        description:
          "The field 'email' at path '/fields/1' in the new schema has no default value and is missing in the old schema",
        path: '/fields/1',
        additionalInfo: 'email',
      },
    ])
  })

  it('lets a new reader drop a field, but an old reader then misses it unless it had a default', () => {
    const old = record([id, name])
    const changed = record([id])
    assert.deepEqual(checkAvroCompatibility(changed, old, backward), [])
    const reasons = checkAvroCompatibility(old, changed, forward)
    assert.equal(reasons.length, 1)
    assert.equal(reasons[0].errorType, 'READER_FIELD_MISSING_DEFAULT_VALUE')
    assert.match(
      reasons[0].description,
      /The field 'name' .* in the old schema has no default value and is missing in the new schema/,
    )
    const withDefault = record([id, { name: 'name', type: 'string', default: 'n/a' }])
    assert.deepEqual(checkAvroCompatibility(withDefault, changed, forward), [])
  })

  it('allows the promotions of the specification and refuses the reverse', () => {
    assert.deepEqual(
      checkAvroCompatibility(
        record([{ name: 'n', type: 'long' }]),
        record([{ name: 'n', type: 'int' }]),
        backward,
      ),
      [],
    )
    assert.deepEqual(
      checkAvroCompatibility(
        record([{ name: 'n', type: 'bytes' }]),
        record([{ name: 'n', type: 'string' }]),
        backward,
      ),
      [],
    )
    const reasons = checkAvroCompatibility(
      record([{ name: 'n', type: 'int' }]),
      record([{ name: 'n', type: 'long' }]),
      backward,
    )
    assert.deepEqual(reasons, [
      {
        errorType: 'TYPE_MISMATCH',
        description:
          "The type (path '/fields/0/type') of field 'n' in the new schema does not match with the old schema",
        path: '/fields/0/type',
        additionalInfo: 'reader type: INT not compatible with writer type: LONG',
      },
    ])
  })

  it('reports enum symbols the reader lacks, unless the reader has a default symbol', () => {
    const enumOf = (symbols: string[], extra = {}) =>
      record([{ name: 'status', type: { type: 'enum', name: 'Status', symbols, ...extra } }])
    const reasons = checkAvroCompatibility(enumOf(['NEW']), enumOf(['NEW', 'PAID']), backward)
    assert.equal(reasons.length, 1)
    assert.equal(reasons[0].errorType, 'MISSING_ENUM_SYMBOLS')
    assert.equal(reasons[0].path, '/fields/0/type/symbols')
    assert.match(reasons[0].description, /missing enum symbols '\[PAID\]' of field 'status'/)
    assert.deepEqual(
      checkAvroCompatibility(
        enumOf(['NEW', 'UNKNOWN'], { default: 'UNKNOWN' }),
        enumOf(['NEW', 'PAID']),
        backward,
      ),
      [],
    )
  })

  it('needs every branch of a writer union to be readable', () => {
    const optional = record([{ name: 'note', type: ['null', 'string'], default: null }])
    const required = record([{ name: 'note', type: 'string' }])
    assert.deepEqual(checkAvroCompatibility(optional, required, backward), [])
    const reasons = checkAvroCompatibility(required, optional, backward)
    assert.deepEqual(
      reasons.map((reason) => [reason.errorType, reason.path, reason.additionalInfo]),
      [['TYPE_MISMATCH', '/fields/0/type/0', 'reader type: STRING not compatible with writer type: NULL']],
    )
    const union = record([{ name: 'v', type: ['int', 'string'] }])
    const other = record([{ name: 'v', type: ['int', 'boolean'] }])
    const missing = checkAvroCompatibility(union, other, backward)
    assert.equal(missing[0].errorType, 'MISSING_UNION_BRANCH')
    assert.equal(missing[0].additionalInfo, 'reader union lacking writer type: BOOLEAN')
    assert.match(missing[0].description, /union field 'v'/)
  })

  it('compares record names by their unqualified name, or through aliases', () => {
    const renamed = parseAvro(
      '{"type":"record","name":"Customer","fields":[{"name":"id","type":"int"}]}',
      [],
    ).type
    const reasons = checkAvroCompatibility(renamed, record([id]), backward)
    assert.equal(reasons[0].errorType, 'NAME_MISMATCH')
    assert.equal(reasons[0].additionalInfo, 'expected: shop.User')
    const aliased = parseAvro(
      '{"type":"record","name":"Customer","aliases":["shop.User"],"fields":[{"name":"id","type":"int"}]}',
      [],
    ).type
    assert.deepEqual(checkAvroCompatibility(aliased, record([id]), backward), [])
    const otherNamespace = parseAvro(
      '{"type":"record","name":"User","namespace":"crm","fields":[{"name":"id","type":"int"}]}',
      [],
    ).type
    assert.deepEqual(checkAvroCompatibility(otherNamespace, record([id]), backward), [])
  })

  it('matches a renamed field through its aliases', () => {
    const old = record([{ name: 'mail', type: 'string' }])
    const changed = record([{ name: 'email', type: 'string', aliases: ['mail'] }])
    assert.deepEqual(checkAvroCompatibility(changed, old, backward), [])
  })

  it('names nested fields by their path and checks fixed sizes', () => {
    const withAddress = (zip: unknown) =>
      record([
        { name: 'address', type: { type: 'record', name: 'Address', fields: [{ name: 'zip', type: zip }] } },
      ])
    const reasons = checkAvroCompatibility(withAddress('int'), withAddress('string'), backward)
    assert.equal(reasons[0].path, '/fields/0/type/fields/0/type')
    assert.match(reasons[0].description, /of field 'address.zip'/)
    const fixed = (size: number) => record([{ name: 'hash', type: { type: 'fixed', name: 'Hash', size } }])
    const sizes = checkAvroCompatibility(fixed(16), fixed(32), backward)
    assert.equal(sizes[0].errorType, 'FIXED_SIZE_MISMATCH')
    assert.equal(sizes[0].additionalInfo, 'expected: 32, found: 16')
  })

  it('terminates on recursive types', () => {
    const list = (valueType: string) =>
      parseAvro(
        JSON.stringify({
          type: 'record',
          name: 'Node',
          fields: [
            { name: 'value', type: valueType },
            { name: 'next', type: ['null', 'Node'], default: null },
          ],
        }),
        [],
      ).type
    assert.deepEqual(checkAvroCompatibility(list('long'), list('int'), backward), [])
    assert.equal(checkAvroCompatibility(list('int'), list('long'), backward)[0].errorType, 'TYPE_MISMATCH')
  })

  it('checks arrays and maps element-wise', () => {
    const arrayOf = (items: string) => record([{ name: 'tags', type: { type: 'array', items } }])
    const reasons = checkAvroCompatibility(arrayOf('int'), arrayOf('string'), backward)
    assert.equal(reasons[0].path, '/fields/0/type/items')
    assert.match(reasons[0].description, /field 'tags\[\]'/)
    const mapOf = (values: string) => record([{ name: 'attributes', type: { type: 'map', values } }])
    assert.deepEqual(checkAvroCompatibility(mapOf('double'), mapOf('float'), backward), [])
  })
})
