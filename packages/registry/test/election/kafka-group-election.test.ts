import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Admin, type ClusterMetadata, type ExtendedGroupProtocolSubscription } from '@platformatic/kafka'
import { type LeadershipMessage, leadershipChannel } from '../../src/diagnostics.ts'
import { assignRegistryLeader, KafkaGroupElection } from '../../src/election/kafka-group-election.ts'
import { startTestBroker, supportsGroups, type TestBroker } from '../support/broker.ts'

function member(memberId: string, url: string, eligible = true): [string, ExtendedGroupProtocolSubscription] {
  return [
    memberId,
    { memberId, version: 0, topics: ['_schemas'], metadata: Buffer.from(JSON.stringify({ url, eligible })) },
  ]
}

function leaderOf(assignments: ReturnType<ReturnType<typeof assignRegistryLeader>>): string[] {
  return assignments
    .filter((entry) => entry.assignments.get('_schemas')?.partitions.includes(0))
    .map((entry) => entry.memberId)
}

describe('assignRegistryLeader', () => {
  const assign = assignRegistryLeader('_schemas')
  const metadata = {} as ClusterMetadata

  it('keeps the group leader as registry leader when it may lead', () => {
    const members = new Map([member('m-b', 'http://b'), member('m-a', 'http://a')])
    assert.deepEqual(leaderOf(assign('m-b', members, new Set(['_schemas']), metadata)), ['m-b'])
  })

  it('picks the eligible member with the smallest id otherwise, and nobody when none may lead', () => {
    const members = new Map([
      member('m-c', 'http://c', false),
      member('m-b', 'http://b'),
      member('m-a', 'http://a'),
    ])
    const assignments = assign('m-c', members, new Set(['_schemas']), metadata)
    assert.deepEqual(leaderOf(assignments), ['m-a'])
    assert.equal(assignments.length, 3, 'every member gets an assignment, empty or not')
    const none = new Map([member('m-x', 'http://x', false)])
    assert.deepEqual(leaderOf(assign('m-x', none, new Set(['_schemas']), metadata)), [])
  })
})

describe('KafkaGroupElection', { timeout: 120_000 }, () => {
  let broker: TestBroker
  let groupSkip: string | undefined

  before(async () => {
    broker = await startTestBroker()
    groupSkip = (await supportsGroups(broker.bootstrap))
      ? undefined
      : 'the broker has no group coordinator yet'
    // The store creates the topic before the election starts; here the test does.
    const admin = new Admin({ clientId: 'test', bootstrapBrokers: [broker.bootstrap] })
    await admin.createTopics({ topics: ['_schemas'], partitions: 1, replicas: 1 })
    await admin.close()
  })
  after(async () => {
    await broker?.close()
  })

  async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  it('elects exactly one leader that every member knows, and hands over when it leaves', async (t) => {
    if (groupSkip) return t.skip(groupSkip)
    const elected: string[] = []
    const make = (url: string) =>
      new KafkaGroupElection({
        brokers: [broker.bootstrap],
        groupId: 'election-test',
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 500,
        onElected: async () => {
          elected.push(url)
        },
      })
    const seen: LeadershipMessage[] = []
    const listener = (message: unknown) => seen.push(message as LeadershipMessage)
    leadershipChannel.subscribe(listener)
    const a = make('http://a.test')
    const b = make('http://b.test')
    try {
      await Promise.all([a.start('http://a.test'), b.start('http://b.test')])
      await until(() => [a, b].filter((e) => e.isLeader).length === 1 && a.leaderUrl === b.leaderUrl, 20_000)
      const [leader, follower] = a.isLeader ? [a, b] : [b, a]
      assert.equal(leader.leaderUrl, elected.at(-1))
      await leader.close()
      await until(() => follower.isLeader, 20_000)
      assert.equal(follower.leaderUrl, elected.at(-1))
      assert.notEqual(elected.at(-1), elected.at(-2))
      // Each change of view was published: both roles seen, the last one the new leader's.
      assert.ok(seen.some((message) => message.role === 'follower'))
      assert.deepEqual(seen.at(-1), { role: 'leader', leaderUrl: elected.at(-1) })
    } finally {
      leadershipChannel.unsubscribe(listener)
      await a.close()
      await b.close()
    }
  })
})
