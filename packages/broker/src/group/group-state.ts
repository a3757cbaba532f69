// The states of a classic consumer group and the transitions Kafka allows between them
// (Kafka 3.9's GroupState / ClassicGroupState). The names are Kafka's: DescribeGroups and
// ListGroups report them verbatim, and ListGroups v4+ filters on them (case-insensitively).
//
//   Empty --join--> PreparingRebalance --all joined / rebalance timeout--> CompletingRebalance
//   CompletingRebalance --leader's SyncGroup stored--> Stable
//   Stable | CompletingRebalance --join / leave / expiry--> PreparingRebalance
//   PreparingRebalance --nobody left--> Empty;   Empty (no offsets) --delete / expiry--> Dead

export const GroupState = {
  Empty: 'Empty',
  PreparingRebalance: 'PreparingRebalance',
  CompletingRebalance: 'CompletingRebalance',
  Stable: 'Stable',
  Dead: 'Dead',
} as const
export type GroupState = (typeof GroupState)[keyof typeof GroupState]

/** For each target state, the states a group may enter it from. */
const VALID_PREVIOUS: Readonly<Record<GroupState, readonly GroupState[]>> = {
  Empty: [GroupState.PreparingRebalance],
  PreparingRebalance: [GroupState.Stable, GroupState.CompletingRebalance, GroupState.Empty],
  CompletingRebalance: [GroupState.PreparingRebalance],
  Stable: [GroupState.CompletingRebalance],
  Dead: [
    GroupState.Stable,
    GroupState.PreparingRebalance,
    GroupState.CompletingRebalance,
    GroupState.Empty,
    GroupState.Dead,
  ],
}

export function canTransition(from: GroupState, to: GroupState): boolean {
  return VALID_PREVIOUS[to].includes(from)
}

/** A rebalance may start only from these states (Kafka's `canRebalance`). */
export function canRebalance(state: GroupState): boolean {
  return canTransition(state, GroupState.PreparingRebalance)
}

const BY_LOWER_CASE = new Map(Object.values(GroupState).map((s) => [s.toLowerCase(), s]))

/** Parses a state name as ListGroups' filter does: case-insensitively. */
export function parseGroupState(name: string): GroupState | undefined {
  return BY_LOWER_CASE.get(name.toLowerCase())
}
