// OffsetDelete (key 47)
//
// Behavior:
// - Deletes a group's committed offsets for some partitions (tombstones in
//   `__consumer_offsets`). Allowed for an empty group, and for a consumer group with members
//   on topics none of them subscribes to; a subscribed topic's partitions answer
//   GROUP_SUBSCRIBED_TO_TOPIC.
// - Group-level errors: GROUP_ID_NOT_FOUND (no such group), NON_EMPTY_GROUP (members, and not
//   a consumer group whose subscriptions can be read), INVALID_GROUP_ID (empty id).
// - Partitions of topics that do not exist: UNKNOWN_TOPIC_OR_PARTITION.
//
// Version notes:
// - Only v0 exists (not flexible).
import { registerHandler } from './registry.ts'

export const offsetDelete = registerHandler({
  apiKey: 47,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  uses: ['groups'],
  async handle(request, ctx) {
    const out = await ctx.groups.deleteOffsets(request.groupId, request.topics)
    return { errorCode: out.errorCode, throttleTimeMs: 0, topics: out.topics }
  },
})
