// JSON Schema payloads: UTF-8 JSON text, validated against the schema both ways.

import type { ErrorObject } from 'ajv'
import { RegistryError } from '../errors.ts'
import { errorMessage } from '../formats/format.ts'
import type { ParsedJsonSchema } from '../formats/json-schema.ts'
import type { Codec, CodecContext } from './codec.ts'

function problems(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`)
    .join('; ')
}

export function jsonCodec({ schemaId, parsed }: CodecContext): Codec {
  const validate = (parsed as ParsedJsonSchema).validate
  const check = (value: unknown, what: string) => {
    if (!validate(value)) {
      throw new RegistryError(
        'SERDES_RECORD_MISMATCH',
        `${what} does not match JSON schema ${schemaId}: ${problems(validate.errors)}`,
      )
    }
  }
  return {
    schemaType: 'JSON',
    encode(value) {
      check(value, 'The value')
      return Buffer.from(JSON.stringify(value), 'utf8')
    },
    decode(payload, options) {
      let value: unknown
      try {
        value = JSON.parse(payload.toString('utf8'))
      } catch (error) {
        throw new RegistryError(
          'SERDES_MALFORMED_PAYLOAD',
          `The record for JSON schema ${schemaId} is not JSON: ${errorMessage(error)}`,
          { cause: error },
        )
      }
      if (options.validate !== false) check(value, 'The record')
      return { value }
    },
  }
}
