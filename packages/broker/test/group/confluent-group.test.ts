// Issue 3 acceptance with python3-confluent-kafka (librdkafka 2.0.2) members, child processes
// run with /usr/bin/python3: the shared scenario (eager range assignor), librdkafka's
// cooperative-sticky assignor over consecutive rebalances, and a static member
// (group.instance.id) that restarts within its session timeout without a rebalance.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { brokerInternals } from '../../src/broker.ts'
import { type RunningBroker, startBroker } from '../../src/index.ts'
import { makeTempDir, removeDir } from '../helpers/broker.ts'
import { killChild, LineChild } from '../helpers/child-process.ts'
import { PYTHON } from '../helpers/python.ts'
import {
  covers,
  createScenarioTopic,
  describeMembers,
  Member,
  PARTITIONS,
  produce,
  runGroupScenario,
  waitUntil,
} from './group-scenario.ts'

const MEMBER = join(new URL('.', import.meta.url).pathname, 'clients/confluent_member.py')
const WAIT_MS = 45_000

function spawnMember(
  bootstrap: string,
  topic: string,
  group: string,
  strategy: string,
  instance?: string,
): LineChild {
  const args = [MEMBER, bootstrap, topic, group, strategy, ...(instance ? [instance] : [])]
  return new LineChild(PYTHON, args, { env: { ...process.env, PYTHONUNBUFFERED: '1' } })
}

/**
 * Runs `body` against a broker of its own (in a fresh data dir) with a PARTITIONS-partition
 * `topic`; `start` launches a member with `spawn` and keeps it, to be SIGKILLed at the end.
 */
async function onOwnBroker(
  dirName: string,
  topic: string,
  spawn: (bootstrap: string, name: string) => LineChild,
  body: (running: RunningBroker, start: (name: string) => Member, members: Member[]) => Promise<void>,
): Promise<void> {
  const dataDir = await makeTempDir(dirName)
  const running = await startBroker({
    port: 0,
    dataDir,
    logLevel: 'silent',
    brokerConfigs: { 'group.initial.rebalance.delay.ms': '500' },
  })
  const members: Member[] = []
  try {
    await createScenarioTopic(running, topic)
    const start = (name: string) => {
      const m = new Member(name, spawn(running.bootstrap, name))
      members.push(m)
      return m
    }
    await body(running, start, members)
  } finally {
    for (const m of members) killChild(m.child.child, 'SIGKILL')
    await Promise.all(members.map((m) => m.child.exited))
    await running.close()
    await removeDir(dataDir)
  }
}

describe('python confluent-kafka (librdkafka 2.0.2) consumer groups', () => {
  test('three members split, failover, scale-out, broker restart, nothing skipped', {
    timeout: 150_000,
  }, async (t) => {
    const report = await runGroupScenario({
      topic: 'confluent-group',
      group: 'confluent-group',
      spawn: (_name, bootstrap, topic, group) => spawnMember(bootstrap, topic, group, 'range'),
      log: (m) => t.diagnostic(m),
    })
    t.diagnostic(JSON.stringify(report))
  })

  test('cooperative-sticky: a third member joins by incremental rebalances; owners keep partitions throughout', {
    timeout: 90_000,
  }, async (t) => {
    const topic = 'coop'
    const cooperative = (bootstrap: string) =>
      spawnMember(bootstrap, topic, 'coop-group', 'cooperative-sticky')
    await onOwnBroker('group-coop', topic, cooperative, async (running, start, members) => {
      const values = new Set(produce(running, topic, 'a', 20))
      const a = start('c1')
      const b = start('c2')
      await waitUntil(
        () => covers([a, b]),
        WAIT_MS,
        'two members to share 6 partitions',
        () => describeMembers(members),
      )
      // Let every commit land first: librdkafka 2.0.2 treats a commit refused with
      // ILLEGAL_GENERATION (sent with the old generation while the rebalance moves on, which
      // Kafka refuses too) as losing its whole assignment, which would hide what is tested here.
      const committedAll = () =>
        brokerInternals(running)
          .groups.fetchOffsets(
            'coop-group',
            [{ name: topic, partitionIndexes: [...Array(PARTITIONS).keys()] }],
            false,
          )
          .topics[0].partitions.every((p) => p.committedOffset === 20n)
      await waitUntil(committedAll, WAIT_MS, 'the first records to be committed', () =>
        describeMembers(members),
      )
      const generationBefore = brokerInternals(running).groups.group('coop-group')!.generationId
      const aBefore = new Set(a.assignment)
      const bBefore = new Set(b.assignment)
      const c = start('c3')
      const took = await waitUntil(
        () => covers([a, b, c]),
        WAIT_MS,
        'three members to share 6 partitions',
        () => describeMembers(members),
      )
      for (const v of produce(running, topic, 'b', 20)) values.add(v)
      await waitUntil(
        () => {
          const seen = new Set(members.flatMap((m) => m.records().map((r) => r.v)))
          return [...values].every((v) => seen.has(v))
        },
        WAIT_MS,
        'every record',
        () => describeMembers(members),
      )
      const generationAfter = brokerInternals(running).groups.group('coop-group')!.generationId
      t.diagnostic(
        `cooperative join of a third member: ${took} ms, generations ${generationBefore} -> ${generationAfter}`,
      )
      // Cooperative: the first rebalance only revokes what moves, the second hands it over.
      assert.ok(
        generationAfter - generationBefore >= 2,
        `two rebalances or more (${generationBefore} -> ${generationAfter})`,
      )
      for (const [m, before] of [
        [a, aBefore],
        [b, bBefore],
      ] as const) {
        const assignments = m.events().flatMap((e) => (e.e === 'assigned' ? [e.partitions] : []))
        const afterJoin = assignments.slice(assignments.findIndex((x) => x.length === before.size))
        assert.ok(
          afterJoin.every((x) => x.length > 0),
          `${m.name} was never stripped of every partition:\n${m.timeline()}`,
        )
        assert.ok(
          m.assignment!.every((p) => before.has(p)),
          `${m.name} kept a subset of what it owned (sticky): ${JSON.stringify([...before])} -> ${JSON.stringify(m.assignment)}`,
        )
      }
      assert.equal(c.assignment?.length, 2)
    })
  })

  test('a static member restarting within its session timeout keeps its partitions without a rebalance', {
    timeout: 90_000,
  }, async (t) => {
    const topic = 'static'
    const group = 'static-group'
    // The member's name is its group.instance.id.
    const staticMember = (bootstrap: string, name: string) =>
      spawnMember(bootstrap, topic, group, 'range', name)
    await onOwnBroker('group-static', topic, staticMember, async (running, start, members) => {
      const a = start('static-a')
      const b = start('static-b')
      await waitUntil(
        () => covers([a, b]),
        WAIT_MS,
        'two static members to share 6 partitions',
        () => describeMembers(members),
      )
      const g = brokerInternals(running).groups.group(group)!
      const generation = g.generationId
      const bPartitions = b.assignment
      const aAssignments = a.assignmentCount()
      const oldMemberId = g.staticMembers.get('static-b')

      // b dies (SIGKILL: no LeaveGroup, which static members do not send anyway) and comes back.
      await b.kill9()
      const restartedAt = Date.now()
      const b2 = start('static-b')
      await waitUntil(
        () => (b2.assignment?.length ?? 0) > 0,
        WAIT_MS,
        'the restarted member to get its partitions',
        () => describeMembers(members),
      )
      const took = Date.now() - restartedAt
      t.diagnostic(`static member back with its partitions ${took} ms after restarting`)
      assert.ok(took < 6000, 'back within the session timeout')
      assert.deepEqual(b2.assignment, bPartitions, 'same partitions as before')
      assert.equal(g.generationId, generation, 'no rebalance: same generation')
      assert.notEqual(g.staticMembers.get('static-b'), oldMemberId, 'a new member id for the instance')
      // Wait past the old incarnation's session timeout: still nothing moves.
      await new Promise((r) => setTimeout(r, 7000))
      assert.equal(g.generationId, generation)
      assert.equal(g.state, 'Stable')
      assert.equal(a.assignmentCount(), aAssignments, 'the other member saw no rebalance')
      const values = new Set(produce(running, topic, 'a', 10))
      await waitUntil(
        () => {
          const seen = new Set([a, b2].flatMap((m) => m.records().map((r) => r.v)))
          return [...values].every((v) => seen.has(v))
        },
        WAIT_MS,
        'both members to consume',
        () => describeMembers(members),
      )
    })
  })
})
