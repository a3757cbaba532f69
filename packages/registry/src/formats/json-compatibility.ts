// JSON Schema compatibility, by Confluent's rules: compare the schema data was written with
// (the writer) to the one it is read with (the reader) and classify every difference; a change
// is compatible when each difference is one that cannot make the reader reject the writer's
// data. The central idea is the content model of an object: open (any extra property allowed),
// closed (additionalProperties false) or partially open (patternProperties or a schema for
// additionalProperties), which decides whether adding or removing a property is safe.

import type { CompatibilityRoles, Incompatibility } from './format.ts'
import { compareArray } from './json-array-diff.ts'
import {
  compareLimit,
  Context as DiffContext,
  type JsonDifference,
  keyword,
  numeric,
  sameJson,
} from './json-diff-context.ts'
import { COMPATIBLE_JSON_CHANGES, describeJsonDifference } from './json-differences.ts'
import { compareObject } from './json-object-diff.ts'
import type { JsonSchemaNode, ParsedJsonSchema } from './json-schema.ts'
import { describeShape, type SchemaNode, type SchemaSide, type Shape, shapeOf } from './json-schema-model.ts'

export function compare(
  ctx: DiffContext,
  original: SchemaNode | undefined,
  update: SchemaNode | undefined,
): void {
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

function compareString(ctx: DiffContext, o: JsonSchemaNode, u: JsonSchemaNode): void {
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

function compareNumber(ctx: DiffContext, o: JsonSchemaNode, u: JsonSchemaNode, os: Shape, us: Shape): void {
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

function compareEnum(ctx: DiffContext, original: unknown[], update: unknown[]): void {
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

function compareCombined(ctx: DiffContext, o: Combined, u: Combined): void {
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
function compareNot(ctx: DiffContext, original: SchemaNode, update: SchemaNode): void {
  const same = ctx.sub()
  compare(same, original, update)
  if (same.differences.length === 0) return
  const reversed = ctx.sub()
  compare(reversed, update, original)
  ctx.add(reversed.isCompatible ? 'NOT_TYPE_NARROWED' : 'NOT_TYPE_EXTENDED')
}

function side(schema: ParsedJsonSchema): SchemaSide {
  return { root: schema.root, documents: schema.documents }
}

/** Every difference between the writer's schema and the reader's, compatible or not. */
export type { JsonDifference }

export function diffJsonSchemas(writer: ParsedJsonSchema, reader: ParsedJsonSchema): JsonDifference[] {
  const ctx = new DiffContext()
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
