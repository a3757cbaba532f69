// The vocabulary shared by the REST API, the store, the formats and the serdes: Confluent's
// schema types, references and the records a subject's versions are made of.

export const SchemaTypes = {
  AVRO: 'AVRO',
  JSON: 'JSON',
  PROTOBUF: 'PROTOBUF',
} as const

export type SchemaType = (typeof SchemaTypes)[keyof typeof SchemaTypes]

export const ALL_SCHEMA_TYPES: readonly SchemaType[] = ['JSON', 'PROTOBUF', 'AVRO']

export function isSchemaType(value: unknown): value is SchemaType {
  return typeof value === 'string' && (ALL_SCHEMA_TYPES as readonly string[]).includes(value)
}

/**
 * A reference from one schema to another registered schema, as Confluent writes it: `name` is
 * how the referring schema names it (an Avro full name, a JSON Schema `$ref` URL, a Protobuf
 * import path).
 */
export interface SchemaReference {
  name: string
  subject: string
  version: number
}

/** What a client sends to register, look up or check a schema. */
export interface SchemaInput {
  schema: string
  schemaType?: SchemaType
  references?: SchemaReference[]
}

/** A schema as stored under one global id. */
export interface StoredSchema {
  id: number
  schemaType: SchemaType
  schema: string
  references: SchemaReference[]
}

/** One version of one subject. `deleted` marks a soft delete. */
export interface SubjectVersion {
  subject: string
  version: number
  id: number
  schemaType: SchemaType
  schema: string
  references: SchemaReference[]
  deleted: boolean
}

/** A reference with the referenced schema text and its own references, resolved recursively. */
export interface ResolvedReference extends SchemaReference {
  schemaType: SchemaType
  schema: string
  references: ResolvedReference[]
}
