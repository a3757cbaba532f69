// Reading back a verbose compatibility answer: each reason with its rule, its version and (Avro)
// its field, whatever quotes the format uses and whatever quotes the description holds.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseCompatibilityMessages } from '../src/schema-reasons.ts'

test('Avro reasons: single quotes inside the description, additionalInfo as the field, the version after them', () => {
  const parsed = parseCompatibilityMessages([
    "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'email'}",
    "{errorType:'TYPE_MISMATCH', description:'The type (path '/fields/0/type') of a field in the new schema does not match with the old schema', additionalInfo:'reader type: INT not compatible with writer type: STRING'}",
    '{oldSchemaVersion: 2}',
    `{oldSchema: '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}'}`,
    "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'email' at path '/fields/1' in the new schema has no default value and is missing in the old schema', additionalInfo:'email'}",
    '{oldSchemaVersion: 1}',
    "{oldSchema: '{}'}",
    "{compatibility: 'BACKWARD_TRANSITIVE'}",
  ])
  assert.equal(parsed.level, 'BACKWARD_TRANSITIVE')
  assert.deepEqual(
    parsed.reasons.map((r) => [r.version, r.rule, r.field]),
    [
      [2, 'READER_FIELD_MISSING_DEFAULT_VALUE', 'email'],
      [2, 'TYPE_MISMATCH', 'reader type: INT not compatible with writer type: STRING'],
      [1, 'READER_FIELD_MISSING_DEFAULT_VALUE', 'email'],
    ],
  )
  assert.equal(
    parsed.reasons[0].description,
    "The field 'email' at path '/fields/1' in the new schema has no default value and is missing in the old schema",
  )
})

test('JSON Schema and Protobuf reasons: double quotes, no field of their own', () => {
  const parsed = parseCompatibilityMessages([
    `{errorType:"FIELD_SCALAR_KIND_CHANGED", description:"The kind of SCALAR field 'amount' at path '#/Payment/2' in the new schema does not match its kind in the old schema (int64 -> string, not wire-compatible)"}`,
    '{oldSchemaVersion: 1}',
    `{oldSchema: 'syntax = "proto3";\nmessage Payment {}\n'}`,
    "{compatibility: 'FULL'}",
  ])
  assert.deepEqual(parsed, {
    level: 'FULL',
    reasons: [
      {
        version: 1,
        rule: 'FIELD_SCALAR_KIND_CHANGED',
        description:
          "The kind of SCALAR field 'amount' at path '#/Payment/2' in the new schema does not match its kind in the old schema (int64 -> string, not wire-compatible)",
      },
    ],
  })
})

test('a message in another shape is kept whole; no marker means no version; no messages, no reasons', () => {
  assert.deepEqual(parseCompatibilityMessages(['Incompatible because of something']), {
    reasons: [{ rule: null, description: 'Incompatible because of something' }],
  })
  assert.deepEqual(parseCompatibilityMessages([]), { reasons: [] })
})
