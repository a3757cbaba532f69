// Reads Maven Surefire's XML reports (target/surefire-reports/<target>/TEST-*.xml): one <testsuite>
// per class, one <testcase> per test, with a <failure>, <error> or <skipped> child when it did not
// pass. Only the attributes are read; the stack traces in the element bodies are left to the log.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

export type Outcome = 'passed' | 'failed' | 'error' | 'skipped'

export interface TestCase {
  /** `Class#method`, the class without its package: `ProducerTest#logAppendTime...`. */
  name: string
  outcome: Outcome
  /** The assertion's, exception's or assumption's message (empty when none). */
  message: string
  /** The exception type of a failure or error. */
  type: string
  seconds: number
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function decode(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (all, entity: string) => {
    if (entity[0] === '#') {
      const code =
        entity[1] === 'x' || entity[1] === 'X'
          ? Number.parseInt(entity.slice(2), 16)
          : Number(entity.slice(1))
      return String.fromCodePoint(code)
    }
    return ENTITIES[entity] ?? all
  })
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of tag.matchAll(/([\w:.-]+)="([^"]*)"/g)) out[m[1]] = decode(m[2])
  return out
}

/**
 * Surefire writes an assumption's message only in the body, as the first line of the stack trace
 * (`org.opentest4j.TestAbortedException: Assumption failed: ...`).
 */
function firstLine(body: string, type: string | undefined): string {
  const text = decode(body.replace(/^\s*<!\[CDATA\[/, '').replace(/\]\]>\s*$/, ''))
  const line = text.split('\n')[0].trim()
  return type && line.startsWith(`${type}: `) ? line.slice(type.length + 2) : line
}

/** The test cases of one report file's text. */
export function parseReport(xml: string): TestCase[] {
  const cases: TestCase[] = []
  // <testcase .../> or <testcase ...>children</testcase>
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = attributes(m[1])
    const body = m[2] ?? ''
    const child = /<(failure|error|skipped)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(body)
    const childAttrs = child ? attributes(child[2]) : {}
    const outcome: Outcome =
      child?.[1] === 'failure' ? 'failed' : child?.[1] === 'error' ? 'error' : child ? 'skipped' : 'passed'
    const className = (attrs.classname ?? '').split('.').pop()
    cases.push({
      name: `${className}#${attrs.name ?? '?'}`,
      outcome,
      message: childAttrs.message ?? (child ? firstLine(child[3] ?? '', childAttrs.type) : ''),
      type: childAttrs.type ?? '',
      seconds: Number(attrs.time ?? 0),
    })
  }
  return cases
}

/** Every test case of every TEST-*.xml in a reports folder (none when it does not exist). */
export function readReports(dir: string): TestCase[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return names
    .filter((n) => n.startsWith('TEST-') && n.endsWith('.xml'))
    .sort()
    .flatMap((n) => parseReport(readFileSync(join(dir, n), 'utf8')))
}

/** One line per test that failed or errored: its name, the exception type and message. */
export function describeFailures(cases: readonly TestCase[]): string {
  return cases
    .filter((c) => c.outcome === 'failed' || c.outcome === 'error')
    .map((c) => `${c.name} ${c.outcome === 'error' ? 'ERROR' : 'FAILED'}: ${c.type} ${c.message}`.trim())
    .join('\n')
}
