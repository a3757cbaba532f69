// @runnel/registry/serdes: record keys and values in Confluent's wire format (magic byte, schema
// id, payload), with schemas fetched from a registry and cached. Each format's library (avsc,
// ajv, protobufjs) loads the first time a schema of that type is met.
export type { DecodeOptions, EncodeOptions } from './serdes/codec.ts'
export {
  type DeserializedRecord,
  type LoadedSchema,
  type SchemaTarget,
  Serdes,
  type SerdesOptions,
} from './serdes/serdes.ts'
export {
  decodeMessageIndexes,
  decodeWireFormat,
  encodeMessageIndexes,
  encodeWireFormat,
  MAGIC_BYTE,
  type WireRecord,
} from './serdes/wire-format.ts'
