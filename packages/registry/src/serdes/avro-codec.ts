// Avro payloads: avsc's binary encoding of the writer's schema; a reader schema, when given, is
// resolved from the writer's (Avro schema resolution).

import avro from 'avsc'
import { RegistryError } from '../errors.ts'
import type { ParsedAvroSchema } from '../formats/avro.ts'
import { errorMessage } from '../formats/format.ts'
import type { Codec, CodecContext, DecodeOptions } from './codec.ts'

function describe(value: unknown): string {
  const text = JSON.stringify(value)
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text
}

export function avroCodec({ schemaId, parsed }: CodecContext): Codec {
  const type = (parsed as ParsedAvroSchema).type
  const name = type.name ?? type.typeName
  const readers = new Map<string, { reader: avro.Type; resolver: ReturnType<avro.Type['createResolver']> }>()
  return {
    schemaType: 'AVRO',
    encode(value) {
      const problems: string[] = []
      type.isValid(value, {
        errorHook: (path, found, expected) => {
          const where = path.length === 0 ? 'the value' : `'${path.join('.')}'`
          problems.push(`${where} should be ${expected.typeName}, got ${describe(found)}`)
        },
      })
      if (problems.length > 0) {
        throw new RegistryError(
          'SERDES_RECORD_MISMATCH',
          `The value does not match Avro schema ${schemaId} (${name}): ${problems.join('; ')}`,
        )
      }
      return type.toBuffer(value)
    },
    decode(payload, options: DecodeOptions) {
      try {
        if (options.readerSchema === undefined) return { value: type.fromBuffer(payload) }
        const key =
          typeof options.readerSchema === 'string'
            ? options.readerSchema
            : JSON.stringify(options.readerSchema)
        let entry = readers.get(key)
        if (entry === undefined) {
          const json =
            typeof options.readerSchema === 'string' ? JSON.parse(options.readerSchema) : options.readerSchema
          const reader = avro.Type.forSchema(json)
          entry = { reader, resolver: reader.createResolver(type) }
          readers.set(key, entry)
        }
        return { value: entry.reader.fromBuffer(payload, entry.resolver) }
      } catch (error) {
        throw new RegistryError(
          options.readerSchema === undefined ? 'SERDES_MALFORMED_PAYLOAD' : 'SERDES_RECORD_MISMATCH',
          `Cannot read the record with Avro schema ${schemaId} (${name}): ${errorMessage(error)}`,
          { cause: error },
        )
      }
    },
  }
}
