import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { writeJson } from '../../src/formats/json-text.ts'

describe('writeJson', () => {
  it('sorts the keys of plain objects as Java sorts strings, index-like keys included', () => {
    assert.equal(
      writeJson({ b: 1, '9': [3, { z: 1, a: null }], '10': 'x', A: true }),
      '{"10":"x","9":[3,{"a":null,"z":1}],"A":true,"b":1}',
    )
  })

  it('writes a Map in its own order and leaves out undefined members', () => {
    const ordered = new Map<string, unknown>([
      ['type', 'record'],
      ['name', 'R'],
      ['doc', undefined],
      ['7', { y: 2, x: 1 }],
    ])
    assert.equal(writeJson(ordered), '{"type":"record","name":"R","7":{"x":1,"y":2}}')
    assert.equal(writeJson('a"b'), '"a\\"b"')
  })
})
