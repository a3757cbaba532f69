// DescribeGroups (key 15)
//
// Behavior:
// - Per group: its state (Empty, PreparingRebalance, CompletingRebalance, Stable), protocol
//   type, and members (member id, instance id, client id and host). While Stable, also the
//   chosen protocol and each member's metadata and assignment; in other states those are empty,
//   as Kafka reports them.
// - A group that does not exist is reported in state Dead with no error (what v0-v5 clients
//   expect; kafkajs's setOffsets checks the state before resetting offsets).
//
// Version notes:
// - v1 adds throttle time; v3 authorized operations (on request; -2^31 otherwise); v4 the
//   members' group.instance.id; v5 is flexible. v6 (GROUP_ID_NOT_FOUND for unknown groups)
//   is not advertised.
import type { DescribeGroupsResponseDescribedGroup } from '@runnel/protocol'
import { AUTHORIZED_OPERATIONS_OMITTED, groupAuthorizedOperations } from '../cluster/acl.ts'
import { registerHandler } from './registry.ts'

export const describeGroups = registerHandler({
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  uses: ['groups'],
  handle(request, ctx) {
    const includeOps = request.includeAuthorizedOperations === true
    const groups: DescribeGroupsResponseDescribedGroup[] = request.groups.map((groupId) => {
      const { errorCode, summary } = ctx.groups.describe(groupId)
      return {
        errorCode,
        groupId,
        groupState: summary.groupState,
        protocolType: summary.protocolType,
        protocolData: summary.protocolData,
        members: summary.members,
        authorizedOperations: includeOps ? groupAuthorizedOperations : AUTHORIZED_OPERATIONS_OMITTED,
      }
    })
    return { throttleTimeMs: 0, groups }
  },
})
