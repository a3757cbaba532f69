// Consumer groups as the admin APIs show them: DescribeGroups asked of the group's
// coordinator (decoding the consumer protocol's assignments ourselves, so a group in the
// middle of a rebalance, whose members have no assignment yet, still describes), and the
// committed offsets from OffsetFetch.
import type { Admin, describeGroupsV5 } from '@platformatic/kafka'
import { CliError, CliErrorCode } from './errors.ts'
import { kafkaClient, kafkaErrorName } from './kafka.ts'

export interface GroupMemberInfo {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  host: string
  assignment: { topic: string; partitions: number[] }[]
}

export interface GroupInfo {
  groupId: string
  /** Kafka's names: Stable, Empty, PreparingRebalance, CompletingRebalance, Dead. */
  state: string
  protocolType: string
  protocol: string
  coordinator: { nodeId: number; host: string; port: number }
  members: GroupMemberInfo[]
}

const STATE_NAMES: Record<string, string> = {
  stable: 'Stable',
  empty: 'Empty',
  preparingrebalance: 'PreparingRebalance',
  completingrebalance: 'CompletingRebalance',
  dead: 'Dead',
  assigning: 'Assigning',
  reconciling: 'Reconciling',
}

/** A group state as Kafka's tools print it, whatever case or underscores a client used. */
export function stateName(raw: string): string {
  return STATE_NAMES[raw.toLowerCase().replace(/_/g, '')] ?? raw
}

/**
 * ConsumerProtocolAssignment (any version; all share this prefix): version int16, then an
 * array of { topic string, partitions [int32] }, then user data we ignore. Empty while a
 * rebalance is in progress; anything undecodable (another protocol type) is no assignment.
 */
export function decodeAssignment(buf: Buffer | null | undefined): { topic: string; partitions: number[] }[] {
  if (!buf || buf.length < 6) return []
  try {
    let at = 2
    const count = buf.readInt32BE(at)
    at += 4
    if (count < 0 || count > 100_000) return []
    const out: { topic: string; partitions: number[] }[] = []
    for (let i = 0; i < count; i++) {
      const len = buf.readInt16BE(at)
      at += 2
      if (len < 0 || at + len > buf.length) return []
      const topic = buf.toString('utf8', at, at + len)
      at += len
      const n = buf.readInt32BE(at)
      at += 4
      if (n < 0 || at + n * 4 > buf.length) return []
      const partitions: number[] = []
      for (let j = 0; j < n; j++, at += 4) partitions.push(buf.readInt32BE(at))
      out.push({ topic, partitions: partitions.sort((a, b) => a - b) })
    }
    return out
  } catch {
    return []
  }
}

// Errors that mean "ask again in a moment" (the coordinator is loading or moved).
const RETRY_CODES = new Set([14, 15, 16])

export async function describeGroup(admin: Admin, groupId: string): Promise<GroupInfo> {
  const plt = await kafkaClient()
  for (let attempt = 0; ; attempt++) {
    const [coordinator] = await admin.findCoordinator({ keyType: 0, keys: [groupId] })
    const broker = { host: coordinator.host, port: coordinator.port }
    const response = await new Promise<describeGroupsV5.DescribeGroupsResponse>((resolve, reject) => {
      admin[plt.kGetConnection](broker, (err, connection) => {
        if (err || !connection) return reject(err)
        admin[plt.kGetApi]<[string[], boolean], describeGroupsV5.DescribeGroupsResponse>(
          'DescribeGroups',
          (err, api) => {
            if (err || !api) return reject(err)
            api(connection, [groupId], false, (err, res) => {
              const withErrors = (err as { response?: describeGroupsV5.DescribeGroupsResponse } | null)
                ?.response
              if (err && !withErrors?.groups) return reject(err)
              resolve((res ?? withErrors) as describeGroupsV5.DescribeGroupsResponse)
            })
          },
        )
      })
    })
    const group = response.groups.find((g) => g.groupId === groupId)
    if (!group)
      throw new CliError(
        CliErrorCode.RUNNEL_CLI_KAFKA_ERROR,
        `The broker did not describe group "${groupId}".`,
      )
    if (RETRY_CODES.has(group.errorCode) && attempt < 5) {
      await new Promise((r) => setTimeout(r, 300))
      continue
    }
    if (group.errorCode !== 0) {
      const { name, message } = kafkaErrorName(group.errorCode)
      throw new CliError(
        CliErrorCode.RUNNEL_CLI_KAFKA_ERROR,
        `Cannot describe group "${groupId}": ${message.replace(/\.$/, '')} (${name}).`,
      )
    }
    return {
      groupId,
      state: stateName(group.groupState),
      protocolType: group.protocolType,
      protocol: group.protocolData,
      coordinator: { nodeId: coordinator.nodeId, host: coordinator.host, port: coordinator.port },
      members: group.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId ?? null,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: group.protocolType === 'consumer' ? decodeAssignment(m.memberAssignment) : [],
      })),
    }
  }
}

/** Committed offsets of a group: topic -> partition -> offset (partitions without one left out). */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
): Promise<Map<string, Map<number, bigint>>> {
  const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] })
  const out = new Map<string, Map<number, bigint>>()
  for (const topic of group?.topics ?? []) {
    for (const p of topic.partitions) {
      if (p.committedOffset < 0n) continue
      const m = out.get(topic.name) ?? new Map<number, bigint>()
      m.set(p.partitionIndex, p.committedOffset)
      out.set(topic.name, m)
    }
  }
  return out
}
