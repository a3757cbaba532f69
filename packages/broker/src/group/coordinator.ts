// The group coordinator: every classic consumer group of this broker, their committed offsets,
// and their persistence in `__consumer_offsets`. One node is the coordinator of every group
// (and of every transactional id), so FindCoordinator always names this broker.
//
// Ownership: each group has one owner, a serial queue (GroupOwner below). Every request and
// every timer that touches a group runs as a task on that queue, one at a time, to the end
// (including the awaited write of its records), so a group's state never sees two writers.
// Reads that only look (OffsetFetch, DescribeGroups, ListGroups, the lag metrics) read the state
// the owner last published, between its tasks. The map of owners belongs to the coordinator and
// changes only synchronously (no await between a lookup and an insert or delete).
//
// Transactional offset commits (TxnOffsetCommit) stay pending, per group and producer id, until
// the transaction coordinator writes the transaction's marker into the group's partition
// (completeTransaction): COMMIT makes them the committed offsets, ABORT drops them. A group's
// pending offsets change only on its owner (or during the replay at start).
import { randomUUID } from 'node:crypto'
import { ErrorCode, type RecordInput } from '@runnel/protocol'
import type { Registry } from 'prom-client'
import type { InternalTopicDeps } from '../cluster/internal-topic.ts'
import { SerialQueue } from '../serial-queue.ts'
import {
  ClassicGroup,
  type GroupEnv,
  type GroupSummary,
  type JoinRequestInput,
  type LeaveOutcome,
  type LeavingMember,
  type StoredGroup,
  type SyncRequestInput,
} from './classic-group.ts'
import { type Clock, systemClock } from './clock.ts'
import { type CommittedOffset, expiredOffsets } from './committed-offsets.ts'
import { CONSUMER_PROTOCOL_TYPE } from './consumer-protocol.ts'
import { type CoordinatorConfig, coordinatorConfig } from './coordinator-config.ts'
import { GroupState, parseGroupState } from './group-state.ts'
import { registerLagMetrics } from './lag-metrics.ts'
import { type JoinOutcome, joinError, type SyncOutcome, syncError } from './member.ts'
import { OFFSETS_TOPIC, OffsetsTopic } from './offsets-topic.ts'
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from './records.ts'

interface GroupOwner {
  readonly group: ClassicGroup
  readonly queue: SerialQueue
}

export interface CommitPartition {
  partitionIndex: number
  committedOffset: bigint
  committedLeaderEpoch: number
  committedMetadata: string | null
}

export interface CommitRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  /** OffsetCommit v2-v4 RetentionTimeMs; -1 = offsets.retention.minutes. */
  retentionTimeMs: number
  topics: { name: string; partitions: CommitPartition[] }[]
}

/** TxnOffsetCommit, after the transaction coordinator has checked the producer. */
export interface TxnCommitRequest {
  groupId: string
  producerId: bigint
  producerEpoch: number
  generationId: number
  memberId: string
  groupInstanceId: string | null
  topics: { name: string; partitions: CommitPartition[] }[]
}

/** An offset written inside a transaction, not yet committed. null: a tombstone (Kafka never writes one). */
interface PendingOffset {
  readonly topic: string
  readonly partition: number
  readonly committed: CommittedOffset | null
}

/** groupId -> producerId -> `${topic}\0${partition}` -> the pending offset. */
type PendingTxnOffsets = Map<string, Map<bigint, Map<string, PendingOffset>>>

const offsetKey = (topic: string, partition: number): string => `${topic}\0${partition}`

export interface TopicPartitionErrors {
  name: string
  partitions: { partitionIndex: number; errorCode: number }[]
}

/** A partition of a commit and the error code it is answered with (NONE while it may go on). */
interface CommitTarget {
  readonly partition: CommitPartition
  errorCode: number
}

type CommitTargets = { name: string; partitions: CommitTarget[] }[]

/** An offset of a commit, in the records to write; `target` is answered with the write's outcome. */
interface AcceptedOffset {
  readonly topic: string
  readonly partition: number
  readonly committed: CommittedOffset
  readonly target: CommitTarget
}

/** Every partition of a request answered with one error code. */
export function everyPartition(
  topics: readonly { name: string; partitions: readonly { partitionIndex: number }[] }[],
  errorCode: number,
): TopicPartitionErrors[] {
  return topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  }))
}

/** A commit's answer: each partition with its error code. */
function commitAnswer(targets: CommitTargets): TopicPartitionErrors[] {
  return targets.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partition.partitionIndex,
      errorCode: p.errorCode,
    })),
  }))
}

export interface FetchedPartition {
  partitionIndex: number
  committedOffset: bigint
  committedLeaderEpoch: number
  metadata: string | null
  errorCode: number
}

export interface FetchedOffsets {
  errorCode: number
  topics: { name: string; partitions: FetchedPartition[] }[]
}

export interface ListedGroup {
  groupId: string
  protocolType: string
  groupState: GroupState
}

/** Groups that are nothing but a name (no members, no offsets, never rebalanced) are not kept. */
function isUnused(group: ClassicGroup): boolean {
  return (
    group.is(GroupState.Empty) &&
    group.generationId === 0 &&
    group.offsets.size === 0 &&
    group.pendingMembers.size === 0 &&
    group.members.size === 0
  )
}

/** JoinGroup, SyncGroup, Heartbeat and LeaveGroup need a non-empty group id; the offset APIs do not. */
const isValidGroupId = (groupId: string, allowEmpty: boolean): boolean => allowEmpty || groupId !== ''

/** What the group coordinator works with. */
export interface GroupCoordinatorDeps extends InternalTopicDeps {
  readonly brokerConfigs: Readonly<Record<string, string>>
  /** Where the consumer-lag gauges register. */
  readonly metrics: Registry
  /** Group timers and timestamps (an injected clock in tests). */
  readonly clock?: Clock
}

export class GroupCoordinator {
  readonly config: CoordinatorConfig
  readonly offsetsTopic: OffsetsTopic
  private readonly deps: GroupCoordinatorDeps
  private readonly clock: Clock
  /** Owner: this coordinator. */
  private readonly owners = new Map<string, GroupOwner>()
  /** Owner: this coordinator; a group's entry changes only on that group's owner (see the file comment). */
  private readonly pendingTxnOffsets: PendingTxnOffsets = new Map()
  private expiryTimer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(deps: GroupCoordinatorDeps) {
    this.deps = deps
    this.clock = deps.clock ?? systemClock()
    this.config = coordinatorConfig(deps.brokerConfigs)
    this.offsetsTopic = new OffsetsTopic(deps, this.config)
    registerLagMetrics(deps.metrics, () => this.committedOffsets())
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Rebuilds every group and its offsets from `__consumer_offsets`, then starts offset expiry. */
  async start(): Promise<void> {
    const started = performance.now()
    const { groups, offsets } = this.replay()
    for (const [groupId, stored] of groups) {
      const owner = this.ownerFor(groupId, true)!
      owner.group.restore(stored)
    }
    for (const [groupId, partitions] of offsets) {
      const owner = this.ownerFor(groupId, true)!
      for (const [key, committed] of partitions) {
        const split = key.lastIndexOf('\0')
        owner.group.offsets.set(key.slice(0, split), Number(key.slice(split + 1)), committed)
      }
    }
    for (const [groupId, owner] of this.owners) {
      if (isUnused(owner.group) && !this.pendingTxnOffsets.has(groupId)) this.owners.delete(groupId)
    }
    this.expiryTimer = setInterval(() => void this.expireOffsets(), this.config.retentionCheckIntervalMs)
    this.expiryTimer.unref()
    if (this.offsetsTopic.topic) {
      this.deps.log.info(
        { groups: this.owners.size, ms: Math.round(performance.now() - started) },
        `groups loaded from ${OFFSETS_TOPIC}`,
      )
    }
  }

  /** Stops timers and answers held joins and syncs with NOT_COORDINATOR, as Kafka does when a coordinator moves. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.expiryTimer) clearInterval(this.expiryTimer)
    const idle = [...this.owners.values()].map((o) =>
      o.queue.run(() => o.group.unload()).catch(() => undefined),
    )
    await Promise.all(idle)
  }

  /**
   * Reads the whole topic: the last metadata record of each group and the last offset of each
   * group/topic/partition win; tombstones delete. Transactional offset commits count only once
   * their transaction's COMMIT marker is read in the group's partition (an ABORT drops them), and
   * a plain commit written after one wins over it, as in Kafka. Those still pending at the end
   * stay pending (their transaction will end after the start).
   */
  private replay(): {
    groups: Map<string, StoredGroup>
    offsets: Map<string, Map<string, CommittedOffset>>
  } {
    const groups = new Map<string, StoredGroup>()
    const offsets = new Map<string, Map<string, CommittedOffset>>()
    const pending = this.pendingTxnOffsets
    const applyOffset = (group: string, key: string, committed: CommittedOffset | null) => {
      let byPartition = offsets.get(group)
      if (committed === null) {
        byPartition?.delete(key)
        return
      }
      if (!byPartition) offsets.set(group, (byPartition = new Map()))
      byPartition.set(key, committed)
    }
    let skipped = 0
    this.offsetsTopic.replay((event) => {
      if (event.kind === 'marker') {
        for (const [group, byProducer] of pending) {
          const entries = byProducer.get(event.producerId)
          if (!entries || this.offsetsTopic.partitionFor(group) !== event.partition) continue
          byProducer.delete(event.producerId)
          if (byProducer.size === 0) pending.delete(group)
          if (event.commit) for (const [key, p] of entries) applyOffset(group, key, p.committed)
        }
        return
      }
      const { record } = event
      try {
        const key = decodeKey(record.key)
        if (key.kind === 'offset') {
          const k = offsetKey(key.topic, key.partition)
          const committed = record.value === null ? null : decodeOffsetCommitValue(record.value)
          if (record.transactional) {
            addPending(pending, key.group, record.producerId, {
              topic: key.topic,
              partition: key.partition,
              committed,
            })
          } else {
            applyOffset(key.group, k, committed)
            dropPending(pending, key.group, k)
          }
        } else if (key.kind === 'group') {
          if (record.value === null) {
            groups.delete(key.group)
            offsets.delete(key.group)
          } else {
            groups.set(key.group, decodeGroupMetadataValue(record.value))
          }
        }
      } catch (err) {
        skipped++
        this.deps.log.warn(
          { err, partition: record.partition, offset: record.offset },
          `skipping a ${OFFSETS_TOPIC} record that does not decode`,
        )
      }
    })
    if (skipped > 0) this.deps.log.warn({ skipped }, `${OFFSETS_TOPIC} had records that do not decode`)
    return { groups, offsets }
  }

  // ---- owners -------------------------------------------------------------------------------

  private ownerFor(groupId: string, create: boolean): GroupOwner | undefined {
    const existing = this.owners.get(groupId)
    if (existing || !create) return existing
    const queue = new SerialQueue()
    const env: GroupEnv = {
      clock: this.clock,
      config: { initialRebalanceDelayMs: this.config.initialRebalanceDelayMs, maxSize: this.config.maxSize },
      log: this.deps.log,
      newMemberId: (prefix) => `${prefix}-${randomUUID()}`,
      storeGroup: (group, assignment) => this.storeGroup(group, assignment),
      runSerially: (task) => {
        if (this.stopped) return
        queue
          .run(task)
          .catch((err) => this.deps.log.error({ err, group: groupId }, 'group timer task failed'))
      },
    }
    const owner = { group: new ClassicGroup(groupId, env), queue }
    this.owners.set(groupId, owner)
    return owner
  }

  /** Runs `task` on the group's owner; afterwards drops the group if it holds nothing. */
  private async run<T>(owner: GroupOwner, task: (group: ClassicGroup) => T | Promise<T>): Promise<T> {
    try {
      return await owner.queue.run(() => task(owner.group))
    } finally {
      const { group } = owner
      if (
        this.owners.get(group.groupId) === owner &&
        owner.queue.size === 0 &&
        (group.is(GroupState.Dead) || (isUnused(group) && !this.pendingTxnOffsets.has(group.groupId)))
      ) {
        group.unload()
        this.owners.delete(group.groupId)
      }
    }
  }

  private storeGroup(group: ClassicGroup, assignment: ReadonlyMap<string, Buffer>): Promise<number> {
    const record: RecordInput = {
      key: encodeGroupMetadataKey(group.groupId),
      value: encodeGroupMetadataValue(group.toStored(assignment)),
      timestamp: this.clock.now(),
    }
    return this.offsetsTopic.append(group.groupId, [record], 'group')
  }

  // ---- FindCoordinator ----------------------------------------------------------------------

  /** NONE once `__consumer_offsets` exists (created now if needed), else COORDINATOR_NOT_AVAILABLE. */
  async ensureReady(): Promise<number> {
    if (this.stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    return (await this.offsetsTopic.ensure()) ? ErrorCode.NONE : ErrorCode.COORDINATOR_NOT_AVAILABLE
  }

  // ---- membership APIs ----------------------------------------------------------------------

  async join(groupId: string, req: JoinRequestInput): Promise<JoinOutcome> {
    if (this.stopped) return joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    if (!isValidGroupId(groupId, false)) return joinError(req.memberId, ErrorCode.INVALID_GROUP_ID)
    if (
      req.sessionTimeoutMs < this.config.minSessionTimeoutMs ||
      req.sessionTimeoutMs > this.config.maxSessionTimeoutMs
    ) {
      return joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT)
    }
    // A group is created by a join with no member id; any other join needs the group to exist.
    const owner = this.ownerFor(groupId, req.memberId === '')
    if (!owner) return joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID)
    let answer: (outcome: JoinOutcome) => void = () => {}
    const answered = new Promise<JoinOutcome>((resolve) => {
      answer = resolve
    })
    await this.run(owner, (group) => group.join(req, answer))
    return answered
  }

  async sync(groupId: string, req: SyncRequestInput): Promise<SyncOutcome> {
    if (this.stopped) return syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    if (!isValidGroupId(groupId, false)) return syncError(ErrorCode.INVALID_GROUP_ID)
    const owner = this.ownerFor(groupId, false)
    if (!owner) return syncError(ErrorCode.UNKNOWN_MEMBER_ID)
    let answer: (outcome: SyncOutcome) => void = () => {}
    const answered = new Promise<SyncOutcome>((resolve) => {
      answer = resolve
    })
    await this.run(owner, (group) => group.sync(req, answer))
    return answered
  }

  async heartbeat(
    groupId: string,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
  ): Promise<number> {
    if (this.stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    if (!isValidGroupId(groupId, false)) return ErrorCode.INVALID_GROUP_ID
    const owner = this.ownerFor(groupId, false)
    if (!owner) return ErrorCode.UNKNOWN_MEMBER_ID
    return this.run(owner, (group) => group.heartbeat(memberId, groupInstanceId, generationId))
  }

  async leave(groupId: string, members: readonly LeavingMember[]): Promise<LeaveOutcome> {
    if (this.stopped) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] }
    if (!isValidGroupId(groupId, false)) return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] }
    const owner = this.ownerFor(groupId, false)
    if (!owner) {
      return {
        errorCode: ErrorCode.NONE,
        members: members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
        })),
      }
    }
    return this.run(owner, (group) => group.leave(members))
  }

  // ---- offsets ------------------------------------------------------------------------------

  /** OffsetCommit: per-partition error codes; answered once the records are on disk. */
  async commitOffsets(req: CommitRequest): Promise<TopicPartitionErrors[]> {
    if (this.stopped) return everyPartition(req.topics, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    if (!isValidGroupId(req.groupId, true)) return everyPartition(req.topics, ErrorCode.INVALID_GROUP_ID)

    // Partitions of topics that do not exist are refused before the group is consulted.
    const { targets, valid } = this.commitTargets(req.topics)
    if (valid.length === 0) return commitAnswer(targets)

    let owner = this.ownerFor(req.groupId, false)
    if (!owner) {
      if (req.generationId >= 0) {
        // Not a group we know: a member of an older generation (ILLEGAL_GENERATION, Kafka's
        // answer; the new coordinator says GROUP_ID_NOT_FOUND from v9, which the classic one did not).
        for (const v of valid) v.target.errorCode = ErrorCode.ILLEGAL_GENERATION
        return commitAnswer(targets)
      }
      // generation -1: a client managing its own partitions, or an admin tool. The group is
      // created Empty, with offsets only.
      owner = this.ownerFor(req.groupId, true)!
    }
    await this.run(owner, async (group) => {
      const error = group.validateOffsetCommit(req.memberId, req.groupInstanceId, req.generationId, false)
      if (error !== ErrorCode.NONE) {
        for (const v of valid) v.target.errorCode = error
        return
      }
      group.commitAccepted(req.memberId)
      const now = this.clock.now()
      const expireTimestamp = req.retentionTimeMs >= 0 ? now + req.retentionTimeMs : null
      const { records, accepted } = this.offsetRecords(group.groupId, valid, now, expireTimestamp)
      const stored = await this.offsetsTopic.append(group.groupId, records, 'offsets')
      for (const a of accepted) {
        a.target.errorCode = stored
        if (stored === ErrorCode.NONE) {
          group.offsets.set(a.topic, a.partition, a.committed)
          // Written after them, it wins over pending transactional offsets (Kafka compares log offsets).
          dropPending(this.pendingTxnOffsets, group.groupId, offsetKey(a.topic, a.partition))
        }
      }
    })
    return commitAnswer(targets)
  }

  /**
   * TxnOffsetCommit (the transaction coordinator has checked the producer): Kafka's
   * doTxnCommitOffsets. A member id, when given, must be a member; a generation, when given,
   * the group's; an unknown group is created. The offsets are written as a transactional batch
   * (once on disk) and stay pending until the transaction ends.
   */
  async commitTxnOffsets(req: TxnCommitRequest): Promise<TopicPartitionErrors[]> {
    if (this.stopped) return everyPartition(req.topics, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    if (!isValidGroupId(req.groupId, true)) return everyPartition(req.topics, ErrorCode.INVALID_GROUP_ID)
    const { targets, valid } = this.commitTargets(req.topics)
    if (valid.length > 0) {
      const owner = this.ownerFor(req.groupId, true)!
      await this.run(owner, async (group) => {
        const error = group.validateOffsetCommit(req.memberId, req.groupInstanceId, req.generationId, true)
        if (error !== ErrorCode.NONE) {
          for (const v of valid) v.target.errorCode = error
          return
        }
        const { records, accepted } = this.offsetRecords(group.groupId, valid, this.clock.now(), null)
        const stored = await this.offsetsTopic.append(group.groupId, records, 'offsets', {
          producerId: req.producerId,
          producerEpoch: req.producerEpoch,
        })
        for (const a of accepted) {
          a.target.errorCode = stored
          if (stored === ErrorCode.NONE)
            addPending(this.pendingTxnOffsets, group.groupId, req.producerId, {
              topic: a.topic,
              partition: a.partition,
              committed: a.committed,
            })
        }
      })
    }
    return commitAnswer(targets)
  }

  /**
   * The partitions of a commit (OffsetCommit or TxnOffsetCommit), each NONE or, for a partition
   * that does not exist or one of an internal topic, UNKNOWN_TOPIC_OR_PARTITION; `valid`: the
   * NONE ones, which go on to the group.
   */
  private commitTargets(topics: readonly { name: string; partitions: readonly CommitPartition[] }[]): {
    targets: CommitTargets
    valid: { topic: string; target: CommitTarget }[]
  } {
    const targets = topics.map((t) => {
      const topic = this.deps.topics.get(t.name)
      return {
        name: t.name,
        partitions: t.partitions.map(
          (p): CommitTarget => ({
            partition: p,
            errorCode:
              topic &&
              p.partitionIndex >= 0 &&
              p.partitionIndex < topic.partitions.length &&
              !topic.isInternal
                ? ErrorCode.NONE
                : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          }),
        ),
      }
    })
    const valid = targets.flatMap((t) =>
      t.partitions.filter((p) => p.errorCode === ErrorCode.NONE).map((target) => ({ topic: t.name, target })),
    )
    return { targets, valid }
  }

  /**
   * The `__consumer_offsets` records of a commit's partitions, and what each commits; a
   * partition whose metadata is longer than offset.metadata.max.bytes gets
   * OFFSET_METADATA_TOO_LARGE and no record.
   */
  private offsetRecords(
    groupId: string,
    valid: readonly { topic: string; target: CommitTarget }[],
    now: number,
    expireTimestamp: number | null,
  ): {
    records: RecordInput[]
    accepted: AcceptedOffset[]
  } {
    const records: RecordInput[] = []
    const accepted: AcceptedOffset[] = []
    for (const { topic, target } of valid) {
      const { partition } = target
      const metadata = partition.committedMetadata ?? ''
      if (Buffer.byteLength(metadata) > this.config.offsetMetadataMaxBytes) {
        target.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE
        continue
      }
      const committed: CommittedOffset = {
        offset: partition.committedOffset,
        leaderEpoch: partition.committedLeaderEpoch,
        metadata,
        commitTimestamp: now,
        expireTimestamp,
      }
      records.push({
        key: encodeOffsetCommitKey(groupId, topic, partition.partitionIndex),
        value: encodeOffsetCommitValue(committed),
        timestamp: now,
      })
      accepted.push({ topic, partition: partition.partitionIndex, committed, target })
    }
    return { records, accepted }
  }

  /**
   * The transaction of `producerId` ended and its marker is in these `__consumer_offsets`
   * partitions: the pending offsets of the groups living there become committed (COMMIT) or
   * are dropped (ABORT).
   */
  async completeTransaction(
    producerId: bigint,
    partitions: readonly number[],
    commit: boolean,
  ): Promise<void> {
    const wanted = new Set(partitions)
    const work: Promise<void>[] = []
    for (const [groupId, byProducer] of this.pendingTxnOffsets) {
      if (!byProducer.has(producerId) || !wanted.has(this.offsetsTopic.partitionFor(groupId))) continue
      const owner = this.ownerFor(groupId, true)!
      work.push(
        this.run(owner, (group) => {
          const current = this.pendingTxnOffsets.get(groupId)
          const entries = current?.get(producerId)
          if (!current || !entries) return
          current.delete(producerId)
          if (current.size === 0) this.pendingTxnOffsets.delete(groupId)
          if (!commit || group.is(GroupState.Dead)) return
          for (const p of entries.values()) {
            if (p.committed === null) group.offsets.delete(p.topic, p.partition)
            else group.offsets.set(p.topic, p.partition, p.committed)
          }
        }),
      )
    }
    await Promise.all(work)
  }

  /**
   * OffsetFetch for one group: the requested partitions (null = every partition with an
   * offset). A partition without an offset answers -1 with no error, as Kafka does.
   */
  fetchOffsets(
    groupId: string,
    // `name` is absent only from OffsetFetch v10+ (topics by id), which is not advertised.
    topics: { name?: string; partitionIndexes: number[] }[] | null,
    requireStable: boolean,
  ): FetchedOffsets {
    if (this.stopped) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] }
    if (!isValidGroupId(groupId, true)) return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] }
    const group = this.owners.get(groupId)?.group
    const offsets = group && !group.is(GroupState.Dead) ? group.offsets : undefined
    // requireStable: a partition with a transactional commit still pending answers
    // UNSTABLE_OFFSET_COMMIT (retriable) instead of an offset that may be about to change.
    const pending = requireStable ? this.pendingTxnOffsets.get(groupId) : undefined
    const partition = (topic: string, index: number): FetchedPartition => {
      if (pending && [...pending.values()].some((m) => m.has(offsetKey(topic, index)))) {
        return {
          partitionIndex: index,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT,
        }
      }
      const c = offsets?.get(topic, index)
      return {
        partitionIndex: index,
        committedOffset: c ? c.offset : -1n,
        committedLeaderEpoch: c ? c.leaderEpoch : -1,
        metadata: c ? c.metadata : '',
        errorCode: ErrorCode.NONE,
      }
    }
    if (topics === null) {
      const names = offsets ? offsets.topics().sort() : []
      return {
        errorCode: ErrorCode.NONE,
        topics: names.map((name) => ({
          name,
          partitions: offsets!.partitions(name).map((i) => partition(name, i)),
        })),
      }
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map(({ name = '', partitionIndexes }) => ({
        name,
        partitions: partitionIndexes.map((i) => partition(name, i)),
      })),
    }
  }

  /** OffsetDelete: removes a group's offsets unless the group still consumes their topic. */
  async deleteOffsets(
    groupId: string,
    topics: { name: string; partitions: { partitionIndex: number }[] }[],
  ): Promise<{ errorCode: number; topics: TopicPartitionErrors[] }> {
    if (this.stopped) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] }
    if (!isValidGroupId(groupId, false)) return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] }
    const owner = this.ownerFor(groupId, false)
    if (!owner) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] }
    return this.run(owner, async (group) => {
      if (group.is(GroupState.Dead)) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] }
      const consumer = group.protocolType === CONSUMER_PROTOCOL_TYPE
      if (!group.is(GroupState.Empty) && !consumer)
        return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] }
      const out: TopicPartitionErrors[] = []
      const deletions: { topic: string; partition: number }[] = []
      for (const t of topics) {
        const exists = this.deps.topics.get(t.name)
        const subscribed = !group.is(GroupState.Empty) && group.isSubscribedToTopic(t.name)
        out.push({
          name: t.name,
          partitions: t.partitions.map((p) => {
            if (!exists || p.partitionIndex < 0 || p.partitionIndex >= exists.partitions.length) {
              return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
            }
            if (subscribed)
              return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }
            deletions.push({ topic: t.name, partition: p.partitionIndex })
            return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE }
          }),
        })
      }
      const error = await this.removeOffsets(group, deletions)
      if (error !== ErrorCode.NONE) return { errorCode: error, topics: [] }
      return { errorCode: ErrorCode.NONE, topics: out }
    })
  }

  /** Writes tombstones for the offsets that exist among `partitions`, then forgets them. */
  private async removeOffsets(
    group: ClassicGroup,
    partitions: { topic: string; partition: number }[],
  ): Promise<number> {
    const now = this.clock.now()
    const present = partitions.filter((p) => group.offsets.get(p.topic, p.partition) !== undefined)
    const records: RecordInput[] = present.map((p) => ({
      key: encodeOffsetCommitKey(group.groupId, p.topic, p.partition),
      value: null,
      timestamp: now,
    }))
    const error = await this.offsetsTopic.append(group.groupId, records, 'offsets')
    if (error === ErrorCode.NONE) for (const p of present) group.offsets.delete(p.topic, p.partition)
    return error
  }

  // ---- admin --------------------------------------------------------------------------------

  /** DescribeGroups for one group; an unknown group is reported Dead with no error (v0-v5). */
  describe(groupId: string): { errorCode: number; summary: GroupSummary } {
    const dead: GroupSummary = {
      groupState: GroupState.Dead,
      protocolType: '',
      protocolData: '',
      members: [],
    }
    if (this.stopped) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, summary: dead }
    const group = this.owners.get(groupId)?.group
    return { errorCode: ErrorCode.NONE, summary: group ? group.summary() : dead }
  }

  /** ListGroups: every group, filtered by state names (case-insensitive) and types (only "classic" exists here). */
  list(
    statesFilter: readonly string[],
    typesFilter: readonly string[],
  ): { errorCode: number; groups: ListedGroup[] } {
    if (this.stopped) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] }
    const states = new Set(statesFilter.map((s) => parseGroupState(s)).filter((s) => s !== undefined))
    const unknownStateOnly = statesFilter.length > 0 && states.size === 0
    const classic = typesFilter.length === 0 || typesFilter.some((t) => t.toLowerCase() === 'classic')
    if (unknownStateOnly || !classic) return { errorCode: ErrorCode.NONE, groups: [] }
    const groups: ListedGroup[] = []
    for (const { group } of this.owners.values()) {
      if (group.is(GroupState.Dead)) continue
      if (states.size > 0 && !states.has(group.state)) continue
      groups.push({ groupId: group.groupId, protocolType: group.protocolType ?? '', groupState: group.state })
    }
    groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
    return { errorCode: ErrorCode.NONE, groups }
  }

  /** DeleteGroups: an empty group is removed with its offsets (tombstones written); others are refused. */
  async deleteGroup(groupId: string): Promise<number> {
    if (this.stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE
    const owner = this.ownerFor(groupId, false)
    if (!owner) return ErrorCode.GROUP_ID_NOT_FOUND
    return this.run(owner, async (group) => {
      if (group.is(GroupState.Dead)) return ErrorCode.GROUP_ID_NOT_FOUND
      if (!group.is(GroupState.Empty)) return ErrorCode.NON_EMPTY_GROUP
      const error = await this.writeGroupTombstones(group, [...group.offsets.entries()])
      if (error !== ErrorCode.NONE) return error
      group.markDead()
      this.deps.log.info({ group: groupId }, 'group deleted')
      return ErrorCode.NONE
    })
  }

  private writeGroupTombstones(
    group: ClassicGroup,
    offsets: { topic: string; partition: number }[],
  ): Promise<number> {
    const now = this.clock.now()
    const records: RecordInput[] = offsets.map((o) => ({
      key: encodeOffsetCommitKey(group.groupId, o.topic, o.partition),
      value: null,
      timestamp: now,
    }))
    records.push({ key: encodeGroupMetadataKey(group.groupId), value: null, timestamp: now })
    return this.offsetsTopic.append(group.groupId, records, 'group')
  }

  /**
   * The periodic offset expiry (offsets.retention.check.interval.ms): expired offsets get
   * tombstones; an empty group left with no offsets is removed. Resolves with how many offsets
   * and groups went.
   */
  async expireOffsets(now = this.clock.now()): Promise<{ offsets: number; groups: number }> {
    let offsetsRemoved = 0
    let groupsRemoved = 0
    const work = [...this.owners.values()].map((owner) =>
      this.run(owner, async (group) => {
        if (group.is(GroupState.Dead)) return
        const expired = expiredOffsets(group.offsets, group, now, this.config.offsetsRetentionMs)
        if (expired.length > 0) {
          const error = await this.removeOffsets(group, expired)
          if (error !== ErrorCode.NONE) return
          offsetsRemoved += expired.length
        }
        if (group.is(GroupState.Empty) && group.offsets.size === 0 && group.pendingMembers.size === 0) {
          if ((await this.writeGroupTombstones(group, [])) !== ErrorCode.NONE) return
          group.markDead()
          groupsRemoved++
        }
      }).catch((err) => this.deps.log.error({ err, group: owner.group.groupId }, 'offset expiry failed')),
    )
    await Promise.all(work)
    if (offsetsRemoved + groupsRemoved > 0) {
      this.deps.log.info(
        { offsets: offsetsRemoved, groups: groupsRemoved },
        'expired offsets and empty groups removed',
      )
    }
    return { offsets: offsetsRemoved, groups: groupsRemoved }
  }

  // ---- metrics ------------------------------------------------------------------------------

  /** Every committed offset with its partition's log end offset, for the lag metrics. */
  *committedOffsets(): Iterable<{
    group: string
    topic: string
    partition: number
    committed: bigint
    logEndOffset: number | undefined
  }> {
    for (const { group } of this.owners.values()) {
      if (group.is(GroupState.Dead)) continue
      for (const { topic, partition, committed } of group.offsets.entries()) {
        const log = this.deps.topics.get(topic)?.partitions[partition]
        yield {
          group: group.groupId,
          topic,
          partition,
          committed: committed.offset,
          logEndOffset: log?.logEndOffset,
        }
      }
    }
  }

  /** The group, for tests and tools that look inside (read-only use). */
  group(groupId: string): ClassicGroup | undefined {
    return this.owners.get(groupId)?.group
  }
}

function addPending(
  pending: PendingTxnOffsets,
  group: string,
  producerId: bigint,
  offset: PendingOffset,
): void {
  let byProducer = pending.get(group)
  if (!byProducer) pending.set(group, (byProducer = new Map()))
  let entries = byProducer.get(producerId)
  if (!entries) byProducer.set(producerId, (entries = new Map()))
  entries.set(offsetKey(offset.topic, offset.partition), offset)
}

/** A plain commit of `key` replaces whatever transactions had pending for it. */
function dropPending(pending: PendingTxnOffsets, group: string, key: string): void {
  const byProducer = pending.get(group)
  if (!byProducer) return
  for (const [producerId, entries] of byProducer) {
    entries.delete(key)
    if (entries.size === 0) byProducer.delete(producerId)
  }
  if (byProducer.size === 0) pending.delete(group)
}
