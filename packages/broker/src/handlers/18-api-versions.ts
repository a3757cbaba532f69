// ApiVersions (key 18)
//
// Behavior:
// - Lists every API in the handler registry with its registered version range; the list is
//   derived, never written by hand.
// - A request at a version we do not speak is answered by the connection in v0 format with
//   UNSUPPORTED_VERSION and our range for ApiVersions, so clients step down (kafkajs 2 -> 1
//   -> 0, librdkafka from 3).
// - v3+ carries the client's software name and version; we keep them on the connection for
//   logs, and check them as Kafka does (INVALID_REQUEST when they are not [a-zA-Z0-9._-]+).
//
// Version notes:
// - v1 adds throttle time; v3 is flexible (the response header stays v0 for every version);
//   v3 adds supported features / finalized features as tagged fields, left empty.
// - v4 exists in Kafka 3.9 only to let clients know they may send UNSUPPORTED_VERSION on
//   newer ApiVersions; we advertise 0-3 like the matrix recommends.
import { ErrorCode } from '@runnel/protocol'
import { registeredHandlers, registerHandler } from './registry.ts'

const SOFTWARE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/

export const apiVersions = registerHandler({
  apiKey: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 3,
  uses: [],
  handle(request, ctx) {
    const apiKeys = registeredHandlers().map((h) => ({
      apiKey: h.apiKey,
      minVersion: h.minVersion,
      maxVersion: h.maxVersion,
    }))
    if (ctx.header.apiVersion >= 3) {
      const name = request.clientSoftwareName ?? ''
      const version = request.clientSoftwareVersion ?? ''
      if (!SOFTWARE.test(name) || !SOFTWARE.test(version)) {
        return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys, throttleTimeMs: 0 }
      }
      ctx.connection.clientSoftware = { name, version }
    }
    return { errorCode: ErrorCode.NONE, apiKeys, throttleTimeMs: 0 }
  },
})
