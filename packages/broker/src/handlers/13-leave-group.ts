// LeaveGroup (key 13)
//
// Behavior:
// - Removes members at once (no waiting for their session to expire) and rebalances the rest.
// - Per member: UNKNOWN_MEMBER_ID for a member the group does not have, FENCED_INSTANCE_ID
//   when the instance id belongs to another member id. A member id of "" with an instance id
//   removes that static member (the admin path, e.g. --delete-members).
// - A group that does not exist answers NONE at the top with UNKNOWN_MEMBER_ID per member.
//
// Version notes:
// - v0-v2 carry one member id and answer one error code (the member's error, as Kafka
//   folds it); v3 batches members, each with an instance id; v4 is flexible; v5 adds a
//   reason per member.
import { ErrorCode, type LeaveGroupResponse } from '@runnel/protocol'
import { registerHandler } from './registry.ts'

export const leaveGroup = registerHandler({
  apiKey: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  uses: ['groups'],
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const leaving =
      version >= 3
        ? (request.members ?? []).map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            reason: version >= 5 ? (m.reason ?? null) : null,
          }))
        : [{ memberId: request.memberId ?? '', groupInstanceId: null, reason: null }]
    const out = await ctx.groups.leave(request.groupId, leaving)
    if (version >= 3) {
      const response: LeaveGroupResponse = {
        throttleTimeMs: 0,
        errorCode: out.errorCode,
        members: out.members,
      }
      return response
    }
    const memberError = out.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE
    return { throttleTimeMs: 0, errorCode: out.errorCode !== ErrorCode.NONE ? out.errorCode : memberError }
  },
})
