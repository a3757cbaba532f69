#!/usr/bin/env node
// Runs every `*.test.ts` below packages/*/test, tools/*/test and compat/*/test (or the paths given) with
// node:test through tsx, resolving the workspace packages to their sources (the `runnel-source`
// export condition), so tests need no build. test/pack.test.ts checks the built packages.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const args = process.argv.slice(2)
const roots =
  args.length > 0
    ? args
    : ['packages', 'tools', 'compat'].flatMap((dir) =>
        readdirSync(join(root, dir)).map((p) => join(dir, p, 'test')),
      )

function collect(path, out) {
  let st
  try {
    st = statSync(path)
  } catch {
    return out
  }
  if (st.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path)
    return out
  }
  for (const name of readdirSync(path).sort()) {
    if (name === 'node_modules' || name === 'fixtures') continue
    collect(join(path, name), out)
  }
  return out
}

const files = roots.flatMap((r) => collect(join(root, r), [])).map((f) => relative(root, f))
if (files.length === 0) {
  console.error('no test files found')
  process.exit(1)
}
const result = spawnSync(
  process.execPath,
  ['--conditions=runnel-source', '--import', 'tsx', '--test', '--test-reporter=spec', ...files],
  {
    cwd: root,
    stdio: 'inherit',
  },
)
process.exit(result.status ?? 1)
