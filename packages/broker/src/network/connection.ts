// One client connection: size-prefixed frames in, responses out in request order.
//
// Behaviour (as Kafka's SocketServer):
// - a frame is a 4-byte size then that many bytes; a size below the smallest header or above
//   socket.request.max.bytes closes the connection (Kafka: InvalidReceiveException);
// - requests on one connection are handled one at a time and answered in order; a handler
//   that declares itself `pipelined` (Produce: its appends are done before it awaits the
//   fsync of acks=all) lets the next request start while its answer waits, still in order;
// - an unknown API key, or a body that does not decode, closes this connection only;
// - an ApiVersions request of a version we do not speak is answered in v0 with
//   UNSUPPORTED_VERSION and our ApiVersions range, so the client can retry lower;
// - a version outside a handler's registered range closes the connection, as Kafka does
//   after its request parser rejects it.
import type { Socket } from 'node:net'
import {
  type AnyApiKey,
  API_VERSIONS_KEY,
  decodeRequestBody,
  ErrorCode,
  encodeResponse,
  ProtocolError,
  Reader,
  type RequestHeader,
  readRequestHeader,
} from '@runnel/protocol'
import type { Broker } from '../broker.ts'
import { handlerFor, type RequestContext } from '../handlers/registry.ts'

/** The smallest request header: api key, version, correlation id, client id length. */
const MIN_FRAME = 10
/** Frames queued before we stop reading from the socket (backpressure on a pipelining client). */
const MAX_QUEUED = 128
/** Pipelined requests (produce waiting for an fsync) in flight on one connection. */
const MAX_PIPELINED = 32

export interface ConnectionInfo {
  readonly id: number
  readonly remoteAddress: string
  readonly remotePort: number
  /** The client's software name and version, from ApiVersions v3+. */
  clientSoftware?: { name: string; version: string }
}

let nextConnectionId = 1

/** Owner: the connection itself; its queue is drained by one loop, one request at a time. */
export class Connection {
  readonly info: ConnectionInfo
  private readonly socket: Socket
  private readonly broker: Broker
  private readonly maxRequestBytes: number
  private chunks: Buffer[] = []
  private buffered = 0
  private readonly queue: Buffer[] = []
  private draining = false
  private closed = false
  /** The last response queued for sending; the next one is sent after it. */
  private lastResponse: Promise<void> = Promise.resolve()
  /** Pipelined requests started but not yet answered. */
  private inFlight = 0
  /** Aborted when the connection closes, so a parked request (a long-poll Fetch) stops waiting. */
  private readonly abort = new AbortController()

  constructor(socket: Socket, broker: Broker) {
    this.socket = socket
    this.broker = broker
    this.maxRequestBytes = broker.config.socketRequestMaxBytes
    this.info = {
      id: nextConnectionId++,
      remoteAddress: socket.remoteAddress ?? '?',
      remotePort: socket.remotePort ?? 0,
    }
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.broker.log.debug({ err, conn: this.info.id }, 'connection error'))
    socket.on('close', () => this.onClose())
  }

  get isClosed(): boolean {
    return this.closed
  }

  close(reason?: string): void {
    if (this.closed) return
    if (reason)
      this.broker.log.warn(
        { conn: this.info.id, remote: this.info.remoteAddress, reason },
        'closing connection',
      )
    this.closed = true
    this.abort.abort()
    this.socket.destroy()
  }

  private onClose(): void {
    this.closed = true
    this.abort.abort()
    this.queue.length = 0
    this.chunks = []
    this.broker.connectionClosed(this)
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return
    this.chunks.push(chunk)
    this.buffered += chunk.length
    while (this.buffered >= 4) {
      const size = this.peekSize()
      if (size < MIN_FRAME || size > this.maxRequestBytes) {
        this.close(
          size > this.maxRequestBytes
            ? `request of ${size} bytes is larger than socket.request.max.bytes (${this.maxRequestBytes})`
            : `invalid frame size ${size}`,
        )
        return
      }
      if (this.buffered < size + 4) break
      this.queue.push(this.take(size + 4).subarray(4))
    }
    if (this.queue.length >= MAX_QUEUED) this.socket.pause()
    if (!this.draining) void this.drain()
  }

  private peekSize(): number {
    const first = this.chunks[0]
    if (first.length >= 4) return first.readInt32BE(0)
    return Buffer.concat(this.chunks, 4).readInt32BE(0)
  }

  /** Takes `n` bytes off the front of the buffered chunks, slicing when they lie in one chunk. */
  private take(n: number): Buffer {
    const first = this.chunks[0]
    let out: Buffer
    if (first.length >= n) {
      out = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
    } else {
      out = Buffer.allocUnsafe(n)
      let filled = 0
      while (filled < n) {
        const c = this.chunks[0]
        const want = n - filled
        if (c.length <= want) {
          c.copy(out, filled)
          filled += c.length
          this.chunks.shift()
        } else {
          c.copy(out, filled, 0, want)
          filled += want
          this.chunks[0] = c.subarray(want)
        }
      }
    }
    this.buffered -= n
    return out
  }

  private async drain(): Promise<void> {
    this.draining = true
    try {
      while (!this.closed && this.queue.length > 0) {
        const frame = this.queue.shift()!
        if (this.queue.length < MAX_QUEUED / 2 && this.socket.isPaused()) this.socket.resume()
        const started = this.startFrame(frame)
        // Responses leave in request order: each waits for the one before it.
        const previous = this.lastResponse
        const sent = (async () => {
          const chunks = await started.response
          await previous
          if (chunks !== null) this.send(chunks)
        })()
        this.lastResponse = sent
        if (started.pipelined && this.inFlight < MAX_PIPELINED) {
          // The request's effects are done (a Produce has appended); only its answer waits (an
          // fsync for acks=all). The next request may start, so one connection's produce
          // requests share fsyncs instead of queueing behind each other.
          this.inFlight++
          void sent.finally(() => this.inFlight--)
        } else {
          await sent
        }
      }
    } finally {
      this.draining = false
    }
  }

  /**
   * Decodes and starts one request. Returns the response to send (null: none) and whether the
   * handler let the next request start before this one is answered.
   */
  private startFrame(frame: Buffer): { response: Promise<Buffer[] | null>; pipelined: boolean } {
    const none = { response: Promise.resolve(null), pipelined: false }
    const startedAt = performance.now()
    const r = new Reader(frame)
    let header: RequestHeader
    try {
      header = readRequestHeader(r)
    } catch {
      this.close('request header does not decode')
      return none
    }
    const handler = handlerFor(header.apiKey)
    if (!handler) {
      this.close(`unknown API key ${header.apiKey}`)
      return none
    }
    if (header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
      if (header.apiKey === API_VERSIONS_KEY) {
        const chunks = encodeResponse(API_VERSIONS_KEY, 0, header.correlationId, {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: [
            { apiKey: API_VERSIONS_KEY, minVersion: handler.minVersion, maxVersion: handler.maxVersion },
          ],
        })
        return { response: Promise.resolve(chunks), pipelined: false }
      }
      this.close(
        `${handler.name} v${header.apiVersion} is not supported (${handler.minVersion}-${handler.maxVersion})`,
      )
      return none
    }
    let body: unknown
    try {
      body = decodeRequestBody(header, r)
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.close(`${handler.name} v${header.apiVersion} request does not decode: ${err.message}`)
        return none
      }
      throw err
    }
    const ctx: RequestContext = {
      broker: this.broker,
      header,
      connection: this.info,
      signal: this.abort.signal,
      closeConnection: (reason) => this.close(reason),
    }
    const finish = (response: unknown): Buffer[] | null => {
      this.broker.metrics.observeRequest(handler.name, (performance.now() - startedAt) / 1000)
      if (this.closed || response === null) return null
      return encodeResponse(
        header.apiKey as AnyApiKey,
        header.apiVersion,
        header.correlationId,
        response as never,
      )
    }
    const failed = (err: unknown): null => {
      // A handler throws only on a bug: log it loudly and drop this connection, not the broker.
      this.broker.log.error({ err, api: handler.name, version: header.apiVersion }, 'handler failed')
      this.close(`internal error in ${handler.name}`)
      return null
    }
    try {
      const result = handler.handle(body as never, ctx)
      if (result instanceof Promise) {
        return { response: result.then(finish, failed), pipelined: handler.pipelined === true }
      }
      return { response: Promise.resolve(finish(result)), pipelined: false }
    } catch (err) {
      return { response: Promise.resolve(failed(err)), pipelined: false }
    }
  }

  private send(chunks: Buffer[]): void {
    if (this.closed) return
    const socket = this.socket
    if (chunks.length === 1) {
      socket.write(chunks[0])
    } else {
      socket.cork()
      for (const c of chunks) socket.write(c)
      process.nextTick(() => socket.uncork())
    }
    // A client that does not read its responses stops being read from until it catches up.
    if (socket.writableLength > 64 * 1024 * 1024 && !socket.isPaused()) {
      socket.pause()
      socket.once('drain', () => {
        if (this.queue.length < MAX_QUEUED) socket.resume()
      })
    }
  }
}
