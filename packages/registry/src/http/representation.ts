// Bodies of answers, shaped as Confluent's registry shapes them: `schemaType` only when it is not
// AVRO, `references` only when there are some, and the schema text last.

import type { SchemaReference, StoredSchema, SubjectVersion } from '../schema-types.ts'

interface TypeAndReferences {
  schemaType?: string
  references?: SchemaReference[]
}

function typeAndReferences(schema: StoredSchema | SubjectVersion): TypeAndReferences {
  const out: TypeAndReferences = {}
  if (schema.schemaType !== 'AVRO') out.schemaType = schema.schemaType
  if (schema.references.length > 0) out.references = schema.references
  return out
}

export function versionBody(entry: SubjectVersion) {
  return {
    subject: entry.subject,
    version: entry.version,
    id: entry.id,
    ...typeAndReferences(entry),
    schema: entry.schema,
  }
}

export function schemaBody(stored: StoredSchema) {
  return { ...typeAndReferences(stored), schema: stored.schema }
}
