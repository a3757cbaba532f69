// A raw Kafka connection for the load and scale scenarios: requests encoded with
// @runnel/protocol's codec, answered in order, each timed from the write to the arrival of
// its response frame. Why not a client library: 1,000 connections from a few processes must
// cost the generator little, and a @platformatic/kafka Producer is a client (metadata, timers,
// its own connection pool), not a socket. Measured on 2026-12-07, 200 of them in one process,
// each a send of 10 x 100 B every 200 ms for 10 s: 142 MB RSS once connected and 2.3 s of CPU
// for 9,569 sends; this file's connections did 9,999 requests for 0.9 s. A thousand producers
// would take about 0.7 GB and more than a core of the two there are, and the figures would
// measure the client as much as the broker.
import { connect, type Socket } from 'node:net'
import {
  type AnyApiKey,
  buildBatch,
  decodeResponse,
  encodeRequest,
  type RequestMap,
  type ResponseMap,
} from '@runnel/protocol'

interface Pending {
  correlationId: number
  apiKey: AnyApiKey
  version: number
  sentAt: number
  timer: NodeJS.Timeout
  resolve: (r: { body: unknown; ms: number }) => void
  reject: (err: Error) => void
}

export const PRODUCE_VERSION = 9
export const FETCH_VERSION = 11
export const METADATA_VERSION = 9

export class WireConnection {
  private readonly socket: Socket
  private buffered: Buffer = Buffer.alloc(0)
  /** Requests written and not yet answered, in order (Kafka answers a connection in order). */
  private readonly pending: Pending[] = []
  private correlationId = 1
  closed = false

  private constructor(
    socket: Socket,
    private readonly clientId: string,
    private readonly timeoutMs: number,
  ) {
    this.socket = socket
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('error', () => {})
    socket.on('close', () => {
      this.closed = true
      for (const p of this.pending.splice(0)) {
        clearTimeout(p.timer)
        p.reject(new Error(`connection closed before answering API ${p.apiKey}`))
      }
    })
  }

  static connect(port: number, clientId: string, timeoutMs = 30_000): Promise<WireConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true })
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new Error(`connect to 127.0.0.1:${port} timed out`))
      }, 10_000)
      socket.once('connect', () => {
        clearTimeout(timer)
        resolve(new WireConnection(socket, clientId, timeoutMs))
      })
      socket.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
    })
  }

  /** Sends a request; resolves with its decoded response and the milliseconds it took. */
  request<K extends AnyApiKey>(
    apiKey: K,
    version: number,
    body: RequestMap[K],
  ): Promise<{ body: ResponseMap[K]; ms: number }> {
    if (this.closed) return Promise.reject(new Error('connection closed'))
    const correlationId = this.correlationId++
    const frame = encodeRequest(apiKey, version, correlationId, this.clientId, body)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no answer to API ${apiKey} within ${this.timeoutMs} ms`))
        this.socket.destroy() // the order is lost: this connection is done
      }, this.timeoutMs)
      this.pending.push({
        correlationId,
        apiKey,
        version,
        sentAt: performance.now(),
        timer,
        resolve: resolve as Pending['resolve'],
        reject,
      })
      this.socket.cork()
      for (const part of frame) this.socket.write(part)
      this.socket.uncork()
    })
  }

  close(): void {
    this.socket.destroy()
  }

  private onData(chunk: Buffer): void {
    const now = performance.now()
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0)
      if (this.buffered.length < 4 + size) break
      const frame = this.buffered.subarray(4, 4 + size)
      this.buffered = this.buffered.subarray(4 + size)
      const p = this.pending.shift()
      if (!p) {
        this.socket.destroy()
        return
      }
      clearTimeout(p.timer)
      try {
        const decoded = decodeResponse(p.apiKey, p.version, frame)
        if (decoded.correlationId !== p.correlationId)
          throw new Error(`correlation id ${decoded.correlationId}, expected ${p.correlationId}`)
        p.resolve({ body: decoded.body, ms: now - p.sentAt })
      } catch (err) {
        p.reject(err as Error)
      }
    }
  }
}

/** A batch of `count` records of `size` bytes (no key), not idempotent. */
export function recordBatch(count: number, size: number): Buffer {
  const value = Buffer.alloc(size, 'x')
  return buildBatch({ records: Array.from({ length: count }, () => ({ key: null, value })) })
}

export interface Target {
  topic: string
  partition: number
}

/** Produce of one batch to one partition; the partition's error code and base offset. */
export async function produceOne(
  conn: WireConnection,
  target: Target,
  batch: Buffer,
  acks: 1 | -1,
): Promise<{ errorCode: number; baseOffset: bigint; ms: number }> {
  const { body, ms } = await conn.request(0, PRODUCE_VERSION, {
    transactionalId: null,
    acks,
    timeoutMs: 10_000,
    topicData: [{ name: target.topic, partitionData: [{ index: target.partition, records: batch }] }],
  })
  const p = body.responses[0].partitionResponses[0]
  return { errorCode: p.errorCode, baseOffset: BigInt(p.baseOffset), ms }
}

export interface FetchAt extends Target {
  offset: bigint
}

/** Fetch (no wait) of several partitions of one topic; per partition its error and the bytes it returned. */
export async function fetchMany(
  conn: WireConnection,
  topic: string,
  at: readonly FetchAt[],
  partitionMaxBytes: number,
): Promise<{ partitions: { partition: number; errorCode: number; records: Buffer | null }[]; ms: number }> {
  const { body, ms } = await conn.request(1, FETCH_VERSION, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 16 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: at.map((a) => ({
          partition: a.partition,
          currentLeaderEpoch: -1,
          fetchOffset: a.offset,
          logStartOffset: -1n,
          partitionMaxBytes,
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  })
  const partitions = (body.responses[0]?.partitions ?? []).map((p) => ({
    partition: p.partitionIndex,
    errorCode: p.errorCode,
    records: (p.records as Buffer | null) ?? null,
  }))
  return { partitions, ms }
}
