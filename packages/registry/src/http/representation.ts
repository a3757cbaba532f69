// Bodies of answers, shaped as Confluent's registry shapes them: `schemaType` only when it is not
// AVRO, `references` only when there are some.

import type { StoredSchema, SubjectVersion } from '../schema-types.ts'

export interface VersionBody {
  subject: string
  version: number
  id: number
  schemaType?: string
  references?: StoredSchema['references']
  schema: string
}

export function versionBody(entry: SubjectVersion): VersionBody {
  const body: VersionBody = {
    subject: entry.subject,
    version: entry.version,
    id: entry.id,
    schema: entry.schema,
  }
  if (entry.schemaType !== 'AVRO') body.schemaType = entry.schemaType
  if (entry.references.length > 0) body.references = entry.references
  // Key order as Confluent writes it: schema last.
  const { schema, ...rest } = body
  return { ...rest, schema }
}

export function schemaBody(stored: StoredSchema): {
  schemaType?: string
  references?: StoredSchema['references']
  schema: string
} {
  const body: { schemaType?: string; references?: StoredSchema['references']; schema: string } = {
    schema: stored.schema,
  }
  if (stored.schemaType !== 'AVRO') body.schemaType = stored.schemaType
  if (stored.references.length > 0) body.references = stored.references
  const { schema, ...rest } = body
  return { ...rest, schema }
}
