// Request and response frames: a 4-byte size, a header, a body.
//
// RequestHeader v1 (classic) / v2 (flexible request versions):
//   request_api_key int16, request_api_version int16, correlation_id int32,
//   client_id nullable string with an int16 length even in v2 (so that any broker can read
//   the header of an ApiVersions request it does not understand), then in v2 tagged fields.
// ResponseHeader v0: correlation_id int32; v1 (flexible versions) adds tagged fields.
// ApiVersions responses always use header v0, whatever the request version.
import { isFlexible, messageCodec } from './codec.ts'
import type { RequestMap, ResponseMap } from './generated/types.generated.ts'
import { Reader } from './primitives/reader.ts'
import { Writer } from './primitives/writer.ts'

export const API_VERSIONS_KEY = 18

export interface RequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
}

export type AnyApiKey = keyof RequestMap & keyof ResponseMap

/** Reads the classic part of a request header; the caller decides what to do with the rest. */
export function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16()
  const apiVersion = r.int16()
  const correlationId = r.int32()
  const clientId = r.nullableString()
  return { apiKey, apiVersion, correlationId, clientId }
}

/** Skips a tagged-field section (request header v2, response header v1). */
export function skipTaggedFields(r: Reader): void {
  const count = r.uvarint()
  for (let i = 0; i < count; i++) {
    r.uvarint()
    r.raw(r.uvarint())
  }
}

export interface DecodedRequest<K extends AnyApiKey = AnyApiKey> {
  header: RequestHeader
  body: RequestMap[K]
}

/**
 * Decodes a request frame (without its 4-byte size). Throws ProtocolError when the frame is
 * truncated or malformed, or the API or version is unknown to the codec — the broker turns
 * those into Kafka's answers (an error response or a closed connection).
 */
export function decodeRequest(frame: Buffer): DecodedRequest {
  const r = new Reader(frame)
  const header = readRequestHeader(r)
  return { header, body: decodeRequestBody(header, r) as RequestMap[AnyApiKey] }
}

/**
 * Decodes the body of a request whose header has already been read from `r`. Bytes left after the
 * body are ignored, as Kafka's generated parsers ignore them: a broker reads what it knows of a
 * request. librdkafka 2.15-2.16 sends 3 such bytes after a Metadata v12 request for all topics;
 * refusing them cut every current librdkafka client off (issue 9). A body that ends early is
 * still malformed (the Reader throws).
 */
export function decodeRequestBody(header: RequestHeader, r: Reader): unknown {
  const codec = messageCodec(header.apiKey, header.apiVersion, 'request')
  if (isFlexible(header.apiKey, header.apiVersion)) skipTaggedFields(r)
  return codec.decode(r)
}

/** Encodes a request frame, size prefix included, as chunks ready for writev. */
export function encodeRequest<K extends AnyApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: RequestMap[K],
): Buffer[] {
  const codec = messageCodec(apiKey, apiVersion, 'request')
  const w = new Writer()
  const setSize = w.reserveInt32()
  w.int16(apiKey).int16(apiVersion).int32(correlationId).nullableString(clientId)
  if (isFlexible(apiKey, apiVersion)) w.uvarint(0)
  codec.encode(w, body as unknown as Record<string, unknown>)
  setSize(w.length - 4)
  return w.chunksOut()
}

function responseHeaderIsFlexible(apiKey: number, apiVersion: number): boolean {
  return apiKey !== API_VERSIONS_KEY && isFlexible(apiKey, apiVersion)
}

/** Encodes a response frame, size prefix included, as chunks ready for writev. */
export function encodeResponse<K extends AnyApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseMap[K],
): Buffer[] {
  const codec = messageCodec(apiKey, apiVersion, 'response')
  const w = new Writer()
  const setSize = w.reserveInt32()
  w.int32(correlationId)
  if (responseHeaderIsFlexible(apiKey, apiVersion)) w.uvarint(0)
  codec.encode(w, body as unknown as Record<string, unknown>)
  setSize(w.length - 4)
  return w.chunksOut()
}

/** Decodes a response frame (without its 4-byte size) of a request sent at `apiVersion`. */
export function decodeResponse<K extends AnyApiKey>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
): { correlationId: number; body: ResponseMap[K] } {
  const r = new Reader(frame)
  const correlationId = r.int32()
  if (responseHeaderIsFlexible(apiKey, apiVersion)) skipTaggedFields(r)
  const body = messageCodec(apiKey, apiVersion, 'response').decode(r) as unknown as ResponseMap[K]
  return { correlationId, body }
}
