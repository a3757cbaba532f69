// Consumer groups (issue 3): consume throughput through a group of three librdkafka members on
// a 6-partition topic, against one consumer that assigns itself the same six partitions; and
// the time a rebalance takes, from a member's departure (a clean LeaveGroup, or SIGKILL and
// the session timeout) to every partition owned again by the members that stay. Each member is
// its own process (`rdkafka-perf group`), as three instances of a service would be; all stamp
// events with CLOCK_MONOTONIC, which the harness (process.hrtime) shares.
import {
  type Case,
  type Context,
  type Counts,
  filledTopic,
  measureWindow,
  rdkafkaConsumeRun,
  TOOL_TIMEOUT_MS,
  topicName,
  waitFor,
} from './harness.ts'
import { type Started, sleep, start, waitExit } from './processes.ts'
import { createTopics } from './topics.ts'

const PARTITIONS = 6
const MEMBERS = 3
/** The broker's group.min.session.timeout.ms: the shortest a member may ask for. */
export const SESSION_TIMEOUT_MS = 6000
/** A third of the session timeout or less, as Kafka advises; how soon a member hears of a rebalance. */
export const HEARTBEAT_INTERVAL_MS = 1000

interface MemberEvent {
  e: string
  t?: number
  partitions?: number[]
  records?: number
  bytes?: number
  firstNs?: number
  lastNs?: number
  cpuSeconds?: number
}

/** One `rdkafka-perf group` process: the events it printed, and its current assignment. */
class Member {
  readonly events: MemberEvent[] = []
  readonly process: Started
  /** The last "eof" line: every partition it owns read to the end, with its counts. */
  eof: MemberEvent | undefined

  constructor(binary: string, args: string[], onStart: () => void) {
    this.process = start(binary, args, {
      stdinPipe: true,
      onJson: (line) => {
        if (line.start === true) onStart()
        if (typeof line.e !== 'string') return
        const event = line as unknown as MemberEvent
        this.events.push(event)
        if (event.e === 'eof') this.eof = event
      },
    })
  }

  /** The partitions it owns now (none between a revocation and the next assignment). */
  owned(): number[] {
    const last = this.events.findLast((e) => e.e === 'assigned' || e.e === 'revoked')
    return last?.e === 'assigned' ? (last.partitions ?? []) : []
  }

  /** Closes its standard input: it leaves the group (LeaveGroup) and exits. */
  leave(): void {
    this.process.child.stdin?.end()
  }

  kill(): void {
    if (this.process.child.exitCode === null && this.process.child.signalCode === null) {
      try {
        process.kill(this.process.pid, 'SIGKILL')
      } catch {
        // gone meanwhile
      }
    }
  }
}

/** True when the members own every partition of the topic between them, each exactly once. */
function allOwned(members: readonly Member[]): boolean {
  const owned = members.flatMap((m) => m.owned())
  return owned.length === PARTITIONS && new Set(owned).size === PARTITIONS
}

function startMembers(
  ctx: Context,
  topic: string,
  group: string,
  settings: string[],
  onStart: () => void = () => {},
): Member[] {
  return Array.from(
    { length: MEMBERS },
    () =>
      new Member(ctx.rdkafka!.binary, ['group', ctx.broker.bootstrap, topic, group, ...settings], onStart),
  )
}

/** Every member leaves (or is killed after 30 s). */
async function stopMembers(members: readonly Member[]): Promise<void> {
  for (const m of members) m.leave()
  await Promise.all(
    members.map((m) =>
      waitExit(m.process, 30_000, 'group member (leaving)').catch((err: unknown) => {
        process.stderr.write(`${(err as Error).message.split('\n')[0]}\n`)
      }),
    ),
  )
}

const groupName = (c: Case, run: number) => `bench-${c.id}-r${run}-${Date.now()}`

/** One librdkafka consumer, assign() of all six partitions: the group-less baseline. */
function assignConsume(size: number, records: (c: Counts) => number): Case {
  const c: Case = {
    id: `rdkafka-consume-${size}b-6p`,
    group: 'group-consume',
    client: 'librdkafka',
    target: 'runnel',
    kind: 'consume',
    size,
    partitions: PARTITIONS,
    records,
    needsRdkafka: true,
    run: (ctx, run) => rdkafkaConsumeRun(ctx, run, size, records(ctx.counts), PARTITIONS),
  }
  return c
}

/**
 * Three members subscribe() to the same filled topic in a fresh group, from the earliest
 * offset; timed from the first record any member receives to the last record of the last
 * member to reach the end of its partitions. The group's join (about 3 s of
 * group.initial.rebalance.delay.ms) comes before the first record, outside the timing.
 */
function groupConsume(size: number, records: (c: Counts) => number): Case {
  const c: Case = {
    id: `rdkafka-group-consume-${size}b`,
    group: 'group-consume',
    client: 'librdkafka',
    target: 'runnel',
    kind: 'consume',
    size,
    partitions: PARTITIONS,
    members: MEMBERS,
    records,
    needsRdkafka: true,
    async run(ctx, run) {
      const n = records(ctx.counts)
      const topic = await filledTopic(ctx, size, n, run, PARTITIONS)
      const window = measureWindow(ctx.broker.pid, ctx.broker.httpPort)
      let begun = false
      const members = startMembers(ctx, topic, groupName(c, run), [], () => {
        if (!begun) window.begin()
        begun = true
      })
      try {
        const consumed = () => members.reduce((sum, m) => sum + (m.eof?.records ?? 0), 0)
        await Promise.race([
          waitFor(() => consumed() >= n, TOOL_TIMEOUT_MS, `group of ${MEMBERS} reading ${n} records`),
          ...members.map((m) =>
            m.process.exited.then((code) =>
              Promise.reject(new Error(`a member exited with ${code}: ${m.process.stderr()}`)),
            ),
          ),
        ])
        const measured = await window.end()
        const ends = members.map((m) => m.eof!)
        const firstNs = Math.min(...ends.map((e) => e.firstNs ?? Number.POSITIVE_INFINITY))
        const lastNs = Math.max(...ends.map((e) => e.lastNs ?? 0))
        const seconds = (lastNs - firstNs) / 1e9
        const got = consumed()
        const bytes = ends.reduce((sum, e) => sum + (e.bytes ?? 0), 0)
        const cpuSeconds = ends.reduce((sum, e) => sum + (e.cpuSeconds ?? 0), 0)
        return {
          run,
          topic,
          tool: {
            mode: 'group-consume',
            records: got,
            bytes,
            seconds: Number(seconds.toFixed(3)),
            msgPerSec: Math.round(got / seconds),
            mbPerSec: Number((bytes / seconds / 1e6).toFixed(1)),
            cpuSeconds,
            // more than one assignment per member means a rebalance during the run
            assignments: members.map((m) => m.events.filter((e) => e.e === 'assigned').length),
            perMember: ends.map((e) => e.records),
          },
          clientCpuSeconds: cpuSeconds,
          ...measured,
        }
      } finally {
        // Leaving now rather than expiring later keeps the group's end out of the next case.
        await stopMembers(members)
      }
    },
  }
  return c
}

/**
 * Three members on an empty 6-partition topic (the data flowing does not change what a
 * rebalance has to do), session.timeout.ms 6 s, heartbeat.interval.ms 1 s. Once the group is
 * Stable and quiet, and after a random fraction of a heartbeat interval, the third member leaves: with `leave` it closes (LeaveGroup), timed from
 * the moment it starts to close; with `kill` the harness sends it SIGKILL, and the coordinator
 * notices only when its session times out. Measured: the time until the last of the two
 * others is told (its eager assignor revokes its partitions) and until both own all six again.
 */
function rebalance(departure: 'leave' | 'kill'): Case {
  const c: Case = {
    id: `rebalance-${departure}`,
    group: 'rebalance',
    client: 'librdkafka',
    target: 'runnel',
    kind: 'rebalance',
    size: 0,
    partitions: PARTITIONS,
    members: MEMBERS,
    departure,
    records: () => 0,
    needsRdkafka: true,
    async run(ctx, run) {
      const topic = topicName(c, run)
      await createTopics(ctx.broker.bootstrap, [topic], PARTITIONS)
      const members = startMembers(ctx, topic, groupName(c, run), [
        `session.timeout.ms=${SESSION_TIMEOUT_MS}`,
        `heartbeat.interval.ms=${HEARTBEAT_INTERVAL_MS}`,
      ])
      try {
        await waitFor(
          () => members.every((m) => m.owned().length > 0) && allOwned(members),
          60_000,
          'the group to become Stable',
        )
        // Quiet: no assignment changed for two heartbeat intervals.
        for (let seen = -1; ; ) {
          const now = members.reduce((sum, m) => sum + m.events.length, 0)
          if (now === seen) break
          seen = now
          await sleep(2 * HEARTBEAT_INTERVAL_MS)
        }
        // The members heartbeat in step (they got their assignments together), so a departure at a
        // fixed delay after that would always fall at the same point of their heartbeat cycle:
        // leave at a random point of it instead, as a real departure would.
        const phaseMs = Math.round(Math.random() * HEARTBEAT_INTERVAL_MS)
        await sleep(phaseMs)
        const [departing, ...stay] = [members[MEMBERS - 1], ...members.slice(0, MEMBERS - 1)]
        const marks = stay.map((m) => m.events.length)
        const window = measureWindow(ctx.broker.pid, ctx.broker.httpPort)
        let departedNs: number
        if (departure === 'leave') {
          departing.leave()
          await waitFor(() => departing.events.some((e) => e.e === 'leaving'), 10_000, 'the member to leave')
          departedNs = departing.events.find((e) => e.e === 'leaving')!.t!
        } else {
          departedNs = Number(process.hrtime.bigint())
          departing.kill()
        }
        const since = (m: Member, i: number) => m.events.slice(marks[i])
        await waitFor(
          () => stay.every((m, i) => since(m, i).some((e) => e.e === 'assigned')) && allOwned(stay),
          SESSION_TIMEOUT_MS + 30_000,
          `the ${stay.length} remaining members to own all ${PARTITIONS} partitions`,
        )
        const measured = await window.end()
        const ownedNs = Math.max(...stay.map((m, i) => since(m, i).findLast((e) => e.e === 'assigned')!.t!))
        const told = stay.map((m, i) => since(m, i).find((e) => e.e === 'revoked')?.t)
        const toldNs = told.every((t) => t !== undefined) ? Math.max(...told) : undefined
        const ms = (ns: number) => Number((ns / 1e6).toFixed(1))
        return {
          run,
          topic,
          tool: {
            mode: 'rebalance',
            departure,
            rebalanceMs: ms(ownedNs - departedNs),
            toldMs: toldNs === undefined ? null : ms(toldNs - departedNs),
            sessionTimeoutMs: SESSION_TIMEOUT_MS,
            heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
            phaseMs,
            owned: stay.map((m) => m.owned()),
          },
          clientCpuSeconds: 0,
          ...measured,
        }
      } finally {
        await stopMembers(members)
      }
    },
  }
  return c
}

export function groupCases(): Case[] {
  return [
    assignConsume(100, (k) => k.groupConsume100),
    groupConsume(100, (k) => k.groupConsume100),
    rebalance('leave'),
    rebalance('kill'),
  ]
}
