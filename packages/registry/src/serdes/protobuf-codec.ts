// Protobuf payloads: the message indexes (which message of the file), then the message bytes.
// Records written by @kafkajs/confluent-schema-registry carry no indexes (a known departure from
// Confluent's format); when the indexes do not lead to a message that decodes, the payload is
// read as the file's first message, which is what that client writes.

import protobuf from 'protobufjs'
import { RegistryError } from '../errors.ts'
import { errorMessage } from '../formats/format.ts'
import type { DeclaredMessage, ParsedProtobufSchema } from '../formats/protobuf.ts'
import type { Codec, CodecContext } from './codec.ts'
import { verifyProtobufValue } from './protobuf-verify.ts'
import { decodeMessageIndexes, encodeMessageIndexes } from './wire-format.ts'

/** How decoded messages become plain objects: enums by name, 64-bit integers as strings. */
export const PROTOBUF_OBJECT_OPTIONS: protobuf.IConversionOptions = {
  enums: String,
  longs: String,
  defaults: true,
  oneofs: true,
}

export function protobufCodec({ schemaId, parsed }: CodecContext): Codec {
  const schema = parsed as ParsedProtobufSchema
  const first = schema.messages[0]
  const find = (name: string | undefined): DeclaredMessage => {
    if (first === undefined) {
      throw new RegistryError('SERDES_UNKNOWN_MESSAGE', `Protobuf schema ${schemaId} declares no message`)
    }
    if (name === undefined) return first
    const wanted = name.replace(/^\./, '')
    const found = schema.messages.find(
      (message) => message.fullName === wanted || message.localName === wanted,
    )
    if (found === undefined) {
      throw new RegistryError(
        'SERDES_UNKNOWN_MESSAGE',
        `Protobuf schema ${schemaId} has no message '${name}'; it declares ` +
          schema.messages.map((message) => message.fullName).join(', '),
      )
    }
    return found
  }
  const typeOf = (message: DeclaredMessage) => schema.root.lookupType(message.fullName)
  const read = (message: DeclaredMessage, bytes: Buffer) => {
    const type = typeOf(message)
    return {
      value: type.toObject(type.decode(bytes), PROTOBUF_OBJECT_OPTIONS),
      messageName: message.fullName,
    }
  }

  return {
    schemaType: 'PROTOBUF',
    encode(value, options) {
      const message = find(options.messageName)
      const type = typeOf(message)
      const problem = verifyProtobufValue(type, value)
      if (problem !== undefined) {
        throw new RegistryError(
          'SERDES_RECORD_MISMATCH',
          `The value does not match Protobuf message ${message.fullName} of schema ${schemaId}: ${problem}`,
        )
      }
      const bytes = type
        .encode(value instanceof protobuf.Message ? value : type.fromObject(value as object))
        .finish()
      return Buffer.concat([encodeMessageIndexes(message.indexes), bytes])
    },
    decode(payload) {
      let strictError: unknown
      try {
        const { indexes, message: bytes } = decodeMessageIndexes(payload)
        const message = schema.messages.find((entry) => entry.indexes.join('.') === indexes.join('.'))
        if (message === undefined) throw new RangeError(`no message at indexes [${indexes.join(', ')}]`)
        return read(message, bytes)
      } catch (error) {
        strictError = error
      }
      try {
        if (first !== undefined) return read(first, payload)
      } catch {
        // Report the error of the standard reading.
      }
      throw new RegistryError(
        'SERDES_MALFORMED_PAYLOAD',
        `Cannot read the record with Protobuf schema ${schemaId}: ${errorMessage(strictError)}`,
        { cause: strictError },
      )
    },
  }
}
