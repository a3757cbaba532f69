// The consumer-group acceptance run of issue 3, shared by the kafkajs, @platformatic/kafka and
// confluent-kafka (librdkafka) tests: members are child processes printing JSON lines (see
// clients/), the broker runs in this process so it can be restarted on the same port and data
// directory, and records are appended straight to the partition logs.
//
//   three members split a 6-partition topic; one is SIGKILLed (no LeaveGroup) and its
//   partitions move after the session timeout; a fourth joins and the group rebalances; the
//   broker restarts and the group resumes from its committed offsets; members commit after
//   processing, so no record is ever skipped.
//
// Every child is killed by PID in `finally`; every wait has a deadline.
import assert from 'node:assert/strict'
import { buildBatch } from '@runnel/protocol'
import { brokerInternals } from '../../src/broker.ts'
import { type RunningBroker, startBroker } from '../../src/index.ts'
import { freePort, makeTempDir, removeDir } from '../helpers/broker.ts'
import { killChild, type LineChild } from '../helpers/child-process.ts'

export const PARTITIONS = 6
export const SESSION_TIMEOUT_MS = 6000

export type MemberEvent =
  | { e: 'assigned'; partitions: number[]; t: number }
  | { e: 'rec'; p: number; o: number; v: string }
  | { e: 'commit-error' | 'crash' | 'stream-error'; err: string }
  | { e: 'closed' }

/** A member process and what it printed. */
export class Member {
  killed = false
  constructor(
    readonly name: string,
    readonly child: LineChild,
  ) {}

  events(from = 0): MemberEvent[] {
    const out: MemberEvent[] = []
    for (const line of this.child.lines.slice(from)) {
      if (!line.startsWith('{')) continue
      out.push(JSON.parse(line) as MemberEvent)
    }
    return out
  }

  /** The last assignment it reported, or undefined before its first. */
  get assignment(): number[] | undefined {
    const assigned = this.events().filter((e) => e.e === 'assigned')
    return assigned.at(-1)?.partitions
  }

  /** Every event but records, for failure messages. */
  timeline(): string {
    return this.events()
      .filter((e) => e.e !== 'rec')
      .map((e) => JSON.stringify(e))
      .join('\n')
  }

  assignmentCount(): number {
    return this.events().filter((e) => e.e === 'assigned').length
  }

  records(from = 0): { p: number; o: number; v: string }[] {
    return this.events(from).flatMap((e) => (e.e === 'rec' ? [e] : []))
  }

  async kill9(): Promise<void> {
    this.killed = true
    await this.child.kill('SIGKILL')
  }
}

export type SpawnMember = (name: string, bootstrap: string, topic: string, group: string) => LineChild

/** Creates `topic` with PARTITIONS partitions; a refusal fails the test. */
export async function createScenarioTopic(running: RunningBroker, topic: string): Promise<void> {
  const created = await brokerInternals(running).topics.create({
    name: topic,
    numPartitions: PARTITIONS,
    replicationFactor: -1,
  })
  assert.ok(created.ok)
}

/** Polls `check` every 50 ms until it returns true; fails with `what` (and `detail()`) after timeoutMs. */
export async function waitUntil(
  check: () => boolean,
  timeoutMs: number,
  what: string,
  detail?: () => string,
): Promise<number> {
  const started = Date.now()
  for (;;) {
    if (check()) return Date.now() - started
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `\n${detail()}` : ''}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** The live members own every partition, each at least one, none twice. */
export function covers(members: Member[], partitions = PARTITIONS): boolean {
  const seen = new Set<number>()
  for (const m of members) {
    const a = m.assignment
    if (!a || a.length === 0) return false
    for (const p of a) {
      if (seen.has(p)) return false
      seen.add(p)
    }
  }
  return seen.size === partitions
}

export function describeMembers(members: Member[]): string {
  return members
    .map(
      (m) =>
        `${m.name}${m.killed ? ' (killed)' : ''}: ${JSON.stringify(m.assignment)} after ${m.assignmentCount()} assignments, ${m.records().length} records\n${m.child.stderr.slice(-2000)}`,
    )
    .join('\n')
}

/** Appends `perPartition` records to every partition; returns their values. */
export function produce(
  running: RunningBroker,
  topic: string,
  phase: string,
  perPartition: number,
): string[] {
  const values: string[] = []
  const t = brokerInternals(running).topics.get(topic)!
  for (let p = 0; p < t.partitions.length; p++) {
    const records = Array.from({ length: perPartition }, (_, i) => {
      const v = `${phase}:${p}:${i}`
      values.push(v)
      return { key: Buffer.from(`k${i}`), value: Buffer.from(v) }
    })
    const result = brokerInternals(running).partitions.appendInternal(
      t.partitions[p],
      buildBatch({ records }),
    )
    assert.equal(result.kind, 'appended')
  }
  return values
}

export interface ScenarioReport {
  /** SIGKILL of a member until the survivors own every partition. */
  failoverMs: number
  /** A fourth member starting until the group is rebalanced over it. */
  scaleOutMs: number
  /** Broker restart until every record produced after it was consumed. */
  restartResumeMs: number
  records: number
  duplicates: number
}

export interface ScenarioOptions {
  spawn: SpawnMember
  topic: string
  group: string
  /** Bound for each wait; generous, the machine is small. */
  waitMs?: number
  /**
   * The client may hand a record over again after it was committed (its own buffering across
   * rebalances) and commit its offset again, moving the committed offset back: at-least-once,
   * but then duplicates are not bounded and offsets are not checked for monotony.
   */
  clientRedelivers?: boolean
  log?: (msg: string) => void
}

export async function runGroupScenario(options: ScenarioOptions): Promise<ScenarioReport> {
  const { spawn, topic, group } = options
  const waitMs = options.waitMs ?? 45_000
  const log = options.log ?? (() => {})
  const dataDir = await makeTempDir('group-scenario')
  const port = await freePort()
  const brokerOptions = {
    port,
    host: '127.0.0.1',
    dataDir,
    logLevel: 'silent' as const,
    brokerConfigs: { 'group.initial.rebalance.delay.ms': '500' },
  }
  let running = await startBroker(brokerOptions)
  const bootstrap = running.bootstrap
  const members: Member[] = []
  const start = (name: string) => {
    const m = new Member(name, spawn(name, bootstrap, topic, group))
    members.push(m)
    return m
  }
  const live = () => members.filter((m) => !m.killed)
  const allValues = new Set<string>()
  const seen = () => {
    const s = new Set<string>()
    for (const m of members) for (const r of m.records()) s.add(r.v)
    return s
  }
  const allSeen = () => {
    const s = seen()
    for (const v of allValues) if (!s.has(v)) return false
    return true
  }
  const missing = () => {
    const s = seen()
    const miss = [...allValues].filter((v) => !s.has(v))
    return `${miss.length} of ${allValues.size} not consumed, e.g. ${miss.slice(0, 5).join(', ')}\n${describeMembers(members)}`
  }
  const detail = () => describeMembers(members)
  try {
    await createScenarioTopic(running, topic)
    for (const v of produce(running, topic, 'a', 40)) allValues.add(v)

    // Three members split the six partitions.
    const a = start('m1')
    const b = start('m2')
    const c = start('m3')
    await waitUntil(() => covers([a, b, c]), waitMs, 'three members to split 6 partitions', detail)
    for (const m of [a, b, c]) assert.equal(m.assignment?.length, 2, `${m.name} owns 2 of 6`)
    await waitUntil(allSeen, waitMs, 'the first records to be consumed', missing)
    log(`3 members: ${[a, b, c].map((m) => JSON.stringify(m.assignment)).join(' ')}`)

    // One is killed without leaving; after its session times out its partitions move.
    for (const v of produce(running, topic, 'b', 20)) allValues.add(v)
    const killedAt = Date.now()
    await b.kill9()
    await waitUntil(() => covers([a, c]), waitMs, 'the survivors to take over', detail)
    const sinceKill = Date.now() - killedAt
    log(`SIGKILL ${b.name}: survivors own all partitions after ${sinceKill} ms`)
    assert.ok(
      sinceKill >= SESSION_TIMEOUT_MS - 1500,
      `the move waited for the session timeout (${sinceKill} ms)`,
    )
    await waitUntil(allSeen, waitMs, 'records of the dead member to be consumed by others', missing)

    // A fourth joins: the group rebalances over three live members.
    for (const v of produce(running, topic, 'c', 20)) allValues.add(v)
    const d = start('m4')
    const scaleOutMs = await waitUntil(
      () => covers([a, c, d]),
      waitMs,
      'the group to rebalance over the fourth member',
      detail,
    )
    log(
      `4th member: rebalanced in ${scaleOutMs} ms (incl. process start): ${live()
        .map((m) => JSON.stringify(m.assignment))
        .join(' ')}`,
    )
    await waitUntil(allSeen, waitMs, 'every record so far', missing)

    // Everything consumed is committed: wait for the commits to reach the log end.
    const logEnd = () =>
      brokerInternals(running)
        .topics.get(topic)!
        .partitions.map((l) => l.logEndOffset)
    const committed = () =>
      brokerInternals(running)
        .groups.fetchOffsets(group, [{ name: topic, partitionIndexes: [...Array(PARTITIONS).keys()] }], false)
        .topics[0].partitions.map((p) => Number(p.committedOffset))
    await waitUntil(
      () => committed().join() === logEnd().join(),
      waitMs,
      'commits to reach the log end',
      () => `${committed()} vs ${logEnd()}`,
    )
    const committedBefore = committed()

    // The broker restarts mid-run (same port, same data). The group resumes from its commits.
    const marks = new Map(members.map((m) => [m, m.child.lines.length]))
    await running.close()
    running = await startBroker(brokerOptions)
    assert.deepEqual(committed(), committedBefore, 'committed offsets replayed from __consumer_offsets')
    const restartedAt = Date.now()
    const after = produce(running, topic, 'd', 20)
    for (const v of after) allValues.add(v)
    await waitUntil(allSeen, waitMs, 'records produced after the restart', missing)
    const restartResumeMs = Date.now() - restartedAt
    log(`broker restart: records produced after it consumed within ${restartResumeMs} ms`)
    for (const m of options.clientRedelivers ? [] : live()) {
      const since = m.events(marks.get(m)).flatMap((e) => (e.e === 'rec' ? [e] : []))
      const replayed = since.filter((r) => r.o < committedBefore[r.p])
      assert.deepEqual(
        replayed,
        [],
        `${m.name} re-read records below the committed offsets after the restart`,
      )
    }
    await waitUntil(() => covers(live()), waitMs, 'the group to be whole after the restart', detail)

    // Nothing skipped; duplicates only from the killed member's uncommitted work.
    const counts = new Map<string, number>()
    for (const m of members) for (const r of m.records()) counts.set(r.v, (counts.get(r.v) ?? 0) + 1)
    for (const v of allValues) assert.ok(counts.has(v), `record ${v} was skipped`)
    let duplicates = 0
    for (const n of counts.values()) duplicates += n - 1
    const records = allValues.size
    log(`${records} records, ${duplicates} delivered twice`)
    const twice = () =>
      [...counts.entries()]
        .filter(([, n]) => n > 1)
        .map(
          ([v]) =>
            `${v} by ${members
              .filter((m) => m.records().some((r) => r.v === v))
              .map((m) => m.name)
              .join('+')}`,
        )
    assert.ok(
      options.clientRedelivers || duplicates <= 10,
      `at most a few records redelivered (${duplicates}): ${twice().slice(0, 50).join(', ')}`,
    )

    // Members leave cleanly once everything is committed: the group ends Empty, offsets kept.
    await waitUntil(
      () => committed().join() === logEnd().join(),
      waitMs,
      'the last commits',
      () => `${committed()} vs ${logEnd()}`,
    )
    await Promise.all(live().map((m) => m.child.stop(15_000)))
    await waitUntil(
      () => brokerInternals(running).groups.group(group)?.state === 'Empty',
      waitMs,
      'the group to be empty after the members left',
      () => `state ${brokerInternals(running).groups.group(group)?.state}`,
    )
    if (!options.clientRedelivers) assert.deepEqual(committed(), logEnd(), 'leaving lost no commit')
    return { failoverMs: sinceKill, scaleOutMs, restartResumeMs, records, duplicates }
  } finally {
    for (const m of members) killChild(m.child.child, 'SIGKILL')
    await Promise.all(members.map((m) => m.child.exited))
    await running.close()
    await removeDir(dataDir)
  }
}
