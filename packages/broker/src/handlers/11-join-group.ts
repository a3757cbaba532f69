// JoinGroup (key 11)
//
// Behavior:
// - The classic group protocol as Kafka 3.9 runs it (see group/classic-group.ts): the join is
//   held until the rebalance's join phase completes (every member rejoined, or the rebalance
//   timeout), then every member gets the generation, the chosen protocol and the leader; the
//   leader also gets every member's metadata.
// - The first rebalance of an empty group waits group.initial.rebalance.delay.ms (default 3 s).
// - Errors: INVALID_GROUP_ID (empty id), INVALID_SESSION_TIMEOUT (outside
//   group.min/max.session.timeout.ms), UNKNOWN_MEMBER_ID (a member id the group does not know,
//   or a group that does not exist), INCONSISTENT_GROUP_PROTOCOL (no protocols, another
//   protocol type, or no protocol in common with the group), FENCED_INSTANCE_ID (a static
//   member's old incarnation), GROUP_MAX_SIZE_REACHED, MEMBER_ID_REQUIRED (v4+ first join).
//
// Version notes:
// - v0 has no rebalance timeout: the session timeout serves as both, as in Kafka.
// - v4+: a dynamic member joining with no id is answered MEMBER_ID_REQUIRED with its new id.
// - v5 adds group.instance.id (static membership); v6 is flexible; v7 adds the protocol type
//   to the response and makes the protocol name nullable; v8 adds the client's reason;
//   v9 adds SkipAssignment (a restarted static leader of a Stable group must not reassign).
import { ErrorCode, type JoinGroupResponse } from '@runnel/protocol'
import { registerHandler } from './registry.ts'

export const joinGroup = registerHandler({
  apiKey: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  uses: ['groups'],
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const groupInstanceId = version >= 5 ? (request.groupInstanceId ?? null) : null
    const out = await ctx.groups.join(request.groupId, {
      memberId: request.memberId,
      groupInstanceId,
      requireKnownMemberId: version >= 4 && groupInstanceId === null,
      supportSkippingAssignment: version >= 9,
      clientId: ctx.header.clientId ?? '',
      clientHost: `/${ctx.connection.remoteAddress}`,
      rebalanceTimeoutMs:
        version >= 1 ? (request.rebalanceTimeoutMs ?? request.sessionTimeoutMs) : request.sessionTimeoutMs,
      sessionTimeoutMs: request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      reason: version >= 8 ? (request.reason ?? null) : null,
    })
    const response: JoinGroupResponse = {
      throttleTimeMs: 0,
      errorCode: out.errorCode,
      generationId: out.generationId,
      protocolType: out.protocolType,
      // Before v7 the name is not nullable: Kafka sends "" when there is none.
      protocolName: version >= 7 ? out.protocolName : (out.protocolName ?? ''),
      leader: out.leader,
      skipAssignment: out.skipAssignment,
      memberId: out.memberId,
      members: out.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        metadata: m.metadata,
      })),
    }
    if (out.errorCode !== ErrorCode.NONE) response.members = []
    return response
  },
})
