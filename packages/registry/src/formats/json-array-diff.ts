// JSON Schema arrays: the schema of all items, tuple items under the array's content model
// (open, closed, or partially open through additionalItems), and the item-count limits.

import { compare } from './json-compatibility.ts'
import { type Context, compareLimit, keyword, numeric } from './json-diff-context.ts'
import { isPermissive } from './json-object-diff.ts'
import type { JsonSchemaNode } from './json-schema.ts'
import { node, type SchemaNode, shapeOf } from './json-schema-model.ts'

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

export function compareArray(ctx: Context, o: SchemaNode, u: SchemaNode): void {
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
