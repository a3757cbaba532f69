// @runnel/registry/server: the registry itself (REST API on fastify, the schemas kept in the
// compacted `_schemas` topic or in memory, leader election through a consumer group), and the
// schema formats with their compatibility rules. What `runnel registry` and `npm start` run.
export { type CompatibilityResult, checkCompatibility, type EarlierVersion } from './compatibility/check.ts'
export {
  assignRegistryLeader,
  type KafkaElectionOptions,
  KafkaGroupElection,
} from './election/kafka-group-election.ts'
export { followerOf, type Leadership, singleNode } from './election/leadership.ts'
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
export { PROTOBUF_OBJECT_OPTIONS } from './serdes/protobuf-codec.ts'
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
