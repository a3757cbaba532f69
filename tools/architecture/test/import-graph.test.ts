// The dependency rules of docs/architecture.md, checked on the sources' import statements.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { circleThrough, PACKAGES, REPO_ROOT, readGraph } from '../import-graph.ts'

/** Which workspace packages each package may import (docs/architecture.md, "Directions"). */
const ALLOWED: Record<string, string[]> = {
  errors: [],
  protocol: ['@runnel/errors'],
  broker: ['@runnel/errors', '@runnel/protocol'],
  registry: ['@runnel/errors', '@runnel/protocol'],
  cli: ['@runnel/errors', '@runnel/protocol', '@runnel/broker', '@runnel/registry'],
}

/**
 * Files on the import circle through broker.ts today: the Broker object every coordinator and
 * handler reaches through (issue 10, item 4, takes it to 0); every handler sits on it while it
 * takes the Broker, so 50 counts WriteTxnMarkers. Outside new handlers, the number may only go down.
 */
const BROKER_CIRCLE_AT_MOST = 50

const graph = readGraph()
const workspaceName = (spec: string) =>
  Object.values(PACKAGES).find((name) => spec === name || spec.startsWith(`${name}/`))
const exportsOf = (pkg: string): string[] => {
  const json = JSON.parse(readFileSync(join(REPO_ROOT, 'packages', pkg, 'package.json'), 'utf8')) as {
    name: string
    exports: Record<string, unknown>
  }
  return Object.keys(json.exports).map((k) => (k === '.' ? json.name : `${json.name}/${k.slice(2)}`))
}
const publicEntries = new Set(Object.keys(PACKAGES).flatMap(exportsOf))

describe('import graph (docs/architecture.md)', () => {
  it('reads every package', () => {
    for (const pkg of Object.keys(PACKAGES))
      assert.ok(
        graph.some((f) => f.pkg === pkg),
        pkg,
      )
  })

  it('packages import each other only in the allowed directions', () => {
    const wrong: string[] = []
    for (const f of graph) {
      for (const spec of f.packages) {
        const name = workspaceName(spec)
        if (name && !ALLOWED[f.pkg].includes(name)) wrong.push(`${f.path} imports ${spec}`)
      }
    }
    assert.deepEqual(wrong, [])
  })

  it('across packages only public entry points: no relative path into another package, no deep import', () => {
    const wrong: string[] = []
    for (const f of graph) {
      for (const e of f.escapes) wrong.push(`${f.path} reaches into ${e}`)
      for (const spec of f.packages)
        if (workspaceName(spec) && !publicEntries.has(spec)) wrong.push(`${f.path} imports ${spec}`)
    }
    assert.deepEqual(wrong, [])
  })

  it(`the import circle through broker.ts holds at most ${BROKER_CIRCLE_AT_MOST} files, and does not grow`, (t) => {
    const circle = circleThrough(graph, 'packages/broker/src/broker.ts')
    t.diagnostic(`${circle.length} files on the circle through broker.ts`)
    assert.ok(circle.length <= BROKER_CIRCLE_AT_MOST, `${circle.length} files:\n${circle.join('\n')}`)
  })

  it('the check sees a circle when there is one (its own self-test)', () => {
    const fake = [
      { path: 'a.ts', pkg: 'broker', local: ['b.ts'], packages: [], escapes: [] },
      { path: 'b.ts', pkg: 'broker', local: ['c.ts'], packages: [], escapes: [] },
      { path: 'c.ts', pkg: 'broker', local: ['a.ts'], packages: [], escapes: [] },
      { path: 'd.ts', pkg: 'broker', local: ['a.ts'], packages: [], escapes: [] },
    ]
    assert.deepEqual(circleThrough(fake, 'a.ts'), ['b.ts', 'c.ts'])
  })
})
