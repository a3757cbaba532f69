// npm run kafka's argument handling: a bad flag is a usage error (exit 2) before anything starts.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'

const CLI = new URL('../src/cli.ts', import.meta.url).pathname

function run(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', timeout: 30_000 })
}

describe('npm run kafka', () => {
  for (const args of [['--nodes', '2'], ['--bogus'], ['--install', '--nodes', '3'], ['extra']]) {
    it(`refuses ${args.join(' ')} with the usage and exit code 2`, () => {
      const result = run(...args)
      assert.equal(result.status, 2, result.stderr)
      assert.match(result.stderr, /usage: npm run kafka -- \[--nodes 1\|3\] \[--install\]/)
    })
  }

  it('prints the usage for --help', () => {
    const result = run('--help')
    assert.equal(result.status, 0)
    assert.match(result.stdout, /--install/)
  })
})
