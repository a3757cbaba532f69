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
 * broker.ts is the broker's composition root: it builds the parts and hands each the narrow
 * services it uses (src/services.ts). Only the entry points that start a broker import it.
 */
const IMPORTS_BROKER_TS = ['packages/broker/src/index.ts', 'packages/broker/src/testing/index.ts']

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

  it('no import circle runs through broker.ts', () => {
    assert.deepEqual(circleThrough(graph, 'packages/broker/src/broker.ts'), [])
  })

  it('only the entry points that start a broker import broker.ts: its parts get services, not the broker', () => {
    const importers = graph
      .filter((f) => f.local.includes('packages/broker/src/broker.ts'))
      .map((f) => f.path)
      .sort()
    assert.deepEqual(importers, IMPORTS_BROKER_TS)
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
