// The classic group state machine, given/when/then, with a fake clock and no sockets.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ErrorCode } from '@runnel/protocol'
import { GroupState } from '../../src/group/group-state.ts'
import { type Harness, harness, protocols, REBALANCE_MS, SESSION_MS, subscription } from './harness.ts'

/** Advances through the initial delay (extended once per wave of arrivals) until the joins are answered. */
async function untilJoined(h: Harness, held: { done: boolean }[]): Promise<void> {
  for (let i = 0; i < 12 && !held.every((x) => x.done); i++) await h.advance(3000)
  assert.ok(
    held.every((x) => x.done),
    'joins answered',
  )
}

/** Brings `clients` into a Stable group at generation 1; returns their member ids (first = leader). */
async function stableGroup(h: Harness, clients: string[]): Promise<string[]> {
  const joins = []
  for (const c of clients) joins.push(await h.joinDynamic(c))
  await untilJoined(
    h,
    joins.map((j) => j.held),
  )
  const ids = joins.map((j) => j.memberId)
  for (const j of joins) assert.equal(j.held.value?.errorCode, ErrorCode.NONE)
  const syncs = []
  for (const id of ids.slice(1)) syncs.push(await h.sync(id, h.group.generationId))
  syncs.push(await h.sync(ids[0], h.group.generationId, Object.fromEntries(ids.map((id) => [id, `a:${id}`]))))
  for (const s of syncs) assert.equal(s.value?.errorCode, ErrorCode.NONE)
  assert.equal(h.group.state, GroupState.Stable)
  return ids
}

describe('JoinGroup', () => {
  test('a v4+ dynamic member first gets MEMBER_ID_REQUIRED with its id, then joins with it', async () => {
    const h = harness()
    const first = await h.join({ clientId: 'c1' })
    assert.equal(first.value?.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
    assert.equal(first.value?.memberId, 'c1-1')
    assert.equal(first.value?.generationId, -1)
    assert.equal(h.group.state, GroupState.Empty, 'a pending member does not start a rebalance')

    const second = await h.join({ clientId: 'c1', memberId: 'c1-1' })
    assert.equal(second.done, false, 'the join is held during the initial rebalance delay')
    assert.equal(h.group.state, GroupState.PreparingRebalance)

    await h.advance(2999)
    assert.equal(second.done, false)
    await h.advance(1)
    const out = second.value!
    assert.equal(out.errorCode, ErrorCode.NONE)
    assert.equal(out.generationId, 1)
    assert.equal(out.leader, 'c1-1')
    assert.equal(out.protocolName, 'range')
    assert.equal(out.protocolType, 'consumer')
    assert.deepEqual(
      out.members.map((m) => m.memberId),
      ['c1-1'],
    )
    assert.equal(h.group.state, GroupState.CompletingRebalance)
  })

  test('before v4 a member joins in one step', async () => {
    const h = harness({ initialRebalanceDelayMs: 0 })
    const held = await h.join({ clientId: 'old', requireKnownMemberId: false })
    await h.advance(0)
    assert.equal(held.value?.errorCode, ErrorCode.NONE)
    assert.equal(held.value?.memberId, 'old-1')
  })

  test('members arriving during the initial delay extend it and share one generation', async () => {
    const h = harness()
    const a = await h.joinDynamic('a')
    await h.advance(2000)
    const b = await h.joinDynamic('b')
    await h.advance(1000) // first delay ends; b arrived meanwhile, so it is extended once
    assert.equal(a.held.done, false)
    await h.advance(3000)
    assert.equal(a.held.value?.generationId, 1)
    assert.equal(b.held.value?.generationId, 1)
    assert.equal(a.held.value?.leader, a.memberId)
    assert.equal(a.held.value?.members.length, 2, 'the leader gets every member')
    assert.equal(b.held.value?.members.length, 0, 'followers get none')
  })

  test('the protocol is the one every member supports that most members prefer', async () => {
    const h = harness()
    await h.joinDynamic('a', { protocols: protocols('range', 'roundrobin') })
    await h.joinDynamic('b', { protocols: protocols('roundrobin', 'range') })
    const c = await h.joinDynamic('c', { protocols: protocols('roundrobin', 'cooperative-sticky', 'range') })
    await untilJoined(h, [c.held])
    assert.equal(c.held.value?.protocolName, 'roundrobin')
  })

  test('a join with no protocols, or none the group shares, is INCONSISTENT_GROUP_PROTOCOL', async () => {
    const h = harness()
    const none = await h.join({ clientId: 'x', protocols: [] })
    assert.equal(none.value?.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const noType = await h.join({ clientId: 'x', protocolType: '' })
    assert.equal(noType.value?.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)

    await h.joinDynamic('a', { protocols: protocols('range') })
    const other = await h.join({ clientId: 'b', protocols: protocols('sticky') })
    assert.equal(other.value?.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const otherType = await h.join({ clientId: 'b', protocolType: 'connect' })
    assert.equal(otherType.value?.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
  })

  test('a known member id the group does not have is UNKNOWN_MEMBER_ID', async () => {
    const h = harness()
    await stableGroup(h, ['a'])
    const ghost = await h.join({ clientId: 'g', memberId: 'ghost-7' })
    assert.equal(ghost.value?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(ghost.value?.memberId, 'ghost-7')
  })

  test('a new member joining a Stable group rebalances it; heartbeats say REBALANCE_IN_PROGRESS', async () => {
    const h = harness()
    const [a, b] = await stableGroup(h, ['a', 'b'])
    const c = await h.joinDynamic('c')
    assert.equal(h.group.state, GroupState.PreparingRebalance)
    assert.equal(await h.heartbeat(a, 1), ErrorCode.REBALANCE_IN_PROGRESS)
    assert.equal(await h.heartbeat(b, 1), ErrorCode.REBALANCE_IN_PROGRESS)
    const ra = await h.join({ clientId: 'a', memberId: a })
    assert.equal(ra.done, false)
    const rb = await h.join({ clientId: 'b', memberId: b })
    // Everyone is in: no waiting for the rebalance timeout.
    for (const held of [ra, rb, c.held]) assert.equal(held.value?.generationId, 2)
    assert.equal(ra.value?.leader, a, 'the leader keeps leading')
    assert.equal(ra.value?.members.length, 3)
  })

  test('a follower rejoining a Stable group with the same metadata gets the current generation', async () => {
    const h = harness()
    const [a, b] = await stableGroup(h, ['a', 'b'])
    const again = await h.join({ clientId: 'b', memberId: b })
    assert.equal(again.value?.errorCode, ErrorCode.NONE)
    assert.equal(again.value?.generationId, 1)
    assert.equal(again.value?.leader, a)
    assert.equal(h.group.state, GroupState.Stable)
  })

  test('the leader rejoining a Stable group forces a rebalance', async () => {
    const h = harness()
    const [a] = await stableGroup(h, ['a', 'b'])
    await h.join({ clientId: 'a', memberId: a })
    assert.equal(h.group.state, GroupState.PreparingRebalance)
  })

  test('group.max.size refuses the member over the limit', async () => {
    const h = harness({ maxSize: 1 })
    await stableGroup(h, ['a'])
    const first = await h.join({ clientId: 'b' })
    assert.equal(first.value?.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED)
    assert.equal(h.group.state, GroupState.Stable)
  })
})

describe('SyncGroup', () => {
  test("followers wait for the leader's assignment; each gets its own; the group is stored, then Stable", async () => {
    const h = harness()
    const a = await h.joinDynamic('a')
    const b = await h.joinDynamic('b')
    await untilJoined(h, [a.held, b.held])
    const fb = await h.sync(b.memberId, 1)
    assert.equal(fb.done, false, 'a follower waits for the leader')
    const la = await h.sync(a.memberId, 1, { [a.memberId]: 'p0,p1', [b.memberId]: 'p2' })
    assert.equal(la.value?.assignment.toString(), 'p0,p1')
    assert.equal(fb.value?.assignment.toString(), 'p2')
    assert.equal(fb.value?.protocolName, 'range')
    assert.equal(h.group.state, GroupState.Stable)
    assert.equal(h.stored.length, 1)
    assert.equal(h.stored[0].generationId, 1)
    assert.deepEqual(
      h.stored[0].members.map((m) => m.assignment.toString()),
      ['p0,p1', 'p2'],
    )
  })

  test('a member the leader left out gets an empty assignment', async () => {
    const h = harness()
    const a = await h.joinDynamic('a')
    const b = await h.joinDynamic('b')
    await untilJoined(h, [a.held, b.held])
    const fb = await h.sync(b.memberId, 1)
    await h.sync(a.memberId, 1, { [a.memberId]: 'all' })
    assert.equal(fb.value?.errorCode, ErrorCode.NONE)
    assert.equal(fb.value?.assignment.length, 0)
  })

  test('a stale generation is ILLEGAL_GENERATION, an unknown member UNKNOWN_MEMBER_ID', async () => {
    const h = harness()
    const [a] = await stableGroup(h, ['a'])
    assert.equal((await h.sync(a, 0)).value?.errorCode, ErrorCode.ILLEGAL_GENERATION)
    assert.equal((await h.sync('nobody', 1)).value?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
  })

  test('v5 protocol type and name must match the group', async () => {
    const h = harness()
    const [a] = await stableGroup(h, ['a'])
    const wrongType = await h.sync(a, 1, {}, { protocolType: 'connect' })
    assert.equal(wrongType.value?.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const wrongName = await h.sync(a, 1, {}, { protocolName: 'roundrobin' })
    assert.equal(wrongName.value?.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    const right = await h.sync(a, 1, {}, { protocolType: 'consumer', protocolName: 'range' })
    assert.equal(right.value?.errorCode, ErrorCode.NONE)
    assert.equal(
      right.value?.assignment.toString(),
      `a:${a}`,
      'a Stable group answers with the current assignment',
    )
  })

  test('a sync during PreparingRebalance is REBALANCE_IN_PROGRESS', async () => {
    const h = harness()
    const [a] = await stableGroup(h, ['a', 'b'])
    await h.joinDynamic('c')
    assert.equal((await h.sync(a, 1)).value?.errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
  })

  test('a rebalance starting while followers wait for their assignment answers them REBALANCE_IN_PROGRESS', async () => {
    const h = harness()
    const a = await h.joinDynamic('a')
    const b = await h.joinDynamic('b')
    await untilJoined(h, [a.held, b.held])
    const fb = await h.sync(b.memberId, 1)
    await h.joinDynamic('c')
    assert.equal(fb.value?.errorCode, ErrorCode.REBALANCE_IN_PROGRESS)
    assert.equal(fb.value?.protocolName, null)
    void a
  })

  test('a failed metadata write fails the sync and restarts the rebalance', async () => {
    const h = harness()
    const a = await h.joinDynamic('a')
    await h.advance(3000)
    h.storeError = ErrorCode.NOT_COORDINATOR
    const s = await h.sync(a.memberId, 1, { [a.memberId]: 'x' })
    assert.equal(s.value?.errorCode, ErrorCode.NOT_COORDINATOR)
    assert.equal(h.group.state, GroupState.PreparingRebalance)
  })

  test('members that never sync within the rebalance timeout are removed and the group rebalances', async () => {
    const h = harness()
    const a = await h.joinDynamic('a')
    const b = await h.joinDynamic('b')
    await untilJoined(h, [a.held, b.held])
    await h.sync(a.memberId, 1, { [a.memberId]: 'x', [b.memberId]: 'y' })
    assert.equal(h.group.state, GroupState.Stable)
    // b heartbeats (so its session never expires) but never sends SyncGroup.
    for (let t = 0; t < REBALANCE_MS - 5000; t += 5000) {
      await h.advance(5000)
      assert.equal(await h.heartbeat(a.memberId, 1), ErrorCode.NONE)
      assert.equal(await h.heartbeat(b.memberId, 1), ErrorCode.NONE)
    }
    await h.advance(4999)
    assert.ok(h.group.members.has(b.memberId))
    await h.advance(1)
    assert.equal(h.group.members.has(b.memberId), false, 'b never sent SyncGroup')
    assert.equal(h.group.state, GroupState.PreparingRebalance)
  })
})

describe('Heartbeat and session timeouts', () => {
  test('heartbeats keep a member; silence past the session timeout removes it and rebalances', async () => {
    const h = harness()
    const [a, b] = await stableGroup(h, ['a', 'b'])
    await h.advance(SESSION_MS / 2)
    assert.equal(await h.heartbeat(a, 1), ErrorCode.NONE)
    await h.advance(SESSION_MS / 2 - 1)
    assert.equal(await h.heartbeat(a, 1), ErrorCode.NONE)
    assert.ok(h.group.members.has(b))
    await h.advance(1)
    // b's last sign of life was its SyncGroup, a session timeout ago.
    assert.equal(h.group.members.has(b), false)
    assert.equal(h.group.state, GroupState.PreparingRebalance)
    assert.equal(await h.heartbeat(a, 1), ErrorCode.REBALANCE_IN_PROGRESS)
    const ra = await h.join({ clientId: 'a', memberId: a })
    assert.equal(ra.value?.generationId, 2)
    assert.deepEqual(
      ra.value?.members.map((m) => m.memberId),
      [a],
    )
  })

  test('the leader expiring hands leadership to the next member', async () => {
    const h = harness()
    const [a, b] = await stableGroup(h, ['a', 'b'])
    await h.advance(SESSION_MS - 1)
    await h.heartbeat(b, 1)
    await h.advance(1)
    assert.equal(h.group.leaderId, b)
    void a
  })

  test('heartbeat errors: unknown member, stale generation, fenced instance', async () => {
    const h = harness()
    const [a] = await stableGroup(h, ['a'])
    assert.equal(await h.heartbeat('ghost', 1), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(await h.heartbeat(a, 0), ErrorCode.ILLEGAL_GENERATION)
    assert.equal(await h.heartbeat(a, 1, 'instance-that-is-not-there'), ErrorCode.UNKNOWN_MEMBER_ID)
  })

  test('a member that does not rejoin within the rebalance timeout is dropped from the new generation', async () => {
    const h = harness()
    const [a, b] = await stableGroup(h, ['a', 'b'])
    await h.joinDynamic('c')
    const ra = await h.join({ clientId: 'a', memberId: a })
    // b keeps heartbeating (so its session never expires) but never rejoins.
    for (let t = 0; t < REBALANCE_MS; t += 5000) {
      assert.equal(await h.heartbeat(b, 1), ErrorCode.REBALANCE_IN_PROGRESS)
      await h.advance(5000)
    }
    assert.equal(ra.value?.generationId, 2)
    assert.equal(h.group.members.has(b), false)
  })

  test('a pending member id that is never used expires after the session timeout', async () => {
    const h = harness()
    const [a] = await stableGroup(h, ['a'])
    await h.join({ clientId: 'late' })
    assert.equal(h.group.pendingMembers.size, 1)
    await h.heartbeat(a, 1)
    await h.advance(SESSION_MS)
    assert.equal(h.group.pendingMembers.size, 0)
  })
})

describe('LeaveGroup', () => {
  test('batched leave removes each member, reports unknown ones, and rebalances the rest', async () => {
    const h = harness()
    const [a, b, c] = await stableGroup(h, ['a', 'b', 'c'])
    const out = await h.leave({ memberId: b }, { memberId: 'ghost' }, { memberId: c })
    assert.equal(out.errorCode, ErrorCode.NONE)
    assert.deepEqual(
      out.members.map((m) => m.errorCode),
      [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.NONE],
    )
    assert.equal(h.group.state, GroupState.PreparingRebalance)
    const ra = await h.join({ clientId: 'a', memberId: a })
    assert.equal(ra.value?.generationId, 2)
  })

  test('when the last member leaves the group becomes Empty at a new generation, and is stored', async () => {
    const h = harness()
    const [a] = await stableGroup(h, ['a'])
    await h.leave({ memberId: a })
    assert.equal(h.group.state, GroupState.Empty)
    assert.equal(h.group.generationId, 2)
    await h.settle()
    assert.equal(h.stored.at(-1)?.members.length, 0)
    assert.equal(h.stored.at(-1)?.generationId, 2)
  })
})

describe('static membership', () => {
  test('a static member restarting with the same instance id takes its place without a rebalance', async () => {
    const h = harness()
    const a = await h.join({ clientId: 'ca', groupInstanceId: 'inst-a' })
    const b = await h.join({ clientId: 'cb', groupInstanceId: 'inst-b' })
    await untilJoined(h, [a, b])
    const aId = a.value!.memberId
    const bId = b.value!.memberId
    assert.equal(aId, 'inst-a-1', 'static member ids start with the instance id')
    const fb = await h.sync(bId, 1, {}, { groupInstanceId: 'inst-b' })
    await h.sync(aId, 1, { [aId]: 'pa', [bId]: 'pb' }, { groupInstanceId: 'inst-a' })
    assert.equal(fb.value?.assignment.toString(), 'pb')
    const storedBefore = h.stored.length

    // b restarts: no LeaveGroup (static members do not send one), joins again with no member id.
    const rb = await h.join({ clientId: 'cb', groupInstanceId: 'inst-b', protocols: protocols('range') })
    assert.equal(rb.value?.errorCode, ErrorCode.NONE)
    const newB = rb.value!.memberId
    assert.notEqual(newB, bId)
    assert.equal(rb.value?.generationId, 1, 'same generation: no rebalance')
    assert.equal(rb.value?.leader, aId, 'told the old leader, so it does not assign')
    assert.equal(h.group.state, GroupState.Stable)
    assert.equal(h.stored.length, storedBefore + 1, 'the new member id is stored')
    const again = await h.sync(newB, 1, {}, { groupInstanceId: 'inst-b' })
    assert.equal(again.value?.assignment.toString(), 'pb', 'it gets its previous assignment back')

    // The old incarnation is fenced.
    assert.equal(await h.heartbeat(bId, 1, 'inst-b'), ErrorCode.FENCED_INSTANCE_ID)
    assert.equal(await h.heartbeat(aId, 1, 'inst-a'), ErrorCode.NONE)
  })

  test('a restarted static leader on v9 is told it leads but to skip assignment', async () => {
    const h = harness({ initialRebalanceDelayMs: 0 })
    const a = await h.join({ clientId: 'ca', groupInstanceId: 'inst-a' })
    await h.advance(0)
    const aId = a.value!.memberId
    await h.sync(aId, 1, { [aId]: 'pa' }, { groupInstanceId: 'inst-a' })
    const ra = await h.join({ clientId: 'ca', groupInstanceId: 'inst-a', supportSkippingAssignment: true })
    assert.equal(ra.value?.leader, ra.value?.memberId)
    assert.equal(ra.value?.skipAssignment, true)
    assert.equal(ra.value?.members.length, 1)
  })

  test('a static member that stays away past its session timeout is removed and the group rebalances', async () => {
    const h = harness({ initialRebalanceDelayMs: 0 })
    const a = await h.join({ clientId: 'ca', groupInstanceId: 'inst-a' })
    const b = await h.join({ clientId: 'cb', groupInstanceId: 'inst-b' })
    await untilJoined(h, [a, b])
    const aId = a.value!.memberId
    await h.sync(b.value!.memberId, 1, {}, { groupInstanceId: 'inst-b' })
    await h.sync(aId, 1, {}, { groupInstanceId: 'inst-a' })
    await h.advance(SESSION_MS / 2)
    await h.heartbeat(aId, 1, 'inst-a')
    await h.advance(SESSION_MS / 2)
    assert.equal(h.group.staticMembers.has('inst-b'), false)
    assert.equal(h.group.state, GroupState.PreparingRebalance)
  })

  test('a static member is removed by instance id alone (admin LeaveGroup)', async () => {
    const h = harness({ initialRebalanceDelayMs: 0 })
    await h.join({ clientId: 'ca', groupInstanceId: 'inst-a' })
    await h.advance(0)
    const out = await h.leave(
      { memberId: '', groupInstanceId: 'inst-a' },
      { memberId: '', groupInstanceId: 'nope' },
    )
    assert.deepEqual(
      out.members.map((m) => m.errorCode),
      [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID],
    )
  })

  test('a static member rejoining while the leader assigns triggers a new rebalance', async () => {
    const h = harness({ initialRebalanceDelayMs: 0 })
    const a = await h.join({ clientId: 'ca', groupInstanceId: 'inst-a' })
    const b = await h.join({ clientId: 'cb', groupInstanceId: 'inst-b' })
    await untilJoined(h, [a, b])
    const waiting = await h.sync(b.value!.memberId, 1, {}, { groupInstanceId: 'inst-b' })
    assert.equal(h.group.state, GroupState.CompletingRebalance)
    await h.join({ clientId: 'cb', groupInstanceId: 'inst-b' })
    assert.equal(waiting.value?.errorCode, ErrorCode.FENCED_INSTANCE_ID, 'the old incarnation is fenced')
    assert.equal(h.group.state, GroupState.PreparingRebalance)
    void a
  })
})

describe('consecutive rebalances (what cooperative-sticky runs on top)', () => {
  test('revoke, rejoin, rebalance again: every round completes with a new generation', async () => {
    const h = harness()
    const [a, b] = await stableGroup(h, ['a', 'b'])
    const meta = (owned: string) => [
      { name: 'cooperative-sticky', metadata: subscription(['orders'], owned) },
    ]
    // Round 1: c joins. a and b rejoin reporting what they own (metadata changes).
    const c = await h.join({ clientId: 'c', protocols: meta('') })
    // The group runs range: a member offering only cooperative-sticky cannot join it.
    assert.equal(c.value?.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)

    const h2 = harness({ initialRebalanceDelayMs: 0 })
    const x = await h2.joinDynamic('x', { protocols: meta('') })
    const y = await h2.joinDynamic('y', { protocols: meta('') })
    await untilJoined(h2, [x.held, y.held])
    await h2.sync(y.memberId, 1)
    await h2.sync(x.memberId, 1, { [x.memberId]: 'p0,p1,p2', [y.memberId]: 'p3,p4,p5' })
    let generation = 1
    // Three rounds: z joins; x revokes p2 and rejoins; y rejoins; and so on.
    const z = await h2.joinDynamic('z', { protocols: meta('') })
    for (let round = 0; round < 3; round++) {
      const jx = await h2.join({ clientId: 'x', memberId: x.memberId, protocols: meta(`r${round}x`) })
      const jy = await h2.join({ clientId: 'y', memberId: y.memberId, protocols: meta(`r${round}y`) })
      const jz =
        round === 0
          ? z.held
          : await h2.join({ clientId: 'z', memberId: z.memberId, protocols: meta(`r${round}z`) })
      generation++
      for (const j of [jx, jy, jz]) assert.equal(j.value?.generationId, generation, `round ${round}`)
      assert.equal(jx.value?.protocolName, 'cooperative-sticky')
      const sy = await h2.sync(y.memberId, generation)
      const sz = await h2.sync(z.memberId, generation)
      const sx = await h2.sync(x.memberId, generation, {
        [x.memberId]: 'p0,p1',
        [y.memberId]: 'p3,p4',
        [z.memberId]: '',
      })
      for (const s of [sx, sy, sz]) assert.equal(s.value?.errorCode, ErrorCode.NONE)
      assert.equal(h2.group.state, GroupState.Stable)
    }
    void a
    void b
  })
})

describe('offset commit validation', () => {
  test('an empty group accepts generation -1 commits with no member (admin clients)', () => {
    const h = harness()
    assert.equal(h.group.validateOffsetCommit('', null, -1, false), ErrorCode.NONE)
  })

  test('a Stable group accepts its members and refuses others', async () => {
    const h = harness()
    const [a] = await stableGroup(h, ['a'])
    assert.equal(h.group.validateOffsetCommit(a, null, 1, false), ErrorCode.NONE)
    assert.equal(h.group.validateOffsetCommit('ghost', null, 1, false), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(h.group.validateOffsetCommit(a, null, 0, false), ErrorCode.ILLEGAL_GENERATION)
    assert.equal(h.group.validateOffsetCommit('', null, -1, false), ErrorCode.UNKNOWN_MEMBER_ID)
    assert.equal(h.group.validateOffsetCommit(a, 'inst', 1, false), ErrorCode.UNKNOWN_MEMBER_ID)
  })

  test('commits are accepted during PreparingRebalance but not CompletingRebalance', async () => {
    const h = harness()
    const [a, b] = await stableGroup(h, ['a', 'b'])
    await h.joinDynamic('c')
    assert.equal(h.group.validateOffsetCommit(a, null, 1, false), ErrorCode.NONE)
    await h.join({ clientId: 'a', memberId: a })
    await h.join({ clientId: 'b', memberId: b })
    assert.equal(h.group.state, GroupState.CompletingRebalance)
    assert.equal(h.group.validateOffsetCommit(a, null, 2, false), ErrorCode.REBALANCE_IN_PROGRESS)
  })
})

describe('describe and restore', () => {
  test('a Stable group describes members with metadata and assignment; others without', async () => {
    const h = harness()
    const [a] = await stableGroup(h, ['a'])
    const s = h.group.summary()
    assert.equal(s.groupState, 'Stable')
    assert.equal(s.protocolData, 'range')
    assert.equal(s.members[0].memberAssignment.toString(), `a:${a}`)
    await h.joinDynamic('b')
    const p = h.group.summary()
    assert.equal(p.groupState, 'PreparingRebalance')
    assert.equal(p.protocolData, '')
    assert.equal(p.members[0].memberMetadata.length, 0)
  })

  test('a stored group restores Stable with its members, who then must keep heartbeating', async () => {
    const h = harness()
    const [a, b] = await stableGroup(h, ['a', 'b'])
    const stored = h.stored.at(-1)!
    const h2 = harness()
    h2.group.restore(stored)
    assert.equal(h2.group.state, GroupState.Stable)
    assert.equal(h2.group.generationId, 1)
    assert.equal(h2.group.leaderId, a)
    const resync = await h2.sync(b, 1)
    assert.equal(resync.value?.assignment.toString(), `a:${b}`, 'members carry on with their generation')
    await h2.advance(SESSION_MS / 2)
    assert.equal(await h2.heartbeat(a, 1), ErrorCode.NONE)
    await h2.advance(SESSION_MS / 2)
    assert.equal(h2.group.members.has(b), false, 'sessions restart at load: b, silent since, expired')
    assert.equal(h2.group.members.has(a), true)
    assert.equal(h2.group.state, GroupState.PreparingRebalance)
  })
})
