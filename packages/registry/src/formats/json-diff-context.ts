// The bookkeeping of a JSON Schema comparison: where in the schema it is, what differences it
// found, which pairs of subschemas are being compared (recursive schemas stop there), and the
// small readers of keywords the rules share.

import { COMPATIBLE_JSON_CHANGES, type JsonDifferenceType } from './json-differences.ts'
import type { JsonSchemaNode } from './json-schema.ts'
import { isSchemaObject } from './json-schema-model.ts'

export interface JsonDifference {
  type: JsonDifferenceType
  path: string
  /** Extra words for the description (the values involved). */
  detail?: string
}

export class Context {
  readonly differences: JsonDifference[] = []
  readonly #path: string[]
  readonly #inProgress: Map<unknown, Set<unknown>>

  constructor(path: string[] = [], inProgress = new Map<unknown, Set<unknown>>()) {
    this.#path = path
    this.#inProgress = inProgress
  }

  sub(): Context {
    return new Context([...this.#path], this.#inProgress)
  }

  get isCompatible(): boolean {
    return this.differences.every((difference) => COMPATIBLE_JSON_CHANGES.has(difference.type))
  }

  at<T>(segment: string, run: () => T): T {
    this.#path.push(segment)
    try {
      return run()
    } finally {
      this.#path.pop()
    }
  }

  add(type: JsonDifferenceType, detail?: string, segment?: string): void {
    const path = segment === undefined ? this.#path : [...this.#path, segment]
    this.differences.push({ type, path: `#/${path.join('/')}`, detail })
  }

  addAll(differences: readonly JsonDifference[]): void {
    this.differences.push(...differences)
  }

  /** Runs `compare` unless the pair is already being compared higher up (a recursive schema). */
  guard(original: unknown, update: unknown, compare: () => void): void {
    let updates = this.#inProgress.get(original)
    if (updates?.has(update)) return
    if (!updates) this.#inProgress.set(original, (updates = new Set()))
    updates.add(update)
    try {
      compare()
    } finally {
      updates.delete(update)
    }
  }
}

export function keyword(raw: JsonSchemaNode, name: string): unknown {
  return isSchemaObject(raw) ? raw[name] : undefined
}

export function numeric(raw: JsonSchemaNode, name: string): number | undefined {
  const value = keyword(raw, name)
  return typeof value === 'number' ? value : undefined
}

export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

export type LimitTypes = readonly [
  JsonDifferenceType,
  JsonDifferenceType,
  JsonDifferenceType,
  JsonDifferenceType,
]

// [added, removed, increased, decreased]
export function compareLimit(
  ctx: Context,
  name: string,
  original: number | undefined,
  update: number | undefined,
  types: LimitTypes,
) {
  if (original === update) return
  const [added, removed, increased, decreased] = types
  if (original === undefined) ctx.add(added, `${name} ${update}`, name)
  else if (update === undefined) ctx.add(removed, `${name} ${original}`, name)
  else if (original < update) ctx.add(increased, `${original} -> ${update}`, name)
  else ctx.add(decreased, `${original} -> ${update}`, name)
}
