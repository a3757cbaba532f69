// The format and codec of each schema type, loaded on first use: a service that writes only JSON
// Schema never loads avsc or protobufjs, and one that reads only Avro never loads ajv.
import type { ParsedSchema, SchemaFormat } from '../formats/format.ts'
import type { SchemaType } from '../schema-types.ts'
import type { Codec, CodecContext } from './codec.ts'

export interface FormatAndCodec {
  readonly format: SchemaFormat<ParsedSchema>
  readonly codec: (context: CodecContext) => Codec
}

const LOADERS: Record<SchemaType, () => Promise<FormatAndCodec>> = {
  AVRO: async () => {
    const [{ avroFormat }, { avroCodec }] = await Promise.all([
      import('../formats/avro.ts'),
      import('./avro-codec.ts'),
    ])
    return { format: avroFormat as unknown as SchemaFormat<ParsedSchema>, codec: avroCodec }
  },
  JSON: async () => {
    const [{ jsonSchemaFormat }, { jsonCodec }] = await Promise.all([
      import('../formats/json-schema.ts'),
      import('./json-codec.ts'),
    ])
    return { format: jsonSchemaFormat as unknown as SchemaFormat<ParsedSchema>, codec: jsonCodec }
  },
  PROTOBUF: async () => {
    const [{ protobufFormat }, { protobufCodec }] = await Promise.all([
      import('../formats/protobuf.ts'),
      import('./protobuf-codec.ts'),
    ])
    return { format: protobufFormat as unknown as SchemaFormat<ParsedSchema>, codec: protobufCodec }
  },
}

const loaded = new Map<SchemaType, Promise<FormatAndCodec>>()

export function formatAndCodec(type: SchemaType): Promise<FormatAndCodec> {
  let pending = loaded.get(type)
  if (pending === undefined) {
    pending = LOADERS[type]()
    loaded.set(type, pending)
  }
  return pending
}
