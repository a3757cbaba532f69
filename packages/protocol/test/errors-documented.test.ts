// Every error code a user can meet is documented (STYLE.md habit 4): the Runnel codes thrown
// anywhere in packages/*/src appear on a docs/ page, and every Kafka error code the broker
// writes into a response is explained in docs/errors.md.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { it } from 'node:test'
import { ErrorCode } from '../src/index.ts'

const root = new URL('../../../', import.meta.url).pathname

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) sources(path, out)
    else if (name.endsWith('.ts')) out.push(path)
  }
  return out
}

const packageSources = readdirSync(join(root, 'packages')).flatMap((p) => {
  try {
    return sources(join(root, 'packages', p, 'src'))
  } catch {
    return []
  }
})
const docs = readdirSync(join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => readFileSync(join(root, 'docs', f), 'utf8'))
  .join('\n')

it('documents every RUNNEL_ error code used in the sources', () => {
  const codes = new Set<string>()
  for (const file of packageSources) {
    for (const m of readFileSync(file, 'utf8').matchAll(/'(RUNNEL_[A-Z0-9_]*[A-Z0-9])'/g)) codes.add(m[1])
  }
  // Prefixes that build codes at run time are documented by the page that owns them.
  const built = [...codes].filter((c) => !c.endsWith('_'))
  assert.ok(built.length >= 10, `found only ${built.length} codes: the scan is broken`)
  const missing = built.filter((c) => !c.startsWith('RUNNEL_TEST_') && !docs.includes(`\`${c}\``))
  assert.deepEqual(missing, [], `undocumented error codes: ${missing.join(', ')}`)
})

it('explains in docs/errors.md every Kafka error code the broker returns', () => {
  const errorsPage = readFileSync(join(root, 'docs/errors.md'), 'utf8')
  const used = new Set<string>()
  for (const file of packageSources.filter((f) => f.includes('/packages/broker/'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/ErrorCode\.([A-Z_]+)/g)) used.add(m[1])
  }
  assert.ok(used.size >= 10, `found only ${used.size} codes: the scan is broken`)
  const missing = [...used].filter((name) => {
    const code = (ErrorCode as Record<string, number>)[name]
    return code === undefined || !errorsPage.includes(`| ${code} | \`${name}\` |`)
  })
  assert.deepEqual(missing, [], `Kafka error codes returned but not explained: ${missing.join(', ')}`)
})
