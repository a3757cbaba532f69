// Drives one ClassicGroup without sockets: a fake clock, a serial queue like the coordinator's
// owner, a recorded metadata store, and helpers that issue requests and watch held answers.
import { ErrorCode } from '@runnel/protocol'
import {
  ClassicGroup,
  type GroupConfig,
  type JoinRequestInput,
  type LeaveOutcome,
  type StoredGroup,
} from '../../src/group/classic-group.ts'
import type { JoinOutcome, ProtocolEntry, SyncOutcome } from '../../src/group/member.ts'
import { SerialQueue } from '../../src/serial-queue.ts'
import { ManualClock } from '../../src/testing/manual-clock.ts'

/** A ConsumerProtocolSubscription v0: version, topics, null user data. */
export function subscription(topics: string[], extra = ''): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0])]
  const count = Buffer.alloc(4)
  count.writeInt32BE(topics.length)
  parts.push(count)
  for (const t of topics) {
    const len = Buffer.alloc(2)
    len.writeInt16BE(Buffer.byteLength(t))
    parts.push(len, Buffer.from(t))
  }
  const userData = Buffer.from(extra)
  const udLen = Buffer.alloc(4)
  udLen.writeInt32BE(extra === '' ? -1 : userData.length)
  parts.push(udLen, userData)
  return Buffer.concat(parts)
}

export function protocols(...names: string[]): ProtocolEntry[] {
  return names.map((name) => ({ name, metadata: subscription(['orders']) }))
}

/** A request's answer, observable while it is held. */
export class Held<T> {
  value: T | undefined
  readonly promise: Promise<T>
  private resolve!: (v: T) => void
  constructor() {
    this.promise = new Promise<T>((r) => {
      this.resolve = r
    })
  }
  get done(): boolean {
    return this.value !== undefined
  }
  settle = (v: T): void => {
    if (this.value !== undefined) throw new Error('answered twice')
    this.value = v
    this.resolve(v)
  }
}

export interface Harness {
  group: ClassicGroup
  clock: ManualClock
  queue: SerialQueue
  stored: StoredGroup[]
  /** Error code the next metadata writes answer with. */
  storeError: number
  join(req: Partial<JoinRequestInput>): Promise<Held<JoinOutcome>>
  sync(
    memberId: string,
    generationId: number,
    assignments?: Record<string, string>,
    extra?: { groupInstanceId?: string | null; protocolType?: string | null; protocolName?: string | null },
  ): Promise<Held<SyncOutcome>>
  heartbeat(memberId: string, generationId: number, groupInstanceId?: string | null): Promise<number>
  leave(...members: { memberId: string; groupInstanceId?: string | null }[]): Promise<LeaveOutcome>
  /** Advances the clock and lets the timer tasks it queued run. */
  advance(ms: number): Promise<void>
  settle(): Promise<void>
  /** The two-step v4+ join of a dynamic member: returns the held second join. */
  joinDynamic(
    clientId: string,
    req?: Partial<JoinRequestInput>,
  ): Promise<{ memberId: string; held: Held<JoinOutcome> }>
}

export const SESSION_MS = 10_000
export const REBALANCE_MS = 30_000

export function harness(config: Partial<GroupConfig> = {}): Harness {
  const clock = new ManualClock(1_700_000_000_000)
  const queue = new SerialQueue()
  let ids = 0
  const h: Harness = {
    clock,
    queue,
    stored: [],
    storeError: ErrorCode.NONE,
    group: undefined as unknown as ClassicGroup,
    async join(req) {
      const held = new Held<JoinOutcome>()
      const full: JoinRequestInput = {
        memberId: '',
        groupInstanceId: null,
        requireKnownMemberId: true,
        supportSkippingAssignment: false,
        clientId: 'client',
        clientHost: '/127.0.0.1',
        rebalanceTimeoutMs: REBALANCE_MS,
        sessionTimeoutMs: SESSION_MS,
        protocolType: 'consumer',
        protocols: protocols('range'),
        reason: null,
        ...req,
      }
      await queue.run(() => h.group.join(full, held.settle))
      return held
    },
    async sync(memberId, generationId, assignments = {}, extra = {}) {
      const held = new Held<SyncOutcome>()
      const map = new Map(Object.entries(assignments).map(([k, v]) => [k, Buffer.from(v)]))
      await queue.run(() =>
        h.group.sync(
          {
            memberId,
            generationId,
            groupInstanceId: extra.groupInstanceId ?? null,
            protocolType: extra.protocolType ?? null,
            protocolName: extra.protocolName ?? null,
            assignments: map,
          },
          held.settle,
        ),
      )
      return held
    },
    heartbeat(memberId, generationId, groupInstanceId = null) {
      return queue.run(() => h.group.heartbeat(memberId, groupInstanceId, generationId))
    },
    leave(...members) {
      return queue.run(() =>
        h.group.leave(
          members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId ?? null,
            reason: null,
          })),
        ),
      )
    },
    async advance(ms) {
      clock.advance(ms)
      await h.settle()
    },
    async settle() {
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setImmediate(r))
        await queue.run(() => undefined)
      }
    },
    async joinDynamic(clientId, req = {}) {
      const first = await h.join({ clientId, ...req })
      if (first.value?.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) {
        throw new Error(`expected MEMBER_ID_REQUIRED, got ${JSON.stringify(first.value)}`)
      }
      const memberId = first.value.memberId
      const held = await h.join({ clientId, ...req, memberId })
      return { memberId, held }
    },
  }
  h.group = new ClassicGroup('g1', {
    clock,
    config: { initialRebalanceDelayMs: 3000, maxSize: 1000, ...config },
    log: { info() {}, debug() {}, warn() {} },
    newMemberId: (prefix) => `${prefix}-${++ids}`,
    storeGroup: async (group, assignment) => {
      const error = h.storeError
      if (error === ErrorCode.NONE) h.stored.push(group.toStored(assignment))
      return error
    },
    runSerially: (task) => {
      void queue.run(task)
    },
  })
  return h
}
