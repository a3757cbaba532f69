// Every error code a user can meet is documented (STYLE.md habit 4): the Runnel codes thrown
// anywhere in packages/*/src appear on a docs/ page, and every Kafka error code the broker
// writes into a response is explained in docs/errors.md.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { it } from 'node:test'
import { ErrorCode } from '@runnel/protocol'

const root = new URL('../../../', import.meta.url).pathname

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) sources(path, out)
    else if (name.endsWith('.ts')) out.push(path)
  }
  return out
}

function packageSourcesOf(p: string): string[] {
  try {
    return sources(join(root, 'packages', p, 'src'))
  } catch {
    return []
  }
}

const sourcesByPackage = new Map(readdirSync(join(root, 'packages')).map((p) => [p, packageSourcesOf(p)]))
const packageSources = [...sourcesByPackage.values()].flat()
const docs = readdirSync(join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => readFileSync(join(root, 'docs', f), 'utf8'))
  .join('\n')

function codesIn(files: readonly string[]): Set<string> {
  const codes = new Set<string>()
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(/'(RUNNEL_[A-Z0-9_]*[A-Z0-9])'/g)) codes.add(m[1])
  }
  return codes
}

it('documents every RUNNEL_ error code used in the sources', () => {
  const codes = codesIn(packageSources)
  // Prefixes that build codes at run time are documented by the page that owns them.
  const built = [...codes].filter((c) => !c.endsWith('_'))
  assert.ok(built.length >= 10, `found only ${built.length} codes: the scan is broken`)
  const missing = built.filter((c) => !c.startsWith('RUNNEL_TEST_') && !docs.includes(`\`${c}\``))
  assert.deepEqual(missing, [], `undocumented error codes: ${missing.join(', ')}`)
})

it('finds the codes of every package that makes RunnelErrors (a code built at run time escapes the scan)', () => {
  const silent = [...sourcesByPackage]
    .filter(([name]) => name !== 'errors') // the base class itself has no codes
    .filter(([, files]) => files.some((file) => /\bRunnelError\b/.test(readFileSync(file, 'utf8'))))
    .filter(([, files]) => codesIn(files).size === 0)
    .map(([name]) => name)
  assert.deepEqual(silent, [], `packages whose error codes the scan cannot see: ${silent.join(', ')}`)
  // The schema registry's codes are checked here too, not only against its own table.
  assert.ok(codesIn(sourcesByPackage.get('registry') ?? []).has('RUNNEL_REGISTRY_INVALID_SCHEMA'))
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
