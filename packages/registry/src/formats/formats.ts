// The formats by schema type: the one place that knows all three.

import type { SchemaType } from '../schema-types.ts'
import { avroFormat } from './avro.ts'
import type { ParsedSchema, SchemaFormat } from './format.ts'
import { jsonSchemaFormat } from './json-schema.ts'
import { protobufFormat } from './protobuf.ts'

const FORMATS: Record<SchemaType, SchemaFormat> = {
  AVRO: avroFormat as unknown as SchemaFormat,
  JSON: jsonSchemaFormat as unknown as SchemaFormat,
  PROTOBUF: protobufFormat as unknown as SchemaFormat,
}

export function formatFor(schemaType: SchemaType): SchemaFormat<ParsedSchema> {
  return FORMATS[schemaType]
}
