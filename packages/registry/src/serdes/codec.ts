// What a format contributes to the serdes: turning a value into payload bytes and back, with a
// clear error when the value does not fit its schema.

import type { ParsedSchema } from '../formats/format.ts'
import type { SchemaType } from '../schema-types.ts'

export interface EncodeOptions {
  /** Protobuf: the message to write, by full or local name. Default: the file's first message. */
  messageName?: string
}

export interface DecodedPayload {
  value: unknown
  /** Protobuf: the full name of the message read. */
  messageName?: string
}

export interface DecodeOptions {
  /** Avro: the schema to read into (schema resolution from the writer's schema). */
  readerSchema?: string | object
  /** JSON Schema: validate what was read. Default true. */
  validate?: boolean
}

export interface Codec {
  readonly schemaType: SchemaType
  /** Bytes that follow the 5-byte header (Protobuf: message indexes included). */
  encode(value: unknown, options: EncodeOptions): Buffer
  decode(payload: Buffer, options: DecodeOptions): DecodedPayload
}

export interface CodecContext {
  schemaId: number
  parsed: ParsedSchema
}
