// Reading a schema from a local file, the way `runnel schema register|check <file>` needs it:
// the type from the extension unless given.

import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { RegistryError } from '../errors.ts'
import type { SchemaInput, SchemaReference, SchemaType } from '../schema-types.ts'

const BY_EXTENSION: Record<string, SchemaType> = {
  '.avsc': 'AVRO',
  '.avro': 'AVRO',
  '.json': 'JSON',
  '.proto': 'PROTOBUF',
}

/** AVRO for .avsc/.avro, JSON for .json, PROTOBUF for .proto; undefined otherwise. */
export function schemaTypeOfFile(path: string): SchemaType | undefined {
  return BY_EXTENSION[extname(path).toLowerCase()]
}

export async function readSchemaFile(
  path: string,
  options: { schemaType?: SchemaType; references?: SchemaReference[] } = {},
): Promise<SchemaInput> {
  const schemaType = options.schemaType ?? schemaTypeOfFile(path)
  if (schemaType === undefined) {
    throw new RegistryError(
      'INVALID_SCHEMA',
      `Cannot tell the schema type of ${path} from its extension (.avsc, .json, .proto); give the type explicitly`,
    )
  }
  const schema = await readFile(path, 'utf8')
  return { schema, schemaType, references: options.references ?? [] }
}
