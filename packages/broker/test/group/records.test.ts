// `__consumer_offsets` record formats (Kafka's own), group placement, and offset expiry rules.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { StoredGroup } from '../../src/group/classic-group.ts'
import { type CommittedOffset, CommittedOffsets, expiredOffsets } from '../../src/group/committed-offsets.ts'
import { subscribedTopics } from '../../src/group/consumer-protocol.ts'
import { GroupState } from '../../src/group/group-state.ts'
import {
  decodeGroupMetadataValue,
  decodeKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  partitionForGroup,
} from '../../src/group/records.ts'
import { subscription } from './harness.ts'

describe('__consumer_offsets keys and values', () => {
  test('an offset commit key is v1: group, topic, partition as int16-length strings and an int32', () => {
    const key = encodeOffsetCommitKey('g', 'orders', 3)
    assert.equal(
      key.toString('hex'),
      ['0001', '0001', '67', '0006', Buffer.from('orders').toString('hex'), '00000003'].join(''),
    )
    assert.deepEqual(decodeKey(key), { kind: 'offset', group: 'g', topic: 'orders', partition: 3 })
  })

  test('a group metadata key is v2: the group id', () => {
    const key = encodeGroupMetadataKey('payments')
    assert.equal(key.readInt16BE(0), 2)
    assert.deepEqual(decodeKey(key), { kind: 'group', group: 'payments' })
    assert.deepEqual(decodeKey(Buffer.from([0, 5, 0, 0])), { kind: 'other', version: 5 })
  })

  test('an offset commit value is v3 (leader epoch), or v1 when it carries an expire timestamp', () => {
    const c: CommittedOffset = {
      offset: 42n,
      leaderEpoch: 7,
      metadata: 'm',
      commitTimestamp: 1700000000123,
      expireTimestamp: null,
    }
    const v3 = encodeOffsetCommitValue(c)
    assert.equal(v3.readInt16BE(0), 3)
    assert.equal(v3.length, 2 + 8 + 4 + 2 + 1 + 8)
    assert.deepEqual(decodeOffsetCommitValue(v3), c)
    const withExpiry = { ...c, leaderEpoch: -1, expireTimestamp: 1700000099999 }
    const v1 = encodeOffsetCommitValue(withExpiry)
    assert.equal(v1.readInt16BE(0), 1)
    assert.deepEqual(decodeOffsetCommitValue(v1), withExpiry)
  })

  test('a flexible (v4) offset commit value, as newer Kafka may write, reads too', () => {
    // version 4, offset 9, epoch 2, metadata "ab" (compact: length + 1), timestamp 5, no tags
    const v4 = Buffer.from(
      '0004' + '0000000000000009' + '00000002' + '03' + '6162' + '0000000000000005' + '00',
      'hex',
    )
    assert.deepEqual(decodeOffsetCommitValue(v4), {
      offset: 9n,
      leaderEpoch: 2,
      metadata: 'ab',
      commitTimestamp: 5,
      expireTimestamp: null,
    })
  })

  test('a group metadata value is v3 and round-trips with static members', () => {
    const g: StoredGroup = {
      protocolType: 'consumer',
      generationId: 4,
      protocolName: 'range',
      leader: 'a-1',
      currentStateTimestamp: 1700000000000,
      members: [
        {
          memberId: 'a-1',
          groupInstanceId: 'inst-a',
          clientId: 'a',
          clientHost: '/127.0.0.1',
          rebalanceTimeoutMs: 60000,
          sessionTimeoutMs: 10000,
          subscription: subscription(['orders']),
          assignment: Buffer.from([1, 2, 3]),
        },
      ],
    }
    const value = encodeGroupMetadataValue(g)
    assert.equal(value.readInt16BE(0), 3)
    assert.deepEqual(decodeGroupMetadataValue(value), g)
  })

  test('an empty group (no protocol, no leader) round-trips', () => {
    const g: StoredGroup = {
      protocolType: 'consumer',
      generationId: 9,
      protocolName: null,
      leader: null,
      currentStateTimestamp: 5,
      members: [],
    }
    assert.deepEqual(decodeGroupMetadataValue(encodeGroupMetadataValue(g)), g)
  })

  test('groups land on the partition Kafka would choose (Java String.hashCode)', () => {
    // "hello".hashCode() == 99162322; "polygenelubricants".hashCode() == Integer.MIN_VALUE
    assert.equal(partitionForGroup('hello', 50), 99162322 % 50)
    assert.equal(partitionForGroup('polygenelubricants', 50), 0)
    // A negative hash: "Aa-consumer" ... any group must land in range.
    for (const g of ['', 'a', 'my-group', 'ünïcødé', 'x'.repeat(300)]) {
      const p = partitionForGroup(g, 50)
      assert.ok(p >= 0 && p < 50)
    }
  })

  test('subscribed topics are read from the consumer protocol metadata', () => {
    assert.deepEqual(subscribedTopics(subscription(['a', 'b'], 'userdata')), ['a', 'b'])
    assert.equal(subscribedTopics(Buffer.from([0, 0, 0])), undefined)
  })
})

describe('offset expiry (offsets.retention.minutes)', () => {
  const DAY = 24 * 3600 * 1000
  const offsets = () => {
    const o = new CommittedOffsets()
    o.set('orders', 0, {
      offset: 1n,
      leaderEpoch: -1,
      metadata: '',
      commitTimestamp: 0,
      expireTimestamp: null,
    })
    o.set('audit', 0, {
      offset: 1n,
      leaderEpoch: -1,
      metadata: '',
      commitTimestamp: 5 * DAY,
      expireTimestamp: null,
    })
    return o
  }

  test('an empty consumer group loses all offsets a retention period after it became empty', () => {
    const facts = {
      protocolType: 'consumer',
      state: GroupState.Empty,
      stateTimestamp: 6 * DAY,
      subscribedTopics: null,
    }
    assert.equal(expiredOffsets(offsets(), facts, 12 * DAY, 7 * DAY).length, 0)
    assert.equal(expiredOffsets(offsets(), facts, 13 * DAY, 7 * DAY).length, 2)
  })

  test('a group without members or protocol (commits only) expires each offset from its commit', () => {
    const facts = {
      protocolType: null,
      state: GroupState.Empty,
      stateTimestamp: null,
      subscribedTopics: null,
    }
    const expired = expiredOffsets(offsets(), facts, 8 * DAY, 7 * DAY)
    assert.deepEqual(
      expired.map((e) => e.topic),
      ['orders'],
    )
  })

  test('a stable consumer group keeps offsets of subscribed topics and expires the others', () => {
    const facts = {
      protocolType: 'consumer',
      state: GroupState.Stable,
      stateTimestamp: 0,
      subscribedTopics: new Set(['orders']),
    }
    assert.deepEqual(
      expiredOffsets(offsets(), facts, 30 * DAY, 7 * DAY).map((e) => e.topic),
      ['audit'],
    )
  })

  test('an explicit retention from OffsetCommit v2-v4 expires at its timestamp', () => {
    const o = new CommittedOffsets()
    o.set('t', 0, { offset: 1n, leaderEpoch: -1, metadata: '', commitTimestamp: 0, expireTimestamp: 1000 })
    const facts = {
      protocolType: null,
      state: GroupState.Empty,
      stateTimestamp: null,
      subscribedTopics: null,
    }
    assert.equal(expiredOffsets(o, facts, 999, 7 * DAY).length, 0)
    assert.equal(expiredOffsets(o, facts, 1000, 7 * DAY).length, 1)
  })
})
