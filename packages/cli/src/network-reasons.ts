// Why a connection failed, in the words the CLI's sentences use, from a Node or undici error
// code. One table for every verb: the Kafka clients (kafka.ts, kafka-raw.ts) and the registry's
// HTTP client (schema-registry.ts) meet the same failures.

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'the connection was closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate is not for this host',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
}

/** What the CLI says when a connection ended for no reason the table knows. */
export const CONNECTION_CLOSED = 'the connection was closed'

/** The reason for an error code, or undefined when it is not a connection failure we name. */
export function networkReason(code: string | undefined): string | undefined {
  return code !== undefined && Object.hasOwn(REASONS, code) ? REASONS[code] : undefined
}
