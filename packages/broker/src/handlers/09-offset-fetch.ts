// OffsetFetch (key 9)
//
// Behavior:
// - A group's committed offsets for the requested partitions, or (topics null, v2+) for every
//   partition it has committed on. A partition with no committed offset answers offset -1,
//   leader epoch -1, metadata "" and no error, whether or not the topic exists; so does every
//   partition of a group that does not exist.
// - requireStable (v7+) asks the coordinator to wait out pending transactional commits:
//   offsets here become visible only once written, so every answer is already stable.
//
// Version notes:
// - v0 (ZooKeeper offsets) is not advertised. v1 must name its topics; v2 allows null (all)
//   and adds a top-level error code; v3 throttle time; v5 leader epochs; v6 flexible; v7
//   requireStable; v8 asks for several groups at once (Groups in, Groups out); v9 adds member
//   id and epoch per group for KIP-848 groups (ignored for classic groups).
import type { OffsetFetchResponse } from '@runnel/protocol'
import { registerHandler } from './registry.ts'

export const offsetFetch = registerHandler({
  apiKey: 9,
  name: 'OffsetFetch',
  minVersion: 1,
  maxVersion: 9,
  uses: ['groups'],
  handle(request, ctx) {
    const version = ctx.header.apiVersion
    const groups = ctx.groups
    const requireStable = version >= 7 && request.requireStable === true
    if (version >= 8) {
      const response: OffsetFetchResponse = {
        throttleTimeMs: 0,
        groups: (request.groups ?? []).map((g) => {
          const out = groups.fetchOffsets(g.groupId, g.topics, requireStable)
          return {
            groupId: g.groupId,
            errorCode: out.errorCode,
            topics: out.topics.map((t) => ({ name: t.name, partitions: t.partitions })),
          }
        }),
      }
      return response
    }
    const out = groups.fetchOffsets(
      request.groupId ?? '',
      version >= 2 ? (request.topics ?? null) : (request.topics ?? []),
      requireStable,
    )
    // v1 has no top-level error: a group-level error goes on every partition instead.
    const topics =
      version < 2 && out.errorCode !== 0
        ? (request.topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((partitionIndex) => ({
              partitionIndex,
              committedOffset: -1n,
              committedLeaderEpoch: -1,
              metadata: '',
              errorCode: out.errorCode,
            })),
          }))
        : out.topics
    const response: OffsetFetchResponse = { throttleTimeMs: 0, errorCode: out.errorCode, topics }
    return response
  },
})
