// Avro: parsed with avsc (which also checks field defaults against their types); references are
// named types defined by other subjects, loaded into the same avsc registry first.

import avro from 'avsc'
import { errors } from '../errors.ts'
import type { ResolvedReference } from '../schema-types.ts'
import { checkAvroCompatibility } from './avro-compatibility.ts'
import { normalizeAvro } from './avro-normalize.ts'
import {
  type CompatibilityRoles,
  errorMessage,
  flattenReferences,
  type Incompatibility,
  type ParsedSchema,
  type SchemaFormat,
} from './format.ts'

export interface ParsedAvroSchema extends ParsedSchema {
  readonly schemaType: 'AVRO'
  readonly type: avro.Type
  /** Full names of the named types the schema and its references define. */
  readonly namedTypes: ReadonlySet<string>
}

type AvroSchemaJson = Parameters<typeof avro.Type.forSchema>[0]

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'])

// Attribute order of Avro's own JSON form (what Java's Schema.toString writes), so that two
// texts differing only in whitespace or attribute order get one canonical text and one id.
const SCHEMA_ATTRIBUTE_ORDER = [
  'type',
  'name',
  'namespace',
  'doc',
  'fields',
  'symbols',
  'items',
  'values',
  'size',
  'default',
  'order',
  'aliases',
  'logicalType',
  'precision',
  'scale',
]
const FIELD_ATTRIBUTE_ORDER = ['name', 'type', 'doc', 'default', 'order', 'aliases']

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function canonicalField(field: unknown): unknown {
  if (!isObject(field)) return field
  const out: Record<string, unknown> = {}
  for (const key of FIELD_ATTRIBUTE_ORDER) {
    if (key in field) out[key] = key === 'type' ? canonicalNode(field[key]) : field[key]
  }
  for (const [key, value] of Object.entries(field)) if (!(key in out)) out[key] = value
  return out
}

function canonicalNode(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(canonicalNode)
  if (!isObject(node)) return node
  const keys = Object.keys(node)
  // {"type": "int"} and "int" are the same schema; Avro writes the short form.
  if (keys.length === 1 && typeof node.type === 'string' && PRIMITIVES.has(node.type)) return node.type
  const out: Record<string, unknown> = {}
  for (const key of SCHEMA_ATTRIBUTE_ORDER) {
    if (!(key in node)) continue
    const value = node[key]
    if (key === 'fields' && Array.isArray(value)) out[key] = value.map(canonicalField)
    else if (key === 'items' || key === 'values' || (key === 'type' && typeof value !== 'string')) {
      out[key] = canonicalNode(value)
    } else out[key] = value
  }
  for (const [key, value] of Object.entries(node)) if (!(key in out)) out[key] = value
  return out
}

/** Avro's compact JSON form of a schema text, with attributes in Avro's order. */
export function canonicalAvro(json: unknown): string {
  return JSON.stringify(canonicalNode(json))
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw errors.invalidSchema(`${what} is not valid JSON: ${errorMessage(error)}`, error)
  }
}

export function parseAvro(text: string, references: readonly ResolvedReference[]): ParsedAvroSchema {
  const json = parseJson(text, 'the Avro schema')
  const registry: Record<string, avro.Type> = {}
  for (const reference of flattenReferences(references)) {
    const referenced = parseJson(reference.schema, `referenced schema '${reference.name}'`)
    try {
      avro.Type.forSchema(referenced as AvroSchemaJson, { registry })
    } catch (error) {
      throw errors.invalidSchema(
        `referenced schema '${reference.name}' (subject '${reference.subject}' version ${reference.version}) ` +
          `is not a valid Avro schema: ${errorMessage(error)}`,
        error,
      )
    }
  }
  let type: avro.Type
  try {
    type = avro.Type.forSchema(json as AvroSchemaJson, { registry })
  } catch (error) {
    throw errors.invalidSchema(`not a valid Avro schema: ${errorMessage(error)}`, error)
  }
  const canonical = canonicalAvro(json)
  return {
    schemaType: 'AVRO',
    canonical,
    fingerprint: canonical,
    type,
    namedTypes: new Set(Object.keys(registry)),
  }
}

function quote(text: string): string {
  return `'${text}'`
}

export const avroFormat: SchemaFormat<ParsedAvroSchema> = {
  schemaType: 'AVRO',
  parse: parseAvro,
  normalize: (parsed) => normalizeAvro(JSON.parse(parsed.canonical), parsed.namedTypes),
  checkCompatibility(reader: ParsedAvroSchema, writer: ParsedAvroSchema, roles: CompatibilityRoles) {
    return checkAvroCompatibility(reader.type, writer.type, roles)
  },
  // Confluent writes Avro reasons with single quotes: {errorType:'X', description:'...', additionalInfo:'...'}
  formatIncompatibility(incompatibility: Incompatibility): string {
    const parts = [
      `errorType:${quote(incompatibility.errorType)}`,
      `description:${quote(incompatibility.description)}`,
    ]
    if (incompatibility.additionalInfo !== undefined) {
      parts.push(`additionalInfo:${quote(incompatibility.additionalInfo)}`)
    }
    return `{${parts.join(', ')}}`
  },
}
