import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRegistryError } from '../../src/errors.ts'
import { jsonSchemaFormat, parseJsonSchema } from '../../src/formats/json-schema.ts'
import type { ResolvedReference } from '../../src/schema-types.ts'

function reference(name: string, schema: unknown, references: ResolvedReference[] = []): ResolvedReference {
  return {
    name,
    subject: name.replace('.json', ''),
    version: 1,
    schemaType: 'JSON',
    schema: JSON.stringify(schema),
    references,
  }
}

describe('parseJsonSchema', () => {
  it('keeps compact JSON in the author key order and validates with ajv', () => {
    const parsed = parseJsonSchema(
      '{ "type": "object",\n "properties": { "id": { "type": "integer" } } }',
      [],
    )
    assert.equal(parsed.canonical, '{"type":"object","properties":{"id":{"type":"integer"}}}')
    assert.equal(parsed.validate({ id: 3 }), true)
    assert.equal(parsed.validate({ id: 'x' }), false)
  })

  it('refuses text that is not JSON and schemas ajv rejects', () => {
    assert.throws(
      () => parseJsonSchema('{"type": ', []),
      (error: unknown) =>
        isRegistryError(error, 'INVALID_SCHEMA') && /the JSON schema is not valid JSON/.test(error.message),
    )
    assert.throws(
      () => parseJsonSchema('{"type": "strin"}', []),
      /not a valid JSON schema: schema is invalid: data\/type/,
    )
    assert.throws(() => parseJsonSchema('[1, 2]', []), /must be a JSON object or a boolean/)
  })

  it('refuses a $ref nothing resolves', () => {
    assert.throws(
      () => parseJsonSchema('{"properties": {"c": {"$ref": "customer.json"}}}', []),
      /not a valid JSON schema: can't resolve reference customer.json/,
    )
  })

  it('resolves $ref to a referenced schema by its reference name or its $id', () => {
    const customer = reference('customer.json', {
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
    })
    const byName = parseJsonSchema('{"type":"object","properties":{"buyer":{"$ref":"customer.json"}}}', [
      customer,
    ])
    assert.equal(byName.validate({ buyer: { name: 'Ada' } }), true)
    assert.equal(byName.validate({ buyer: {} }), false)
    const withId = reference('address.json', { $id: 'https://shop.example/address.json', type: 'string' })
    const byId = parseJsonSchema(
      '{"type":"object","properties":{"a":{"$ref":"https://shop.example/address.json"},"b":{"$ref":"address.json"}}}',
      [withId],
    )
    assert.equal(byId.validate({ a: 'x', b: 'y' }), true)
    assert.equal(byId.validate({ a: 1 }), false)
    assert.equal(byId.documents.get('https://shop.example/address.json'), byId.documents.get('address.json'))
  })

  it('reads the draft from $schema, including 2020-12 and draft-04', () => {
    const modern = parseJsonSchema(
      JSON.stringify({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        prefixItems: [{ type: 'string' }],
        items: false,
      }),
      [],
    )
    assert.equal(modern.validate(['a']), true)
    assert.equal(modern.validate(['a', 'b']), false)
    const old = parseJsonSchema(
      JSON.stringify({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'string' }),
      [],
    )
    assert.equal(old.validate('x'), true)
  })

  it('accepts vendor keywords and formats it does not know, as Confluent does', () => {
    const parsed = parseJsonSchema(
      '{"type":"integer","connect.type":"int64","format":"epoch-millis","x-owner":"shop"}',
      [],
    )
    assert.equal(parsed.validate(5), true)
    assert.equal(parsed.validate('5'), false)
  })

  it('checks formats', () => {
    const parsed = parseJsonSchema('{"type":"string","format":"email"}', [])
    assert.equal(parsed.validate('ada@example.com'), true)
    assert.equal(parsed.validate('nope'), false)
  })
})

describe('JSON Schema normalization', () => {
  it("sorts every object's keys, keeps arrays in order, and is its own normalized form", () => {
    const normalize = (text: string) => jsonSchemaFormat.normalize(parseJsonSchema(text, []))
    const a = normalize(
      '{"type":"object","required":["id","at"],"properties":{"id":{"type":"string"},"10":{},"9":{"enum":["b","a"]}}}',
    )
    const b = normalize(
      '{ "properties": { "9": { "enum": ["b", "a"] }, "id": { "type": "string" }, "10": {} },\n "required": ["id", "at"], "type": "object" }',
    )
    assert.equal(
      a,
      '{"properties":{"10":{},"9":{"enum":["b","a"]},"id":{"type":"string"}},"required":["id","at"],"type":"object"}',
    )
    assert.equal(b, a)
    assert.equal(normalize(a), a)
  })
})
