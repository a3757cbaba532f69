// A load generator for the load and scale scenarios (bench/lib/scale.ts, bench/lib/soak.ts):
// one process holding many raw Kafka connections (bench/lib/wire.ts), so that 1,000 of them
// take a few processes and none shares the broker's event loop or the harness's.
//
//   node --import tsx bench/load-gen.ts '<plan as JSON>'   (see Plan below)
//
// It connects every connection, prints {"ready":true}, waits for "go" on stdin, runs the
// plan and prints its result as one JSON line with "mode". A steady plan runs until
// "stop" (or the end of stdin) or its duration, and prints {"tick":...} with the latencies of
// each reporting window. Latency is per request, from the write to its response frame.
import { createInterface } from 'node:readline'
import { batchRecordCount, iterateBatches } from '@runnel/protocol'
import { LatencyHistogram } from './lib/latency.ts'
import { fetchMany, produceOne, recordBatch, type Target, WireConnection } from './lib/wire.ts'

export interface TopicSpec {
  name: string
  partitions: number
}

interface PlanBase {
  port: number
  /** This process's connections are numbered first .. first + connections - 1 ... */
  firstConnection: number
  connections: number
  /** ... of this many across all the generators. */
  totalConnections: number
  topics: TopicSpec[]
  /** Records per produced batch, and their value size in bytes. */
  records: number
  size: number
}

export type Plan =
  | (PlanBase & {
      mode: 'steady'
      /** Each connection sends one Produce every intervalMs (first one at a random phase). */
      intervalMs: number
      /** Connection g uses acks=all when g % 4 >= 2, else acks=1 (with 'mix'). */
      acks: 'mix' | 1 | -1
      /** Connection g also fetches (after each produce, what it just wrote onward) when g % fetchEvery === fetchEvery - 1; 0 for none. */
      fetchEvery: number
      /** 0: until "stop". */
      durationMs: number
      reportEveryMs: number
    })
  | (PlanBase & { mode: 'produce-all'; acks: 1 | -1 })
  | (PlanBase & { mode: 'fetch-all' })

/** Partition j of all (topic-major) goes to connection j % total; with fewer partitions than connections, g % partitions. */
export function targetsOf(plan: PlanBase, g: number): Target[] {
  const all: Target[] = plan.topics.flatMap((t) =>
    Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.name, partition })),
  )
  if (all.length <= plan.totalConnections) return [all[g % all.length]]
  return all.filter((_, j) => j % plan.totalConnections === g)
}

const out = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`)
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage()
  return Number(((user + system) / 1e6).toFixed(3))
}

class Errors {
  readonly codes: Record<string, number> = {}
  readonly messages: string[] = []
  count = 0
  code(c: number): void {
    this.count++
    this.codes[c] = (this.codes[c] ?? 0) + 1
  }
  thrown(err: unknown): void {
    this.count++
    if (this.messages.length < 5) this.messages.push(err instanceof Error ? err.message : String(err))
  }
  toJSON() {
    return { count: this.count, codes: this.codes, messages: this.messages }
  }
}

const recordsIn = (buf: Buffer | null): number => {
  if (!buf || buf.length === 0) return 0
  let n = 0
  for (const { pos } of iterateBatches(buf)) n += batchRecordCount(buf, pos)
  return n
}

async function runSteady(
  plan: Extract<Plan, { mode: 'steady' }>,
  conns: WireConnection[],
  stopped: Promise<void>,
) {
  const errors = new Errors()
  let produce = new LatencyHistogram()
  let fetch = new LatencyHistogram()
  const total = {
    produce: new LatencyHistogram(),
    produceAcks1: new LatencyHistogram(),
    produceAcksAll: new LatencyHistogram(),
    fetch: new LatencyHistogram(),
  }
  let produced = 0
  let fetchedRecords = 0
  let late = 0
  const batches = [recordBatch(plan.records, plan.size), recordBatch(plan.records, plan.size)]
  const started = performance.now()
  const cpuAtStart = cpuSeconds()
  let running = true
  const state = conns.map((conn, i) => {
    const g = plan.firstConnection + i
    return {
      conn,
      g,
      targets: targetsOf(plan, g),
      next: 0,
      acks: (plan.acks === 'mix' ? (g % 4 >= 2 ? -1 : 1) : plan.acks) as 1 | -1,
      fetches: plan.fetchEvery > 0 && g % plan.fetchEvery === plan.fetchEvery - 1,
      due: started + Math.random() * plan.intervalMs,
      busy: false,
    }
  })
  const cycle = async (s: (typeof state)[number]) => {
    s.busy = true
    try {
      const target = s.targets[s.next++ % s.targets.length]
      const r = await produceOne(s.conn, target, batches[s.next & 1], s.acks)
      produce.record(r.ms)
      total.produce.record(r.ms)
      ;(s.acks === 1 ? total.produceAcks1 : total.produceAcksAll).record(r.ms)
      if (r.errorCode !== 0) errors.code(r.errorCode)
      else produced += plan.records
      if (s.fetches && r.errorCode === 0) {
        const f = await fetchMany(s.conn, target.topic, [{ ...target, offset: r.baseOffset }], 64 * 1024)
        fetch.record(f.ms)
        total.fetch.record(f.ms)
        for (const p of f.partitions) {
          if (p.errorCode !== 0) errors.code(p.errorCode)
          fetchedRecords += recordsIn(p.records)
        }
      }
    } catch (err) {
      errors.thrown(err)
    } finally {
      s.busy = false
    }
  }
  // One 5 ms timer sends whatever is due: a timer per connection would cost more than the sends.
  const ticker = setInterval(() => {
    if (!running) return
    const now = performance.now()
    for (const s of state) {
      if (s.busy || now < s.due) continue
      if (now - s.due > plan.intervalMs) late++ // the previous request ran over a whole interval
      s.due = Math.max(s.due + plan.intervalMs, now - plan.intervalMs)
      void cycle(s)
    }
  }, 5)
  let ticks = 0
  const reporter = setInterval(() => {
    out({ tick: ++ticks, produce: produce.toJSON(), fetch: fetch.toJSON(), errors: errors.count })
    produce = new LatencyHistogram()
    fetch = new LatencyHistogram()
  }, plan.reportEveryMs)
  const timeout =
    plan.durationMs > 0
      ? new Promise<void>((resolve) => setTimeout(resolve, plan.durationMs))
      : new Promise<void>(() => {})
  await Promise.race([stopped, timeout])
  running = false
  clearInterval(ticker)
  clearInterval(reporter)
  const drainUntil = performance.now() + 15_000
  while (state.some((s) => s.busy) && performance.now() < drainUntil)
    await new Promise((r) => setTimeout(r, 10))
  const seconds = (performance.now() - started) / 1000
  out({
    mode: 'steady',
    seconds: Number(seconds.toFixed(3)),
    connections: conns.length,
    producedRecords: produced,
    fetchedRecords,
    lateTicks: late,
    produce: total.produce.toJSON(),
    produceAcks1: total.produceAcks1.toJSON(),
    produceAcksAll: total.produceAcksAll.toJSON(),
    fetch: total.fetch.toJSON(),
    errors: errors.toJSON(),
    cpuSeconds: Number((cpuSeconds() - cpuAtStart).toFixed(3)),
  })
}

async function runProduceAll(plan: Extract<Plan, { mode: 'produce-all' }>, conns: WireConnection[]) {
  const errors = new Errors()
  const latency = new LatencyHistogram()
  const batch = recordBatch(plan.records, plan.size)
  const started = performance.now()
  let partitions = 0
  await Promise.all(
    conns.map(async (conn, i) => {
      for (const target of targetsOf(plan, plan.firstConnection + i)) {
        try {
          const r = await produceOne(conn, target, batch, plan.acks)
          latency.record(r.ms)
          if (r.errorCode !== 0) errors.code(r.errorCode)
          else partitions++
        } catch (err) {
          errors.thrown(err)
        }
      }
    }),
  )
  out({
    mode: 'produce-all',
    seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
    partitions,
    produce: latency.toJSON(),
    errors: errors.toJSON(),
    cpuSeconds: cpuSeconds(),
  })
}

/** Every partition from offset 0, up to 100 partitions of a topic per Fetch; a partition with no record is an error. */
async function runFetchAll(plan: Extract<Plan, { mode: 'fetch-all' }>, conns: WireConnection[]) {
  const errors = new Errors()
  const latency = new LatencyHistogram()
  const started = performance.now()
  let partitions = 0
  let records = 0
  let empty = 0
  await Promise.all(
    conns.map(async (conn, i) => {
      const targets = targetsOf(plan, plan.firstConnection + i)
      for (const topic of new Set(targets.map((t) => t.topic))) {
        const mine = targets.filter((t) => t.topic === topic)
        for (let at = 0; at < mine.length; at += 100) {
          try {
            const chunk = mine.slice(at, at + 100).map((t) => ({ ...t, offset: 0n }))
            const f = await fetchMany(conn, topic, chunk, 64 * 1024)
            latency.record(f.ms)
            for (const p of f.partitions) {
              if (p.errorCode !== 0) errors.code(p.errorCode)
              const n = recordsIn(p.records)
              if (n === 0) empty++
              else partitions++
              records += n
            }
          } catch (err) {
            errors.thrown(err)
          }
        }
      }
    }),
  )
  if (empty > 0) errors.thrown(new Error(`${empty} partitions returned no records`))
  out({
    mode: 'fetch-all',
    seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
    partitions,
    records,
    fetch: latency.toJSON(),
    errors: errors.toJSON(),
    cpuSeconds: cpuSeconds(),
  })
}

async function main() {
  const plan = JSON.parse(process.argv[2] ?? '') as Plan
  const conns: WireConnection[] = []
  // Connect in waves of 50: a listen backlog of 511 would drop a thousand SYNs at once.
  for (let i = 0; i < plan.connections; i += 50) {
    const wave = Math.min(50, plan.connections - i)
    conns.push(
      ...(await Promise.all(
        Array.from({ length: wave }, (_, k) =>
          WireConnection.connect(plan.port, `runnel-load-${plan.firstConnection + i + k}`),
        ),
      )),
    )
  }
  let go: () => void = () => {}
  let stop: () => void = () => {}
  const started = new Promise<void>((resolve) => {
    go = resolve
  })
  const stopped = new Promise<void>((resolve) => {
    stop = resolve
  })
  const input = createInterface({ input: process.stdin })
  input.on('line', (line) => {
    if (line.trim() === 'go') go()
    if (line.trim() === 'stop') stop()
  })
  input.on('close', () => {
    go()
    stop()
  })
  out({ ready: true, connections: conns.length })
  await started
  if (plan.mode === 'steady') await runSteady(plan, conns, stopped)
  else if (plan.mode === 'produce-all') await runProduceAll(plan, conns)
  else await runFetchAll(plan, conns)
  for (const c of conns) c.close()
  process.exit(0)
}

main().catch((err: unknown) => {
  process.stderr.write(`load-gen: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
