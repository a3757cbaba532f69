// The handler registry: every API the broker answers registers here, once, with its version
// range (STYLE.md habit 1). ApiVersions is built from this registry, never hand-listed.
import type { AnyApiKey, RequestHeader, RequestMap, ResponseMap } from '@runnel/protocol'
import type { ConnectionInfo } from '../network/connection.ts'
import type { BrokerServices, ServiceName } from '../services.ts'
import type { Lease } from '../storage/index.ts'

export type { BrokerServices, NodeIdentity, ServiceName } from '../services.ts'

/** What every request has, whatever its handler uses. */
export interface RequestBasics {
  readonly header: RequestHeader
  readonly connection: ConnectionInfo
  /** Aborted when the client's connection closes or the broker shuts down: stop waiting. */
  readonly signal: AbortSignal
  /** Closes this client's connection after the current request (Kafka does so on acks=0 errors). */
  closeConnection(reason: string): void
  /**
   * Pooled memory the response reads from (a Fetch answered from the tail cache in place):
   * released once the socket has taken the response's bytes.
   */
  readonly lease: Lease
}

/** A request's context: its basics and the services its handler names. */
export type RequestContext<S extends ServiceName = never> = RequestBasics & Pick<BrokerServices, S>

/** The context the connection builds: every service (each handler sees only its own). */
export type FullRequestContext = RequestContext<ServiceName>

/**
 * A handler answers one API. It returns the response body, a promise of it, or `null` when
 * the request gets no response at all (Produce with acks=0). Kafka error codes go into the
 * response; a handler throws only on a bug.
 */
export interface Handler<K extends AnyApiKey = AnyApiKey, S extends ServiceName = ServiceName> {
  readonly apiKey: K
  readonly name: string
  readonly minVersion: number
  readonly maxVersion: number
  /**
   * True when every effect of the request has happened by the time `handle` returns its
   * promise, so the connection may start the next request while this one's answer waits
   * (Produce awaiting an fsync). Answers still leave in request order.
   */
  readonly pipelined?: boolean
  /** The services the handler uses; its context holds only these. */
  readonly uses: readonly S[]
  handle(
    request: RequestMap[K],
    ctx: RequestContext<S>,
  ): ResponseMap[K] | null | Promise<ResponseMap[K] | null>
}

const handlers = new Map<number, Handler>()

export function registerHandler<K extends AnyApiKey, S extends ServiceName = never>(
  handler: Handler<K, S>,
): Handler<K, S> {
  if (handlers.has(handler.apiKey)) throw new Error(`handler for API ${handler.apiKey} registered twice`)
  handlers.set(handler.apiKey, handler as unknown as Handler)
  return handler
}

export function handlerFor(apiKey: number): Handler | undefined {
  return handlers.get(apiKey)
}

/** Every registered handler, by API key. */
export function registeredHandlers(): Handler[] {
  return [...handlers.values()].sort((a, b) => a.apiKey - b.apiKey)
}
