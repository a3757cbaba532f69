// The packages as a team installs them: every workspace package is built, packed with `npm pack`,
// and the tarballs installed into an empty project outside the workspace (its dependencies from
// the npm registry, as for any user). There every public entry point imports, `runnel --version`
// runs from dist/ with no tsx anywhere, a broker started from the installed package answers the
// installed CLI, and the registry's /client and /serdes load none of the server's libraries.
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'

const ROOT = new URL('../../../', import.meta.url).pathname
const PACKAGES = readdirSync(join(ROOT, 'packages')).filter((p) =>
  existsSync(join(ROOT, 'packages', p, 'package.json')),
)
const npm = (args: string[], cwd: string) =>
  execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 })

/** Runs an ES module in the installed project with this test's Node; returns its stdout. */
function runIn(project: string, source: string): string {
  const file = join(project, `check-${Math.random().toString(36).slice(2)}.mjs`)
  writeFileSync(file, source)
  const r = spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8', timeout: 60_000 })
  assert.equal(r.status, 0, `${source}\n--- stderr ---\n${r.stderr}`)
  return r.stdout
}

describe('packed and installed outside the workspace', { timeout: 600_000 }, () => {
  let work: string
  let project: string

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'runnel-pack-'))
    project = join(work, 'app')
    execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'pipe' })
    const tarballs = PACKAGES.map((p) => {
      const out = npm(['pack', '--json', `--workspace=packages/${p}`, `--pack-destination=${work}`], ROOT)
      return join(work, (JSON.parse(out) as { filename: string }[])[0].filename)
    })
    execFileSync('mkdir', ['-p', project])
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module' }),
    )
    npm(['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], project)
  })
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('ships dist/ and declarations, and no TypeScript loader', () => {
    for (const p of PACKAGES) {
      const name = JSON.parse(readFileSync(join(ROOT, 'packages', p, 'package.json'), 'utf8')).name as string
      const dir = join(project, 'node_modules', name)
      assert.ok(existsSync(join(dir, 'dist/index.js')), `${name}: dist/index.js`)
      assert.ok(existsSync(join(dir, 'dist/index.d.ts')), `${name}: dist/index.d.ts`)
    }
    assert.equal(existsSync(join(project, 'node_modules/tsx')), false, 'tsx is not installed for users')
  })

  it('imports every public entry point', () => {
    const entries = [
      '@runnel/errors',
      '@runnel/protocol',
      '@runnel/broker',
      '@runnel/broker/testing',
      '@runnel/registry',
      '@runnel/registry/client',
      '@runnel/registry/serdes',
      '@runnel/registry/server',
      'runnel',
    ]
    const out = runIn(
      project,
      `const counts = {}
for (const e of ${JSON.stringify(entries)}) counts[e] = Object.keys(await import(e)).length
console.log(JSON.stringify(counts))`,
    )
    const counts = JSON.parse(out) as Record<string, number>
    for (const e of entries) assert.ok(counts[e] > 0, `${e} exports nothing: ${out}`)
  })

  it('runs `runnel --version` from dist/, and the installed CLI talks to a broker from the installed package', () => {
    const bin = join(project, 'node_modules/.bin/runnel')
    const version = spawnSync(bin, ['--version'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${process.execPath.replace(/\/node$/, '')}:${process.env.PATH}` },
    })
    assert.equal(version.status, 0, version.stderr)
    assert.match(version.stdout, /^runnel \d+\.\d+\.\d+/)
    const out = runIn(
      project,
      `import { startBroker } from '@runnel/broker'
import { main } from 'runnel'
const broker = await startBroker({ port: 0, host: '127.0.0.1', logLevel: 'silent' })
const code = await main(['topic', 'create', 'packed', '--partitions', '2', '--brokers', broker.bootstrap])
await broker.close()
console.log(JSON.stringify({ code }))`,
    )
    assert.match(out, /"code":0/)
  })

  it('@runnel/registry/client and /serdes load no server or schema library until a schema needs one', () => {
    const out = runIn(
      project,
      `import { registerHooks } from 'node:module'
const seen = new Set()
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.add(r.url); return r } })
await import('@runnel/registry/client')
await import('@runnel/registry/serdes')
console.log(JSON.stringify([...seen].map((u) => /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(u)?.[1]).filter(Boolean)))`,
    )
    const loaded = new Set(JSON.parse(out) as string[])
    for (const heavy of ['fastify', 'avsc', 'ajv', 'protobufjs', '@platformatic/kafka'])
      assert.equal(loaded.has(heavy), false, `${heavy} was loaded: ${[...loaded].join(', ')}`)
  })
})
