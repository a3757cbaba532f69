// The import graph of the workspace packages' sources, read from their import statements: for
// the rules in docs/architecture.md (tools/architecture/test/import-graph.test.ts).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

export const REPO_ROOT = resolve(new URL('../..', import.meta.url).pathname)

/** Package directory -> its name, for the workspace packages. */
export const PACKAGES: Record<string, string> = {
  errors: '@runnel/errors',
  protocol: '@runnel/protocol',
  broker: '@runnel/broker',
  registry: '@runnel/registry',
  cli: 'runnel',
}

export interface SourceFile {
  /** Repository-relative path. */
  path: string
  pkg: string
  /** Imported workspace files (repository-relative), by relative imports. */
  local: string[]
  /** Imported package specifiers (`@runnel/protocol`, `@runnel/registry/client`, `fastify`, ...). */
  packages: string[]
  /** Relative imports that leave the file's own package. */
  escapes: string[]
}

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) tsFiles(path, out)
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

/** Every source file of every workspace package (src/ only: what users run). */
export function readGraph(): SourceFile[] {
  const files: SourceFile[] = []
  for (const pkg of Object.keys(PACKAGES)) {
    const src = join(REPO_ROOT, 'packages', pkg, 'src')
    for (const file of tsFiles(src)) {
      const text = readFileSync(file, 'utf8')
      const local: string[] = []
      const packages: string[] = []
      const escapes: string[] = []
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2]
        if (spec.startsWith('.')) {
          const target = relative(REPO_ROOT, resolve(dirname(file), spec))
          local.push(target)
          if (!target.startsWith(`packages/${pkg}/`)) escapes.push(target)
        } else packages.push(spec)
      }
      files.push({ path: relative(REPO_ROOT, file), pkg, local, packages, escapes })
    }
  }
  return files
}

/** The files on an import circle with `start` (its strongly connected component). */
export function circleThrough(files: readonly SourceFile[], start: string): string[] {
  const edges = new Map(files.map((f) => [f.path, f.local]))
  const reach = (from: string, next: (n: string) => string[]) => {
    const seen = new Set([from])
    const stack = [from]
    while (stack.length > 0) {
      for (const n of next(stack.pop()!)) {
        if (!seen.has(n) && edges.has(n)) {
          seen.add(n)
          stack.push(n)
        }
      }
    }
    return seen
  }
  const forward = reach(start, (n) => edges.get(n) ?? [])
  const reverse = new Map<string, string[]>()
  for (const [from, tos] of edges) for (const to of tos) reverse.set(to, [...(reverse.get(to) ?? []), from])
  const backward = reach(start, (n) => reverse.get(n) ?? [])
  return [...forward].filter((f) => backward.has(f) && f !== start).sort()
}
