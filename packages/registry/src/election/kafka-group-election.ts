// Leader election through a plain Kafka consumer group (standard JoinGroup/SyncGroup/Heartbeat,
// nothing private): every registry instance joins the group subscribed to `_schemas`, and the
// member that is assigned its only partition, 0, is the leader. Each member's subscription
// carries its advertised URL as user data, so followers learn where to forward writes from
// DescribeGroups. Before writing, a new leader appends a NOOP record and reads it back: from
// then on its state holds every write the previous leader acknowledged.

import { Admin, Consumer, type GroupPartitionsAssigner } from '@platformatic/kafka'
import {
  type LeadershipMessage,
  leadershipChannel,
  type RecoveredErrorMessage,
  recoveredErrorChannel,
} from '../diagnostics.ts'
import type { Leadership } from './leadership.ts'

export interface KafkaElectionOptions {
  brokers: readonly string[]
  /** The consumer group the instances share. Default `schema-registry`. */
  groupId?: string
  /** The schemas topic: its partition 0 decides the leader. Default `_schemas`. */
  topic?: string
  clientId?: string
  /** Whether this instance may lead (Confluent's leader.eligibility). Default true. */
  eligible?: boolean
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  rebalanceTimeoutMs?: number
  /** How long start() waits for a leader to be known. Default 15 s. */
  startWaitMs?: number
  /** Runs when this instance is elected, before it writes: catch up with the log. */
  onElected: () => Promise<void>
  /** Errors the election recovers from. */
  onError?: (error: unknown) => void
}

interface MemberInfo {
  url: string
  eligible: boolean
}

const PROTOCOL = 'runnel-registry'

function readMemberInfo(metadata: Buffer | string | undefined): MemberInfo | undefined {
  if (metadata === undefined) return undefined
  try {
    const value = JSON.parse(
      Buffer.isBuffer(metadata) ? metadata.toString('utf8') : metadata,
    ) as Partial<MemberInfo>
    if (typeof value.url !== 'string') return undefined
    return { url: value.url, eligible: value.eligible !== false }
  } catch {
    return undefined
  }
}

/**
 * Gives partition 0 to one eligible member: the group's own leader when it is eligible (it stays
 * the same across rebalances while it lives), otherwise the eligible member with the smallest id.
 */
export function assignRegistryLeader(topic: string): GroupPartitionsAssigner {
  return (current, members) => {
    const eligible = [...members.entries()]
      .filter(([, member]) => readMemberInfo(member.metadata)?.eligible === true)
      .map(([memberId]) => memberId)
      .sort()
    const leader = eligible.includes(current) ? current : eligible[0]
    return [...members.keys()].map((memberId) => ({
      memberId,
      assignments:
        memberId === leader ? new Map([[topic, { topic, partitions: [0] }]]) : new Map<string, never>(),
    }))
  }
}

export class KafkaGroupElection implements Leadership {
  readonly #options: KafkaElectionOptions
  readonly #topic: string
  readonly #groupId: string
  #consumer: Consumer | undefined
  #admin: Admin | undefined
  #ownUrl = ''
  // Owned by the event handlers below; `#generation` discards the work of an outdated join.
  #isLeader = false
  #leaderUrl: string | undefined
  #generation = 0
  #waiters: (() => void)[] = []
  #closed = false

  constructor(options: KafkaElectionOptions) {
    this.#options = options
    this.#topic = options.topic ?? '_schemas'
    this.#groupId = options.groupId ?? 'schema-registry'
  }

  get isLeader(): boolean {
    return this.#isLeader
  }

  get leaderUrl(): string | undefined {
    return this.#leaderUrl
  }

  async start(ownUrl: string): Promise<void> {
    this.#ownUrl = ownUrl
    const base = {
      clientId: this.#options.clientId ?? 'runnel-registry',
      bootstrapBrokers: [...this.#options.brokers],
    }
    this.#admin = new Admin(base)
    const eligible = this.#options.eligible !== false
    const consumer = new Consumer({
      ...base,
      groupId: this.#groupId,
      sessionTimeout: this.#options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: this.#options.heartbeatIntervalMs ?? 1_000,
      rebalanceTimeout: this.#options.rebalanceTimeoutMs ?? 10_000,
      protocols: [
        { name: PROTOCOL, version: 0, metadata: Buffer.from(JSON.stringify({ url: ownUrl, eligible })) },
      ],
      partitionAssigner: assignRegistryLeader(this.#topic),
    })
    this.#consumer = consumer
    consumer.topics.track(this.#topic)
    consumer.on('consumer:group:join', (payload) => {
      const partitions = payload.assignments?.find((entry) => entry.topic === this.#topic)?.partitions ?? []
      void this.#joined(partitions.includes(0) && eligible)
    })
    // A rebalance may hand the partition to someone else: stop writing until the next join says.
    consumer.on('consumer:group:rebalance', () => this.#demote())
    consumer.on('consumer:group:leave', () => this.#demote())
    await consumer.joinGroup({})
    // Serve with a known leader where possible; writes wait for one anyway.
    await this.waitForLeader(this.#options.startWaitMs ?? 15_000)
  }

  waitForLeader(timeoutMs: number): Promise<void> {
    if (this.#isLeader || this.#leaderUrl !== undefined) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== done)
        resolve()
      }, timeoutMs)
      this.#waiters.push(done)
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#demote()
    const consumer = this.#consumer
    if (consumer) {
      // Leaving lets the others rebalance at once instead of waiting for the session timeout.
      await new Promise<void>((resolve) => consumer.leaveGroup(false, () => resolve()))
      await new Promise<void>((resolve) => consumer.close(true, () => resolve()))
    }
    await this.#admin?.close().catch(() => undefined)
    this.#wake()
  }

  #demote(): void {
    this.#generation++
    const changed = this.#isLeader || this.#leaderUrl !== undefined
    this.#isLeader = false
    this.#leaderUrl = undefined
    if (changed) this.#publish()
  }

  #publish(): void {
    if (!leadershipChannel.hasSubscribers) return
    const message: LeadershipMessage = {
      role: this.#isLeader ? 'leader' : this.#leaderUrl === undefined ? 'none' : 'follower',
      leaderUrl: this.#leaderUrl,
    }
    leadershipChannel.publish(message)
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter()
  }

  async #joined(leads: boolean): Promise<void> {
    this.#demote()
    const generation = this.#generation
    for (let attempt = 0; !this.#closed && generation === this.#generation; attempt++) {
      try {
        if (leads) {
          await this.#options.onElected()
          if (generation !== this.#generation) return
          this.#isLeader = true
          this.#leaderUrl = this.#ownUrl
          this.#publish()
          this.#wake()
          return
        }
        const url = await this.#findLeaderUrl()
        if (generation !== this.#generation) return
        if (url !== undefined) {
          this.#leaderUrl = url
          this.#publish()
          this.#wake()
          return
        }
      } catch (error) {
        if (recoveredErrorChannel.hasSubscribers) {
          recoveredErrorChannel.publish({ source: 'election', error } satisfies RecoveredErrorMessage)
        }
        this.#options.onError?.(error)
      }
      // The group may still be settling (assignment not visible yet): look again shortly.
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2_000)).unref())
    }
  }

  async #findLeaderUrl(): Promise<string | undefined> {
    const groups = await this.#admin!.describeGroups({ groups: [this.#groupId] })
    const group = groups.get(this.#groupId)
    for (const member of group?.members.values() ?? []) {
      const partitions = member.assignments?.get(this.#topic)?.partitions ?? []
      if (!partitions.includes(0)) continue
      const info = readMemberInfo(member.metadata?.metadata)
      if (info?.eligible) return info.url
    }
    return undefined
  }
}
