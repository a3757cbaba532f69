// `--write-docs`: replaces the measured part of docs/benchmarks.md, the text between the
// begin and end markers; the prose around it (what limits each figure) is written by hand.
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const BEGIN = '<!-- bench:results:begin (written by `npm run bench -- --write-docs`; edit outside) -->'
export const END = '<!-- bench:results:end -->'

/** Rewrites the section, then formats the page as biome would, if biome.json includes Markdown. */
export function writeDocs(repoRoot: string, path: string, generated: string): void {
  const text = readFileSync(path, 'utf8')
  const begin = text.indexOf(BEGIN)
  const end = text.indexOf(END)
  if (begin < 0 || end < begin) throw new Error(`${path} has no "${BEGIN}" ... "${END}" section to replace`)
  writeFileSync(path, `${text.slice(0, begin + BEGIN.length)}\n\n${generated.trim()}\n\n${text.slice(end)}`)
  try {
    execFileSync(
      join(repoRoot, 'node_modules/.bin/biome'),
      ['format', '--write', '--no-errors-on-unmatched', path],
      { stdio: 'ignore' },
    )
  } catch {
    process.stderr.write(`${path}: biome could not format it; run npm run format\n`)
  }
}
