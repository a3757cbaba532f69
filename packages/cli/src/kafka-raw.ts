// Kafka requests sent by hand over node:net, encoded and decoded by @runnel/protocol. For the
// standard admin APIs @platformatic/kafka's Admin offers no call for (ListTransactions,
// DescribeTransactions, DescribeProducers), and a verb that needs only these skips loading
// that client (about a second of CPU). Versions come from each broker's ApiVersions answer, so
// it works against any Kafka. One request in flight per connection; connecting and every
// answer are bounded by --timeout; every failure is a CliError whose sentence names the address.
import { connect, type Socket } from 'node:net'
import {
  type AnyApiKey,
  API_VERSIONS_KEY,
  apiDescriptor,
  decodeResponse,
  ErrorCode,
  encodeRequest,
  errorTable,
  type MetadataResponse,
  type RequestMap,
  type ResponseMap,
} from '@runnel/protocol'
import type { Target } from './args.ts'
import { CliError, CliErrorCode } from './errors.ts'
import { CONNECTION_CLOSED, networkReason } from './network-reasons.ts'

const CLIENT_ID = 'runnel-cli'
// ApiVersions v3 is the newest every Kafka since 2.4 speaks; older ones answer it in v0 form
// with UNSUPPORTED_VERSION and their own range, and we ask again at a version they speak.
const API_VERSIONS_VERSION = 3
// The first bytes after the size of every ApiVersions answer, whatever its version: the
// correlation id (response header v0, always), then error_code.
const API_VERSIONS_ERROR_AT = 4

export interface BrokerAddress {
  host: string
  port: number
}

/** `host:port`, with an IPv6 host in brackets. */
export function addressText({ host, port }: BrokerAddress): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`
}

/** A Kafka error code's name (`TRANSACTIONAL_ID_NOT_FOUND`), from the generated table. */
export function errorName(code: number): string {
  return errorTable.find((e) => e.code === code)?.name ?? `error ${code}`
}

/** Why a connection failed: a reason from the table, else 'the connection was closed'. */
type Failure = { timedOut: true } | { timedOut: false; reason: string }

function failureOf(err: unknown): Failure {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return { timedOut: false, reason: networkReason(code) ?? CONNECTION_CLOSED }
}

/** A broker that could not be reached or did not answer; keeps why, to name several addresses. */
class Unreachable extends CliError {
  readonly failure: Failure

  constructor(where: string, failure: Failure, timeoutMs: number, cause?: unknown) {
    super(
      CliErrorCode.RUNNEL_CLI_BROKER_UNREACHABLE,
      failure.timedOut
        ? `No Kafka broker answered at ${where} within ${timeoutMs} ms.`
        : `Cannot reach a Kafka broker at ${where} (${failure.reason}).`,
      { cause, retriable: true },
    )
    this.failure = failure
  }
}

function unreachable(where: string, failure: Failure, timeoutMs: number, cause?: unknown): Unreachable {
  return new Unreachable(where, failure, timeoutMs, cause)
}

function openSocket(address: BrokerAddress, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port })
    const fail = (failure: Failure, cause?: unknown) => {
      clearTimeout(timer)
      socket.destroy()
      reject(unreachable(addressText(address), failure, timeoutMs, cause))
    }
    const timer = setTimeout(() => fail({ timedOut: true }), timeoutMs)
    // Stays attached after connecting (then a no-op but for destroy), so that no error finds
    // the socket without a listener before KafkaConnection adds its own.
    socket.once('error', (err) => fail(failureOf(err), err))
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.setNoDelay(true)
      resolve(socket)
    })
  })
}

/** One connection to one broker, ApiVersions already asked. */
export class KafkaConnection {
  readonly address: BrokerAddress
  readonly #socket: Socket
  readonly #timeoutMs: number
  /** The broker's version range per API key, from its ApiVersions answer. */
  readonly #versions = new Map<number, readonly [number, number]>()
  #nextCorrelationId = 1
  /** Bytes received and not yet cut into frames. */
  #received: Buffer[] = []
  #receivedBytes = 0
  #waiting: { resolve(frame: Buffer): void; reject(err: Error): void } | undefined
  /** Set once the socket closed or failed: every later request fails with it. */
  #closed: CliError | undefined

  private constructor(address: BrokerAddress, socket: Socket, timeoutMs: number) {
    this.address = address
    this.#socket = socket
    this.#timeoutMs = timeoutMs
    socket.on('data', (chunk: Buffer) => this.#onData(chunk))
    const closed = (failure: Failure, cause?: unknown) => {
      this.#closed ??= unreachable(addressText(address), failure, timeoutMs, cause)
      this.#waiting?.reject(this.#closed)
      this.#waiting = undefined
    }
    socket.on('error', (err) => closed(failureOf(err), err))
    socket.on('close', () => closed({ timedOut: false, reason: 'the connection was closed' }))
  }

  /** Connects and asks the broker which API versions it speaks. */
  static async open(address: BrokerAddress, timeoutMs: number): Promise<KafkaConnection> {
    const connection = new KafkaConnection(address, await openSocket(address, timeoutMs), timeoutMs)
    try {
      await connection.#askVersions()
    } catch (err) {
      connection.close()
      throw err
    }
    return connection
  }

  get where(): string {
    return addressText(this.address)
  }

  /**
   * The newest version of an API both this codec and the broker speak, at least `minVersion`,
   * or a CliError saying the broker lacks it (`since`: which Kafka has it, for the sentence).
   */
  version(apiKey: AnyApiKey, minVersion = 0, since?: string): number {
    const descriptor = apiDescriptor(apiKey)
    const ours = descriptor?.request.validVersions ?? [0, -1]
    const theirs = this.#versions.get(apiKey)
    const version = theirs ? Math.min(ours[1], theirs[1]) : -1
    if (!theirs || version < Math.max(ours[0], theirs[0], minVersion)) {
      const name = `${descriptor?.name ?? `API ${apiKey}`}${minVersion > 0 ? ` v${minVersion} or later` : ''}`
      throw new CliError(
        CliErrorCode.RUNNEL_CLI_UNSUPPORTED,
        `The broker at ${this.where} does not support ${name}, which this command needs${since ? ` (${since} has it)` : ''}.`,
      )
    }
    return version
  }

  /** Sends one request at `version` and decodes its answer. */
  async send<K extends AnyApiKey>(apiKey: K, version: number, body: RequestMap[K]): Promise<ResponseMap[K]> {
    const correlationId = this.#nextCorrelationId++
    const frame = await this.#exchange(encodeRequest(apiKey, version, correlationId, CLIENT_ID, body))
    return this.#decode(apiKey, version, correlationId, frame)
  }

  /** Sends one request at the newest version both sides speak. */
  async request<K extends AnyApiKey>(
    apiKey: K,
    body: RequestMap[K],
    since?: string,
  ): Promise<ResponseMap[K]> {
    return this.send(apiKey, this.version(apiKey, 0, since), body)
  }

  close(): void {
    this.#closed ??= unreachable(this.where, { timedOut: false, reason: 'the connection was closed' }, 0)
    this.#socket.destroy()
  }

  async #askVersions(): Promise<void> {
    let version = API_VERSIONS_VERSION
    for (;;) {
      const correlationId = this.#nextCorrelationId++
      const frame = await this.#exchange(
        encodeRequest(API_VERSIONS_KEY, version, correlationId, CLIENT_ID, {
          clientSoftwareName: 'runnel-cli',
          clientSoftwareVersion: '0.1.0',
        }),
      )
      const errorCode =
        frame.length >= API_VERSIONS_ERROR_AT + 2 ? frame.readInt16BE(API_VERSIONS_ERROR_AT) : -1
      const unsupported = errorCode === ErrorCode.UNSUPPORTED_VERSION
      const answer = this.#decode(API_VERSIONS_KEY, unsupported ? 0 : version, correlationId, frame)
      if (unsupported) {
        const theirs = answer.apiKeys.find((k) => k.apiKey === API_VERSIONS_KEY)
        if (!theirs || theirs.maxVersion >= version) {
          throw new CliError(
            CliErrorCode.RUNNEL_CLI_KAFKA_ERROR,
            `The broker at ${this.where} refused every ApiVersions request (UNSUPPORTED_VERSION).`,
          )
        }
        version = theirs.maxVersion
        continue
      }
      if (errorCode !== ErrorCode.NONE) {
        throw new CliError(
          CliErrorCode.RUNNEL_CLI_KAFKA_ERROR,
          `The broker at ${this.where} refused ApiVersions (${errorName(errorCode)}).`,
        )
      }
      for (const k of answer.apiKeys) this.#versions.set(k.apiKey, [k.minVersion, k.maxVersion])
      return
    }
  }

  #decode<K extends AnyApiKey>(apiKey: K, version: number, correlationId: number, frame: Buffer) {
    const name = apiDescriptor(apiKey)?.name ?? `API ${apiKey}`
    let decoded: { correlationId: number; body: ResponseMap[K] }
    try {
      decoded = decodeResponse(apiKey, version, frame)
    } catch (err) {
      throw new CliError(
        CliErrorCode.RUNNEL_CLI_KAFKA_ERROR,
        `The broker at ${this.where} sent a ${name} v${version} answer that cannot be read: ${(err as Error).message.replace(/\.$/, '')}.`,
        { cause: err },
      )
    }
    if (decoded.correlationId !== correlationId) {
      throw new CliError(
        CliErrorCode.RUNNEL_CLI_KAFKA_ERROR,
        `The broker at ${this.where} answered request ${decoded.correlationId} when ${correlationId} was asked (${name}).`,
      )
    }
    return decoded.body
  }

  #exchange(chunks: Buffer[]): Promise<Buffer> {
    if (this.#closed) return Promise.reject(this.#closed)
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting = undefined
        this.#closed = unreachable(this.where, { timedOut: true }, this.#timeoutMs)
        this.#socket.destroy()
        reject(this.#closed)
      }, this.#timeoutMs)
      this.#waiting = {
        resolve: (frame) => {
          clearTimeout(timer)
          resolve(frame)
        },
        reject: (err) => {
          clearTimeout(timer)
          reject(err)
        },
      }
      this.#socket.cork()
      for (const chunk of chunks) this.#socket.write(chunk)
      this.#socket.uncork()
    })
  }

  #onData(chunk: Buffer): void {
    this.#received.push(chunk)
    this.#receivedBytes += chunk.length
    while (this.#receivedBytes >= 4) {
      const head = this.#received.length === 1 ? this.#received[0] : Buffer.concat(this.#received)
      this.#received = [head]
      const size = head.readInt32BE(0)
      if (size < 0) {
        this.#closed = new CliError(
          CliErrorCode.RUNNEL_CLI_KAFKA_ERROR,
          `The broker at ${this.where} sent a frame of negative size ${size}.`,
        )
        this.#waiting?.reject(this.#closed)
        this.#waiting = undefined
        this.#socket.destroy()
        return
      }
      if (head.length < 4 + size) return
      const frame = head.subarray(4, 4 + size)
      const rest = head.subarray(4 + size)
      this.#received = rest.length > 0 ? [rest] : []
      this.#receivedBytes = rest.length
      // An answer nobody waits for (its request timed out) is dropped: the connection is closed then.
      const waiting = this.#waiting
      this.#waiting = undefined
      waiting?.resolve(frame)
    }
  }
}

/**
 * Connections to the brokers of one cluster, opened on demand, one per address, all closed by
 * `close()`. `bootstrap()` is the first bootstrap address that answers.
 */
export class KafkaSession {
  readonly target: Target
  readonly #open = new Map<string, Promise<KafkaConnection>>()
  #bootstrap: Promise<KafkaConnection> | undefined

  constructor(target: Target) {
    this.target = target
  }

  bootstrap(): Promise<KafkaConnection> {
    this.#bootstrap ??= this.#firstAnswering()
    return this.#bootstrap
  }

  /** A connection to one broker (an address from Metadata or FindCoordinator). */
  to(address: BrokerAddress): Promise<KafkaConnection> {
    const key = addressText(address)
    let connection = this.#open.get(key)
    if (!connection) {
      connection = KafkaConnection.open(address, this.target.timeoutMs)
      // A failed attempt is not kept: a later call may try again.
      connection.catch(() => this.#open.delete(key))
      this.#open.set(key, connection)
    }
    return connection
  }

  close(): void {
    for (const connection of this.#open.values()) connection.then((c) => c.close()).catch(() => {})
    this.#open.clear()
  }

  async #firstAnswering(): Promise<KafkaConnection> {
    let first: Unreachable | undefined
    for (const address of this.target.brokers) {
      try {
        return await this.to(address)
      } catch (err) {
        if (!(err instanceof Unreachable)) throw err
        first ??= err
      }
    }
    // Only reached with every address failed: one sentence names them all.
    if (!first || this.target.brokers.length === 1) throw first
    const where = this.target.brokers.map(addressText).join(', ')
    throw unreachable(where, first.failure, this.target.timeoutMs, first)
  }
}

/** Runs `work` with a session on the target cluster and closes its connections afterwards. */
export async function withKafka<T>(target: Target, work: (session: KafkaSession) => Promise<T>): Promise<T> {
  const session = new KafkaSession(target)
  try {
    return await work(session)
  } finally {
    session.close()
  }
}

/**
 * Metadata as the wire has it, never creating topics. `null` asks for every topic, `[]` for
 * none (brokers only; a broker speaking only v0 answers every topic then).
 */
export async function metadata(
  connection: KafkaConnection,
  topics: string[] | null,
): Promise<MetadataResponse> {
  const version = connection.version(3)
  return connection.send(3, version, {
    topics: topics === null ? (version === 0 ? [] : null) : topics.map((name) => ({ name })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  })
}

/** FindCoordinator's key types. */
export const CoordinatorKeyType = { GROUP: 0, TRANSACTION: 1 } as const
export type CoordinatorKeyType = (typeof CoordinatorKeyType)[keyof typeof CoordinatorKeyType]

/** Errors a coordinator lookup or a coordinator's answer retries (Kafka's admin client does). */
export const COORDINATOR_RETRIABLE: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
])

export interface Coordinator extends BrokerAddress {
  nodeId: number
}

/** A coordinator lookup's outcome: where, or the Kafka error it ended with. */
export type Located = { coordinator: Coordinator } | { errorCode: number; errorMessage: string | null }

/** FindCoordinator for one key, asked of the bootstrap broker (v1+: key types; v4+: batched keys). */
export async function findCoordinator(
  session: KafkaSession,
  keyType: CoordinatorKeyType,
  key: string,
): Promise<Located> {
  const connection = await session.bootstrap()
  const version = connection.version(10, keyType === CoordinatorKeyType.GROUP ? 0 : 1)
  const answer = await connection.send(
    10,
    version,
    version >= 4 ? { keyType, coordinatorKeys: [key] } : { key, keyType },
  )
  const found =
    version >= 4
      ? answer.coordinators?.find((c) => c.key === key)
      : {
          nodeId: answer.nodeId ?? -1,
          host: answer.host ?? '',
          port: answer.port ?? -1,
          errorCode: answer.errorCode ?? 0,
          errorMessage: answer.errorMessage ?? null,
        }
  if (!found)
    return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'no coordinator in the answer' }
  if (found.errorCode !== ErrorCode.NONE)
    return { errorCode: found.errorCode, errorMessage: found.errorMessage }
  return { coordinator: { nodeId: found.nodeId, host: found.host, port: found.port } }
}

/**
 * Calls `attempt` until it returns a value, waiting a little longer each time it returns
 * `undefined` (a retriable answer), for at most `timeoutMs` in all; then `giveUp()`.
 */
export async function retrying<T>(
  timeoutMs: number,
  attempt: () => Promise<T | undefined>,
  giveUp: () => Error,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    const value = await attempt()
    if (value !== undefined) return value
    if (Date.now() + delay > deadline) throw giveUp()
    await new Promise((resolve) => setTimeout(resolve, delay))
  }
}
