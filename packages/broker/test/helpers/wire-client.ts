// A raw Kafka connection for tests that must send exactly the bytes they choose (fuzzing,
// malformed frames) and see exactly what comes back: response frames, or the connection
// being closed. Requests are encoded with @runnel/protocol's codec.
import { connect, type Socket } from 'node:net'
import {
  type AnyApiKey,
  decodeResponse,
  encodeRequest,
  type RequestMap,
  type ResponseMap,
} from '@runnel/protocol'

export type FrameOrClose = { frame: Buffer } | { closed: true } | { timeout: true }

export class WireClient {
  private readonly socket: Socket
  private chunks: Buffer[] = []
  private buffered = 0
  private readonly frames: Buffer[] = []
  private waiters: Array<() => void> = []
  private correlationId = 1
  closed = false
  /** Set when the peer reset the connection (ECONNRESET) rather than closing it. */
  error: Error | undefined

  private constructor(socket: Socket) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', (err) => {
      this.error = err
    })
    socket.on('close', () => {
      this.closed = true
      this.wake()
    })
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, noDelay: true })
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new Error(`connect to ${host}:${port} timed out`))
      }, timeoutMs)
      socket.once('connect', () => {
        clearTimeout(timer)
        resolve(new WireClient(socket))
      })
      socket.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
    })
  }

  nextCorrelationId(): number {
    return this.correlationId++
  }

  /** Writes bytes as they are; resolves when the OS took them (or the socket is gone). */
  write(data: Buffer | readonly Buffer[]): Promise<void> {
    if (this.closed) return Promise.resolve()
    const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[])
    return new Promise((resolve) => {
      this.socket.write(buf, () => resolve())
    })
  }

  /** Encodes and sends a request; returns its correlation id. */
  async send<K extends AnyApiKey>(
    apiKey: K,
    version: number,
    body: RequestMap[K],
    clientId = 'runnel-test',
  ): Promise<number> {
    const correlationId = this.nextCorrelationId()
    await this.write(encodeRequest(apiKey, version, correlationId, clientId, body))
    return correlationId
  }

  /** Sends a request and decodes its response; throws if the connection closes or times out. */
  async request<K extends AnyApiKey>(
    apiKey: K,
    version: number,
    body: RequestMap[K],
    timeoutMs = 10_000,
  ): Promise<ResponseMap[K]> {
    const correlationId = await this.send(apiKey, version, body)
    const next = await this.next(timeoutMs)
    if ('closed' in next) throw new Error(`connection closed instead of answering API ${apiKey} v${version}`)
    if ('timeout' in next) throw new Error(`no answer to API ${apiKey} v${version} within ${timeoutMs} ms`)
    const decoded = decodeResponse(apiKey, version, next.frame)
    if (decoded.correlationId !== correlationId) {
      throw new Error(`correlation id ${decoded.correlationId}, expected ${correlationId}`)
    }
    return decoded.body
  }

  /** The next response frame (without its size), or the connection closing, or a timeout. */
  next(timeoutMs: number): Promise<FrameOrClose> {
    const take = (): FrameOrClose | undefined => {
      if (this.frames.length > 0) return { frame: this.frames.shift()! }
      if (this.closed) return { closed: true }
      return undefined
    }
    const now = take()
    if (now) return Promise.resolve(now)
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check)
        resolve({ timeout: true })
      }, timeoutMs)
      const check = () => {
        const got = take()
        if (!got) return
        clearTimeout(timer)
        this.waiters = this.waiters.filter((w) => w !== check)
        resolve(got)
      }
      this.waiters.push(check)
    })
  }

  /** Resolves true once the peer has closed the connection, false after timeoutMs. */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (this.closed) return true
      const left = deadline - Date.now()
      if (left <= 0) return false
      const got = await this.next(left)
      if ('closed' in got) return true
      if ('timeout' in got) return false
      // a response frame: keep waiting for the close
    }
  }

  /** Frames received and not yet taken. */
  get pendingFrames(): number {
    return this.frames.length
  }

  /** Half-closes: no more bytes from us (FIN); the peer may still answer. */
  end(): void {
    this.socket.end()
  }

  close(): void {
    this.socket.destroy()
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.buffered += chunk.length
    for (;;) {
      if (this.buffered < 4) break
      const head = Buffer.concat(this.chunks)
      this.chunks = [head]
      const size = head.readInt32BE(0)
      if (this.buffered < 4 + size) break
      this.frames.push(head.subarray(4, 4 + size))
      const rest = head.subarray(4 + size)
      this.chunks = rest.length > 0 ? [rest] : []
      this.buffered = rest.length
    }
    this.wake()
  }

  private wake(): void {
    for (const w of [...this.waiters]) w()
  }
}

/**
 * A request frame built by hand: size, api key, version, correlation id, client id, then
 * `body` as given (for keys and versions the codec does not know, or broken bodies).
 */
export function rawFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const clientId = Buffer.from('runnel-test')
  const header = Buffer.alloc(10)
  header.writeInt16BE(apiKey, 0)
  header.writeInt16BE(apiVersion, 2)
  header.writeInt32BE(correlationId, 4)
  header.writeInt16BE(clientId.length, 8)
  const size = Buffer.alloc(4)
  size.writeInt32BE(header.length + clientId.length + body.length)
  return Buffer.concat([size, header, clientId, body])
}
