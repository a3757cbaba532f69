// Heartbeat (key 12)
//
// Behavior:
// - Keeps a member's session alive. NONE while Stable or CompletingRebalance;
//   REBALANCE_IN_PROGRESS while the group prepares a rebalance (the member must rejoin);
//   ILLEGAL_GENERATION for another generation; UNKNOWN_MEMBER_ID for a member (or group) the
//   coordinator does not know; FENCED_INSTANCE_ID for a static member's old incarnation.
// - A member silent for its session timeout is removed and the group rebalances.
//
// Version notes:
// - v1 adds throttle time; v3 adds group.instance.id; v4 is flexible.
import { registerHandler } from './registry.ts'

export const heartbeat = registerHandler({
  apiKey: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  uses: ['groups'],
  async handle(request, ctx) {
    const groupInstanceId = ctx.header.apiVersion >= 3 ? (request.groupInstanceId ?? null) : null
    const errorCode = await ctx.groups.heartbeat(
      request.groupId,
      request.memberId,
      groupInstanceId,
      request.generationId,
    )
    return { throttleTimeMs: 0, errorCode }
  },
})
