import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { SchemaValue } from '../../src/store/records.ts'
import { RegistryState } from '../../src/store/state.ts'

function schema(subject: string, version: number, id: number, extra: Partial<SchemaValue> = {}) {
  const value: SchemaValue = {
    subject,
    version,
    id,
    schemaType: 'AVRO',
    references: [],
    schema: `"s${id}"`,
    deleted: false,
    ...extra,
  }
  return { key: { keytype: 'SCHEMA' as const, subject, version }, value }
}

describe('RegistryState', () => {
  it('holds versions per subject and schemas per id', () => {
    const state = new RegistryState()
    state.apply(schema('a', 1, 1))
    state.apply(schema('a', 2, 2))
    state.apply(schema('b', 1, 1))
    assert.deepEqual(state.subjects(), ['a', 'b'])
    assert.deepEqual(
      state.versions('a').map((entry) => entry.version),
      [1, 2],
    )
    assert.deepEqual(
      state.usesOf(1).map((entry) => `${entry.subject}/${entry.version}`),
      ['a/1', 'b/1'],
    )
    assert.equal(state.maxId, 2)
  })

  it('marks versions up to the given one deleted on DELETE_SUBJECT', () => {
    const state = new RegistryState()
    state.apply(schema('a', 1, 1))
    state.apply(schema('a', 2, 2))
    state.apply(schema('a', 3, 3))
    state.apply({ key: { keytype: 'DELETE_SUBJECT', subject: 'a' }, value: { subject: 'a', version: 2 } })
    assert.deepEqual(
      state.versions('a').map((entry) => entry.deleted),
      [true, true, false],
    )
  })

  it('drops a schema when its last version is removed, but never lowers the largest id', () => {
    const state = new RegistryState()
    state.apply(schema('a', 1, 5))
    state.apply(schema('b', 1, 5))
    state.apply({ key: { keytype: 'SCHEMA', subject: 'a', version: 1 }, value: null })
    assert.equal(state.schemaById(5)?.schema, '"s5"')
    state.apply({ key: { keytype: 'SCHEMA', subject: 'b', version: 1 }, value: null })
    assert.equal(state.schemaById(5), undefined)
    assert.deepEqual(state.subjects(), [])
    assert.equal(state.maxId, 5)
  })

  it('does not count a version twice when it is rewritten', () => {
    const state = new RegistryState()
    state.apply(schema('a', 1, 1))
    state.apply(schema('a', 1, 1, { deleted: true }))
    state.apply({ key: { keytype: 'SCHEMA', subject: 'a', version: 1 }, value: null })
    assert.equal(state.schemaById(1), undefined)
  })

  it('finds live versions referencing a version', () => {
    const state = new RegistryState()
    state.apply(schema('base', 1, 1))
    state.apply(schema('user', 1, 2, { references: [{ name: 'Base', subject: 'base', version: 1 }] }))
    state.apply(
      schema('old', 1, 3, { references: [{ name: 'Base', subject: 'base', version: 1 }], deleted: true }),
    )
    assert.deepEqual(
      state.referencesTo('base', 1).map((entry) => entry.subject),
      ['user'],
    )
  })

  it('keeps configs and modes, global and per subject, until a tombstone', () => {
    const state = new RegistryState()
    state.apply({ key: { keytype: 'CONFIG', subject: null }, value: { compatibilityLevel: 'FULL' } })
    state.apply({ key: { keytype: 'CONFIG', subject: 'a' }, value: { compatibilityLevel: 'NONE' } })
    state.apply({ key: { keytype: 'MODE', subject: 'a' }, value: { mode: 'READONLY' } })
    assert.equal(state.config(null), 'FULL')
    assert.equal(state.config('a'), 'NONE')
    assert.equal(state.mode('a'), 'READONLY')
    state.apply({ key: { keytype: 'CONFIG', subject: 'a' }, value: null })
    assert.equal(state.config('a'), undefined)
  })
})
