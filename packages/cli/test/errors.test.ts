import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { CliErrorCode } from '../src/errors.ts'

const doc = readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8')

test('every CLI error code is documented in docs/cli.md, and the doc names no other', () => {
  const documented = new Set(doc.match(/RUNNEL_CLI_[A-Z_]+/g))
  assert.deepEqual([...documented].sort(), Object.keys(CliErrorCode).sort())
})
