// One member of a classic group, as the coordinator knows it (Kafka's MemberMetadata).
// Owned by its ClassicGroup: only the group's serial owner reads or changes it.
import type { TimerHandle } from './clock.ts'

export interface ProtocolEntry {
  readonly name: string
  readonly metadata: Buffer
}

export interface JoinMember {
  memberId: string
  groupInstanceId: string | null
  metadata: Buffer
}

/** What a held JoinGroup is answered with. */
export interface JoinOutcome {
  errorCode: number
  memberId: string
  generationId: number
  protocolType: string | null
  protocolName: string | null
  /** The leader's member id; '' with an error. */
  leader: string
  /** v9+: a static leader rejoining a Stable group must not run its assignor again. */
  skipAssignment: boolean
  /** Every member's metadata for the chosen protocol: only the leader gets them. */
  members: JoinMember[]
}

/** What a held SyncGroup is answered with. */
export interface SyncOutcome {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Buffer
}

export type JoinReply = (outcome: JoinOutcome) => void
export type SyncReply = (outcome: SyncOutcome) => void

export const EMPTY_BYTES: Buffer = Buffer.alloc(0)

export function joinError(memberId: string, errorCode: number): JoinOutcome {
  return {
    errorCode,
    memberId,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    members: [],
  }
}

export function syncError(errorCode: number): SyncOutcome {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES }
}

export class GroupMember {
  memberId: string
  readonly groupInstanceId: string | null
  readonly clientId: string
  readonly clientHost: string
  readonly protocolType: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  protocols: readonly ProtocolEntry[]
  assignment: Buffer = EMPTY_BYTES
  /** Set while the member's JoinGroup is held; cleared when it is answered. */
  awaitingJoin: JoinReply | undefined
  /** Set while the member's SyncGroup is held. */
  awaitingSync: SyncReply | undefined
  /**
   * A member that has not yet completed a join. Its session timer is the long new-member
   * timeout, and awaiting a join does not keep it alive (Kafka's `isNew`).
   */
  isNew = false
  /** The pending session-expiry timer; replaced on every heartbeat. */
  sessionTimer: TimerHandle | undefined

  constructor(init: {
    memberId: string
    groupInstanceId: string | null
    clientId: string
    clientHost: string
    protocolType: string
    rebalanceTimeoutMs: number
    sessionTimeoutMs: number
    protocols: readonly ProtocolEntry[]
  }) {
    this.memberId = init.memberId
    this.groupInstanceId = init.groupInstanceId
    this.clientId = init.clientId
    this.clientHost = init.clientHost
    this.protocolType = init.protocolType
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs
    this.sessionTimeoutMs = init.sessionTimeoutMs
    this.protocols = init.protocols
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null
  }

  /** This member's metadata for `protocol` (empty if it does not support it). */
  metadata(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_BYTES
  }

  supports(protocol: string): boolean {
    return this.protocols.some((p) => p.name === protocol)
  }

  /** Same protocols, in the same order, with the same metadata bytes (Kafka's `matches`). */
  matches(protocols: readonly ProtocolEntry[]): boolean {
    if (protocols.length !== this.protocols.length) return false
    return protocols.every(
      (p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata),
    )
  }

  /** The member's first preference among `candidates` (each member's vote in selectProtocol). */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name))
    if (!choice) throw new Error(`member ${this.memberId} supports none of ${[...candidates].join(', ')}`)
    return choice.name
  }
}
