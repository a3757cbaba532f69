// @runnel/registry/client: the REST client of a Confluent-compatible schema registry and what it
// speaks (schema types, compatibility levels, errors). Loads no schema library and no server.
export {
  type CompatibilityAnswer,
  RegistryClient,
  type RegistryClientOptions,
} from './client/registry-client.ts'
export { readSchemaFile, schemaTypeOfFile } from './client/schema-file.ts'
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
  ERROR_CODE_PREFIX,
  isRegistryError,
  RegistryError,
  type RegistryErrorCode,
  type RegistryErrorName,
  RegistryErrors,
} from './errors.ts'
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
export type { ConfigUpdate, RegistryConfig } from './service/registry-service.ts'
