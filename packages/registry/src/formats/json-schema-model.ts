// Reads a JSON Schema node the way the compatibility rules look at it: `$ref` followed, `type`
// lists turned into sums (anyOf), keywords of one kind grouped into one typed schema, and own
// keywords next to allOf/anyOf/oneOf/not combined with them as a product (allOf).

import type { JsonSchemaNode } from './json-schema.ts'

export interface SchemaSide {
  root: JsonSchemaNode
  documents: ReadonlyMap<string, JsonSchemaNode>
}

/** A schema node together with the document its local `$ref`s point into. */
export interface SchemaNode {
  raw: JsonSchemaNode
  document: JsonSchemaNode
  side: SchemaSide
}

export type Shape =
  | { kind: 'empty' }
  | { kind: 'false' }
  | { kind: 'combined'; criterion: Criterion; subschemas: SchemaNode[] }
  | { kind: 'not'; schema: SchemaNode }
  | { kind: 'enum'; values: unknown[] }
  | { kind: 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null'; integer: boolean }

export type Criterion = 'allOf' | 'anyOf' | 'oneOf'
export type TypedKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null'

export type SchemaObject = { [keyword: string]: unknown }

export function isSchemaObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

const OBJECT_KEYWORDS = [
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'maxProperties',
  'minProperties',
  'dependencies',
  'dependentRequired',
  'dependentSchemas',
  'propertyNames',
]
const ARRAY_KEYWORDS = [
  'items',
  'prefixItems',
  'additionalItems',
  'maxItems',
  'minItems',
  'uniqueItems',
  'contains',
]
const STRING_KEYWORDS = ['maxLength', 'minLength', 'pattern']
const NUMBER_KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']
const COMBINERS: Criterion[] = ['allOf', 'anyOf', 'oneOf']

export function node(raw: JsonSchemaNode, parent: SchemaNode): SchemaNode {
  return { raw, document: parent.document, side: parent.side }
}

function decodePointerSegment(segment: string): string {
  return decodeURIComponent(segment).replace(/~1/g, '/').replace(/~0/g, '~')
}

function followPointer(document: JsonSchemaNode, fragment: string): JsonSchemaNode | undefined {
  const pointer = fragment.startsWith('/') ? fragment : fragment === '' ? '' : undefined
  if (pointer === undefined) return findAnchor(document, fragment)
  let current: unknown = document
  for (const segment of pointer.split('/').slice(1)) {
    const key = decodePointerSegment(segment)
    if (Array.isArray(current)) current = current[Number(key)]
    else if (isSchemaObject(current)) current = current[key]
    else return undefined
  }
  return typeof current === 'boolean' || isSchemaObject(current) ? current : undefined
}

// `#name` refers to a subschema declaring `$anchor: name` (2019-09+) or `$id: '#name'` (draft-07).
function findAnchor(document: JsonSchemaNode, anchor: string): JsonSchemaNode | undefined {
  const seen = new Set<unknown>()
  const walk = (value: unknown): JsonSchemaNode | undefined => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return undefined
    seen.add(value)
    if (isSchemaObject(value) && (value.$anchor === anchor || value.$id === `#${anchor}`)) return value
    for (const child of Object.values(value)) {
      const found = walk(child)
      if (found !== undefined) return found
    }
    return undefined
  }
  return walk(document)
}

function documentId(document: JsonSchemaNode): string | undefined {
  return isSchemaObject(document) && typeof document.$id === 'string' ? document.$id : undefined
}

function findDocument(side: SchemaSide, name: string, from: JsonSchemaNode): JsonSchemaNode | undefined {
  if (documentId(side.root) === name) return side.root
  const direct = side.documents.get(name)
  if (direct !== undefined) return direct
  const base = documentId(from)
  if (base !== undefined) {
    try {
      const absolute = new URL(name, base).href
      if (documentId(side.root) === absolute) return side.root
      const found = side.documents.get(absolute)
      if (found !== undefined) return found
    } catch {
      // not a URL base: fall through to the last resort below
    }
  }
  for (const [key, document] of side.documents) if (key.endsWith(`/${name}`)) return document
  return undefined
}

/** Follows `$ref`s (cycles end at the first repeat); an unresolvable reference reads as `{}`. */
export function resolve(start: SchemaNode): SchemaNode {
  let current = start
  const seen = new Set<unknown>()
  while (isSchemaObject(current.raw) && typeof current.raw.$ref === 'string' && !seen.has(current.raw)) {
    seen.add(current.raw)
    const ref = current.raw.$ref
    const hash = ref.indexOf('#')
    const documentPart = hash === -1 ? ref : ref.slice(0, hash)
    const fragment = hash === -1 ? '' : ref.slice(hash + 1)
    const document =
      documentPart === '' ? current.document : findDocument(current.side, documentPart, current.document)
    const target = document === undefined ? undefined : followPointer(document, fragment)
    if (target === undefined) return { raw: {}, document: current.document, side: current.side }
    current = { raw: target, document: document ?? current.document, side: current.side }
  }
  return current
}

function hasAny(raw: SchemaObject, keywords: readonly string[]): boolean {
  return keywords.some((keyword) => keyword in raw)
}

// Virtual nodes (one per type of a type list, the own keywords split from combiners) are made
// once per raw object, so the pair-based cycle detection sees stable identities.
const virtualNodes = new WeakMap<object, Map<string, SchemaObject>>()

function virtual(raw: SchemaObject, key: string, make: () => SchemaObject): SchemaObject {
  let byKey = virtualNodes.get(raw)
  if (!byKey) virtualNodes.set(raw, (byKey = new Map()))
  let made = byKey.get(key)
  if (!made) byKey.set(key, (made = make()))
  return made
}

function ownShape(raw: SchemaObject, at: SchemaNode): Shape {
  if ('const' in raw) return { kind: 'enum', values: [raw.const] }
  if (Array.isArray(raw.enum)) return { kind: 'enum', values: raw.enum }
  const type = raw.type
  if (Array.isArray(type)) {
    const types = type.filter((entry): entry is string => typeof entry === 'string')
    if (types.length === 1) return typedShape(types[0])
    return {
      kind: 'combined',
      criterion: 'anyOf',
      subschemas: types.map((entry) =>
        node(
          virtual(raw, `type:${entry}`, () => ({ ...raw, type: entry })),
          at,
        ),
      ),
    }
  }
  if (typeof type === 'string') return typedShape(type)
  if (hasAny(raw, OBJECT_KEYWORDS)) return { kind: 'object', integer: false }
  if (hasAny(raw, ARRAY_KEYWORDS)) return { kind: 'array', integer: false }
  if (hasAny(raw, STRING_KEYWORDS)) return { kind: 'string', integer: false }
  if (hasAny(raw, NUMBER_KEYWORDS)) return { kind: 'number', integer: false }
  return { kind: 'empty' }
}

function typedShape(type: string): Shape {
  switch (type) {
    case 'integer':
      return { kind: 'number', integer: true }
    case 'object':
    case 'array':
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
      return { kind: type, integer: false }
    default:
      return { kind: 'empty' }
  }
}

export function shapeOf(start: SchemaNode): { shape: Shape; node: SchemaNode } {
  const at = resolve(start)
  const raw = at.raw
  if (raw === true) return { shape: { kind: 'empty' }, node: at }
  if (raw === false) return { shape: { kind: 'false' }, node: at }
  const parts: Shape[] = []
  for (const criterion of COMBINERS) {
    const subschemas = raw[criterion]
    if (Array.isArray(subschemas)) {
      parts.push({
        kind: 'combined',
        criterion,
        subschemas: subschemas.map((sub) => node(sub as JsonSchemaNode, at)),
      })
    }
  }
  if (raw.not !== undefined) parts.push({ kind: 'not', schema: node(raw.not as JsonSchemaNode, at) })
  const own = ownShape(raw, at)
  if (parts.length === 0) return { shape: own, node: at }
  if (own.kind === 'empty' && parts.length === 1) return { shape: parts[0], node: at }
  // Own keywords and combiners together: the value must satisfy all of them.
  const subschemas: SchemaNode[] = []
  if (own.kind !== 'empty') {
    subschemas.push(
      node(
        virtual(raw, 'own', () => {
          const { allOf: _a, anyOf: _b, oneOf: _c, not: _d, ...rest } = raw
          return rest
        }),
        at,
      ),
    )
  }
  for (const criterion of COMBINERS) {
    if (Array.isArray(raw[criterion])) {
      subschemas.push(
        node(
          virtual(raw, criterion, () => ({ [criterion]: raw[criterion] })),
          at,
        ),
      )
    }
  }
  if (raw.not !== undefined)
    subschemas.push(
      node(
        virtual(raw, 'not', () => ({ not: raw.not })),
        at,
      ),
    )
  return { shape: { kind: 'combined', criterion: 'allOf', subschemas }, node: at }
}

/** A readable name for a shape, used in descriptions. */
export function describeShape(shape: Shape): string {
  switch (shape.kind) {
    case 'empty':
      return 'any value'
    case 'false':
      return 'no value'
    case 'combined':
      return shape.criterion
    case 'not':
      return 'not'
    case 'enum':
      return 'enum'
    case 'number':
      return shape.integer ? 'integer' : 'number'
    default:
      return shape.kind
  }
}
