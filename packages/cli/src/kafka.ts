// Kafka clients for the CLI (@platformatic/kafka, standard APIs only, so every verb works
// against any Kafka cluster) and the translation of their errors into one sentence a person
// can act on.
import type * as Platformatic from '@platformatic/kafka'
import type { Admin, BaseOptions, metadataV12 } from '@platformatic/kafka'
import { RunnelError } from '@runnel/errors'
import { describeBrokers, type Target } from './args.ts'
import { CliError, CliErrorCode } from './errors.ts'
import { CONNECTION_CLOSED, networkReason } from './network-reasons.ts'

const CLIENT_ID = 'runnel-cli'

let client: typeof Platformatic | undefined

/**
 * The client library, loaded on first use (it takes a moment): `--help` and usage errors
 * answer without it.
 */
export async function kafkaClient(): Promise<typeof Platformatic> {
  client ??= await import('@platformatic/kafka')
  return client
}

export type MetadataResponse = metadataV12.MetadataResponse
export type MetadataResponseTopic = metadataV12.MetadataResponseTopic

/** Connection settings shared by every client: bounded waits, a couple of quick retries. */
export function clientOptions(target: Target): BaseOptions {
  return {
    clientId: CLIENT_ID,
    bootstrapBrokers: target.brokers,
    connectTimeout: target.timeoutMs,
    requestTimeout: target.timeoutMs,
    timeout: target.timeoutMs,
    retries: 2,
    retryDelay: 250,
  }
}

/** Runs `work` with an admin client, closes it, and turns any failure into a CliError. */
export async function withAdmin<T>(target: Target, work: (admin: Admin) => Promise<T>): Promise<T> {
  const { Admin } = await kafkaClient()
  const admin = new Admin(clientOptions(target))
  try {
    return await work(admin)
  } catch (err) {
    throw explain(err, target)
  } finally {
    await admin.close().catch(() => {})
  }
}

export function unknownTopic(topic: string, hint = false): CliError {
  return new CliError(
    CliErrorCode.RUNNEL_CLI_UNKNOWN_TOPIC,
    `Topic "${topic}" does not exist${hint ? `: create it with \`runnel topic create ${topic}\`` : ''}.`,
  )
}

/**
 * A Metadata request as the wire has it (the client's own cache hides internal topics and
 * turns per-topic errors into exceptions). `null` asks for every topic. Never auto-creates.
 */
export async function rawMetadata(admin: Admin, topics: string[] | null): Promise<MetadataResponse> {
  const plt = await kafkaClient()
  return new Promise((resolve, reject) => {
    admin[plt.kGetBootstrapConnection]((err, connection) => {
      if (err || !connection) return reject(err)
      admin[plt.kGetApi]<[string[] | null, boolean, boolean], MetadataResponse>('Metadata', (err, api) => {
        if (err || !api) return reject(err)
        api(connection, topics, false, false, (err, response) => {
          // Per-topic errors (UNKNOWN_TOPIC_OR_PARTITION) are data for the caller.
          const withErrors = (err as { response?: MetadataResponse } | null)?.response
          if (err && !withErrors?.topics) return reject(err)
          resolve((response ?? withErrors) as MetadataResponse)
        })
      })
    })
  })
}

interface ListOffsetsResponse {
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number; offset: bigint }[] }[]
}

/**
 * ListOffsets for some partitions of a topic, once per timestamp (-2 earliest, -1 latest, or
 * milliseconds: the first offset at or after that time, -1 when none), asked of each
 * partition's leader. Done by hand because the client's own version reads its metadata
 * cache, which leaves out internal topics.
 */
export async function offsetsAt(
  admin: Admin,
  topic: string,
  partitions: number[],
  ...timestamps: bigint[]
): Promise<Map<number, bigint>[]> {
  const plt = await kafkaClient()
  const metadata = await rawMetadata(admin, [topic])
  const found = metadata.topics.find((t) => t.name === topic)
  if (!found || found.errorCode === 3) throw unknownTopic(topic)
  const byLeader = new Map<number, number[]>()
  for (const p of partitions) {
    const leader = found.partitions.find((x) => x.partitionIndex === p)?.leaderId ?? -1
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), p])
  }
  const results: Map<number, bigint>[] = []
  for (const timestamp of timestamps) {
    const offsets = new Map<number, bigint>()
    for (const [leader, ps] of byLeader) {
      const broker = metadata.brokers.find((b) => b.nodeId === leader)
      if (!broker) {
        throw new CliError(
          CliErrorCode.RUNNEL_CLI_KAFKA_ERROR,
          `Partition ${ps[0]} of "${topic}" has no leader available (LEADER_NOT_AVAILABLE).`,
        )
      }
      const response = await new Promise<ListOffsetsResponse>((resolve, reject) => {
        admin[plt.kGetConnection]({ host: broker.host, port: broker.port }, (err, connection) => {
          if (err || !connection) return reject(err)
          admin[plt.kGetApi]<[number, number, unknown[]], ListOffsetsResponse>('ListOffsets', (err, api) => {
            if (err || !api) return reject(err)
            const request = [
              {
                name: topic,
                partitions: ps.map((partitionIndex) => ({
                  partitionIndex,
                  currentLeaderEpoch: -1,
                  timestamp,
                })),
              },
            ]
            api(connection, -1, 0, request, (err, res) => {
              const withErrors = (err as { response?: ListOffsetsResponse } | null)?.response
              if (err && !withErrors?.topics) return reject(err)
              resolve((res ?? withErrors) as ListOffsetsResponse)
            })
          })
        })
      })
      for (const part of response.topics.find((t) => t.name === topic)?.partitions ?? []) {
        if (part.errorCode !== 0) {
          const { name, message } = kafkaErrorName(part.errorCode)
          throw new CliError(
            CliErrorCode.RUNNEL_CLI_KAFKA_ERROR,
            `Cannot list offsets of partition ${part.partitionIndex} of "${topic}": ${message.replace(/\.$/, '')} (${name}).`,
          )
        }
        offsets.set(part.partitionIndex, part.offset)
      }
    }
    results.push(offsets)
  }
  return results
}

/** The metadata of one topic, partitions sorted, or a CliError saying it does not exist. */
export async function topicMetadata(
  admin: Admin,
  topic: string,
  hint = false,
): Promise<MetadataResponseTopic> {
  const found = (await rawMetadata(admin, [topic])).topics.find((t) => t.name === topic)
  if (!found || found.errorCode === 3) throw unknownTopic(topic, hint)
  if (found.errorCode !== 0) {
    const { name, message } = kafkaErrorName(found.errorCode)
    throw new CliError(CliErrorCode.RUNNEL_CLI_KAFKA_ERROR, `Topic "${topic}": ${message} (${name})`)
  }
  found.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex)
  return found
}

/** Checks that a partition exists in a topic. */
export function checkPartition(topic: MetadataResponseTopic, partition: number): void {
  if (!topic.partitions.some((p) => p.partitionIndex === partition)) {
    const n = topic.partitions.length
    throw new CliError(
      CliErrorCode.RUNNEL_CLI_UNKNOWN_PARTITION,
      `Topic "${topic.name}" has no partition ${partition}: it has ${n} partition${n === 1 ? '' : 's'} (0 to ${n - 1}).`,
    )
  }
}

interface KafkaLikeError extends Error {
  code?: string
  apiId?: string
  apiCode?: number
  serverErrorMessage?: string | null
  errors?: unknown[]
}

/** Every error in an error tree (the client nests retries and per-partition errors). */
export function leaves(err: unknown, out: Error[] = []): Error[] {
  if (!(err instanceof Error)) return out
  out.push(err)
  const nested = (err as KafkaLikeError).errors
  if (Array.isArray(nested)) for (const e of nested) leaves(e, out)
  if (err.cause instanceof Error) leaves(err.cause, out)
  return out
}

/** The first Kafka error code in an error tree, by name (e.g. `NON_EMPTY_GROUP`). */
export function kafkaErrorOf(err: unknown): { name: string; message: string } | undefined {
  for (const e of leaves(err)) {
    const k = e as KafkaLikeError
    if (typeof k.apiId === 'string') return { name: k.apiId, message: k.serverErrorMessage || k.message }
  }
  return undefined
}

/** A Kafka error code (number) as its name and the client's description of it. */
export function kafkaErrorName(code: number): { name: string; message: string } {
  const name =
    (client?.protocolErrorsCodesById as Record<number, string> | undefined)?.[code] ?? `error ${code}`
  const known = (client?.protocolErrors as Record<string, { message: string }> | undefined)?.[name]
  return { name, message: known?.message ?? `Kafka error code ${code}.` }
}

function sentence(text: string): string {
  const t = text.trim()
  return /[.!?]$/.test(t) ? t : `${t}.`
}

/**
 * Turns whatever a client threw into a CliError with one sentence. Kafka error codes win over
 * network errors: when the broker answered, its answer is the news.
 */
export function explain(err: unknown, target: Target, doing?: string): RunnelError {
  if (err instanceof RunnelError) return err
  const all = leaves(err)
  const prefix = doing ? `Cannot ${doing}: ` : ''
  const kafka = kafkaErrorOf(err)
  if (kafka) {
    const code =
      kafka.name === 'TOPIC_ALREADY_EXISTS'
        ? CliErrorCode.RUNNEL_CLI_TOPIC_EXISTS
        : kafka.name === 'NON_EMPTY_GROUP'
          ? CliErrorCode.RUNNEL_CLI_GROUP_ACTIVE
          : kafka.name === 'GROUP_ID_NOT_FOUND'
            ? CliErrorCode.RUNNEL_CLI_UNKNOWN_GROUP
            : kafka.name === 'UNKNOWN_TOPIC_OR_PARTITION'
              ? CliErrorCode.RUNNEL_CLI_UNKNOWN_TOPIC
              : CliErrorCode.RUNNEL_CLI_KAFKA_ERROR
    return new CliError(code, `${prefix}${kafka.message.trim().replace(/\.$/, '')} (${kafka.name}).`, {
      cause: err,
    })
  }
  const where = describeBrokers(target)
  const timedOut = all.find((e) => /timed out|timeout/i.test(e.message))
  if (timedOut) {
    return new CliError(
      CliErrorCode.RUNNEL_CLI_BROKER_UNREACHABLE,
      `${prefix}No Kafka broker answered at ${where} within ${target.timeoutMs} ms.`,
      { cause: err, retriable: true },
    )
  }
  const network = all.find(
    (e) => (e as KafkaLikeError).code === 'PLT_KFK_NETWORK' || e.name === 'NetworkError',
  )
  if (network) {
    const reason =
      all.map((e) => networkReason((e as KafkaLikeError).code)).find((r) => r !== undefined) ??
      CONNECTION_CLOSED
    return new CliError(
      CliErrorCode.RUNNEL_CLI_BROKER_UNREACHABLE,
      `${prefix}Cannot reach a Kafka broker at ${where} (${reason}).`,
      { cause: err, retriable: true },
    )
  }
  const unsupported = all.find((e) => (e as KafkaLikeError).code === 'PLT_KFK_UNSUPPORTED_API')
  if (unsupported) {
    return new CliError(
      CliErrorCode.RUNNEL_CLI_UNSUPPORTED,
      `${prefix}The broker at ${where} does not support a request this command needs: ${sentence(unsupported.message)}`,
      { cause: err },
    )
  }
  // Anything else is unexpected; say what the deepest error says, still in one line.
  const deepest = all[all.length - 1] ?? new Error(String(err))
  return new CliError(CliErrorCode.RUNNEL_CLI_KAFKA_ERROR, `${prefix}${sentence(deepest.message)}`, {
    cause: err,
  })
}
