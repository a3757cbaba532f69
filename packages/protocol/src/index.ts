// Public surface of @runnel/protocol: the Kafka wire codec. No I/O.
export { apiDescriptor, descriptorsByKey, isFlexible, type MessageCodec, messageCodec } from './codec.ts'
export * from './compression/index.ts'
export { ProtocolError, ProtocolErrorCode } from './errors.ts'
export {
  type AnyApiKey,
  API_VERSIONS_KEY,
  type DecodedRequest,
  decodeRequest,
  decodeRequestBody,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type RequestHeader,
  readRequestHeader,
  skipTaggedFields,
} from './frames.ts'
export { ErrorCode, errorTable } from './generated/errors.generated.ts'
export * from './generated/types.generated.ts'
export { Reader } from './primitives/reader.ts'
export { Writer } from './primitives/writer.ts'
export * from './records/index.ts'
export { type Records, recordsLength } from './records-field.ts'
export type {
  ApiDescriptor,
  FieldDescriptor,
  MessageDescriptor,
  PrimitiveType,
  VersionRange,
} from './schema.ts'
export { inRange } from './schema.ts'
