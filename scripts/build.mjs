#!/usr/bin/env node
// Builds every package to its dist/ (JavaScript, .d.ts, source maps) with tsc, in dependency
// order: a package's types come from the dist/ of the packages it depends on. Run by
// `npm run build`, and by `npm install` through the root `prepare` script.
import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
/** Dependency order (docs/architecture.md): nothing here depends on a later entry. */
export const PACKAGES = ['errors', 'protocol', 'broker', 'registry', 'cli']

const tsc = join(root, 'node_modules/typescript/bin/tsc')
const started = performance.now()
for (const name of PACKAGES) {
  const dir = join(root, 'packages', name)
  rmSync(join(dir, 'dist'), { recursive: true, force: true })
  const result = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'inherit',
  })
  if (result.status !== 0) {
    console.error(`build: @runnel/${name} failed`)
    process.exit(result.status ?? 1)
  }
}
console.log(`built ${PACKAGES.length} packages in ${((performance.now() - started) / 1000).toFixed(1)} s`)
