import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { checkJsonSchemaCompatibility, diffJsonSchemas } from '../../src/formats/json-compatibility.ts'
import { parseJsonSchema } from '../../src/formats/json-schema.ts'
import type { ResolvedReference } from '../../src/schema-types.ts'

const roles = { reader: 'new', writer: 'old' }

function parse(schema: unknown, references: ResolvedReference[] = []) {
  return parseJsonSchema(JSON.stringify(schema), references)
}

/** Incompatibility types of reading data valid under `writer` with `reader`. */
function breaks(writer: unknown, reader: unknown): string[] {
  return checkJsonSchemaCompatibility(parse(writer), parse(reader), roles).map((reason) => reason.errorType)
}

function object(properties: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { type: 'object', properties, ...extra }
}

const id = { type: 'integer' }
const email = { type: 'string' }

describe('JSON Schema content models', () => {
  it('refuses a property added to an open content model, naming it', () => {
    const reasons = checkJsonSchemaCompatibility(parse(object({ id })), parse(object({ id, email })), roles)
    assert.equal(reasons.length, 1)
    assert.equal(reasons[0].errorType, 'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL')
    assert.equal(reasons[0].path, '#/properties/email')
    assert.match(
      reasons[0].description,
      /^Property 'email' \(path '#\/properties\/email'\) is declared in the new schema/,
    )
  })

  it('accepts a property with an empty schema added to an open content model', () => {
    assert.deepEqual(breaks(object({ id }), object({ id, extra: {} })), [])
  })

  it('accepts an optional property added to a closed content model', () => {
    assert.deepEqual(
      breaks(
        object({ id }, { additionalProperties: false }),
        object({ id, email }, { additionalProperties: false }),
      ),
      [],
    )
  })

  it('refuses a required property added to a closed content model, unless it has a default', () => {
    const closed = { additionalProperties: false }
    assert.deepEqual(
      breaks(object({ id }, closed), object({ id, email }, { ...closed, required: ['email'] })),
      ['REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL'],
    )
    assert.deepEqual(
      breaks(
        object({ id }, closed),
        object({ id, email: { ...email, default: '' } }, { ...closed, required: ['email'] }),
      ),
      [],
    )
  })

  it('accepts a property removed from an open model and refuses one removed from a closed model', () => {
    assert.deepEqual(breaks(object({ id, email }), object({ id })), [])
    const closed = { additionalProperties: false }
    const reasons = checkJsonSchemaCompatibility(
      parse(object({ id, email }, closed)),
      parse(object({ id }, closed)),
      roles,
    )
    assert.deepEqual(
      reasons.map((reason) => [reason.errorType, reason.path]),
      [['PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL', '#/properties/email']],
    )
    assert.match(reasons[0].description, /no longer declares property 'email'/)
  })

  it('uses patternProperties of a partially open model to decide', () => {
    const partial = { additionalProperties: false, patternProperties: { '^x-': { type: 'string' } } }
    assert.deepEqual(
      breaks(object({ id }, partial), object({ id, 'x-tag': { type: 'string' } }, partial)),
      [],
    )
    assert.deepEqual(breaks(object({ id }, partial), object({ id, 'x-tag': { type: 'integer' } }, partial)), [
      'TYPE_CHANGED',
      'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
    ])
    assert.deepEqual(
      breaks(object({ id, 'x-tag': { type: 'string' } }, partial), object({ id }, partial)),
      [],
    )
  })

  it('refuses a property made required, and accepts one made optional', () => {
    assert.deepEqual(breaks(object({ id, email }), object({ id, email }, { required: ['email'] })), [
      'REQUIRED_ATTRIBUTE_ADDED',
    ])
    assert.deepEqual(breaks(object({ id, email }, { required: ['email'] }), object({ id, email })), [])
  })

  it('refuses closing an open model and accepts opening a closed one', () => {
    assert.deepEqual(breaks(object({ id }), object({ id }, { additionalProperties: false })), [
      'ADDITIONAL_PROPERTIES_REMOVED',
    ])
    assert.deepEqual(breaks(object({ id }, { additionalProperties: false }), object({ id })), [])
  })
})

describe('JSON Schema types and constraints', () => {
  it('refuses a changed type and names the property', () => {
    const reasons = checkJsonSchemaCompatibility(
      parse(object({ id })),
      parse(object({ id: { type: 'string' } })),
      roles,
    )
    assert.deepEqual(
      reasons.map((reason) => [reason.errorType, reason.path]),
      [['TYPE_CHANGED', '#/properties/id']],
    )
    assert.match(reasons[0].description, /The type of property 'id' .* \(integer -> string\)/)
  })

  it('accepts integer widened to number and refuses the reverse', () => {
    assert.deepEqual(breaks({ type: 'integer' }, { type: 'number' }), [])
    assert.deepEqual(breaks({ type: 'number' }, { type: 'integer' }), ['TYPE_NARROWED'])
  })

  it('accepts a type list widened to a sum and refuses one narrowed', () => {
    assert.deepEqual(breaks({ type: 'string' }, { type: ['string', 'null'] }), [])
    assert.deepEqual(breaks({ type: ['string', 'null'] }, { type: 'string' }), ['TYPE_CHANGED'])
    assert.deepEqual(
      breaks({ anyOf: [{ type: 'string' }, { type: 'null' }] }, { anyOf: [{ type: 'string' }] }),
      ['SUM_TYPE_NARROWED'],
    )
  })

  it('compares enums as sets', () => {
    assert.deepEqual(breaks({ enum: ['A', 'B'] }, { enum: ['A', 'B', 'C'] }), [])
    const reasons = checkJsonSchemaCompatibility(parse({ enum: ['A', 'B'] }), parse({ enum: ['A'] }), roles)
    assert.equal(reasons[0].errorType, 'ENUM_ARRAY_NARROWED')
    assert.match(reasons[0].description, /removed "B"/)
  })

  it('classifies string and number limits by whether they accept less', () => {
    assert.deepEqual(breaks({ type: 'string', maxLength: 5 }, { type: 'string', maxLength: 10 }), [])
    assert.deepEqual(breaks({ type: 'string', maxLength: 10 }, { type: 'string', maxLength: 5 }), [
      'MAX_LENGTH_DECREASED',
    ])
    assert.deepEqual(breaks({ type: 'string' }, { type: 'string', pattern: '^a' }), ['PATTERN_ADDED'])
    assert.deepEqual(breaks({ type: 'number', minimum: 0 }, { type: 'number' }), [])
    assert.deepEqual(breaks({ type: 'number', minimum: 0 }, { type: 'number', minimum: 1 }), [
      'MINIMUM_INCREASED',
    ])
    assert.deepEqual(breaks({ type: 'integer', multipleOf: 6 }, { type: 'integer', multipleOf: 3 }), [])
    assert.deepEqual(breaks({ type: 'integer', multipleOf: 3 }, { type: 'integer', multipleOf: 6 }), [
      'MULTIPLE_OF_EXPANDED',
    ])
  })

  it('compares array items and tuple items', () => {
    assert.deepEqual(
      breaks({ type: 'array', items: { type: 'integer' } }, { type: 'array', items: { type: 'number' } }),
      [],
    )
    assert.deepEqual(
      breaks({ type: 'array', items: { type: 'number' } }, { type: 'array', items: { type: 'integer' } }),
      ['TYPE_NARROWED'],
    )
    assert.deepEqual(breaks({ type: 'array' }, { type: 'array', items: { type: 'string' } }), [
      'SCHEMA_ADDED',
    ])
    assert.deepEqual(
      breaks(
        { type: 'array', items: [{ type: 'string' }] },
        { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
      ),
      ['ITEM_ADDED_TO_OPEN_CONTENT_MODEL'],
    )
  })

  it('ignores titles, descriptions and defaults', () => {
    const reasons = diffJsonSchemas(
      parse({ type: 'string', title: 'a' }),
      parse({ type: 'string', title: 'b', description: 'd' }),
    )
    assert.deepEqual(
      reasons.map((difference) => difference.type),
      ['TITLE_CHANGED', 'DESCRIPTION_CHANGED'],
    )
    assert.deepEqual(breaks({ type: 'string', title: 'a' }, { type: 'string', title: 'b' }), [])
  })
})

describe('JSON Schema references', () => {
  it('follows local definitions and stops on recursion', () => {
    const tree = (valueType: string) => ({
      $ref: '#/definitions/node',
      definitions: {
        node: {
          type: 'object',
          properties: {
            value: { type: valueType },
            children: { type: 'array', items: { $ref: '#/definitions/node' } },
          },
        },
      },
    })
    assert.deepEqual(breaks(tree('integer'), tree('number')), [])
    assert.deepEqual(breaks(tree('number'), tree('integer')), ['TYPE_NARROWED'])
  })

  it('compares the content of referenced documents', () => {
    const customer = (extra: Record<string, unknown>): ResolvedReference => ({
      name: 'customer.json',
      subject: 'customer',
      version: 1,
      schemaType: 'JSON',
      schema: JSON.stringify({ type: 'object', properties: { name: { type: 'string' } }, ...extra }),
      references: [],
    })
    const order = { type: 'object', properties: { buyer: { $ref: 'customer.json' } } }
    const before = parse(order, [customer({})])
    const after = parse(order, [customer({ required: ['name'] })])
    const reasons = checkJsonSchemaCompatibility(before, after, roles)
    assert.deepEqual(
      reasons.map((reason) => [reason.errorType, reason.path]),
      [['REQUIRED_ATTRIBUTE_ADDED', '#/properties/buyer/required/name']],
    )
    assert.match(
      reasons[0].description,
      /^Property 'buyer.name' .* is required in the new schema but optional in the old schema/,
    )
  })
})
