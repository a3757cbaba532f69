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
//
// Memory: a frame that arrived whole in one socket chunk is a view of that chunk. A Produce
// frame spread over several chunks (a client's ~1 MB batches) is copied into a buffer of the
// broker's pool and given back once the handler is done with it (storage/buffer-pool.ts): the
// tail cache retains it if it keeps the batches. Only Produce frames are pooled: its handler
// keeps nothing of its request once it has appended, while other handlers may keep decoded
// byte fields (group metadata). A response that reads pooled memory (a Fetch from the tail
// cache) holds it in its request's lease until the socket has taken the bytes.
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
import { type FullRequestContext, type Handler, handlerFor } from '../handlers/registry.ts'
import type { BrokerServices } from '../services.ts'
import { type BufferPool, Lease, type PooledBuffer } from '../storage/index.ts'
import { failedResponse, type RequestFault, type RequestFaults } from '../testing/faults.ts'

/** The smallest request header: api key, version, correlation id, client id length. */
const MIN_FRAME = 10
/** Frames queued before we stop reading from the socket (backpressure on a pipelining client). */
const MAX_QUEUED = 128
/** Pipelined requests (produce waiting for an fsync) in flight on one connection. */
const MAX_PIPELINED = 32
const PRODUCE_KEY = 0

/** A complete request frame (without its size prefix), and the pooled buffer it lives in. */
interface Frame {
  readonly bytes: Buffer
  readonly pooled: PooledBuffer | undefined
}

export interface ConnectionInfo {
  readonly id: number
  readonly remoteAddress: string
  readonly remotePort: number
  /** The client's software name and version, from ApiVersions v3+. */
  clientSoftware?: { name: string; version: string }
}

/** What a connection works with: the services its requests' handlers use, and its own needs. */
export interface ConnectionDeps {
  readonly services: BrokerServices
  /** Pooled memory for Produce frames and the responses that read the tail cache. */
  readonly buffers: BufferPool
  /** socket.request.max.bytes */
  readonly maxRequestBytes: number
  /** Request faults a test asked for (`@runnel/broker/testing`); undefined in production. */
  readonly faults: RequestFaults | undefined
  /** Called once when the socket has closed. */
  closed(connection: Connection): void
}

/** A request whose header and body decoded, about to be handled. */
interface DecodedRequest {
  handler: Handler
  header: RequestHeader
  body: unknown
  lease: Lease
  startedAt: number
}

/** A request under way: its response to come (null: none), and whether the next may start. */
interface StartedRequest {
  response: Promise<Buffer[] | null>
  pipelined: boolean
}

let nextConnectionId = 1

/** Owner: the connection itself; its queue is drained by one loop, one request at a time. */
export class Connection {
  readonly info: ConnectionInfo
  private readonly socket: Socket
  private readonly deps: ConnectionDeps
  private readonly services: BrokerServices
  private readonly maxRequestBytes: number
  private chunks: Buffer[] = []
  private buffered = 0
  private readonly queue: Frame[] = []
  private draining = false
  private closed = false
  /** The last response queued for sending; the next one is sent after it. */
  private lastResponse: Promise<void> = Promise.resolve()
  /** Pipelined requests started but not yet answered. */
  private inFlight = 0
  /** Aborted when the connection closes, so a parked request (a long-poll Fetch) stops waiting. */
  private readonly abort = new AbortController()
  /** RequestContext.closeConnection, made once rather than per request. */
  private readonly closeFromHandler = (reason: string): void => this.close(reason)

  constructor(socket: Socket, deps: ConnectionDeps) {
    this.socket = socket
    this.deps = deps
    this.services = deps.services
    this.maxRequestBytes = deps.maxRequestBytes
    this.info = {
      id: nextConnectionId++,
      remoteAddress: socket.remoteAddress ?? '?',
      remotePort: socket.remotePort ?? 0,
    }
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => this.services.log.debug({ err, conn: this.info.id }, 'connection error'))
    socket.on('close', () => this.onClose())
  }

  get isClosed(): boolean {
    return this.closed
  }

  close(reason?: string): void {
    if (this.closed) return
    if (reason)
      this.services.log.warn(
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
    for (const frame of this.queue) frame.pooled?.release()
    this.queue.length = 0
    this.chunks = []
    this.deps.closed(this)
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
      this.queue.push(this.takeFrame(size))
    }
    if (this.queue.length >= MAX_QUEUED) this.socket.pause()
    if (!this.draining) void this.drain()
  }

  private peekSize(): number {
    const first = this.chunks[0]
    if (first.length >= 4) return first.readInt32BE(0)
    return Buffer.concat(this.chunks, 4).readInt32BE(0)
  }

  /**
   * Takes the next frame (its 4-byte size, then `size` bytes) off the buffered chunks: a view
   * when it lies in one chunk, else a copy, into pooled memory for a Produce request.
   */
  private takeFrame(size: number): Frame {
    const first = this.chunks[0]
    if (first.length >= size + 4) {
      const bytes = first.subarray(4, size + 4)
      if (first.length === size + 4) this.chunks.shift()
      else this.chunks[0] = first.subarray(size + 4)
      this.buffered -= size + 4
      return { bytes, pooled: undefined }
    }
    this.skip(4)
    const pooled = this.peekApiKey() === PRODUCE_KEY ? this.deps.buffers.acquire(size) : undefined
    const bytes = pooled ? pooled.bytes.subarray(0, size) : Buffer.allocUnsafe(size)
    let filled = 0
    while (filled < size) {
      const c = this.chunks[0]
      const want = size - filled
      if (c.length <= want) {
        c.copy(bytes, filled)
        filled += c.length
        this.chunks.shift()
      } else {
        c.copy(bytes, filled, 0, want)
        filled += want
        this.chunks[0] = c.subarray(want)
      }
    }
    this.buffered -= size
    return { bytes, pooled }
  }

  /** Drops `n` bytes (fewer than the whole buffer) off the front of the buffered chunks. */
  private skip(n: number): void {
    let left = n
    while (left > 0) {
      const c = this.chunks[0]
      if (c.length <= left) {
        left -= c.length
        this.chunks.shift()
      } else {
        this.chunks[0] = c.subarray(left)
        left = 0
      }
    }
    this.buffered -= n
  }

  /** The API key of the buffered frame whose size was just skipped (-1 if not yet there). */
  private peekApiKey(): number {
    const first = this.chunks[0]
    if (first.length >= 2) return first.readInt16BE(0)
    return this.buffered >= 2 ? Buffer.concat(this.chunks, 2).readInt16BE(0) : -1
  }

  private async drain(): Promise<void> {
    this.draining = true
    try {
      while (!this.closed && this.queue.length > 0) {
        const frame = this.queue.shift()!
        if (this.queue.length < MAX_QUEUED / 2 && this.socket.isPaused()) this.socket.resume()
        const lease = new Lease(this.deps.buffers)
        const started = this.startFrame(frame.bytes, lease)
        // A pipelined handler is done with its request when it returns; others when they answer.
        if (frame.pooled && started.pipelined) frame.pooled.release()
        else if (frame.pooled) void started.response.finally(() => frame.pooled!.release())
        // Responses leave in request order: each waits for the one before it.
        const previous = this.lastResponse
        const sent = (async () => {
          const chunks = await started.response
          await previous
          if (chunks !== null) this.send(chunks, lease)
          else lease.release()
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
  private startFrame(frame: Buffer, lease: Lease): StartedRequest {
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
    const request: DecodedRequest = { handler, header, body, lease, startedAt }
    const fault = this.deps.faults?.match(header.apiKey, body)
    return fault === undefined ? this.runHandler(request) : this.startFaulty(fault, request)
  }

  /** Runs a decoded request's handler. */
  private runHandler({ handler, header, body, lease, startedAt }: DecodedRequest): StartedRequest {
    const s = this.services
    const ctx: FullRequestContext = {
      node: s.node,
      config: s.config,
      log: s.log,
      metrics: s.metrics,
      topics: s.topics,
      partitions: s.partitions,
      groups: s.groups,
      transactions: s.transactions,
      header,
      connection: this.info,
      signal: this.abort.signal,
      closeConnection: this.closeFromHandler,
      lease,
    }
    // Methods and inline callbacks rather than named closures: this runs for every request.
    try {
      const result = handler.handle(body as never, ctx)
      if (result instanceof Promise) {
        return {
          response: result.then(
            (response) => this.finishRequest(handler, header, startedAt, response),
            (err) => this.handlerFailed(handler, header, err),
          ),
          pipelined: handler.pipelined === true,
        }
      }
      return {
        response: Promise.resolve(this.finishRequest(handler, header, startedAt, result)),
        pipelined: false,
      }
    } catch (err) {
      return { response: Promise.resolve(this.handlerFailed(handler, header, err)), pipelined: false }
    }
  }

  /** A request a test's fault rule matched (`@runnel/broker/testing`). */
  private startFaulty(fault: RequestFault, request: DecodedRequest): StartedRequest {
    const { handler, header, body, startedAt } = request
    if (fault.kind === 'drop') {
      this.close(`test fault: ${handler.name} dropped`)
      return { response: Promise.resolve(null), pipelined: false }
    }
    if (fault.kind === 'fail') {
      const answer = failedResponse(header.apiKey, header.apiVersion, body, fault.errorCode)
      return {
        response: Promise.resolve(this.finishRequest(handler, header, startedAt, answer)),
        pipelined: false,
      }
    }
    // delay: the request, handled once the time has passed.
    const later = new Promise<void>((resolve) => setTimeout(resolve, fault.ms))
    const response = later.then(() => (this.closed ? null : this.runHandler(request).response))
    return { response, pipelined: false }
  }

  /** Counts the request and encodes its response (null: none to send). */
  private finishRequest(
    handler: Handler,
    header: RequestHeader,
    startedAt: number,
    response: unknown,
  ): Buffer[] | null {
    this.services.metrics.observeRequest(handler.name, (performance.now() - startedAt) / 1000)
    if (this.closed || response === null) return null
    try {
      return encodeResponse(
        header.apiKey as AnyApiKey,
        header.apiVersion,
        header.correlationId,
        response as never,
      )
    } catch (err) {
      // A response that does not encode is a handler bug, handled as one (no unhandled rejection).
      return this.handlerFailed(handler, header, err)
    }
  }

  /** A handler throws only on a bug: log it loudly and drop this connection, not the broker. */
  private handlerFailed(handler: Handler, header: RequestHeader, err: unknown): null {
    this.services.log.error({ err, api: handler.name, version: header.apiVersion }, 'handler failed')
    this.close(`internal error in ${handler.name}`)
    return null
  }

  /**
   * Writes a response. Its lease is released when the socket is done with the last chunk: written,
   * or failed (Node calls back once libuv has let go of the bytes, or never had them).
   */
  private send(chunks: Buffer[], lease: Lease): void {
    if (this.closed) {
      lease.release()
      return
    }
    const socket = this.socket
    const last = chunks[chunks.length - 1]
    if (chunks.length > 1) {
      socket.cork()
      for (let i = 0; i < chunks.length - 1; i++) socket.write(chunks[i])
    }
    if (lease.size === 0) socket.write(last)
    else socket.write(last, () => lease.release())
    if (chunks.length > 1) process.nextTick(uncork, socket)
    // A client that does not read its responses stops being read from until it catches up.
    if (socket.writableLength > 64 * 1024 * 1024 && !socket.isPaused()) {
      socket.pause()
      socket.once('drain', () => {
        if (this.queue.length < MAX_QUEUED) socket.resume()
      })
    }
  }
}

function uncork(socket: Socket): void {
  socket.uncork()
}
