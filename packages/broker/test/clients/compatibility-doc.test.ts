// docs/compatibility.md lists the APIs and versions the broker advertises; this keeps the
// list and the handler registry (what ApiVersions answers) in agreement.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { it } from 'node:test'
import { apiVersionsTable, COMPATIBILITY_DOC, documentedTable } from '../helpers/api-versions-table.ts'

it('docs/compatibility.md lists exactly the APIs and versions the broker advertises', () => {
  const documented = documentedTable(readFileSync(COMPATIBILITY_DOC, 'utf8'))
  assert.ok(documented !== undefined, 'the api-versions markers are missing from docs/compatibility.md')
  assert.equal(
    documented,
    apiVersionsTable(),
    'run `npx tsx packages/broker/test/helpers/api-versions-table.ts --write` and review the diff',
  )
})
