// Group members driven through raw Kafka requests (our codec over a socket), for tests that
// must see exact error codes. One connection per member: a held JoinGroup blocks its connection.
import assert from 'node:assert/strict'
import {
  type OffsetCommitRequestOffsetCommitRequestPartition as CommittedOffset,
  ErrorCode,
  type JoinGroupResponse,
  type OffsetCommitRequest,
} from '@runnel/protocol'
import { WireClient } from '../helpers/wire-client.ts'
import { subscription } from './harness.ts'

export interface WireMember {
  client: WireClient
  memberId: string
  generationId: number
  leader: string
  join: JoinGroupResponse
}

export interface JoinOptions {
  groupInstanceId?: string | null
  topics?: string[]
  protocols?: { name: string; metadata: Buffer }[]
  sessionTimeoutMs?: number
  rebalanceTimeoutMs?: number
  version?: number
}

/** JoinGroup (v5 by default), answering MEMBER_ID_REQUIRED by rejoining with the given id. */
export async function joinGroup(
  client: WireClient,
  groupId: string,
  options: JoinOptions = {},
  memberId = '',
): Promise<JoinGroupResponse> {
  const version = options.version ?? 5
  const body = () => ({
    groupId,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 10_000,
    memberId,
    groupInstanceId: options.groupInstanceId ?? null,
    protocolType: 'consumer',
    protocols: options.protocols ?? [{ name: 'range', metadata: subscription(options.topics ?? ['orders']) }],
  })
  let response = await client.request(11, version, body(), 20_000)
  if (response.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
    memberId = response.memberId
    response = await client.request(11, version, body(), 20_000)
  }
  return response
}

/** Joins `count` dynamic members at once and syncs them, the leader assigning `assign(memberId)`. */
export async function formGroup(
  port: number,
  groupId: string,
  count: number,
  options: JoinOptions = {},
  assign: (memberId: string, index: number) => Buffer = (id) => Buffer.from(`assigned:${id}`),
): Promise<WireMember[]> {
  const clients = await Promise.all(Array.from({ length: count }, () => WireClient.connect(port)))
  const joins = await Promise.all(clients.map((c) => joinGroup(c, groupId, options)))
  for (const j of joins) assert.equal(j.errorCode, ErrorCode.NONE, `join: error ${j.errorCode}`)
  const generations = new Set(joins.map((j) => j.generationId))
  assert.equal(generations.size, 1, 'one generation for all')
  const members = joins.map((join, i) => ({
    client: clients[i],
    memberId: join.memberId,
    generationId: join.generationId,
    leader: join.leader,
    join,
  }))
  const leader = members.find((m) => m.memberId === m.leader)!
  const syncs = await Promise.all(
    members.map((m) =>
      m.client.request(14, 3, {
        groupId,
        generationId: m.generationId,
        memberId: m.memberId,
        groupInstanceId: null,
        assignments:
          m === leader
            ? leader.join.members.map((x, i) => ({ memberId: x.memberId, assignment: assign(x.memberId, i) }))
            : [],
      }),
    ),
  )
  for (const s of syncs) assert.equal(s.errorCode, ErrorCode.NONE, `sync: error ${s.errorCode}`)
  return members
}

export function closeAll(members: { client: WireClient }[]): void {
  for (const m of members) m.client.close()
}

/** Who commits offsets: a member in a generation, or ADMIN. */
export interface Committer {
  generation: number
  memberId: string
}

/** An admin tool's commit: generation -1 and no member, which only an empty group accepts. */
export const ADMIN: Committer = { generation: -1, memberId: '' }

/** One partition's offset to commit; no leader epoch (-1) and empty metadata unless given. */
export function offset(
  partitionIndex: number,
  committedOffset: bigint,
  committedMetadata: string | null = '',
  committedLeaderEpoch = -1,
): CommittedOffset {
  return { partitionIndex, committedOffset, committedLeaderEpoch, committedMetadata }
}

/** An OffsetCommit (v6 and up) body committing `offsets`, keyed by topic name. */
export function offsetCommit(
  groupId: string,
  by: Committer,
  offsets: Record<string, CommittedOffset[]>,
): OffsetCommitRequest {
  return {
    groupId,
    generationIdOrMemberEpoch: by.generation,
    memberId: by.memberId,
    groupInstanceId: null,
    topics: Object.entries(offsets).map(([name, partitions]) => ({ name, partitions })),
  }
}
