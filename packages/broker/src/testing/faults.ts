// Request faults for tests (`@runnel/broker/testing`): a rule names an API key (and optionally a
// topic) and what happens to the next matching requests: answered late (`delay`), answered with a
// chosen Kafka error code without being carried out (`fail`), or the connection dropped without
// an answer (`drop`). The connection consults the broker's RequestFaults after decoding a request
// and before its handler runs; a broker started without faults pays one property read.
import { ErrorCode } from '@runnel/protocol'

export type RequestFault =
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'fail'; readonly errorCode: number }
  | { readonly kind: 'drop' }

export interface FaultOptions {
  /** Only requests that name this topic. */
  topic?: string
  /** How many matching requests it applies to; after that the rule is gone. Default: all. */
  times?: number
}

export interface FaultRule {
  /** Stops the rule now. */
  remove(): void
  /** How many requests it has applied to. */
  readonly hits: number
}

interface Rule {
  apiKey: number
  topic: string | undefined
  fault: RequestFault
  left: number
  hits: number
}

/** API keys whose answer `fail` can build from the request alone. */
export const FAILABLE_API_KEYS: readonly number[] = [
  0, 1, 2, 3, 8, 10, 11, 12, 13, 14, 19, 20, 22, 24, 25, 26,
]

export class RequestFaults {
  private rules: Rule[] = []

  /** Answers matching requests `ms` later (the handler runs after the wait). */
  delay(apiKey: number, ms: number, options: FaultOptions = {}): FaultRule {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`delay must be a non-negative number of ms, got ${ms}`)
    return this.add(apiKey, { kind: 'delay', ms }, options)
  }

  /**
   * Answers matching requests with `errorCode` in every error field (per partition where the
   * API has partitions), without running them: nothing is appended, joined or committed.
   */
  fail(apiKey: number, errorCode: number, options: FaultOptions = {}): FaultRule {
    if (!FAILABLE_API_KEYS.includes(apiKey)) {
      throw new RangeError(
        `fail() builds answers for API keys ${FAILABLE_API_KEYS.join(', ')}; use drop() or delay() for API ${apiKey}`,
      )
    }
    if (!Object.values(ErrorCode).includes(errorCode as never) || errorCode === ErrorCode.NONE) {
      throw new RangeError(`fail() takes a Kafka error code other than NONE, got ${errorCode}`)
    }
    return this.add(apiKey, { kind: 'fail', errorCode }, options)
  }

  /** Closes the connection instead of answering matching requests (they are not carried out). */
  drop(apiKey: number, options: FaultOptions = {}): FaultRule {
    return this.add(apiKey, { kind: 'drop' }, options)
  }

  /** Removes every rule. */
  clear(): void {
    this.rules = []
  }

  /** The fault for this request, if a rule matches (the first added wins); counts it. */
  match(apiKey: number, body: unknown): RequestFault | undefined {
    if (this.rules.length === 0) return undefined
    for (const rule of this.rules) {
      if (rule.apiKey !== apiKey) continue
      if (rule.topic !== undefined && !topicsOf(body).includes(rule.topic)) continue
      rule.hits++
      if (--rule.left <= 0) this.rules = this.rules.filter((r) => r !== rule)
      return rule.fault
    }
    return undefined
  }

  private add(apiKey: number, fault: RequestFault, options: FaultOptions): FaultRule {
    if (!Number.isInteger(apiKey) || apiKey < 0) throw new RangeError(`not an API key: ${apiKey}`)
    const times = options.times ?? Number.POSITIVE_INFINITY
    if (!(times >= 1)) throw new RangeError(`times must be at least 1, got ${options.times}`)
    const rule: Rule = { apiKey, topic: options.topic, fault, left: times, hits: 0 }
    this.rules.push(rule)
    return {
      remove: () => {
        this.rules = this.rules.filter((r) => r !== rule)
      },
      get hits() {
        return rule.hits
      },
    }
  }
}

type Body = Record<string, unknown>
const topicListOf = (body: Body): Body[] =>
  ((body.topics ?? body.topicData ?? body.topicNames ?? []) as unknown[]).map((t) =>
    typeof t === 'string' ? { name: t } : (t as Body),
  )
const nameOf = (t: Body) => (t.name ?? t.topic) as string | undefined

/** The topic names a request names (in its topics / topicData list). */
export function topicsOf(body: unknown): string[] {
  if (!body || typeof body !== 'object') return []
  return topicListOf(body as Body)
    .map(nameOf)
    .filter((n): n is string => typeof n === 'string')
}

/** The partition indexes of one topic entry of a request. */
function partitionsOf(t: Body): number[] {
  const list = (t.partitions ?? t.partitionData ?? t.partitionIndexes ?? []) as unknown[]
  return list.map((p) =>
    typeof p === 'number'
      ? p
      : Number((p as Body).partition ?? (p as Body).partitionIndex ?? (p as Body).index),
  )
}

/** An answer to `body` (API `apiKey`, version `version`) that fails with `errorCode` throughout. */
export function failedResponse(apiKey: number, version: number, body: unknown, errorCode: number): unknown {
  const req = body as Body
  const topics = topicListOf(req)
  const perPartition = <T>(make: (t: Body, p: number) => T) =>
    topics.map((t) => partitionsOf(t).map((p) => make(t, p)))
  switch (apiKey) {
    case 0:
      return {
        responses: topics.map((t, i) => ({
          name: nameOf(t),
          topicId: t.topicId,
          partitionResponses: perPartition((_, p) => ({
            index: p,
            errorCode,
            baseOffset: -1n,
            logStartOffset: -1n,
          }))[i],
        })),
      }
    case 1:
      return {
        errorCode: 0,
        sessionId: 0,
        responses: topics.map((t, i) => ({
          topic: nameOf(t),
          topicId: t.topicId,
          partitions: perPartition((_, p) => ({
            partitionIndex: p,
            errorCode,
            highWatermark: -1n,
            lastStableOffset: -1n,
            logStartOffset: -1n,
            preferredReadReplica: -1,
          }))[i],
        })),
      }
    case 2:
    case 8:
      return {
        topics: topics.map((t, i) => ({
          name: nameOf(t),
          partitions: perPartition((_, p) => ({ partitionIndex: p, errorCode, offset: -1n, timestamp: -1n }))[
            i
          ],
        })),
      }
    case 3:
      return {
        brokers: [],
        topics: topics.map((t) => ({ name: nameOf(t), topicId: t.topicId, errorCode, partitions: [] })),
      }
    case 10:
      return version >= 4
        ? {
            coordinators: ((req.coordinatorKeys ?? []) as string[]).map((key) => ({
              key,
              nodeId: -1,
              host: '',
              port: -1,
              errorCode,
            })),
          }
        : { errorCode, nodeId: -1, host: '', port: -1 }
    case 19:
    case 20:
      return apiKey === 19
        ? { topics: topics.map((t) => ({ name: nameOf(t), errorCode })) }
        : { responses: topics.map((t) => ({ name: nameOf(t), errorCode })) }
    case 24:
      if (version >= 4) {
        return {
          errorCode,
          resultsByTransaction: ((req.transactions ?? []) as Body[]).map((txn) => ({
            transactionalId: txn.transactionalId,
            topicResults: topicListOf(txn).map((t) => ({
              name: nameOf(t),
              resultsByPartition: partitionsOf(t).map((p) => ({
                partitionIndex: p,
                partitionErrorCode: errorCode,
              })),
            })),
          })),
        }
      }
      return {
        resultsByTopicV3AndBelow: ((req.v3AndBelowTopics ?? []) as Body[]).map((t) => ({
          name: nameOf(t),
          resultsByPartition: partitionsOf(t).map((p) => ({
            partitionIndex: p,
            partitionErrorCode: errorCode,
          })),
        })),
      }
    default:
      // JoinGroup, Heartbeat, LeaveGroup, SyncGroup, InitProducerId, AddOffsetsToTxn, EndTxn: one
      // top-level error code.
      return {
        errorCode,
        memberId: (req.memberId as string | undefined) ?? '',
        generationId: -1,
        producerId: -1n,
        producerEpoch: -1,
      }
  }
}
