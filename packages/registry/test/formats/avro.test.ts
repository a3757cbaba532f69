import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isRegistryError } from '../../src/errors.ts'
import { canonicalAvro, parseAvro } from '../../src/formats/avro.ts'
import type { ResolvedReference } from '../../src/schema-types.ts'

describe('parseAvro', () => {
  it('stores the compact JSON with attributes in Avro order', () => {
    const text = `{
      "fields": [ { "type": "string", "name": "id" } ],
      "name": "Order", "type": "record", "namespace": "shop"
    }`
    const parsed = parseAvro(text, [])
    assert.equal(
      parsed.canonical,
      '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string"}]}',
    )
    assert.equal(parsed.fingerprint, parsed.canonical)
  })

  it('writes a primitive given as {"type": ...} in its short form', () => {
    assert.equal(parseAvro('{"type": "string"}', []).canonical, '"string"')
    assert.equal(canonicalAvro({ type: 'array', items: { type: 'long' } }), '{"type":"array","items":"long"}')
  })

  it('refuses text that is not JSON, with the parser position', () => {
    assert.throws(
      () => parseAvro('{"type": "record",', []),
      (error: unknown) =>
        isRegistryError(error, 'INVALID_SCHEMA') &&
        error.errorCode === 42201 &&
        /^Invalid schema: the Avro schema is not valid JSON/.test(error.message),
    )
  })

  it('refuses an unknown type and a default that does not match its field', () => {
    assert.throws(
      () => parseAvro('{"type": "recordx", "name": "A"}', []),
      /not a valid Avro schema: unknown type: "recordx"/,
    )
    assert.throws(
      () => parseAvro('{"type":"record","name":"A","fields":[{"name":"n","type":"int","default":"x"}]}', []),
      /incompatible field default "x"/,
    )
  })

  it('refuses a name it cannot resolve', () => {
    assert.throws(
      () => parseAvro('{"type":"record","name":"A","fields":[{"name":"c","type":"shop.Customer"}]}', []),
      /undefined type name: shop.Customer/,
    )
  })

  it('resolves named types from references, nested ones first', () => {
    const address: ResolvedReference = {
      name: 'shop.Address',
      subject: 'address',
      version: 1,
      schemaType: 'AVRO',
      schema:
        '{"type":"record","name":"Address","namespace":"shop","fields":[{"name":"city","type":"string"}]}',
      references: [],
    }
    const customer: ResolvedReference = {
      name: 'shop.Customer',
      subject: 'customer',
      version: 2,
      schemaType: 'AVRO',
      schema:
        '{"type":"record","name":"Customer","namespace":"shop","fields":[{"name":"home","type":"shop.Address"}]}',
      references: [address],
    }
    const parsed = parseAvro(
      '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"buyer","type":"shop.Customer"}]}',
      [customer],
    )
    const value = { buyer: { home: { city: 'Lyon' } } }
    assert.deepEqual({ ...parsed.type.fromBuffer(parsed.type.toBuffer(value)) }.buyer.home.city, 'Lyon')
  })
})
