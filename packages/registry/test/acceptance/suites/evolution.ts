import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { RunningRegistry } from '../../../src/start-registry.ts'
import { http, registryForSuite } from '../../support/registries.ts'

// Confluent's schema evolution walk-throughs, as HTTP calls: what each level lets through and
// what it refuses, with the reason naming the field and the rule.

type SchemaType = 'AVRO' | 'JSON' | 'PROTOBUF'

export function walkThroughs(
  start: () => Promise<RunningRegistry>,
  stop: () => Promise<void> = async () => {},
) {
  const registry = registryForSuite(start, stop)

  const register = (subject: string, schemaType: SchemaType, schema: string) =>
    http(registry().url, 'POST', `/subjects/${subject}/versions`, { schema, schemaType })
  const check = async (subject: string, schemaType: SchemaType, schema: string) =>
    (
      await http(registry().url, 'POST', `/compatibility/subjects/${subject}/versions?verbose=true`, {
        schema,
        schemaType,
      })
    ).body as { is_compatible: boolean; messages: string[] }
  const level = (subject: string, compatibility: string) =>
    http(registry().url, 'PUT', `/config/${subject}`, { compatibility })

  async function accepted(subject: string, schemaType: SchemaType, schema: string) {
    const answer = await register(subject, schemaType, schema)
    assert.equal(answer.status, 200, JSON.stringify(answer.body))
    return (answer.body as { id: number }).id
  }

  async function refused(
    subject: string,
    schemaType: SchemaType,
    schema: string,
    errorType: string,
    names: string,
  ) {
    const before = (await http(registry().url, 'GET', `/subjects/${subject}/versions`)).body
    const verdict = await check(subject, schemaType, schema)
    assert.equal(verdict.is_compatible, false)
    assert.ok(
      verdict.messages.some((message) => message.includes(errorType) && message.includes(names)),
      `expected ${errorType} naming ${names} in ${verdict.messages.join(' | ')}`,
    )
    const answer = await register(subject, schemaType, schema)
    const error = answer.body as { error_code: number; message: string }
    assert.deepEqual([answer.status, error.error_code], [409, 409])
    assert.match(error.message, new RegExp(`incompatible with an earlier schema for subject "${subject}"`))
    assert.ok(error.message.includes(errorType) && error.message.includes(names), error.message)
    assert.deepEqual((await http(registry().url, 'GET', `/subjects/${subject}/versions`)).body, before)
  }

  describe('Avro', () => {
    const record = (fields: unknown[]) =>
      JSON.stringify({ type: 'record', name: 'Customer', namespace: 'crm', fields })
    const id = { name: 'id', type: 'long' }
    const name = { name: 'name', type: 'string' }
    const email = { name: 'email', type: 'string' }
    const emailDefault = { name: 'email', type: 'string', default: '' }

    it('BACKWARD: a field with a default may be added and a field removed; a field without default may not be added', async () => {
      await accepted('avro-backward', 'AVRO', record([id, name]))
      await accepted('avro-backward', 'AVRO', record([id, name, emailDefault]))
      await accepted('avro-backward', 'AVRO', record([id, emailDefault]))
      await refused(
        'avro-backward',
        'AVRO',
        record([id, emailDefault, { name: 'phone', type: 'string' }]),
        'READER_FIELD_MISSING_DEFAULT_VALUE',
        "'phone'",
      )
      await refused(
        'avro-backward',
        'AVRO',
        record([{ name: 'id', type: 'int' }, emailDefault]),
        'TYPE_MISMATCH',
        "field 'id'",
      )
      assert.deepEqual(
        (await http(registry().url, 'GET', '/subjects/avro-backward/versions')).body,
        [1, 2, 3],
      )
    })

    it('FORWARD: a field may be added even without default; one without default may not be removed', async () => {
      await level('avro-forward', 'FORWARD')
      await accepted('avro-forward', 'AVRO', record([id, name]))
      await accepted('avro-forward', 'AVRO', record([id, name, email]))
      await refused(
        'avro-forward',
        'AVRO',
        record([id, email]),
        'READER_FIELD_MISSING_DEFAULT_VALUE',
        "'name'",
      )
    })

    it('FULL: only fields with defaults may come and go', async () => {
      await level('avro-full', 'FULL')
      await accepted('avro-full', 'AVRO', record([id, { ...name, default: 'n/a' }]))
      await accepted('avro-full', 'AVRO', record([id, { ...name, default: 'n/a' }, emailDefault]))
      await accepted('avro-full', 'AVRO', record([id, emailDefault]))
      await refused(
        'avro-full',
        'AVRO',
        record([id, emailDefault, { name: 'phone', type: 'string' }]),
        'READER_FIELD_MISSING_DEFAULT_VALUE',
        "'phone'",
      )
      await refused('avro-full', 'AVRO', record([emailDefault]), 'READER_FIELD_MISSING_DEFAULT_VALUE', "'id'")
    })

    it('NONE lets an incompatible change through', async () => {
      await accepted('avro-none', 'AVRO', record([id]))
      await refused(
        'avro-none',
        'AVRO',
        record([{ name: 'id', type: 'string' }]),
        'TYPE_MISMATCH',
        "field 'id'",
      )
      await level('avro-none', 'NONE')
      await accepted('avro-none', 'AVRO', record([{ name: 'id', type: 'string' }]))
    })

    it('BACKWARD_TRANSITIVE checks every earlier version, not only the latest', async () => {
      await level('avro-transitive', 'NONE')
      await accepted('avro-transitive', 'AVRO', record([id]))
      await accepted('avro-transitive', 'AVRO', record([id, emailDefault]))
      const candidate = record([id, email])
      await level('avro-transitive', 'BACKWARD')
      assert.equal((await check('avro-transitive', 'AVRO', candidate)).is_compatible, true)
      await level('avro-transitive', 'BACKWARD_TRANSITIVE')
      const verdict = await check('avro-transitive', 'AVRO', candidate)
      assert.equal(verdict.is_compatible, false)
      assert.ok(verdict.messages.includes('{oldSchemaVersion: 1}'))
      assert.ok(!verdict.messages.includes('{oldSchemaVersion: 2}'))
      await refused('avro-transitive', 'AVRO', candidate, 'READER_FIELD_MISSING_DEFAULT_VALUE', "'email'")
    })
  })

  describe('JSON Schema', () => {
    const object = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ type: 'object', properties, ...extra })
    const id = { type: 'integer' }
    const email = { type: 'string' }

    it('BACKWARD with an open content model: properties may be removed, not added', async () => {
      await accepted('json-open', 'JSON', object({ id, email }))
      await accepted('json-open', 'JSON', object({ id }))
      await refused(
        'json-open',
        'JSON',
        object({ id, phone: { type: 'string' } }),
        'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
        "'phone'",
      )
    })

    it('BACKWARD with a closed content model: optional properties may be added, required ones need a default, none removed', async () => {
      const closed = { additionalProperties: false }
      await accepted('json-closed', 'JSON', object({ id }, closed))
      await accepted('json-closed', 'JSON', object({ id, email }, closed))
      await refused(
        'json-closed',
        'JSON',
        object({ id, email, phone: { type: 'string' } }, { ...closed, required: ['phone'] }),
        'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
        "'phone'",
      )
      await accepted(
        'json-closed',
        'JSON',
        object({ id, email, phone: { type: 'string', default: '' } }, { ...closed, required: ['phone'] }),
      )
      await refused(
        'json-closed',
        'JSON',
        object({ id, phone: { type: 'string', default: '' } }, { ...closed, required: ['phone'] }),
        'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
        "'email'",
      )
    })

    it('FORWARD and FULL turn the rules around', async () => {
      await level('json-forward', 'FORWARD')
      await accepted('json-forward', 'JSON', object({ id, email }))
      await accepted('json-forward', 'JSON', object({ id, email, phone: { type: 'string' } }))
      await refused(
        'json-forward',
        'JSON',
        object({ id, phone: { type: 'string' } }),
        'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
        "'email'",
      )
      await level('json-full', 'FULL')
      await accepted('json-full', 'JSON', object({ id }, { additionalProperties: false }))
      await refused(
        'json-full',
        'JSON',
        object({ id: { type: 'number' } }, { additionalProperties: false }),
        'TYPE_NARROWED',
        "'id'",
      )
    })

    it('NONE lets an incompatible change through, and transitive levels check every version', async () => {
      await accepted('json-none', 'JSON', object({ id }))
      await level('json-none', 'NONE')
      await accepted('json-none', 'JSON', object({ id: { type: 'string' } }))
      await level('json-transitive', 'NONE')
      await accepted('json-transitive', 'JSON', object({ id: { type: 'integer' } }))
      await accepted('json-transitive', 'JSON', object({ id: { type: 'string' } }))
      await level('json-transitive', 'BACKWARD_TRANSITIVE')
      await refused(
        'json-transitive',
        'JSON',
        object({ id: { type: 'string' } }, { title: 'v3' }),
        'TYPE_CHANGED',
        "'id'",
      )
    })
  })

  describe('Protobuf', () => {
    const message = (body: string) => `syntax = "proto3";\npackage crm;\n${body}`
    const v1 = message('message Customer {\n  int64 id = 1;\n  string name = 2;\n}')

    it('BACKWARD: fields may be added, removed and renamed; a wire type may not change', async () => {
      await accepted('proto-backward', 'PROTOBUF', v1)
      await accepted(
        'proto-backward',
        'PROTOBUF',
        message('message Customer {\n  int64 id = 1;\n  string name = 2;\n  string email = 3;\n}'),
      )
      await accepted(
        'proto-backward',
        'PROTOBUF',
        message('message Customer {\n  int64 id = 1;\n  string email = 3;\n}'),
      )
      await accepted(
        'proto-backward',
        'PROTOBUF',
        message('message Customer {\n  int64 customer_id = 1;\n  string email = 3;\n}'),
      )
      await refused(
        'proto-backward',
        'PROTOBUF',
        message('message Customer {\n  string customer_id = 1;\n  string email = 3;\n}'),
        'FIELD_SCALAR_KIND_CHANGED',
        "'customer_id'",
      )
    })

    it('a removed message type breaks BACKWARD but not FORWARD', async () => {
      const two = message('message Customer { int64 id = 1; }\nmessage Address { string city = 1; }')
      const one = message('message Customer { int64 id = 1; }')
      await accepted('proto-messages', 'PROTOBUF', two)
      await refused('proto-messages', 'PROTOBUF', one, 'MESSAGE_REMOVED', "'Address'")
      await level('proto-messages', 'FORWARD')
      await accepted('proto-messages', 'PROTOBUF', one)
      await level('proto-messages', 'FULL')
      await refused(
        'proto-messages',
        'PROTOBUF',
        message('message Customer { sint64 id = 1; }'),
        'FIELD_SCALAR_KIND_CHANGED',
        "'id'",
      )
    })

    it('NONE lets an incompatible change through, and transitive levels check every version', async () => {
      await accepted('proto-none', 'PROTOBUF', v1)
      await level('proto-none', 'NONE')
      await accepted('proto-none', 'PROTOBUF', message('message Customer {\n  string id = 1;\n}'))
      await level('proto-transitive', 'NONE')
      await accepted('proto-transitive', 'PROTOBUF', message('message Customer { int64 id = 1; }'))
      await accepted('proto-transitive', 'PROTOBUF', message('message Customer { string name = 2; }'))
      const candidate = message('message Customer { string name = 2; string id = 1; }')
      await level('proto-transitive', 'BACKWARD')
      assert.equal((await check('proto-transitive', 'PROTOBUF', candidate)).is_compatible, true)
      await level('proto-transitive', 'BACKWARD_TRANSITIVE')
      await refused('proto-transitive', 'PROTOBUF', candidate, 'FIELD_SCALAR_KIND_CHANGED', "'id'")
    })
  })
}
