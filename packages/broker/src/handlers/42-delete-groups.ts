// DeleteGroups (key 42)
//
// Behavior:
// - Deletes empty groups with their committed offsets (tombstones are written to
//   `__consumer_offsets`, so the deletion survives restarts and compaction removes the data).
// - Per group: NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND when it does not
//   exist.
//
// Version notes:
// - v1 is v0 with a throttle-time fix; v2 is flexible.
import { registerHandler } from './registry.ts'

export const deleteGroups = registerHandler({
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  uses: ['groups'],
  async handle(request, ctx) {
    const results: { groupId: string; errorCode: number }[] = []
    for (const groupId of request.groupsNames) {
      results.push({ groupId, errorCode: await ctx.groups.deleteGroup(groupId) })
    }
    return { throttleTimeMs: 0, results }
  },
})
