// JSON Schema objects: required properties, properties added or removed under the content model
// of the object (open, closed or partially open), dependencies, additionalProperties and the
// property-count limits.

import { compare } from './json-compatibility.ts'
import { type Context, compareLimit, keyword, numeric, sameJson } from './json-diff-context.ts'
import type { JsonSchemaNode } from './json-schema.ts'
import { isSchemaObject, node, type SchemaNode, type SchemaObject, shapeOf } from './json-schema-model.ts'

function properties(raw: JsonSchemaNode): SchemaObject {
  const value = keyword(raw, 'properties')
  return isSchemaObject(value) ? value : {}
}

function required(raw: JsonSchemaNode): string[] {
  const value = keyword(raw, 'required')
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : []
}

// additionalProperties: absent, true and {} all allow any extra property.
export function isPermissive(value: unknown): boolean {
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

export function compareObject(ctx: Context, o: SchemaNode, u: SchemaNode): void {
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
