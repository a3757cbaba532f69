import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { RunnelError } from '@runnel/errors'
import { ERROR_CODE_PREFIX, RegistryError, type RegistryErrorName, RegistryErrors } from '../src/errors.ts'

const docs = readFileSync(new URL('../../../docs/registry.md', import.meta.url), 'utf8')

function documentedRows(): Map<string, { status: string; errorCode: string }> {
  const section = docs.split('<!-- error-codes:start -->')[1]?.split('<!-- error-codes:end -->')[0] ?? ''
  const rows = new Map<string, { status: string; errorCode: string }>()
  for (const line of section.split('\n')) {
    const match = /^\| `([A-Z_]+)` \| ([^|]+) \| ([^|]+) \|/.exec(line)
    if (match) rows.set(match[1], { status: match[2].trim(), errorCode: match[3].trim() })
  }
  return rows
}

describe('error codes', () => {
  it('are the same in docs/registry.md and in the code, with the same status and error_code', () => {
    const documented = documentedRows()
    const inCode = new Map(
      (Object.entries(RegistryErrors) as [RegistryErrorName, { status: number; errorCode: number }][]).map(
        ([name, definition]) => [
          `${ERROR_CODE_PREFIX}${name}`,
          {
            status: definition.status === 0 ? '—' : String(definition.status),
            errorCode: definition.errorCode === 0 ? '—' : String(definition.errorCode),
          },
        ],
      ),
    )
    assert.ok(documented.size > 0, 'the docs table was not found')
    assert.deepEqual([...documented.keys()].sort(), [...inCode.keys()].sort())
    for (const [code, expected] of inCode) assert.deepEqual(documented.get(code), expected, code)
  })

  it('give each REST error a distinct error_code', () => {
    const codes = Object.values(RegistryErrors)
      .filter((definition) => definition.status > 0)
      .map((definition) => definition.errorCode)
    assert.equal(new Set(codes).size, codes.length)
  })

  it('carry the prefixed code, the flag and the cause, and serialize as Confluent does', () => {
    const cause = new Error('socket closed')
    const error = new RegistryError('STORE_ERROR', 'Error while writing', { cause })
    assert.deepEqual(
      [error.code, error.status, error.errorCode, error.retriable, error.cause],
      ['RUNNEL_REGISTRY_STORE_ERROR', 500, 50001, true, cause],
    )
    assert.deepEqual(error.toJSON(), { error_code: 50001, message: 'Error while writing' })
    assert.equal(error instanceof Error, true)
  })

  it('are RunnelErrors, whose code is the prefix and the name, still named RegistryError', () => {
    for (const [kind, definition] of Object.entries(RegistryErrors) as [
      RegistryErrorName,
      (typeof RegistryErrors)[RegistryErrorName],
    ][]) {
      const error = new RegistryError(kind, 'x')
      assert.ok(error instanceof RunnelError, kind)
      assert.equal(definition.code, `${ERROR_CODE_PREFIX}${kind}`)
      assert.deepEqual(
        [error.name, error.kind, error.code, error.retriable],
        ['RegistryError', kind, definition.code, definition.retriable],
      )
    }
  })
})
