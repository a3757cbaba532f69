// SyncGroup (key 14)
//
// Behavior:
// - After a join phase, the leader sends every member's assignment; the coordinator stores the
//   group (metadata and assignments, in `__consumer_offsets`) and answers every member with
//   its own assignment. Followers' requests are held until then.
// - In a Stable group a member gets its current assignment back.
// - Errors: UNKNOWN_MEMBER_ID (unknown member or group), ILLEGAL_GENERATION (another
//   generation), REBALANCE_IN_PROGRESS (the group is preparing a new rebalance, or started one
//   while the member waited), FENCED_INSTANCE_ID, INCONSISTENT_GROUP_PROTOCOL (v5: a protocol
//   type or name that is not the group's, or missing).
//
// Version notes:
// - v1 adds throttle time; v3 adds group.instance.id; v4 is flexible; v5 adds the protocol
//   type and name to request and response, both mandatory in the request.
import { ErrorCode, type SyncGroupResponse } from '@runnel/protocol'
import { registerHandler } from './registry.ts'

export const syncGroup = registerHandler({
  apiKey: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  uses: ['groups'],
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const protocolType = version >= 5 ? (request.protocolType ?? null) : null
    const protocolName = version >= 5 ? (request.protocolName ?? null) : null
    if (version >= 5 && (protocolType === null || protocolName === null)) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
        protocolType: null,
        protocolName: null,
        assignment: Buffer.alloc(0),
      }
    }
    const out = await ctx.groups.sync(request.groupId, {
      memberId: request.memberId,
      groupInstanceId: version >= 3 ? (request.groupInstanceId ?? null) : null,
      generationId: request.generationId,
      protocolType,
      protocolName,
      assignments: new Map(request.assignments.map((a) => [a.memberId, a.assignment])),
    })
    const response: SyncGroupResponse = {
      throttleTimeMs: 0,
      errorCode: out.errorCode,
      protocolType: out.protocolType,
      protocolName: out.protocolName,
      assignment: out.assignment,
    }
    return response
  },
})
