// One classic consumer group: membership, generations and the rebalance state machine, as
// Kafka 3.9's classic group coordinator runs them (JoinGroup, SyncGroup, Heartbeat,
// LeaveGroup, session and rebalance timeouts, static membership), plus the group's committed
// offsets. The coordinator is protocol-agnostic: it picks a protocol every member supports,
// elects a leader and relays the leader's assignment; eager and cooperative assignors both run
// on top of these rebalances.
//
// Owner: the group's serial owner in GroupCoordinator (group-owner.ts). Every method here is
// called from that owner's queue, one at a time, and timers re-enter through `env.runSerially`,
// so no two pieces of code ever change a group at once and no locks are needed. The class does
// no I/O: time, timers, member ids and the metadata write are injected through GroupEnv, which
// lets the tests drive it given/when/then with a fake clock.
import { ErrorCode } from '@runnel/protocol'
import type { Clock, TimerHandle } from './clock.ts'
import { CommittedOffsets } from './committed-offsets.ts'
import { CONSUMER_PROTOCOL_TYPE, subscribedTopics } from './consumer-protocol.ts'
import { canRebalance, canTransition, GroupState } from './group-state.ts'
import {
  EMPTY_BYTES,
  GroupMember,
  type JoinMember,
  type JoinOutcome,
  type JoinReply,
  joinError,
  type ProtocolEntry,
  type SyncOutcome,
  type SyncReply,
  syncError,
} from './member.ts'

/**
 * How long a new member's JoinGroup may stay held before the member is dropped (Kafka's
 * NewMemberJoinTimeoutMs): a client that gave up on its join will retry with a new one.
 */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000

export interface GroupConfig {
  /** group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits for more members. */
  readonly initialRebalanceDelayMs: number
  /** group.max.size. */
  readonly maxSize: number
}

export interface GroupLog {
  info(obj: object, msg: string): void
  debug(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface GroupEnv {
  readonly clock: Clock
  readonly config: GroupConfig
  readonly log: GroupLog
  /** A fresh member id: `<prefix>-<uuid>`, the prefix being the client id or the instance id. */
  newMemberId(prefix: string): string
  /**
   * Writes the group's metadata, with `assignment` as each member's assignment, to the group's
   * log. The record is encoded from the group's state at the time of the call; the promise
   * resolves with NONE once it is durable, or with the error code to answer.
   */
  storeGroup(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): Promise<number>
  /** Queues `task` on the group's owner; timers enter the group only through here. */
  runSerially(task: () => void | Promise<void>): void
}

export interface JoinRequestInput {
  memberId: string
  groupInstanceId: string | null
  /** JoinGroup v4+: a dynamic member with no id is first answered MEMBER_ID_REQUIRED. */
  requireKnownMemberId: boolean
  /** JoinGroup v9+. */
  supportSkippingAssignment: boolean
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  protocolType: string
  protocols: readonly ProtocolEntry[]
  reason: string | null
}

export interface SyncRequestInput {
  memberId: string
  groupInstanceId: string | null
  generationId: number
  /** v5+: checked against the group's when given. */
  protocolType: string | null
  protocolName: string | null
  assignments: ReadonlyMap<string, Buffer>
}

export interface LeavingMember {
  memberId: string
  groupInstanceId: string | null
  reason: string | null
}

export interface LeaveOutcome {
  errorCode: number
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[]
}

export interface GroupSummary {
  groupState: GroupState
  protocolType: string
  /** The chosen protocol, only while Stable (Kafka reports '' otherwise). */
  protocolData: string
  members: {
    memberId: string
    groupInstanceId: string | null
    clientId: string
    clientHost: string
    memberMetadata: Buffer
    memberAssignment: Buffer
  }[]
}

/** A member as stored in a GroupMetadataValue record. */
export interface StoredMember {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  subscription: Buffer
  assignment: Buffer
}

/** A group as stored in a GroupMetadataValue record. */
export interface StoredGroup {
  protocolType: string
  generationId: number
  protocolName: string | null
  leader: string | null
  /** -1 when the record predates the field. */
  currentStateTimestamp: number
  members: StoredMember[]
}

type RebalanceTimer =
  | { kind: 'initial'; handle: TimerHandle; remainingMs: number }
  | { kind: 'join'; handle: TimerHandle }

export class ClassicGroup {
  readonly groupId: string
  private readonly env: GroupEnv
  state: GroupState = GroupState.Empty
  /** When the group entered its current state; null for a group loaded without that fact. */
  stateTimestamp: number | null
  protocolType: string | null = null
  protocolName: string | null = null
  generationId = 0
  leaderId: string | null = null
  /** In join order; the first one becomes leader when the leader goes. */
  readonly members = new Map<string, GroupMember>()
  /** group.instance.id -> member id. */
  readonly staticMembers = new Map<string, string>()
  /** Member ids handed out with MEMBER_ID_REQUIRED and not yet used, with their expiry timers. */
  readonly pendingMembers = new Map<string, TimerHandle>()
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>()
  /** Topics the members subscribe to (consumer groups, computed per generation); null = unknown. */
  subscribedTopics: Set<string> | null = null
  readonly offsets = new CommittedOffsets()
  /** A member joined during the initial delay: the delay may be extended once more. */
  private newMemberAdded = false
  private rebalanceTimer: RebalanceTimer | undefined
  private syncTimer: TimerHandle | undefined

  constructor(groupId: string, env: GroupEnv) {
    this.groupId = groupId
    this.env = env
    this.stateTimestamp = env.clock.now()
  }

  // ---- facts --------------------------------------------------------------------------------

  is(state: GroupState): boolean {
    return this.state === state
  }

  get size(): number {
    return this.members.size
  }

  /** The largest rebalance timeout of the members: how long a rebalance waits for rejoins. */
  get rebalanceTimeoutMs(): number {
    let max = 0
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId
  }

  private get awaitingJoinCount(): number {
    let n = 0
    for (const m of this.members.values()) if (m.awaitingJoin) n++
    return n
  }

  private hasAllMembersJoined(): boolean {
    return this.members.size === this.awaitingJoinCount && this.pendingMembers.size === 0
  }

  /** Protocols every member supports. */
  private candidateProtocols(): Set<string> {
    const members = [...this.members.values()]
    if (members.length === 0) return new Set()
    return new Set(
      members[0].protocols.map((p) => p.name).filter((name) => members.every((m) => m.supports(name))),
    )
  }

  /** Whether a member with these protocols may join (Kafka's supportsProtocols). */
  private supportsProtocols(protocolType: string, protocols: readonly ProtocolEntry[]): boolean {
    if (this.state === GroupState.Empty) return protocolType !== '' && protocols.length > 0
    if (this.protocolType !== protocolType) return false
    const candidates = this.candidateProtocols()
    return protocols.some((p) => candidates.has(p.name))
  }

  /** Each member votes for its first supported candidate; the most votes win (ties: first counted). */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`)
    const candidates = this.candidateProtocols()
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const choice = m.vote(candidates)
      votes.set(choice, (votes.get(choice) ?? 0) + 1)
    }
    let best = ''
    let bestVotes = -1
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name
        bestVotes = n
      }
    }
    return best
  }

  /** True unless subscriptions are known and none includes `topic` (unknown counts as subscribed). */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null || this.subscribedTopics.has(topic)
  }

  private computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null
    if (this.members.size === 0) return new Set()
    if (this.protocolName === null) return null
    const out = new Set<string>()
    for (const m of this.members.values()) {
      const topics = subscribedTopics(m.metadata(this.protocolName))
      if (!topics) return null
      for (const t of topics) out.add(t)
    }
    return out
  }

  /** Every member's metadata for the chosen protocol, as the leader receives it. */
  private currentMemberMetadata(): JoinMember[] {
    const protocol = this.protocolName ?? ''
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(protocol),
    }))
  }

  private transitionTo(target: GroupState): void {
    if (!canTransition(this.state, target)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} -> ${target}`)
    }
    this.state = target
    this.stateTimestamp = this.env.clock.now()
  }

  // ---- membership bookkeeping ---------------------------------------------------------------

  private add(member: GroupMember, reply: JoinReply | undefined): void {
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId)
    if (this.members.size === 0) this.protocolType = member.protocolType
    if (this.leaderId === null) this.leaderId = member.memberId
    this.members.set(member.memberId, member)
    member.awaitingJoin = reply
    this.removePending(member.memberId)
  }

  private remove(memberId: string): void {
    const member = this.members.get(memberId)
    if (member) {
      this.members.delete(memberId)
      this.env.clock.clearTimeout(member.sessionTimer)
      member.sessionTimer = undefined
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
        this.staticMembers.delete(member.groupInstanceId)
      }
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null
    this.removePending(memberId)
    this.pendingSyncMembers.delete(memberId)
  }

  private removePending(memberId: string): void {
    const timer = this.pendingMembers.get(memberId)
    if (timer === undefined) return
    this.env.clock.clearTimeout(timer)
    this.pendingMembers.delete(memberId)
  }

  private updateMember(
    member: GroupMember,
    protocols: readonly ProtocolEntry[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    reply: JoinReply | undefined,
  ): void {
    member.protocols = protocols
    member.rebalanceTimeoutMs = rebalanceTimeoutMs
    member.sessionTimeoutMs = sessionTimeoutMs
    member.awaitingJoin = reply
  }

  /** A restarted static member takes over its instance's membership under a new member id. */
  private replaceStaticMember(
    groupInstanceId: string,
    oldMemberId: string,
    newMemberId: string,
  ): GroupMember {
    const member = this.members.get(oldMemberId)
    if (!member) throw new Error(`group ${this.groupId}: static member ${oldMemberId} is missing`)
    // Whoever still waits under the old id is a zombie of the same instance: fence it now.
    this.invokeJoin(member, joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID))
    this.invokeSync(member, syncError(ErrorCode.FENCED_INSTANCE_ID))
    // Keep the member's place in join order (it decides the next leader).
    const entries = [...this.members.entries()]
    this.members.clear()
    for (const [id, m] of entries) this.members.set(id === oldMemberId ? newMemberId : id, m)
    member.memberId = newMemberId
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId)
    this.staticMembers.set(groupInstanceId, newMemberId)
    return member
  }

  private invokeJoin(member: GroupMember, outcome: JoinOutcome): void {
    const reply = member.awaitingJoin
    if (!reply) return
    member.awaitingJoin = undefined
    reply(outcome)
  }

  private invokeSync(member: GroupMember, outcome: SyncOutcome): boolean {
    const reply = member.awaitingSync
    if (!reply) return false
    member.awaitingSync = undefined
    reply(outcome)
    return true
  }

  /** Kafka's validateCurrentMember: the instance id (if any) maps to this member id, which exists. */
  private validateCurrentMember(memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId !== null) {
      const current = this.staticMembers.get(groupInstanceId)
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID
      return ErrorCode.NONE
    }
    return this.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID
  }

  // ---- session timers -----------------------------------------------------------------------

  /** Completes the member's current heartbeat expectation and expects the next within `timeoutMs`. */
  private scheduleSession(member: GroupMember, timeoutMs = member.sessionTimeoutMs): void {
    this.env.clock.clearTimeout(member.sessionTimer)
    const handle = this.env.clock.setTimeout(
      () => this.env.runSerially(() => this.onSessionExpired(member, handle)),
      timeoutMs,
    )
    member.sessionTimer = handle
  }

  private onSessionExpired(member: GroupMember, handle: TimerHandle): void {
    if (this.state === GroupState.Dead || member.sessionTimer !== handle) return
    if (this.members.get(member.memberId) !== member) return
    member.sessionTimer = undefined
    // A member waiting in JoinGroup or SyncGroup cannot heartbeat (its connection is busy):
    // the wait itself counts as liveness, except for a new member (Kafka's hasSatisfiedHeartbeat).
    if (!member.isNew && (member.awaitingJoin || member.awaitingSync)) return
    this.env.log.info(
      { group: this.groupId, member: member.memberId, sessionTimeoutMs: member.sessionTimeoutMs },
      'member session expired, removing it from the group',
    )
    this.removeMemberAndUpdateGroup(member)
  }

  private onPendingMemberExpired(memberId: string, handle: TimerHandle): void {
    if (this.pendingMembers.get(memberId) !== handle) return
    this.pendingMembers.delete(memberId)
    this.env.log.debug({ group: this.groupId, member: memberId }, 'pending member expired')
    if (this.state === GroupState.PreparingRebalance) this.tryCompleteJoin()
  }

  // ---- JoinGroup ----------------------------------------------------------------------------

  /**
   * Handles a JoinGroup. `reply` is called once: at once for errors and MEMBER_ID_REQUIRED,
   * otherwise when the rebalance completes (or the member is fenced, removed or times out).
   * The session timeout and the group id were checked by the coordinator.
   */
  async join(req: JoinRequestInput, reply: JoinReply): Promise<void> {
    if (!this.acceptJoiningMember(req.memberId)) {
      this.remove(req.memberId)
      reply(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED))
    } else if (req.memberId === '') {
      await this.joinNewMember(req, reply)
    } else {
      this.joinKnownMember(req, reply)
    }
    if (this.state === GroupState.PreparingRebalance) this.tryCompleteJoin()
  }

  private acceptJoiningMember(memberId: string): boolean {
    switch (this.state) {
      case GroupState.Empty:
      case GroupState.Dead:
        return true
      case GroupState.PreparingRebalance: {
        const member = this.members.get(memberId)
        return (
          (member !== undefined && member.awaitingJoin !== undefined) ||
          this.awaitingJoinCount < this.env.config.maxSize
        )
      }
      default:
        return this.members.has(memberId) || this.members.size < this.env.config.maxSize
    }
  }

  private async joinNewMember(req: JoinRequestInput, reply: JoinReply): Promise<void> {
    if (this.state === GroupState.Dead) {
      // The group was just deleted or expired: the client rediscovers the coordinator and retries.
      reply(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE))
      return
    }
    if (!this.supportsProtocols(req.protocolType, req.protocols)) {
      reply(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
      return
    }
    const newMemberId = this.env.newMemberId(req.groupInstanceId ?? req.clientId)
    if (req.groupInstanceId !== null) {
      const oldMemberId = this.staticMembers.get(req.groupInstanceId)
      if (oldMemberId !== undefined) {
        this.env.log.info(
          { group: this.groupId, instance: req.groupInstanceId, oldMemberId, newMemberId, state: this.state },
          'static member rejoined with an unknown member id; replacing its previous member id',
        )
        await this.updateStaticMemberAndRebalance(oldMemberId, newMemberId, req, reply)
      } else {
        this.addMemberAndRebalance(newMemberId, req, reply)
      }
    } else if (req.requireKnownMemberId) {
      // v4+: hand out the id and wait for the member to come back with it, so a client that
      // loses this response does not leave a phantom member behind.
      const handle = this.env.clock.setTimeout(
        () => this.env.runSerially(() => this.onPendingMemberExpired(newMemberId, handle)),
        req.sessionTimeoutMs,
      )
      this.pendingMembers.set(newMemberId, handle)
      reply(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED))
    } else {
      this.addMemberAndRebalance(newMemberId, req, reply)
    }
  }

  private joinKnownMember(req: JoinRequestInput, reply: JoinReply): void {
    const memberId = req.memberId
    if (this.state === GroupState.Dead) {
      reply(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE))
      return
    }
    if (!this.supportsProtocols(req.protocolType, req.protocols)) {
      reply(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL))
      return
    }
    if (this.pendingMembers.has(memberId)) {
      if (req.groupInstanceId !== null) {
        // Pending ids are only handed to dynamic members; Kafka fails such a request outright.
        reply(joinError(memberId, ErrorCode.UNKNOWN_SERVER_ERROR))
        return
      }
      this.addMemberAndRebalance(memberId, req, reply)
      return
    }
    const error = this.validateCurrentMember(memberId, req.groupInstanceId)
    if (error !== ErrorCode.NONE) {
      reply(joinError(memberId, error))
      return
    }
    const member = this.members.get(memberId)!
    switch (this.state) {
      case GroupState.PreparingRebalance:
        this.updateMemberAndRebalance(member, req, reply)
        return
      case GroupState.CompletingRebalance:
        if (member.matches(req.protocols)) {
          // The member lost our JoinGroup response: give it the current generation again.
          reply(this.currentJoinOutcome(memberId, this.isLeader(memberId)))
        } else {
          this.updateMemberAndRebalance(member, req, reply)
        }
        return
      case GroupState.Stable:
        // A rejoining leader forces a rebalance: it may have seen metadata change (new
        // partitions, a new topic matching a pattern) that the members' metadata does not show.
        if (this.isLeader(memberId) || !member.matches(req.protocols)) {
          this.updateMemberAndRebalance(member, req, reply)
        } else {
          reply(this.currentJoinOutcome(memberId, false))
        }
        return
      default:
        reply(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID))
    }
  }

  private currentJoinOutcome(memberId: string, withMembers: boolean): JoinOutcome {
    return {
      errorCode: ErrorCode.NONE,
      memberId,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: this.leaderId ?? '',
      skipAssignment: false,
      members: withMembers ? this.currentMemberMetadata() : [],
    }
  }

  private addMemberAndRebalance(memberId: string, req: JoinRequestInput, reply: JoinReply): void {
    const member = new GroupMember({
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      protocolType: req.protocolType,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocols: req.protocols,
    })
    member.isNew = true
    if (this.state === GroupState.PreparingRebalance && this.generationId === 0) this.newMemberAdded = true
    this.add(member, reply)
    // A new member cannot heartbeat while its join is held, so it gets the long new-member
    // timeout instead of its session timeout; a client that gave up retries with a new join.
    this.scheduleSession(member, NEW_MEMBER_JOIN_TIMEOUT_MS)
    this.env.log.info(
      { group: this.groupId, member: memberId, instance: req.groupInstanceId, reason: req.reason },
      'member joined',
    )
    this.maybePrepareRebalance(`new member ${memberId} joined`)
  }

  private updateMemberAndRebalance(member: GroupMember, req: JoinRequestInput, reply: JoinReply): void {
    this.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, reply)
    this.maybePrepareRebalance(`member ${member.memberId} rejoined (${req.reason ?? 'no reason given'})`)
  }

  private async updateStaticMemberAndRebalance(
    oldMemberId: string,
    newMemberId: string,
    req: JoinRequestInput,
    reply: JoinReply,
  ): Promise<void> {
    const currentLeader = this.leaderId
    const member = this.replaceStaticMember(req.groupInstanceId!, oldMemberId, newMemberId)
    this.scheduleSession(member)
    const old = {
      protocols: member.protocols,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
      sessionTimeoutMs: member.sessionTimeoutMs,
    }
    this.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, reply)
    switch (this.state) {
      case GroupState.Stable: {
        // No rebalance when the group would keep its protocol: the member gets its old
        // assignment back through SyncGroup. Kafka decides on the selected protocol only (a
        // restarted client's metadata differs anyway: it no longer reports owned partitions).
        if (this.protocolName !== this.selectProtocol()) {
          this.maybePrepareRebalance(`static member ${req.groupInstanceId} changed the group's protocol`)
          return
        }
        const assignment = new Map([...this.members.values()].map((m) => [m.memberId, m.assignment]))
        const error = await this.env.storeGroup(this, assignment)
        if (error !== ErrorCode.NONE) {
          this.env.log.warn(
            { group: this.groupId, errorCode: error },
            'failed to store the replaced static member',
          )
          member.awaitingJoin = undefined
          this.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, undefined)
          const restored = this.replaceStaticMember(req.groupInstanceId!, newMemberId, oldMemberId)
          this.scheduleSession(restored)
          reply({ ...this.currentJoinOutcome('', false), errorCode: error, leader: currentLeader ?? '' })
          return
        }
        if (req.supportSkippingAssignment) {
          // v9+: a static leader learns it leads (to keep watching metadata) but must not run
          // its assignor, whose new assignment a Stable group would not hand out.
          const isLeader = this.isLeader(newMemberId)
          this.invokeJoin(member, {
            ...this.currentJoinOutcome(newMemberId, isLeader),
            skipAssignment: isLeader,
          })
        } else {
          // Before v9, answer with the old leader id so the member never thinks it leads and
          // runs a trivial assignment the Stable group would ignore.
          this.invokeJoin(member, {
            ...this.currentJoinOutcome(newMemberId, false),
            leader: currentLeader ?? '',
          })
        }
        return
      }
      case GroupState.CompletingRebalance:
        // The leader may already be assigning to the old member id: start over.
        this.prepareRebalance(`static member ${req.groupInstanceId} rejoined during CompletingRebalance`)
        return
      case GroupState.PreparingRebalance:
        return
      default:
        throw new Error(`group ${this.groupId}: static member rejoined in state ${this.state}`)
    }
  }

  // ---- rebalance ----------------------------------------------------------------------------

  private maybePrepareRebalance(reason: string): void {
    if (canRebalance(this.state)) this.prepareRebalance(reason)
  }

  private prepareRebalance(reason: string): void {
    // Members waiting for their assignment must rejoin instead.
    if (this.state === GroupState.CompletingRebalance) {
      this.resetAndPropagateAssignmentError(ErrorCode.REBALANCE_IN_PROGRESS)
    }
    this.clearSyncExpiration()
    this.cancelRebalanceTimer()
    const wasEmpty = this.state === GroupState.Empty
    this.transitionTo(GroupState.PreparingRebalance)
    this.env.log.info(
      { group: this.groupId, generationId: this.generationId, members: this.members.size, reason },
      'preparing to rebalance',
    )
    if (wasEmpty) {
      // The first rebalance of an empty group waits group.initial.rebalance.delay.ms (extended
      // while members keep arriving, up to the rebalance timeout) so a fleet starting together
      // settles in one rebalance instead of one per member.
      const delay = this.env.config.initialRebalanceDelayMs
      this.startInitialDelay(delay, Math.max(this.rebalanceTimeoutMs - delay, 0))
    } else {
      this.startRebalanceTimer()
      this.tryCompleteJoin()
    }
  }

  private startInitialDelay(delayMs: number, remainingMs: number): void {
    const handle = this.env.clock.setTimeout(
      () => this.env.runSerially(() => this.onRebalanceTimer(handle)),
      delayMs,
    )
    this.rebalanceTimer = { kind: 'initial', handle, remainingMs }
  }

  private startRebalanceTimer(): void {
    const handle = this.env.clock.setTimeout(
      () => this.env.runSerially(() => this.onRebalanceTimer(handle)),
      this.rebalanceTimeoutMs,
    )
    this.rebalanceTimer = { kind: 'join', handle }
  }

  private cancelRebalanceTimer(): void {
    this.env.clock.clearTimeout(this.rebalanceTimer?.handle)
    this.rebalanceTimer = undefined
  }

  private onRebalanceTimer(handle: TimerHandle): void {
    const timer = this.rebalanceTimer
    if (!timer || timer.handle !== handle || this.state !== GroupState.PreparingRebalance) return
    this.rebalanceTimer = undefined
    if (timer.kind === 'initial' && this.newMemberAdded && timer.remainingMs > 0) {
      this.newMemberAdded = false
      const delay = Math.min(this.env.config.initialRebalanceDelayMs, timer.remainingMs)
      this.startInitialDelay(delay, Math.max(timer.remainingMs - delay, 0))
      return
    }
    this.completeJoin()
  }

  /** Completes the join phase early once every member has rejoined (not during the initial delay). */
  private tryCompleteJoin(): void {
    if (this.state !== GroupState.PreparingRebalance || this.rebalanceTimer?.kind === 'initial') return
    if (this.hasAllMembersJoined()) this.completeJoin()
  }

  /** Kafka's onCompleteJoin: the join phase ends, by completion or by the rebalance timeout. */
  private completeJoin(): void {
    this.cancelRebalanceTimer()
    // Dynamic members that did not rejoin in time are out; static ones keep their place until
    // their session expires.
    for (const m of [...this.members.values()]) {
      if (!m.awaitingJoin && !m.isStatic) {
        this.env.log.info(
          { group: this.groupId, member: m.memberId },
          'member did not rejoin in time, removing it',
        )
        this.remove(m.memberId)
      }
    }
    if (this.state === GroupState.Dead) return
    if (!this.maybeElectNewJoinedLeader() && this.members.size > 0) {
      // Nobody rejoined: wait another rebalance timeout while sessions expire the silent ones.
      this.env.log.warn({ group: this.groupId }, 'no member rejoined; waiting for sessions to expire')
      this.startRebalanceTimer()
      return
    }
    this.initNextGeneration()
    if (this.state === GroupState.Empty) {
      this.env.log.info({ group: this.groupId, generationId: this.generationId }, 'group is now empty')
      void this.env.storeGroup(this, new Map()).then((error) => {
        // If this write is lost the previous generation comes back after a restart; it has no
        // live members, so their sessions expire and the group empties again.
        if (error !== ErrorCode.NONE)
          this.env.log.warn({ group: this.groupId, errorCode: error }, 'failed to store empty group')
      })
      return
    }
    this.env.log.info(
      {
        group: this.groupId,
        generationId: this.generationId,
        protocol: this.protocolName,
        members: this.members.size,
      },
      'rebalance: join phase complete',
    )
    for (const member of this.members.values()) {
      this.invokeJoin(member, this.currentJoinOutcome(member.memberId, this.isLeader(member.memberId)))
      this.scheduleSession(member)
      member.isNew = false
      this.pendingSyncMembers.add(member.memberId)
    }
    this.scheduleSyncExpiration()
  }

  /** Keeps the leader if it rejoined, else picks any member that did; false if none did. */
  private maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false
    const leader = this.members.get(this.leaderId)
    if (leader?.awaitingJoin) return true
    for (const m of this.members.values()) {
      if (m.awaitingJoin) {
        this.env.log.info(
          { group: this.groupId, oldLeader: this.leaderId, newLeader: m.memberId },
          'leader did not rejoin; electing another',
        )
        this.leaderId = m.memberId
        return true
      }
    }
    return false
  }

  private initNextGeneration(): void {
    this.generationId++
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol()
      this.subscribedTopics = this.computeSubscribedTopics()
      this.transitionTo(GroupState.CompletingRebalance)
    } else {
      this.protocolName = null
      this.subscribedTopics = this.computeSubscribedTopics()
      this.transitionTo(GroupState.Empty)
    }
    this.pendingSyncMembers.clear()
  }

  private removeMemberAndUpdateGroup(member: GroupMember): void {
    // A new member may be removed while its join is held: tell it to start over.
    this.invokeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID))
    this.remove(member.memberId)
    switch (this.state) {
      case GroupState.Stable:
      case GroupState.CompletingRebalance:
        this.maybePrepareRebalance(`member ${member.memberId} left`)
        break
      case GroupState.PreparingRebalance:
        this.tryCompleteJoin()
        break
      default:
    }
  }

  // ---- SyncGroup ----------------------------------------------------------------------------

  /** Handles a SyncGroup; followers are answered when the leader's assignment is stored. */
  async sync(req: SyncRequestInput, reply: SyncReply): Promise<void> {
    if (this.state === GroupState.Dead) {
      reply(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE))
      return
    }
    let error = this.validateCurrentMember(req.memberId, req.groupInstanceId)
    if (error === ErrorCode.NONE && req.generationId !== this.generationId)
      error = ErrorCode.ILLEGAL_GENERATION
    if (error === ErrorCode.NONE && req.protocolType !== null && req.protocolType !== this.protocolType) {
      error = ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    }
    if (error === ErrorCode.NONE && req.protocolName !== null && req.protocolName !== this.protocolName) {
      error = ErrorCode.INCONSISTENT_GROUP_PROTOCOL
    }
    if (error !== ErrorCode.NONE) {
      reply(syncError(error))
      return
    }
    const member = this.members.get(req.memberId)!
    switch (this.state) {
      case GroupState.Empty:
        reply(syncError(ErrorCode.UNKNOWN_MEMBER_ID))
        return
      case GroupState.PreparingRebalance:
        reply(syncError(ErrorCode.REBALANCE_IN_PROGRESS))
        return
      case GroupState.CompletingRebalance: {
        member.awaitingSync = reply
        this.removePendingSyncMember(req.memberId)
        if (!this.isLeader(req.memberId)) return
        const generation = this.generationId
        const assignment = new Map<string, Buffer>()
        for (const id of this.members.keys()) assignment.set(id, req.assignments.get(id) ?? EMPTY_BYTES)
        const missing = [...this.members.keys()].filter((id) => !req.assignments.has(id))
        if (missing.length > 0) {
          this.env.log.warn(
            { group: this.groupId, generation, missing },
            'leader sent no assignment for some members; they get an empty one',
          )
        }
        const stored = await this.env.storeGroup(this, assignment)
        // Another request may have restarted the rebalance meanwhile: then this assignment is stale.
        if (this.state !== GroupState.CompletingRebalance || this.generationId !== generation) return
        if (stored !== ErrorCode.NONE) {
          this.resetAndPropagateAssignmentError(stored)
          this.maybePrepareRebalance(`storing the assignment failed with error ${stored}`)
          return
        }
        for (const m of this.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BYTES
        this.propagateAssignment(ErrorCode.NONE)
        this.transitionTo(GroupState.Stable)
        this.env.log.info(
          { group: this.groupId, generationId: generation, members: this.members.size },
          'group is stable',
        )
        return
      }
      case GroupState.Stable:
        this.removePendingSyncMember(req.memberId)
        reply({
          errorCode: ErrorCode.NONE,
          protocolType: this.protocolType,
          protocolName: this.protocolName,
          assignment: member.assignment,
        })
        this.scheduleSession(member)
        return
      default:
        throw new Error(`group ${this.groupId}: SyncGroup in state ${this.state}`)
    }
  }

  private resetAndPropagateAssignmentError(errorCode: number): void {
    for (const m of this.members.values()) m.assignment = EMPTY_BYTES
    this.propagateAssignment(errorCode)
  }

  private propagateAssignment(errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE
    for (const m of this.members.values()) {
      const sent = this.invokeSync(m, {
        errorCode,
        protocolType: ok ? this.protocolType : null,
        protocolName: ok ? this.protocolName : null,
        assignment: m.assignment,
      })
      // Sessions restart from the answer: a member may have "expired" while it waited.
      if (sent) this.scheduleSession(m)
    }
  }

  private removePendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.delete(memberId)
    if (this.pendingSyncMembers.size === 0) this.clearSyncExpiration()
  }

  private scheduleSyncExpiration(): void {
    this.env.clock.clearTimeout(this.syncTimer)
    const generation = this.generationId
    const handle = this.env.clock.setTimeout(
      () => this.env.runSerially(() => this.onSyncExpired(handle, generation)),
      this.rebalanceTimeoutMs,
    )
    this.syncTimer = handle
  }

  private clearSyncExpiration(): void {
    this.pendingSyncMembers.clear()
    this.env.clock.clearTimeout(this.syncTimer)
    this.syncTimer = undefined
  }

  /** Members that got their JoinGroup answer but never sent SyncGroup are removed. */
  private onSyncExpired(handle: TimerHandle, generation: number): void {
    if (this.syncTimer !== handle) return
    this.syncTimer = undefined
    if (generation !== this.generationId) return
    if (this.state !== GroupState.CompletingRebalance && this.state !== GroupState.Stable) return
    if (this.pendingSyncMembers.size === 0) return
    const late = [...this.pendingSyncMembers]
    for (const id of late) this.remove(id)
    this.env.log.info(
      { group: this.groupId, members: late },
      'members did not send SyncGroup in time, removing them',
    )
    this.prepareRebalance(`members ${late.join(', ')} did not sync`)
  }

  // ---- Heartbeat ----------------------------------------------------------------------------

  heartbeat(memberId: string, groupInstanceId: string | null, generationId: number): number {
    if (this.state === GroupState.Dead) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const error = this.validateCurrentMember(memberId, groupInstanceId)
    if (error !== ErrorCode.NONE) return error
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION
    const member = this.members.get(memberId)!
    switch (this.state) {
      case GroupState.Empty:
        return ErrorCode.UNKNOWN_MEMBER_ID
      case GroupState.CompletingRebalance:
        // Clients may heartbeat between their JoinGroup answer and SyncGroup.
        this.scheduleSession(member)
        return ErrorCode.NONE
      case GroupState.PreparingRebalance:
        this.scheduleSession(member)
        return ErrorCode.REBALANCE_IN_PROGRESS
      default:
        this.scheduleSession(member)
        return ErrorCode.NONE
    }
  }

  // ---- LeaveGroup ---------------------------------------------------------------------------

  leave(leaving: readonly LeavingMember[]): LeaveOutcome {
    if (this.state === GroupState.Dead) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] }
    const members = leaving.map((l) => ({
      memberId: l.memberId,
      groupInstanceId: l.groupInstanceId,
      errorCode: this.leaveOne(l),
    }))
    return { errorCode: ErrorCode.NONE, members }
  }

  private leaveOne(l: LeavingMember): number {
    if (l.memberId === '') {
      // Admin removal of a static member by instance id (kafka-consumer-groups --delete-members).
      const current = l.groupInstanceId === null ? undefined : this.staticMembers.get(l.groupInstanceId)
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
      this.removeMemberAndUpdateGroup(this.members.get(current)!)
      return ErrorCode.NONE
    }
    if (this.pendingMembers.has(l.memberId)) {
      this.removePending(l.memberId)
      if (this.state === GroupState.PreparingRebalance) this.tryCompleteJoin()
      return ErrorCode.NONE
    }
    const error = this.validateCurrentMember(l.memberId, l.groupInstanceId)
    if (error !== ErrorCode.NONE) return error
    this.env.log.info({ group: this.groupId, member: l.memberId, reason: l.reason }, 'member left the group')
    this.removeMemberAndUpdateGroup(this.members.get(l.memberId)!)
    return ErrorCode.NONE
  }

  // ---- offsets ------------------------------------------------------------------------------

  /**
   * Kafka's validateOffsetCommit: NONE when the commit may be written. An empty group accepts
   * commits with generation -1 (admin clients, consumers that assign partitions themselves);
   * otherwise the committer must be a current member of the current generation.
   */
  validateOffsetCommit(
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
    isTransactional: boolean,
  ): number {
    if (this.state === GroupState.Dead) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (generationId < 0 && this.state === GroupState.Empty) return ErrorCode.NONE
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      const error = this.validateCurrentMember(memberId, groupInstanceId)
      if (error !== ErrorCode.NONE) return error
      if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION
    } else if (!isTransactional && this.state !== GroupState.Empty) {
      return ErrorCode.UNKNOWN_MEMBER_ID
    }
    if (!isTransactional && this.state === GroupState.CompletingRebalance) {
      // The member knows the new generation but has no assignment yet: let it sync first.
      return ErrorCode.REBALANCE_IN_PROGRESS
    }
    return ErrorCode.NONE
  }

  /** A member's accepted commit also counts as a heartbeat (Stable or PreparingRebalance). */
  commitAccepted(memberId: string): void {
    if (this.state !== GroupState.Stable && this.state !== GroupState.PreparingRebalance) return
    const member = this.members.get(memberId)
    if (member) this.scheduleSession(member)
  }

  // ---- describe, delete, load ---------------------------------------------------------------

  summary(): GroupSummary {
    const stable = this.state === GroupState.Stable
    const protocol = stable ? (this.protocolName ?? '') : ''
    return {
      groupState: this.state,
      protocolType: this.protocolType ?? '',
      protocolData: protocol,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadata(protocol) : EMPTY_BYTES,
        memberAssignment: stable ? m.assignment : EMPTY_BYTES,
      })),
    }
  }

  /** Marks the group dead (deleted, or expired with no offsets left) and stops its timers. */
  markDead(): void {
    this.transitionTo(GroupState.Dead)
    this.stop()
  }

  /**
   * The coordinator lets go of the group (broker shutdown): held JoinGroup and SyncGroup
   * requests are answered NOT_COORDINATOR, so clients look for the coordinator again, and the
   * timers stop.
   */
  unload(): void {
    for (const m of this.members.values()) {
      this.invokeJoin(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR))
      this.invokeSync(m, syncError(ErrorCode.NOT_COORDINATOR))
    }
    this.stop()
  }

  /** Stops every timer. */
  stop(): void {
    this.cancelRebalanceTimer()
    this.clearSyncExpiration()
    for (const m of this.members.values()) {
      this.env.clock.clearTimeout(m.sessionTimer)
      m.sessionTimer = undefined
    }
    for (const handle of this.pendingMembers.values()) this.env.clock.clearTimeout(handle)
    this.pendingMembers.clear()
  }

  /** The metadata the group would store now, with its members' current assignments. */
  toStored(assignment: ReadonlyMap<string, Buffer>): StoredGroup {
    const protocol = this.protocolName ?? ''
    return {
      protocolType: this.protocolType ?? '',
      generationId: this.generationId,
      protocolName: this.protocolName,
      leader: this.leaderId,
      currentStateTimestamp: this.stateTimestamp ?? -1,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadata(protocol),
        assignment: assignment.get(m.memberId) ?? EMPTY_BYTES,
      })),
    }
  }

  /**
   * Restores the group from its last metadata record (broker start): Stable with its members
   * if it had any, else Empty. Members' sessions restart now, so live clients carry on with
   * their generation and dead ones expire.
   */
  restore(stored: StoredGroup): void {
    this.protocolType = stored.protocolType === '' ? null : stored.protocolType
    this.generationId = stored.generationId
    this.protocolName = stored.protocolName
    this.leaderId = stored.leader
    this.stateTimestamp = stored.currentStateTimestamp >= 0 ? stored.currentStateTimestamp : null
    for (const s of stored.members) {
      const member = new GroupMember({
        memberId: s.memberId,
        groupInstanceId: s.groupInstanceId,
        clientId: s.clientId,
        clientHost: s.clientHost,
        protocolType: stored.protocolType,
        rebalanceTimeoutMs: s.rebalanceTimeoutMs,
        sessionTimeoutMs: s.sessionTimeoutMs,
        protocols: [{ name: stored.protocolName ?? '', metadata: s.subscription }],
      })
      member.assignment = s.assignment
      this.members.set(member.memberId, member)
      if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId)
    }
    if (this.leaderId !== null && !this.members.has(this.leaderId))
      this.leaderId = this.members.keys().next().value ?? null
    this.state = this.members.size > 0 ? GroupState.Stable : GroupState.Empty
    this.subscribedTopics = this.computeSubscribedTopics()
    for (const m of this.members.values()) this.scheduleSession(m)
  }
}
