// Public surface of @runnel/registry.

export {
  type CompatibilityAnswer,
  RegistryClient,
  type RegistryClientOptions,
} from './client/registry-client.ts'
export { readSchemaFile, schemaTypeOfFile } from './client/schema-file.ts'
export { type CompatibilityResult, checkCompatibility, type EarlierVersion } from './compatibility/check.ts'
export {
  type CompatibilityLevel,
  CompatibilityLevels,
  DEFAULT_COMPATIBILITY,
  DEFAULT_MODE,
  type Mode,
  Modes,
  parseCompatibilityLevel,
  parseMode,
} from './compatibility/levels.ts'
export {
  assignRegistryLeader,
  type KafkaElectionOptions,
  KafkaGroupElection,
} from './election/kafka-group-election.ts'
export { followerOf, type Leadership, singleNode } from './election/leadership.ts'
export {
  ERROR_CODE_PREFIX,
  isRegistryError,
  RegistryError,
  type RegistryErrorCode,
  type RegistryErrorName,
  RegistryErrors,
} from './errors.ts'
export { avroFormat, type ParsedAvroSchema, parseAvro } from './formats/avro.ts'
export type { CompatibilityRoles, Incompatibility, ParsedSchema, SchemaFormat } from './formats/format.ts'
export { formatFor } from './formats/formats.ts'
export { jsonSchemaFormat, type ParsedJsonSchema, parseJsonSchema } from './formats/json-schema.ts'
export {
  type DeclaredMessage,
  type ParsedProtobufSchema,
  parseProtobuf,
  protobufFormat,
} from './formats/protobuf.ts'
export { buildRegistryApp, type RegistryAppOptions, SCHEMA_REGISTRY_CONTENT_TYPE } from './http/app.ts'
export {
  ALL_SCHEMA_TYPES,
  type ResolvedReference,
  type SchemaInput,
  type SchemaReference,
  type SchemaType,
  SchemaTypes,
  type StoredSchema,
  type SubjectVersion,
} from './schema-types.ts'
export type { DecodeOptions, EncodeOptions } from './serdes/codec.ts'
export { PROTOBUF_OBJECT_OPTIONS } from './serdes/protobuf-codec.ts'
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
export {
  type ConfigUpdate,
  type RegisterRequest,
  type RegistryConfig,
  RegistryService,
  type SchemaOptions,
} from './service/registry-service.ts'
export { type RegistryOptions, type RunningRegistry, startRegistry } from './start-registry.ts'
export { KafkaStore, type KafkaStoreOptions, kafkaErrorMessage } from './store/kafka-store.ts'
export { createMemoryStore, MemoryLog, MemoryStore } from './store/memory-store.ts'
export {
  type ConfigValue,
  decodeRecord,
  type EncodedRecord,
  encodeRecord,
  KeyTypes,
  type StoreRecord,
} from './store/records.ts'
export type { SchemaStore } from './store/schema-store.ts'
export { RegistryState } from './store/state.ts'
