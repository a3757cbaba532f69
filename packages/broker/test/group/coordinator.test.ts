// The group and offset APIs over the wire, against an in-process broker: exact Kafka error
// codes for bad input, every advertised version shape, and what survives a restart.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { buildBatch, buildControlBatch, ErrorCode, iterateBatches, readBatch } from '@runnel/protocol'
import { brokerInternals } from '../../src/broker.ts'
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../src/group/records.ts'
import { type RunningBroker, startBroker } from '../../src/index.ts'
import {
  BrokerProcess,
  freePort,
  makeTempDir,
  removeDir,
  startTestBroker,
  type TestBroker,
} from '../helpers/broker.ts'
import { WireClient } from '../helpers/wire-client.ts'
import { subscription } from './harness.ts'
import { ADMIN, closeAll, formGroup, joinGroup, offset, offsetCommit } from './wire-group.ts'

// Short, not zero: members formed together (formGroup) must land in one first generation.
const FAST = { 'group.initial.rebalance.delay.ms': '300' }

async function createTopic(broker: TestBroker | RunningBroker, name: string, partitions: number) {
  const r = await brokerInternals(broker).topics.create({
    name,
    numPartitions: partitions,
    replicationFactor: -1,
  })
  assert.ok(r.ok)
}

function appendRecords(broker: TestBroker, topic: string, partition: number, count: number): void {
  const log = brokerInternals(broker).topics.get(topic)!.partitions[partition]
  const records = Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) }))
  assert.equal(log.append(buildBatch({ records })).kind, 'appended')
}

describe('group coordinator over the wire', () => {
  let broker: TestBroker
  let client: WireClient

  before(async () => {
    broker = await startTestBroker({ brokerConfigs: FAST })
    await createTopic(broker, 'orders', 3)
    await createTopic(broker, 'audit', 2)
    client = await WireClient.connect(broker.port)
  })

  after(async () => {
    client?.close()
    await broker?.dispose()
  })

  test('FindCoordinator names this broker for groups and transactions, v0 to v4, and creates __consumer_offsets', async () => {
    const v0 = await client.request(10, 0, { key: 'g-find' })
    assert.equal(v0.errorCode, ErrorCode.NONE)
    assert.equal(v0.nodeId, brokerInternals(broker).nodeId)
    assert.equal(v0.port, broker.port)
    const offsets = brokerInternals(broker).topics.get('__consumer_offsets')!
    assert.equal(offsets.partitions.length, 50)
    assert.equal(offsets.isInternal, true)
    assert.equal(offsets.config['cleanup.policy'], 'compact')
    const txn = await client.request(10, 2, { key: 'tx-1', keyType: 1 })
    assert.equal(txn.errorCode, ErrorCode.NONE)
    assert.equal(txn.host, '127.0.0.1')
    const bad = await client.request(10, 3, { key: 'x', keyType: 7 })
    assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST)
    const v4 = await client.request(10, 4, { keyType: 0, coordinatorKeys: ['a', 'b', 'c'] })
    assert.deepEqual(
      v4.coordinators?.map((c) => [c.key, c.nodeId, c.port, c.errorCode]),
      ['a', 'b', 'c'].map((k) => [k, brokerInternals(broker).nodeId, broker.port, ErrorCode.NONE]),
    )
  })

  test('a join with no protocols is INCONSISTENT_GROUP_PROTOCOL (v0, v5, v9)', async () => {
    for (const version of [0, 5, 9]) {
      const r = await client.request(11, version, {
        groupId: 'g-noproto',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        memberId: '',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [],
      })
      assert.equal(r.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `v${version}`)
      assert.equal(r.generationId, -1)
    }
    const list = await client.request(16, 4, { statesFilter: [] })
    assert.equal(
      list.groups.some((g) => g.groupId === 'g-noproto'),
      false,
      'a failed join leaves no group behind',
    )
  })

  test('join errors: INVALID_SESSION_TIMEOUT, INVALID_GROUP_ID, UNKNOWN_MEMBER_ID, MEMBER_ID_REQUIRED', async () => {
    const base = {
      groupId: 'g-joinerr',
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription(['orders']) }],
    }
    assert.equal(
      (await client.request(11, 5, { ...base, sessionTimeoutMs: 1000 })).errorCode,
      ErrorCode.INVALID_SESSION_TIMEOUT,
    )
    assert.equal(
      (await client.request(11, 5, { ...base, groupId: '' })).errorCode,
      ErrorCode.INVALID_GROUP_ID,
    )
    assert.equal(
      (await client.request(11, 5, { ...base, memberId: 'nobody' })).errorCode,
      ErrorCode.UNKNOWN_MEMBER_ID,
    )
    const first = await client.request(11, 4, base)
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED)
    assert.match(first.memberId, /^runnel-test-[0-9a-f-]{36}$/, 'clientId-uuid, as Kafka')
  })

  test('a sync from a stale generation is ILLEGAL_GENERATION; heartbeat and commit too', async () => {
    const [m] = await formGroup(broker.port, 'g-stale', 1)
    try {
      assert.equal(m.generationId, 1)
      const sync = await m.client.request(14, 3, {
        groupId: 'g-stale',
        generationId: 0,
        memberId: m.memberId,
        groupInstanceId: null,
        assignments: [],
      })
      assert.equal(sync.errorCode, ErrorCode.ILLEGAL_GENERATION)
      const hb = await m.client.request(12, 3, {
        groupId: 'g-stale',
        generationId: 7,
        memberId: m.memberId,
        groupInstanceId: null,
      })
      assert.equal(hb.errorCode, ErrorCode.ILLEGAL_GENERATION)
      const commit = await m.client.request(
        8,
        7,
        offsetCommit('g-stale', { generation: 0, memberId: m.memberId }, { orders: [offset(0, 1n, null)] }),
      )
      assert.equal(commit.topics[0].partitions[0].errorCode, ErrorCode.ILLEGAL_GENERATION)
      const v5 = await m.client.request(14, 5, {
        groupId: 'g-stale',
        generationId: 1,
        memberId: m.memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: 'roundrobin',
        assignments: [],
      })
      assert.equal(v5.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    } finally {
      m.client.close()
    }
  })

  test('a commit from a member the group does not know is UNKNOWN_MEMBER_ID (v2 to v9)', async () => {
    const members = await formGroup(broker.port, 'g-unknown', 1)
    try {
      for (const version of [2, 5, 7, 8, 9]) {
        const r = await client.request(8, version, {
          ...offsetCommit(
            'g-unknown',
            { generation: 1, memberId: 'not-a-member' },
            { orders: [offset(0, 5n)] },
          ),
          retentionTimeMs: -1n,
        })
        assert.equal(r.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID, `v${version}`)
      }
      // generation -1 with no member: only an empty group accepts it.
      const admin = await client.request(8, 8, offsetCommit('g-unknown', ADMIN, { orders: [offset(0, 5n)] }))
      assert.equal(admin.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
      // The group's own member, current generation: accepted, with metadata and leader epoch.
      const ok = await members[0].client.request(
        8,
        8,
        offsetCommit(
          'g-unknown',
          { generation: 1, memberId: members[0].memberId },
          {
            orders: [offset(1, 17n, 'checkpoint', 0), offset(9, 1n, '', 0)],
            'no-such-topic': [offset(0, 1n, '', 0)],
          },
        ),
      )
      assert.deepEqual(
        ok.topics.map((t) => t.partitions.map((p) => p.errorCode)),
        [[ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
      )
      const fetched = await client.request(9, 5, {
        groupId: 'g-unknown',
        topics: [{ name: 'orders', partitionIndexes: [1, 2] }],
      })
      assert.deepEqual(fetched.topics?.[0].partitions, [
        {
          partitionIndex: 1,
          committedOffset: 17n,
          committedLeaderEpoch: 0,
          metadata: 'checkpoint',
          errorCode: 0,
        },
        { partitionIndex: 2, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      ])
    } finally {
      closeAll(members)
    }
  })

  test('admin commits (generation -1, no member) create and fill an empty group; too-large metadata is refused', async () => {
    const r = await client.request(
      8,
      9,
      offsetCommit('g-admin', ADMIN, { orders: [offset(0, 3n, null), offset(1, 4n, 'x'.repeat(5000))] }),
    )
    assert.deepEqual(
      r.topics[0].partitions.map((p) => p.errorCode),
      [ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE],
    )
    const described = await client.request(15, 5, { groups: ['g-admin'], includeAuthorizedOperations: false })
    assert.equal(described.groups[0].groupState, 'Empty')
    assert.equal(described.groups[0].protocolType, '')
    // A commit with a generation for a group that does not exist: ILLEGAL_GENERATION.
    const stale = await client.request(
      8,
      8,
      offsetCommit('g-never', { generation: 3, memberId: 'm' }, { orders: [offset(0, 1n)] }),
    )
    assert.equal(stale.topics[0].partitions[0].errorCode, ErrorCode.ILLEGAL_GENERATION)
  })

  test('OffsetFetch: v1 by partition, v7 all topics (null), v8 several groups at once', async () => {
    await client.request(8, 2, {
      groupId: 'g-fetch',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: -1n,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 2, committedOffset: 30n, committedMetadata: 'm' }] },
        { name: 'audit', partitions: [{ partitionIndex: 0, committedOffset: 7n, committedMetadata: null }] },
      ],
    } as never)
    const v1 = await client.request(9, 1, {
      groupId: 'g-fetch',
      topics: [{ name: 'orders', partitionIndexes: [2, 0] }],
    })
    assert.deepEqual(
      v1.topics?.[0].partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode]),
      [
        [2, 30n, 'm', 0],
        [0, -1n, '', 0],
      ],
    )
    const all = await client.request(9, 7, { groupId: 'g-fetch', topics: null, requireStable: true })
    assert.equal(all.errorCode, ErrorCode.NONE)
    assert.deepEqual(
      all.topics?.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]),
      [
        ['audit', [[0, 7n]]],
        ['orders', [[2, 30n]]],
      ],
    )
    const multi = await client.request(9, 8, {
      groups: [
        { groupId: 'g-fetch', topics: [{ name: 'audit', partitionIndexes: [0, 1] }] },
        { groupId: 'g-does-not-exist', topics: [{ name: 'orders', partitionIndexes: [0] }] },
        { groupId: 'g-fetch', topics: null },
      ],
      requireStable: false,
    })
    assert.deepEqual(
      multi.groups?.map((g) => [
        g.groupId,
        g.errorCode,
        g.topics.flatMap((t) =>
          t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${p.committedOffset}`),
        ),
      ]),
      [
        ['g-fetch', 0, ['audit-0:7', 'audit-1:-1']],
        ['g-does-not-exist', 0, ['orders-0:-1']],
        ['g-fetch', 0, ['audit-0:7', 'orders-2:30']],
      ],
    )
  })

  test('DescribeGroups and ListGroups show a Stable group with members, assignment and state filters', async () => {
    const members = await formGroup(broker.port, 'g-describe', 2)
    try {
      const d = await client.request(15, 5, {
        groups: ['g-describe', 'g-nope'],
        includeAuthorizedOperations: true,
      })
      const g = d.groups[0]
      assert.equal(g.groupState, 'Stable')
      assert.equal(g.protocolType, 'consumer')
      assert.equal(g.protocolData, 'range')
      assert.equal(g.members.length, 2)
      for (const m of g.members) {
        assert.equal(m.clientId, 'runnel-test')
        assert.equal(m.clientHost, '/127.0.0.1')
        assert.equal(m.memberAssignment.toString(), `assigned:${m.memberId}`)
        assert.deepEqual(m.memberMetadata, subscription(['orders']))
      }
      assert.ok((g.authorizedOperations ?? 0) > 0)
      assert.deepEqual(
        [d.groups[1].errorCode, d.groups[1].groupState, d.groups[1].members.length],
        [ErrorCode.NONE, 'Dead', 0],
      )
      const stable = await client.request(16, 4, { statesFilter: ['stable'] })
      assert.ok(stable.groups.some((x) => x.groupId === 'g-describe'))
      assert.ok(stable.groups.every((x) => x.groupState === 'Stable'))
      const empty = await client.request(16, 5, { statesFilter: ['Empty'], typesFilter: ['classic'] })
      assert.ok(empty.groups.some((x) => x.groupId === 'g-admin' && x.groupType === 'classic'))
      const consumerType = await client.request(16, 5, { statesFilter: [], typesFilter: ['consumer'] })
      assert.equal(consumerType.groups.length, 0, 'no KIP-848 groups here')
      const v0 = await client.request(16, 0, {})
      assert.ok(v0.groups.some((x) => x.groupId === 'g-describe' && x.protocolType === 'consumer'))
    } finally {
      closeAll(members)
    }
  })

  test('heartbeats see REBALANCE_IN_PROGRESS when a member joins; LeaveGroup v0 and batched v3', async () => {
    const members = await formGroup(broker.port, 'g-leave', 2)
    const extra = await WireClient.connect(broker.port)
    try {
      const joining = joinGroup(extra, 'g-leave')
      // The new member's first join gets MEMBER_ID_REQUIRED, its second starts the rebalance.
      let hb: number = ErrorCode.NONE
      for (let i = 0; i < 50 && hb === ErrorCode.NONE; i++) {
        hb = (
          await members[0].client.request(12, 3, {
            groupId: 'g-leave',
            generationId: 1,
            memberId: members[0].memberId,
            groupInstanceId: null,
          })
        ).errorCode
        if (hb === ErrorCode.NONE) await new Promise((r) => setTimeout(r, 20))
      }
      assert.equal(hb, ErrorCode.REBALANCE_IN_PROGRESS)
      // Both old members leave: the newcomer's join completes alone, at generation 2.
      const v0 = await members[0].client.request(13, 0, { groupId: 'g-leave', memberId: members[0].memberId })
      assert.equal(v0.errorCode, ErrorCode.NONE)
      const v3 = await members[1].client.request(13, 3, {
        groupId: 'g-leave',
        members: [
          { memberId: members[1].memberId, groupInstanceId: null },
          { memberId: 'ghost', groupInstanceId: null },
        ],
      })
      assert.deepEqual(
        v3.members?.map((m) => m.errorCode),
        [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID],
      )
      const joined = await joining
      assert.equal(joined.errorCode, ErrorCode.NONE)
      assert.equal(joined.generationId, 2)
      assert.equal(joined.leader, joined.memberId)
      const v1 = await client.request(13, 1, { groupId: 'g-leave', memberId: 'ghost' })
      assert.equal(v1.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'v0-2 fold the member error into the top level')
      const unknownGroup = await client.request(13, 4, {
        groupId: 'g-none',
        members: [{ memberId: 'x', groupInstanceId: null }],
      })
      assert.equal(unknownGroup.errorCode, ErrorCode.NONE)
      assert.equal(unknownGroup.members?.[0].errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
    } finally {
      closeAll(members)
      extra.close()
    }
  })

  test('DeleteGroups refuses a group with members and deletes an empty one with its offsets', async () => {
    const members = await formGroup(broker.port, 'g-delete', 1)
    try {
      await members[0].client.request(
        8,
        8,
        offsetCommit(
          'g-delete',
          { generation: 1, memberId: members[0].memberId },
          { orders: [offset(0, 9n)] },
        ),
      )
      const busy = await client.request(42, 2, { groupsNames: ['g-delete', 'g-missing'] })
      assert.deepEqual(
        busy.results.map((r) => [r.groupId, r.errorCode]),
        [
          ['g-delete', ErrorCode.NON_EMPTY_GROUP],
          ['g-missing', ErrorCode.GROUP_ID_NOT_FOUND],
        ],
      )
      await members[0].client.request(13, 3, {
        groupId: 'g-delete',
        members: [{ memberId: members[0].memberId, groupInstanceId: null }],
      })
      const done = await client.request(42, 0, { groupsNames: ['g-delete'] })
      assert.equal(done.results[0].errorCode, ErrorCode.NONE)
      const fetched = await client.request(9, 7, { groupId: 'g-delete', topics: null, requireStable: false })
      assert.deepEqual(fetched.topics, [])
      const again = await client.request(42, 1, { groupsNames: ['g-delete'] })
      assert.equal(again.results[0].errorCode, ErrorCode.GROUP_ID_NOT_FOUND)
    } finally {
      closeAll(members)
    }
  })

  test('OffsetDelete: GROUP_SUBSCRIBED_TO_TOPIC while consumed, allowed for other topics and empty groups', async () => {
    const members = await formGroup(broker.port, 'g-offdel', 1, { topics: ['orders'] })
    try {
      const commit = (topic: string) =>
        members[0].client.request(
          8,
          8,
          offsetCommit(
            'g-offdel',
            { generation: 1, memberId: members[0].memberId },
            { [topic]: [offset(0, 2n)] },
          ),
        )
      await commit('orders')
      await commit('audit')
      const r = await client.request(47, 0, {
        groupId: 'g-offdel',
        topics: [
          { name: 'orders', partitions: [{ partitionIndex: 0 }] },
          { name: 'audit', partitions: [{ partitionIndex: 0 }] },
          { name: 'nope', partitions: [{ partitionIndex: 0 }] },
        ],
      })
      assert.equal(r.errorCode, ErrorCode.NONE)
      assert.deepEqual(
        r.topics.map((t) => [t.name, t.partitions[0].errorCode]),
        [
          ['orders', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
          ['audit', ErrorCode.NONE],
          ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ],
      )
      const left = await client.request(9, 7, { groupId: 'g-offdel', topics: null, requireStable: false })
      assert.deepEqual(
        left.topics?.map((t) => t.name),
        ['orders'],
      )
      const missing = await client.request(47, 0, { groupId: 'g-zzz', topics: [] })
      assert.equal(missing.errorCode, ErrorCode.GROUP_ID_NOT_FOUND)
    } finally {
      closeAll(members)
    }
  })

  test('lag metrics: committed offset, log end offset and lag per group, topic and partition', async () => {
    appendRecords(broker, 'audit', 1, 10)
    await client.request(8, 8, offsetCommit('g-lag', ADMIN, { audit: [offset(1, 4n)] }))
    const text = await brokerInternals(broker).metrics.registry.metrics()
    const labels = '{group="g-lag",topic="audit",partition="1"}'
    assert.ok(text.includes(`runnel_group_committed_offset${labels} 4`), text)
    assert.ok(text.includes(`runnel_group_log_end_offset${labels} 10`))
    assert.ok(text.includes(`runnel_group_lag${labels} 6`))
  })
})

describe('group state in __consumer_offsets across restarts', () => {
  let dataDir: string

  before(async () => {
    dataDir = await makeTempDir('groups-restart')
  })

  after(async () => {
    await removeDir(dataDir)
  })

  test('offsets and a Stable group survive a restart; members carry on with their generation', async () => {
    const options = { port: 0, dataDir, logLevel: 'silent' as const, brokerConfigs: FAST }
    let running = await startBroker(options)
    let members: Awaited<ReturnType<typeof formGroup>> = []
    try {
      await createTopic(running, 'orders', 3)
      members = await formGroup(running.port, 'g-persist', 2)
      const commit = await members[0].client.request(
        8,
        8,
        offsetCommit(
          'g-persist',
          { generation: 1, memberId: members[0].memberId },
          { orders: [offset(1, 11n, 'a', 0)] },
        ),
      )
      assert.equal(commit.topics[0].partitions[0].errorCode, ErrorCode.NONE)
      // Deleted data must stay deleted: an admin group, committed then deleted.
      const c = await WireClient.connect(running.port)
      await c.request(8, 8, offsetCommit('g-gone', ADMIN, { orders: [offset(0, 1n)] }))
      assert.equal((await c.request(42, 2, { groupsNames: ['g-gone'] })).results[0].errorCode, ErrorCode.NONE)
      c.close()
      closeAll(members)
      await running.close()

      running = await startBroker(options)
      const group = brokerInternals(running).groups.group('g-persist')!
      assert.equal(group.state, 'Stable')
      assert.equal(group.generationId, 1)
      assert.equal(group.members.size, 2)
      assert.equal(brokerInternals(running).groups.group('g-gone'), undefined)
      const after = await WireClient.connect(running.port)
      const hb = await after.request(12, 3, {
        groupId: 'g-persist',
        generationId: 1,
        memberId: members[1].memberId,
        groupInstanceId: null,
      })
      assert.equal(
        hb.errorCode,
        ErrorCode.NONE,
        'a member heartbeating after the restart is still in its generation',
      )
      const sync = await after.request(14, 3, {
        groupId: 'g-persist',
        generationId: 1,
        memberId: members[1].memberId,
        groupInstanceId: null,
        assignments: [],
      })
      assert.equal(sync.assignment.toString(), `assigned:${members[1].memberId}`)
      const fetched = await after.request(9, 5, {
        groupId: 'g-persist',
        topics: [{ name: 'orders', partitionIndexes: [1] }],
      })
      assert.deepEqual(fetched.topics?.[0].partitions[0], {
        partitionIndex: 1,
        committedOffset: 11n,
        committedLeaderEpoch: 0,
        metadata: 'a',
        errorCode: 0,
      })
      after.close()

      // The records are Kafka's: group metadata v3 and offset commits v3, keys v2 and v1.
      const log =
        brokerInternals(running).topics.get('__consumer_offsets')!.partitions[
          brokerInternals(running).groups.offsetsTopic.partitionFor('g-persist')
        ]
      const read = log.read(0, 1 << 20)
      assert.equal(read.kind, 'ok')
      const kinds: string[] = []
      for (const chunk of read.kind === 'ok' ? read.batches : []) {
        for (const loc of iterateBatches(chunk)) {
          for (const r of readBatch(chunk, loc.pos).records()) {
            const key = decodeKey(r.key!)
            if (key.kind === 'group' && key.group === 'g-persist') {
              const value = decodeGroupMetadataValue(r.value!)
              kinds.push(
                `group v${r.value!.readInt16BE(0)} gen ${value.generationId} members ${value.members.length}`,
              )
            } else if (key.kind === 'offset' && key.group === 'g-persist') {
              kinds.push(
                `offset v${r.value!.readInt16BE(0)} ${key.topic}-${key.partition}=${decodeOffsetCommitValue(r.value!).offset}`,
              )
            }
          }
        }
      }
      assert.deepEqual(kinds, ['group v3 gen 1 members 2', 'offset v3 orders-1=11'])
    } finally {
      closeAll(members)
      await running.close()
    }
  })

  test('replay applies transactional offset commits only once their COMMIT marker is in the log', async () => {
    const options = { port: 0, dataDir, logLevel: 'silent' as const, brokerConfigs: FAST }
    let running = await startBroker(options)
    try {
      assert.equal(await brokerInternals(running).groups.ensureReady(), ErrorCode.NONE)
      const partition = brokerInternals(running).groups.offsetsTopic.partitionFor('g-txn')
      const log = brokerInternals(running).topics.get('__consumer_offsets')!.partitions[partition]
      const commit = (producerId: bigint, offset: bigint) =>
        buildBatch({
          producerId,
          producerEpoch: 0,
          baseSequence: 0,
          transactional: true,
          records: [
            {
              key: encodeOffsetCommitKey('g-txn', 'orders', producerId === 7n ? 0 : 1),
              value: encodeOffsetCommitValue({
                offset,
                leaderEpoch: -1,
                metadata: '',
                commitTimestamp: Date.now(),
                expireTimestamp: null,
              }),
            },
          ],
        })
      const marker = (producerId: bigint, type: 'COMMIT' | 'ABORT') =>
        buildControlBatch({ type, producerId, producerEpoch: 0, coordinatorEpoch: 0, timestamp: Date.now() })
      for (const batch of [commit(7n, 70n), commit(8n, 80n), marker(7n, 'COMMIT'), marker(8n, 'ABORT')]) {
        assert.equal(log.append(batch).kind, 'appended')
      }
      await log.flush()
      await running.close()
      running = await startBroker(options)
      const fetched = brokerInternals(running).groups.fetchOffsets(
        'g-txn',
        [{ name: 'orders', partitionIndexes: [0, 1] }],
        true,
      )
      assert.deepEqual(
        fetched.topics[0].partitions.map((p) => p.committedOffset),
        [70n, -1n],
        'the committed transaction counts, the aborted one does not',
      )
    } finally {
      await running.close()
    }
  })

  test('offsets of an empty group expire after offsets.retention.minutes, and stay expired after a restart', async () => {
    const options = {
      port: 0,
      dataDir,
      logLevel: 'silent' as const,
      brokerConfigs: { ...FAST, 'offsets.retention.minutes': '60' },
    }
    let running = await startBroker(options)
    try {
      const c = await WireClient.connect(running.port)
      await c.request(8, 8, offsetCommit('g-expire', ADMIN, { orders: [offset(2, 5n)] }))
      c.close()
      const early = await brokerInternals(running).groups.expireOffsets(Date.now() + 59 * 60_000)
      assert.equal(brokerInternals(running).groups.group('g-expire')?.offsets.size, 1)
      assert.equal(early.offsets, 0)
      const late = await brokerInternals(running).groups.expireOffsets(Date.now() + 61 * 60_000)
      assert.ok(late.offsets >= 1)
      assert.equal(
        brokerInternals(running).groups.group('g-expire'),
        undefined,
        'the empty group went with its last offset',
      )
      await running.close()
      running = await startBroker(options)
      assert.equal(brokerInternals(running).groups.group('g-expire'), undefined)
    } finally {
      await running.close()
    }
  })
})

describe('group state in __consumer_offsets across a crash', () => {
  test('an acknowledged commit and the group survive kill -9 of the broker process', {
    timeout: 90_000,
  }, async () => {
    const dataDir = await makeTempDir('groups-crash')
    const port = await freePort()
    const extraArgs = ['--config', 'group.initial.rebalance.delay.ms=300']
    let broker = await BrokerProcess.start({ port, dataDir, extraArgs })
    let members: Awaited<ReturnType<typeof formGroup>> = []
    try {
      const c = await WireClient.connect(port)
      const md = await c.request(3, 4, { topics: [{ name: 'orders' }], allowAutoTopicCreation: true })
      assert.equal(md.topics[0].errorCode, ErrorCode.NONE)
      c.close()
      members = await formGroup(port, 'g-crash', 1)
      const commit = await members[0].client.request(
        8,
        8,
        offsetCommit(
          'g-crash',
          { generation: 1, memberId: members[0].memberId },
          { orders: [offset(0, 42n, 'x')] },
        ),
      )
      assert.equal(commit.topics[0].partitions[0].errorCode, ErrorCode.NONE)
      // Acknowledged means fsynced: nothing else is waited for before the kill.
      await broker.kill9()
      closeAll(members)
      members = []
      broker = await BrokerProcess.start({ port, dataDir, extraArgs })
      const after = await WireClient.connect(port)
      try {
        const fetched = await after.request(9, 8, {
          groups: [{ groupId: 'g-crash', topics: null }],
          requireStable: true,
        })
        assert.deepEqual(
          fetched.groups?.[0].topics.map((t) => [
            t.name,
            t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata]),
          ]),
          [['orders', [[0, 42n, 'x']]]],
        )
        const described = await after.request(15, 5, {
          groups: ['g-crash'],
          includeAuthorizedOperations: false,
        })
        assert.equal(described.groups[0].groupState, 'Stable')
        assert.equal(described.groups[0].members.length, 1)
      } finally {
        after.close()
      }
    } finally {
      closeAll(members)
      await broker.kill9()
      await removeDir(dataDir)
    }
  })
})
