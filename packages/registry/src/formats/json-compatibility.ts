// JSON Schema compatibility, by Confluent's rules: compare the schema data was written with
// (the writer) to the one it is read with (the reader) and classify every difference; a change
// is compatible when each difference is one that cannot make the reader reject the writer's
// data. The central idea is the content model of an object: open (any extra property allowed),
// closed (additionalProperties false) or partially open (patternProperties or a schema for
// additionalProperties), which decides whether adding or removing a property is safe.

import type { CompatibilityRoles, Incompatibility } from './format.ts'
import {
  COMPATIBLE_JSON_CHANGES,
  describeJsonDifference,
  type JsonDifferenceType,
} from './json-differences.ts'
import type { JsonSchemaNode, ParsedJsonSchema } from './json-schema.ts'
import {
  describeShape,
  isSchemaObject,
  node,
  type SchemaNode,
  type SchemaObject,
  type SchemaSide,
  type Shape,
  shapeOf,
} from './json-schema-model.ts'

export interface JsonDifference {
  type: JsonDifferenceType
  path: string
  /** Extra words for the description (the values involved). */
  detail?: string
}

class Context {
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

function keyword(raw: JsonSchemaNode, name: string): unknown {
  return isSchemaObject(raw) ? raw[name] : undefined
}

function numeric(raw: JsonSchemaNode, name: string): number | undefined {
  const value = keyword(raw, name)
  return typeof value === 'number' ? value : undefined
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

type LimitTypes = readonly [JsonDifferenceType, JsonDifferenceType, JsonDifferenceType, JsonDifferenceType]

// [added, removed, increased, decreased]
function compareLimit(
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

function compare(ctx: Context, original: SchemaNode | undefined, update: SchemaNode | undefined): void {
  if (original === undefined && update === undefined) return
  if (original === undefined) {
    ctx.add('SCHEMA_ADDED')
    return
  }
  if (update === undefined) {
    ctx.add('SCHEMA_REMOVED')
    return
  }
  const left = shapeOf(original)
  const right = shapeOf(update)
  const o = left.shape
  const u = right.shape

  if (o.kind !== 'combined' && u.kind === 'combined') {
    // A single-branch combination is its branch; a sum that has a branch accepting the old
    // schema extends it.
    if (u.subschemas.length === 1) {
      const sub = ctx.sub()
      compare(sub, left.node, u.subschemas[0])
      if (sub.isCompatible) {
        ctx.addAll(sub.differences)
        return
      }
    } else if (u.criterion !== 'allOf') {
      for (const branch of u.subschemas) {
        const sub = ctx.sub()
        compare(sub, left.node, branch)
        if (sub.isCompatible) {
          ctx.addAll(sub.differences)
          ctx.add('SUM_TYPE_EXTENDED')
          return
        }
      }
    }
  } else if (o.kind === 'combined' && u.kind !== 'combined' && o.subschemas.length === 1) {
    const sub = ctx.sub()
    compare(sub, o.subschemas[0], right.node)
    if (sub.isCompatible) {
      ctx.addAll(sub.differences)
      return
    }
  }

  if (o.kind !== u.kind) {
    // Nothing was valid before, or anything is valid now: no old data can be rejected.
    if (o.kind === 'false' || u.kind === 'empty') return
    ctx.add('TYPE_CHANGED', `${describeShape(o)} -> ${describeShape(u)}`)
    return
  }

  ctx.guard(left.node.raw, right.node.raw, () => {
    const oRaw = left.node.raw
    const uRaw = right.node.raw
    if (!sameJson(keyword(oRaw, '$id') ?? keyword(oRaw, 'id'), keyword(uRaw, '$id') ?? keyword(uRaw, 'id'))) {
      ctx.add('ID_CHANGED')
    }
    if (!sameJson(keyword(oRaw, 'title'), keyword(uRaw, 'title'))) ctx.add('TITLE_CHANGED')
    if (!sameJson(keyword(oRaw, 'description'), keyword(uRaw, 'description'))) ctx.add('DESCRIPTION_CHANGED')
    if (!sameJson(keyword(oRaw, 'default'), keyword(uRaw, 'default'))) ctx.add('DEFAULT_CHANGED')
    switch (o.kind) {
      case 'string':
        return compareString(ctx, oRaw, uRaw)
      case 'number':
        return compareNumber(ctx, oRaw, uRaw, o, u)
      case 'enum':
        return compareEnum(ctx, o.values, (u as Extract<Shape, { kind: 'enum' }>).values)
      case 'combined':
        return compareCombined(ctx, o, u as Extract<Shape, { kind: 'combined' }>)
      case 'not':
        return compareNot(ctx, o.schema, (u as Extract<Shape, { kind: 'not' }>).schema)
      case 'object':
        return compareObject(ctx, left.node, right.node)
      case 'array':
        return compareArray(ctx, left.node, right.node)
      default:
        return
    }
  })
}

function compareString(ctx: Context, o: JsonSchemaNode, u: JsonSchemaNode): void {
  compareLimit(ctx, 'maxLength', numeric(o, 'maxLength'), numeric(u, 'maxLength'), [
    'MAX_LENGTH_ADDED',
    'MAX_LENGTH_REMOVED',
    'MAX_LENGTH_INCREASED',
    'MAX_LENGTH_DECREASED',
  ])
  compareLimit(ctx, 'minLength', numeric(o, 'minLength'), numeric(u, 'minLength'), [
    'MIN_LENGTH_ADDED',
    'MIN_LENGTH_REMOVED',
    'MIN_LENGTH_INCREASED',
    'MIN_LENGTH_DECREASED',
  ])
  const before = keyword(o, 'pattern')
  const after = keyword(u, 'pattern')
  if (before === after) return
  if (before === undefined) ctx.add('PATTERN_ADDED', `pattern ${JSON.stringify(after)}`, 'pattern')
  else if (after === undefined) ctx.add('PATTERN_REMOVED', undefined, 'pattern')
  else ctx.add('PATTERN_CHANGED', `${JSON.stringify(before)} -> ${JSON.stringify(after)}`, 'pattern')
}

function compareNumber(ctx: Context, o: JsonSchemaNode, u: JsonSchemaNode, os: Shape, us: Shape): void {
  compareLimit(ctx, 'maximum', numeric(o, 'maximum'), numeric(u, 'maximum'), [
    'MAXIMUM_ADDED',
    'MAXIMUM_REMOVED',
    'MAXIMUM_INCREASED',
    'MAXIMUM_DECREASED',
  ])
  compareLimit(ctx, 'minimum', numeric(o, 'minimum'), numeric(u, 'minimum'), [
    'MINIMUM_ADDED',
    'MINIMUM_REMOVED',
    'MINIMUM_INCREASED',
    'MINIMUM_DECREASED',
  ])
  compareLimit(ctx, 'exclusiveMaximum', numeric(o, 'exclusiveMaximum'), numeric(u, 'exclusiveMaximum'), [
    'EXCLUSIVE_MAXIMUM_ADDED',
    'EXCLUSIVE_MAXIMUM_REMOVED',
    'EXCLUSIVE_MAXIMUM_INCREASED',
    'EXCLUSIVE_MAXIMUM_DECREASED',
  ])
  compareLimit(ctx, 'exclusiveMinimum', numeric(o, 'exclusiveMinimum'), numeric(u, 'exclusiveMinimum'), [
    'EXCLUSIVE_MINIMUM_ADDED',
    'EXCLUSIVE_MINIMUM_REMOVED',
    'EXCLUSIVE_MINIMUM_INCREASED',
    'EXCLUSIVE_MINIMUM_DECREASED',
  ])
  const before = numeric(o, 'multipleOf')
  const after = numeric(u, 'multipleOf')
  if (before !== after) {
    const detail = `${before ?? 'none'} -> ${after ?? 'none'}`
    if (before === undefined) ctx.add('MULTIPLE_OF_ADDED', detail, 'multipleOf')
    else if (after === undefined) ctx.add('MULTIPLE_OF_REMOVED', detail, 'multipleOf')
    // Every multiple of 6 is a multiple of 3: 3 -> 6 accepts less (expanded), 6 -> 3 accepts more.
    else if (Number.isInteger(after / before)) ctx.add('MULTIPLE_OF_EXPANDED', detail, 'multipleOf')
    else if (Number.isInteger(before / after)) ctx.add('MULTIPLE_OF_REDUCED', detail, 'multipleOf')
    else ctx.add('MULTIPLE_OF_CHANGED', detail, 'multipleOf')
  }
  const wasInteger = os.kind === 'number' && os.integer
  const isInteger = us.kind === 'number' && us.integer
  if (wasInteger && !isInteger) ctx.add('TYPE_EXTENDED', 'integer -> number')
  else if (!wasInteger && isInteger) ctx.add('TYPE_NARROWED', 'number -> integer')
}

function compareEnum(ctx: Context, original: unknown[], update: unknown[]): void {
  const before = original.map((value) => JSON.stringify(value))
  const after = update.map((value) => JSON.stringify(value))
  const removed = before.filter((value) => !after.includes(value))
  const added = after.filter((value) => !before.includes(value))
  if (removed.length === 0 && added.length === 0) return
  if (removed.length === 0) ctx.add('ENUM_ARRAY_EXTENDED', `added ${added.join(', ')}`)
  else if (added.length === 0) ctx.add('ENUM_ARRAY_NARROWED', `removed ${removed.join(', ')}`)
  else ctx.add('ENUM_ARRAY_CHANGED', `removed ${removed.join(', ')}; added ${added.join(', ')}`)
}

type Combined = Extract<Shape, { kind: 'combined' }>

function compareCombined(ctx: Context, o: Combined, u: Combined): void {
  if (o.criterion !== u.criterion) {
    // anyOf accepts whatever allOf or oneOf accepted; single-branch combinations are all alike.
    const singleton = (shape: Combined) => shape.subschemas.length === 1
    const extended =
      u.criterion === 'anyOf' ||
      (u.criterion === 'oneOf' && singleton(o)) ||
      (u.criterion === 'allOf' && singleton(o) && singleton(u))
    if (!extended) {
      ctx.add('COMBINED_TYPE_CHANGED', `${o.criterion} -> ${u.criterion}`)
      return
    }
    ctx.add('COMBINED_TYPE_EXTENDED', `${o.criterion} -> ${u.criterion}`)
  }
  const originals = o.subschemas
  const updates = u.subschemas
  if (originals.length < updates.length)
    ctx.add(u.criterion === 'allOf' ? 'PRODUCT_TYPE_EXTENDED' : 'SUM_TYPE_EXTENDED')
  else if (originals.length > updates.length) {
    ctx.add(u.criterion === 'allOf' ? 'PRODUCT_TYPE_NARROWED' : 'SUM_TYPE_NARROWED')
  }
  // Pair each old branch with a new branch that accepts what it accepted (a maximum matching).
  const compatible: (JsonDifference[] | undefined)[][] = originals.map((original, index) =>
    ctx.at(`${o.criterion}/${index}`, () =>
      updates.map((update) => {
        const sub = ctx.sub()
        compare(sub, original, update)
        return sub.isCompatible ? sub.differences : undefined
      }),
    ),
  )
  const matchOfUpdate = new Array<number>(updates.length).fill(-1)
  const tryAssign = (i: number, visited: boolean[]): boolean => {
    for (let j = 0; j < updates.length; j++) {
      if (compatible[i][j] === undefined || visited[j]) continue
      visited[j] = true
      if (matchOfUpdate[j] === -1 || tryAssign(matchOfUpdate[j], visited)) {
        matchOfUpdate[j] = i
        return true
      }
    }
    return false
  }
  let matched = 0
  for (let i = 0; i < originals.length; i++)
    if (tryAssign(i, new Array<boolean>(updates.length).fill(false))) matched++
  matchOfUpdate.forEach((i, j) => {
    if (i !== -1) ctx.addAll(compatible[i][j] ?? [])
  })
  if (matched < Math.min(originals.length, updates.length)) ctx.add('COMBINED_TYPE_SUBSCHEMAS_CHANGED')
}

// `not` turns the comparison around: the new schema accepts more when it excludes less.
function compareNot(ctx: Context, original: SchemaNode, update: SchemaNode): void {
  const same = ctx.sub()
  compare(same, original, update)
  if (same.differences.length === 0) return
  const reversed = ctx.sub()
  compare(reversed, update, original)
  ctx.add(reversed.isCompatible ? 'NOT_TYPE_NARROWED' : 'NOT_TYPE_EXTENDED')
}

function properties(raw: JsonSchemaNode): SchemaObject {
  const value = keyword(raw, 'properties')
  return isSchemaObject(value) ? value : {}
}

function required(raw: JsonSchemaNode): string[] {
  const value = keyword(raw, 'required')
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : []
}

// additionalProperties: absent, true and {} all allow any extra property.
function isPermissive(value: unknown): boolean {
  return value === undefined || value === true || (isSchemaObject(value) && Object.keys(value).length === 0)
}

function additionalSchema(raw: JsonSchemaNode, name: string): JsonSchemaNode | undefined {
  const value = keyword(raw, name)
  return isPermissive(value) || value === false ? undefined : (value as JsonSchemaNode)
}

function isOpenObject(raw: JsonSchemaNode): boolean {
  const patterns = keyword(raw, 'patternProperties')
  const hasPatterns = isSchemaObject(patterns) && Object.keys(patterns).length > 0
  return !hasPatterns && isPermissive(keyword(raw, 'additionalProperties'))
}

function patternMatches(pattern: string, key: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(key)
  } catch {
    return false
  }
}

/** The schema a partially open object applies to an undeclared property `key`, if any. */
function partialSchemaFor(at: SchemaNode, key: string): SchemaNode | undefined {
  const patterns = keyword(at.raw, 'patternProperties')
  if (isSchemaObject(patterns)) {
    for (const [pattern, schema] of Object.entries(patterns)) {
      if (patternMatches(pattern, key)) return node(schema as JsonSchemaNode, at)
    }
  }
  const additional = additionalSchema(at.raw, 'additionalProperties')
  return additional === undefined ? undefined : node(additional, at)
}

function hasDefault(at: SchemaNode | undefined): boolean {
  return at !== undefined && isSchemaObject(at.raw) && 'default' in at.raw
}

function compareObject(ctx: Context, o: SchemaNode, u: SchemaNode): void {
  const oProperties = properties(o.raw)
  const uProperties = properties(u.raw)
  const oRequired = required(o.raw)
  const uRequired = required(u.raw)

  ctx.at('required', () => {
    for (const key of Object.keys(oProperties)) {
      if (!(key in uProperties)) continue
      const was = oRequired.includes(key)
      const is = uRequired.includes(key)
      if (was && !is) ctx.add('REQUIRED_ATTRIBUTE_REMOVED', undefined, key)
      else if (!was && is) {
        const withDefault = hasDefault(node(uProperties[key] as JsonSchemaNode, u))
        ctx.add(
          withDefault ? 'REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED' : 'REQUIRED_ATTRIBUTE_ADDED',
          undefined,
          key,
        )
      }
    }
  })

  ctx.at('properties', () => {
    const keys = [...new Set([...Object.keys(oProperties), ...Object.keys(uProperties)])]
    for (const key of keys) {
      ctx.at(key, () => {
        const before = key in oProperties ? node(oProperties[key] as JsonSchemaNode, o) : undefined
        const after = key in uProperties ? node(uProperties[key] as JsonSchemaNode, u) : undefined
        if (before !== undefined && after === undefined) return propertyRemoved(ctx, before, u, key)
        if (before === undefined && after !== undefined) {
          return propertyAdded(ctx, after, o, key, uRequired.includes(key))
        }
        compare(ctx, before, after)
      })
    }
  })

  ctx.at('dependencies', () => compareDependencies(ctx, o, u))

  ctx.at('additionalProperties', () => {
    const before = keyword(o.raw, 'additionalProperties')
    const after = keyword(u.raw, 'additionalProperties')
    const permittedBefore = before !== false
    const permittedAfter = after !== false
    if (permittedBefore !== permittedAfter) {
      ctx.add(permittedAfter ? 'ADDITIONAL_PROPERTIES_ADDED' : 'ADDITIONAL_PROPERTIES_REMOVED')
      return
    }
    const schemaBefore = additionalSchema(o.raw, 'additionalProperties')
    const schemaAfter = additionalSchema(u.raw, 'additionalProperties')
    if (schemaBefore === undefined && schemaAfter !== undefined) ctx.add('ADDITIONAL_PROPERTIES_NARROWED')
    else if (schemaBefore !== undefined && schemaAfter === undefined)
      ctx.add('ADDITIONAL_PROPERTIES_EXTENDED')
    else if (schemaBefore !== undefined && schemaAfter !== undefined) {
      compare(ctx, node(schemaBefore, o), node(schemaAfter, u))
    }
  })

  compareLimit(ctx, 'maxProperties', numeric(o.raw, 'maxProperties'), numeric(u.raw, 'maxProperties'), [
    'MAX_PROPERTIES_ADDED',
    'MAX_PROPERTIES_REMOVED',
    'MAX_PROPERTIES_INCREASED',
    'MAX_PROPERTIES_DECREASED',
  ])
  compareLimit(ctx, 'minProperties', numeric(o.raw, 'minProperties'), numeric(u.raw, 'minProperties'), [
    'MIN_PROPERTIES_ADDED',
    'MIN_PROPERTIES_REMOVED',
    'MIN_PROPERTIES_INCREASED',
    'MIN_PROPERTIES_DECREASED',
  ])
}

// Removing a property is safe only where the new schema still accepts it as an extra property.
function propertyRemoved(ctx: Context, before: SchemaNode, update: SchemaNode, key: string): void {
  if (isOpenObject(update.raw)) {
    ctx.add('PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL')
    return
  }
  const partial = partialSchemaFor(update, key)
  if (partial !== undefined) {
    const sub = ctx.sub()
    compare(sub, before, partial)
    ctx.addAll(sub.differences)
    ctx.add(
      sub.isCompatible
        ? 'PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL'
        : 'PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
    )
    return
  }
  ctx.add(
    before.raw === false
      ? 'PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL'
      : 'PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL',
  )
}

// Adding a property is safe only where old data cannot already hold it with another shape.
function propertyAdded(
  ctx: Context,
  after: SchemaNode,
  original: SchemaNode,
  key: string,
  isRequired: boolean,
) {
  if (isOpenObject(original.raw)) {
    const accepting = shapeOf(after).shape.kind === 'empty'
    return ctx.add(
      accepting
        ? 'PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL'
        : 'PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL',
    )
  }
  const partial = partialSchemaFor(original, key)
  if (partial !== undefined) {
    const sub = ctx.sub()
    compare(sub, partial, after)
    ctx.addAll(sub.differences)
    ctx.add(
      sub.isCompatible
        ? 'PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL'
        : 'PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
    )
  }
  if (isRequired) {
    ctx.add(
      hasDefault(after)
        ? 'REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL'
        : 'REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL',
    )
  } else ctx.add('OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL')
}

function dependencyMaps(raw: JsonSchemaNode): {
  arrays: Map<string, string[]>
  schemas: Map<string, JsonSchemaNode>
} {
  const arrays = new Map<string, string[]>()
  const schemas = new Map<string, JsonSchemaNode>()
  for (const name of ['dependencies', 'dependentRequired', 'dependentSchemas']) {
    const value = keyword(raw, name)
    if (!isSchemaObject(value)) continue
    for (const [key, dependency] of Object.entries(value)) {
      if (Array.isArray(dependency)) arrays.set(key, dependency.map(String))
      else if (typeof dependency === 'boolean' || isSchemaObject(dependency)) schemas.set(key, dependency)
    }
  }
  return { arrays, schemas }
}

function compareDependencies(ctx: Context, o: SchemaNode, u: SchemaNode): void {
  const before = dependencyMaps(o.raw)
  const after = dependencyMaps(u.raw)
  for (const key of new Set([...before.arrays.keys(), ...after.arrays.keys()])) {
    const was = before.arrays.get(key)
    const is = after.arrays.get(key)
    if (is === undefined) ctx.add('DEPENDENCY_ARRAY_REMOVED', undefined, key)
    else if (was === undefined) ctx.add('DEPENDENCY_ARRAY_ADDED', undefined, key)
    else if (!sameJson([...was].sort(), [...is].sort())) {
      if (was.every((entry) => is.includes(entry))) ctx.add('DEPENDENCY_ARRAY_EXTENDED', undefined, key)
      else if (is.every((entry) => was.includes(entry))) ctx.add('DEPENDENCY_ARRAY_NARROWED', undefined, key)
      else ctx.add('DEPENDENCY_ARRAY_CHANGED', undefined, key)
    }
  }
  for (const key of new Set([...before.schemas.keys(), ...after.schemas.keys()])) {
    const was = before.schemas.get(key)
    const is = after.schemas.get(key)
    if (is === undefined) ctx.add('DEPENDENCY_SCHEMA_REMOVED', undefined, key)
    else if (was === undefined) ctx.add('DEPENDENCY_SCHEMA_ADDED', undefined, key)
    else ctx.at(key, () => compare(ctx, node(was, o), node(is, u)))
  }
}

interface ArrayParts {
  all?: JsonSchemaNode
  tuple: JsonSchemaNode[]
  additional: unknown
}

// Draft-07 writes tuples as `items: [...]` with `additionalItems`; 2020-12 as `prefixItems` with `items`.
function arrayParts(raw: JsonSchemaNode): ArrayParts {
  const items = keyword(raw, 'items')
  const prefixItems = keyword(raw, 'prefixItems')
  if (Array.isArray(prefixItems)) return { tuple: prefixItems, additional: items }
  if (Array.isArray(items)) return { tuple: items, additional: keyword(raw, 'additionalItems') }
  return { all: items as JsonSchemaNode | undefined, tuple: [], additional: undefined }
}

function compareArray(ctx: Context, o: SchemaNode, u: SchemaNode): void {
  const before = arrayParts(o.raw)
  const after = arrayParts(u.raw)
  ctx.at('items', () =>
    compare(
      ctx,
      before.all === undefined ? undefined : node(before.all, o),
      after.all === undefined ? undefined : node(after.all, u),
    ),
  )
  const openBefore = isPermissive(before.additional)
  const openAfter = isPermissive(after.additional)
  const shared = Math.min(before.tuple.length, after.tuple.length)
  for (let index = 0; index < Math.max(before.tuple.length, after.tuple.length); index++) {
    ctx.at(`items/${index}`, () => {
      if (index < shared) return compare(ctx, node(before.tuple[index], o), node(after.tuple[index], u))
      if (index < before.tuple.length) {
        // An item the new schema no longer describes.
        if (openAfter) return ctx.add('ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL')
        const partial = after.additional === false ? undefined : node(after.additional as JsonSchemaNode, u)
        if (partial !== undefined) {
          const sub = ctx.sub()
          compare(sub, node(before.tuple[index], o), partial)
          ctx.addAll(sub.differences)
          return ctx.add(
            sub.isCompatible
              ? 'ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL'
              : 'ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
          )
        }
        return ctx.add(
          before.tuple[index] === false
            ? 'ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL'
            : 'ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL',
        )
      }
      // An item the new schema describes and the old did not.
      const added = node(after.tuple[index], u)
      if (openBefore) {
        return ctx.add(
          shapeOf(added).shape.kind === 'empty'
            ? 'ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL'
            : 'ITEM_ADDED_TO_OPEN_CONTENT_MODEL',
        )
      }
      const partial = before.additional === false ? undefined : node(before.additional as JsonSchemaNode, o)
      if (partial !== undefined) {
        const sub = ctx.sub()
        compare(sub, partial, added)
        ctx.addAll(sub.differences)
        return ctx.add(
          sub.isCompatible
            ? 'ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL'
            : 'ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL',
        )
      }
      ctx.add('ITEM_ADDED_TO_CLOSED_CONTENT_MODEL')
    })
  }
  if (before.tuple.length > 0 || after.tuple.length > 0) {
    ctx.at('additionalItems', () => {
      const permittedBefore = before.additional !== false
      const permittedAfter = after.additional !== false
      if (permittedBefore !== permittedAfter) {
        return ctx.add(permittedAfter ? 'ADDITIONAL_ITEMS_ADDED' : 'ADDITIONAL_ITEMS_REMOVED')
      }
      if (openBefore && !openAfter) return ctx.add('ADDITIONAL_ITEMS_NARROWED')
      if (!openBefore && openAfter) return ctx.add('ADDITIONAL_ITEMS_EXTENDED')
      if (!openBefore && !openAfter && permittedBefore) {
        compare(
          ctx,
          node(before.additional as JsonSchemaNode, o),
          node(after.additional as JsonSchemaNode, u),
        )
      }
    })
  }
  compareLimit(ctx, 'maxItems', numeric(o.raw, 'maxItems'), numeric(u.raw, 'maxItems'), [
    'MAX_ITEMS_ADDED',
    'MAX_ITEMS_REMOVED',
    'MAX_ITEMS_INCREASED',
    'MAX_ITEMS_DECREASED',
  ])
  compareLimit(ctx, 'minItems', numeric(o.raw, 'minItems'), numeric(u.raw, 'minItems'), [
    'MIN_ITEMS_ADDED',
    'MIN_ITEMS_REMOVED',
    'MIN_ITEMS_INCREASED',
    'MIN_ITEMS_DECREASED',
  ])
  const uniqueBefore = keyword(o.raw, 'uniqueItems') === true
  const uniqueAfter = keyword(u.raw, 'uniqueItems') === true
  if (uniqueBefore && !uniqueAfter) ctx.add('UNIQUE_ITEMS_REMOVED', undefined, 'uniqueItems')
  else if (!uniqueBefore && uniqueAfter) ctx.add('UNIQUE_ITEMS_ADDED', undefined, 'uniqueItems')
}

function side(schema: ParsedJsonSchema): SchemaSide {
  return { root: schema.root, documents: schema.documents }
}

/** Every difference between the writer's schema and the reader's, compatible or not. */
export function diffJsonSchemas(writer: ParsedJsonSchema, reader: ParsedJsonSchema): JsonDifference[] {
  const ctx = new Context()
  const writerSide = side(writer)
  const readerSide = side(reader)
  compare(
    ctx,
    { raw: writer.root, document: writer.root, side: writerSide },
    { raw: reader.root, document: reader.root, side: readerSide },
  )
  return ctx.differences
}

/** Reasons a reader holding `reader` rejects data valid under `writer`; empty when it cannot. */
export function checkJsonSchemaCompatibility(
  writer: ParsedJsonSchema,
  reader: ParsedJsonSchema,
  roles: CompatibilityRoles,
): Incompatibility[] {
  return diffJsonSchemas(writer, reader)
    .filter((difference) => !COMPATIBLE_JSON_CHANGES.has(difference.type))
    .map((difference) => ({
      errorType: difference.type,
      description: describeJsonDifference(difference, roles),
      path: difference.path,
    }))
}
