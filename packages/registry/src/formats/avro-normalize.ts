// Avro's normalized form, as Confluent's registry stores a schema registered with
// `normalize=true`: it writes the schema in a canonical order with every named type resolved to
// its full name (AvroSchemaUtils.toNormalizedString) and parses that again, so what it keeps is
// Avro's own Schema.toString of the result. This writes that text directly:
//
// - attributes in Java's order: type, name, namespace, doc, fields | symbols, default | size,
//   then the other properties, then aliases; a field: name, type, doc, default, order, aliases,
//   then its other properties;
// - names resolved (a `namespace` attribute and a dotted name mean the same), then written the
//   way Java writes them: short inside their own namespace, full elsewhere;
// - other properties sorted by name (logicalType, and a decimal's precision and scale, first),
//   aliases sorted and deduplicated, object values (defaults, property values) with sorted keys;
// - a named type's empty doc dropped, a field's `order` written only when not ascending.

import { type OrderedObject, writeJson } from './json-text.ts'

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])
// Names Java writes in full even inside their own namespace (Schema.Type names).
const TYPE_NAMES = new Set([...PRIMITIVES, 'record', 'enum', 'array', 'map', 'union', 'fixed'])
// Attributes that are never properties of a schema (Java's SCHEMA_RESERVED), and of a field.
const SCHEMA_RESERVED = new Set([
  'doc',
  'fields',
  'items',
  'name',
  'namespace',
  'size',
  'symbols',
  'values',
  'type',
  'aliases',
])
const FIELD_RESERVED = new Set(['default', 'doc', 'name', 'order', 'type', 'aliases'])

type JsonObject = Record<string, unknown>

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The namespace of a full name ('' for none). */
function spaceOf(fullName: string): string {
  const dot = fullName.lastIndexOf('.')
  return dot < 0 ? '' : fullName.slice(0, dot)
}

function shortOf(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf('.') + 1)
}

function qualify(name: string, space: string): string {
  return name.includes('.') || space === '' ? name : `${space}.${name}`
}

/** How Java writes a reference to a named type from inside `space` (Name.getQualified). */
function relative(fullName: string, space: string): string {
  const short = shortOf(fullName)
  return spaceOf(fullName) === space && space !== '' && !TYPE_NAMES.has(short) ? short : fullName
}

/** The properties of a schema or field, in the normalized order. */
function properties(node: JsonObject, reserved: ReadonlySet<string>, out: OrderedObject): void {
  const keys = Object.keys(node).filter((key) => !reserved.has(key))
  const first = keys.includes('logicalType') ? ['logicalType'] : []
  if (node.logicalType === 'decimal') {
    first.push('precision')
    if (node.scale !== 0) first.push('scale')
  }
  const leading = first.filter((key) => keys.includes(key))
  for (const key of [...leading, ...keys.filter((key) => !leading.includes(key)).sort()])
    out.set(key, node[key])
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort()
}

class AvroNormalizer {
  readonly #known: ReadonlySet<string>

  constructor(known: ReadonlySet<string>) {
    this.#known = known
  }

  /** The full name a type reference means from inside `space`; Java falls back to the null namespace. */
  #resolve(name: string, space: string): string {
    const qualified = qualify(name, space)
    return this.#known.has(qualified) || !this.#known.has(name) ? qualified : name
  }

  schema(node: unknown, space: string): unknown {
    if (typeof node === 'string')
      return PRIMITIVES.has(node) ? node : relative(this.#resolve(node, space), space)
    if (Array.isArray(node)) return node.map((branch) => this.schema(branch, space))
    if (!isObject(node)) return node
    const type = node.type
    if (typeof type !== 'string') return this.schema(type, space)
    switch (type) {
      case 'record':
      case 'error':
      case 'enum':
      case 'fixed':
        return this.#named(node, type, space)
      case 'array':
      case 'map': {
        const out: OrderedObject = new Map([['type', type]])
        const child = type === 'array' ? 'items' : 'values'
        out.set(child, this.schema(node[child], space))
        properties(node, SCHEMA_RESERVED, out)
        return out
      }
      default: {
        // A primitive, written short when it has no properties; or a reference with attributes.
        if (!PRIMITIVES.has(type)) return this.schema(type, space)
        const out: OrderedObject = new Map([['type', type]])
        properties(node, SCHEMA_RESERVED, out)
        return out.size === 1 ? type : out
      }
    }
  }

  #named(node: JsonObject, type: string, space: string): OrderedObject {
    const name = String(node.name)
    const ownSpace = name.includes('.')
      ? spaceOf(name)
      : typeof node.namespace === 'string'
        ? node.namespace
        : space
    const out: OrderedObject = new Map([
      ['type', type],
      ['name', shortOf(name)],
    ])
    if (ownSpace !== space) out.set('namespace', ownSpace)
    if (typeof node.doc === 'string' && node.doc !== '') out.set('doc', node.doc)
    if (type === 'enum') {
      out.set('symbols', node.symbols)
      out.set('default', node.default)
    } else if (type === 'fixed') out.set('size', node.size)
    else {
      const fields = Array.isArray(node.fields) ? node.fields : []
      out.set(
        'fields',
        fields.map((field) => this.#field(field as JsonObject, ownSpace)),
      )
    }
    properties(node, type === 'enum' ? new Set([...SCHEMA_RESERVED, 'default']) : SCHEMA_RESERVED, out)
    if (Array.isArray(node.aliases) && node.aliases.length > 0) {
      const fullAliases = sortedUnique(node.aliases.map((alias) => qualify(String(alias), ownSpace)))
      out.set(
        'aliases',
        fullAliases.map((alias) => relative(alias, ownSpace)),
      )
    }
    return out
  }

  #field(field: JsonObject, space: string): OrderedObject {
    const out: OrderedObject = new Map([
      ['name', field.name],
      ['type', this.schema(field.type, space)],
    ])
    if (typeof field.doc === 'string') out.set('doc', field.doc)
    if ('default' in field) out.set('default', field.default)
    const order = typeof field.order === 'string' ? field.order.toLowerCase() : 'ascending'
    if (order !== 'ascending') out.set('order', order)
    if (Array.isArray(field.aliases) && field.aliases.length > 0) {
      out.set('aliases', sortedUnique(field.aliases.map(String)))
    }
    properties(field, FIELD_RESERVED, out)
    return out
  }
}

/**
 * The normalized text of an Avro schema (already parsed and valid). `knownNames` are the full
 * names of every named type the schema and its references define.
 */
export function normalizeAvro(json: unknown, knownNames: ReadonlySet<string>): string {
  return writeJson(new AvroNormalizer(knownNames).schema(json, ''))
}
