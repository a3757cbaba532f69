// ListGroups (key 16)
//
// Behavior:
// - Every group this coordinator knows, including groups that only hold committed offsets
//   (state Empty, protocol type ""), sorted by id.
// - v4+ StatesFilter keeps the groups in those states (names compared case-insensitively, as
//   Kafka does); an empty filter keeps all. v5+ TypesFilter: every group here is "classic".
//
// Version notes:
// - v1 adds throttle time; v3 is flexible; v4 adds the states filter and each group's state;
//   v5 adds the types filter and each group's type.
import type { ListGroupsResponse } from '@runnel/protocol'
import { registerHandler } from './registry.ts'

export const listGroups = registerHandler({
  apiKey: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  uses: ['groups'],
  handle(request, ctx) {
    const version = ctx.header.apiVersion
    const { errorCode, groups } = ctx.groups.list(
      version >= 4 ? (request.statesFilter ?? []) : [],
      version >= 5 ? (request.typesFilter ?? []) : [],
    )
    const response: ListGroupsResponse = {
      throttleTimeMs: 0,
      errorCode,
      groups: groups.map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType,
        groupState: g.groupState,
        groupType: 'classic',
      })),
    }
    return response
  },
})
