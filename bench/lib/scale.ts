// Load and scale (issue 8): 1,000 client connections producing and fetching at once, and
// 10,000 partitions (create, produce to all, fetch from all, a steady load over them, restart).
// Each scenario gets a broker of its own (bench/lib/broker-process.ts); the load comes from
// bench/load-gen.ts processes over raw connections (bench/lib/wire.ts says why not a client
// library). The broker's memory is its RSS from /proc; its event-loop delay comes from its
// /metrics, read every 10 s (each read starts the next window).
import type { Plan, TopicSpec } from '../load-gen.ts'
import { type BrokerHealth, type BrokerProcess, brokerHealth, startRunnel } from './broker-process.ts'
import { type GeneratorRun, runGenerators, startGenerators } from './load-gens.ts'
import { loadAverage, processTimes, residentBytes } from './proc-stats.ts'
import { sleep } from './processes.ts'
import { createTopics } from './topics.ts'
import { METADATA_VERSION, produceOne, recordBatch, type Target, WireConnection } from './wire.ts'

export interface LoadOptions {
  repoRoot: string
  profileDir?: string
  quick: boolean
  progress: (msg: string) => void
  /** Called with each broker started, so ^C can stop it. */
  onBroker: (broker: BrokerProcess | undefined) => void
}

export const MB = 2 ** 20
const mb = (bytes: number) => Number((bytes / MB).toFixed(1))
/** Records per produced batch and their size: small batches, as a service sends them. */
const RECORDS = 10
const SIZE = 100

/** A steady plan's latency and throughput, as reported. */
export interface SteadySummary {
  connections: number
  seconds: number
  produceRequestsPerSec: number
  recordsPerSec: number
  mbPerSec: number
  fetchRequestsPerSec: number
  fetchedRecordsPerSec: number
  produce: ReturnType<GeneratorRun['produce']['summary']>
  produceAcks1: ReturnType<GeneratorRun['produce']['summary']>
  produceAcksAll: ReturnType<GeneratorRun['produce']['summary']>
  fetch: ReturnType<GeneratorRun['produce']['summary']>
  lateTicks: number
  errors: GeneratorRun['errors']
  generatorCpuSeconds: number
  broker: {
    rssStartMB: number
    rssMaxMB: number
    rssEndMB: number
    loopP99MaxMs: number
    loopMaxMs: number
    /** Connections the broker counted (runnel_broker_connections), at most. */
    connectionsMax: number
    cpuSeconds: number
    cpuWaitSeconds: number
  }
  load1: number
}

/** Samples the broker (RSS, /metrics) every `everyMs` until stopped. */
export function sampler(broker: BrokerProcess, everyMs: number) {
  const samples: (BrokerHealth & { atSeconds: number; rssBytes: number })[] = []
  const t0 = performance.now()
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      await sleep(everyMs)
      if (stopped) break
      try {
        const health = await brokerHealth(broker.httpPort)
        samples.push({
          ...health,
          atSeconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
          rssBytes: residentBytes(broker.pid),
        })
      } catch {
        // a scrape that timed out: the broker is overloaded; the gap shows in the samples
      }
    }
  })()
  return {
    samples,
    async stop() {
      stopped = true
      await loop
      return samples
    },
  }
}

type SteadyPlan = Omit<
  Extract<Plan, { mode: 'steady' }>,
  | 'firstConnection'
  | 'totalConnections'
  | 'port'
  | 'mode'
  | 'durationMs'
  | 'reportEveryMs'
  | 'records'
  | 'size'
>

const kafkaPort = (broker: BrokerProcess) => Number(broker.bootstrap.split(':')[1])

/** Runs a steady plan for `seconds` over `processes` generators, sampling the broker every 10 s. */
export async function steady(
  o: LoadOptions,
  broker: BrokerProcess,
  plan: SteadyPlan,
  seconds: number,
  processes: number,
): Promise<SteadySummary> {
  const gens = await startGenerators(
    o.repoRoot,
    {
      ...plan,
      mode: 'steady',
      port: kafkaPort(broker),
      firstConnection: 0,
      totalConnections: plan.connections,
      durationMs: 0,
      reportEveryMs: 10_000,
      records: RECORDS,
      size: SIZE,
    },
    processes,
  )
  const rssStart = residentBytes(broker.pid)
  await brokerHealth(broker.httpPort) // starts the event-loop window
  const times = processTimes(broker.pid)
  const sampling = sampler(broker, 10_000)
  gens.go()
  await sleep(seconds * 1000)
  const last = await brokerHealth(broker.httpPort) // the last window, with every connection still open
  const rssLast = residentBytes(broker.pid)
  const run = await gens.stop()
  const samples = await sampling.stop()
  const after = processTimes(broker.pid)
  const rssEnd = residentBytes(broker.pid)
  const all = [...samples, { ...last, rssBytes: rssLast }]
  const sum = (field: string) => run.results.reduce((s, r) => s + Number(r[field] ?? 0), 0)
  const produceCount = run.produce.count
  return {
    connections: plan.connections,
    seconds: Number(run.seconds.toFixed(1)),
    produceRequestsPerSec: Math.round(produceCount / run.seconds),
    recordsPerSec: Math.round(sum('producedRecords') / run.seconds),
    mbPerSec: Number(((sum('producedRecords') * SIZE) / run.seconds / 1e6).toFixed(2)),
    fetchRequestsPerSec: Math.round(run.fetch.count / run.seconds),
    fetchedRecordsPerSec: Math.round(sum('fetchedRecords') / run.seconds),
    produce: run.produce.summary(),
    produceAcks1: run.produceAcks1.summary(),
    produceAcksAll: run.produceAcksAll.summary(),
    fetch: run.fetch.summary(),
    lateTicks: sum('lateTicks'),
    errors: run.errors,
    generatorCpuSeconds: run.cpuSeconds,
    broker: {
      rssStartMB: mb(rssStart),
      rssMaxMB: mb(Math.max(...all.map((s) => s.rssBytes))),
      rssEndMB: mb(rssEnd),
      loopP99MaxMs: Math.max(...all.map((s) => s.loopP99Ms)),
      loopMaxMs: Math.max(...all.map((s) => s.loopMaxMs)),
      connectionsMax: Math.max(...all.map((s) => s.connections)),
      cpuSeconds: Number((after.main.cpuSeconds - times.main.cpuSeconds).toFixed(2)),
      cpuWaitSeconds: Number((after.main.waitSeconds - times.main.waitSeconds).toFixed(2)),
    },
    load1: loadAverage()[0],
  }
}

export interface ConnectionsResult {
  connections: number
  /** Broker RSS before any client connected, and with every connection open and idle. */
  rssIdleMB: number
  rssConnectedMB: number
  load: SteadySummary
}

/** 1,000 connections (100 with --quick) producing to 100 partitions, half of them fetching too. */
export async function connectionsScenario(o: LoadOptions): Promise<ConnectionsResult> {
  const connections = o.quick ? 100 : 1000
  const seconds = o.quick ? 10 : 60
  const broker = await startRunnel({ repoRoot: o.repoRoot, profileDir: o.profileDir })
  o.onBroker(broker)
  try {
    await createTopics(broker.bootstrap, ['load-connections'], 100)
    o.progress('connections: warming up the broker with 20 connections for 5 s (not measured)')
    await steady(
      o,
      broker,
      {
        connections: 20,
        topics: [{ name: 'load-connections', partitions: 100 }],
        intervalMs: 10,
        acks: 'mix',
        fetchEvery: 2,
      },
      5,
      1,
    )
    const rssIdle = residentBytes(broker.pid)
    o.progress(
      `connections: ${connections} connections, each a produce of ${RECORDS} x ${SIZE} B every 200 ms, for ${seconds} s`,
    )
    const load = await steady(
      o,
      broker,
      {
        connections,
        topics: [{ name: 'load-connections', partitions: 100 }],
        intervalMs: 200,
        acks: 'mix',
        fetchEvery: 2,
      },
      seconds,
      4,
    )
    return { connections, rssIdleMB: mb(rssIdle), rssConnectedMB: load.broker.rssStartMB, load }
  } finally {
    await broker.stop()
    o.onBroker(undefined)
  }
}

export interface PartitionsResult {
  topics: number
  partitionsPerTopic: number
  createSeconds: { first: number; rest: number }
  at1k: PartitionStage
  at10k: PartitionStage
  restart: RestartResult
}

interface PartitionStage {
  partitions: number
  /** One batch to every partition, one partition per Produce, 50 connections. */
  produceAll: { seconds: number; produce: ReturnType<GeneratorRun['produce']['summary']>; errors: number }
  /** Every partition read from offset 0, 100 partitions per Fetch, 50 connections. */
  fetchAll: { seconds: number; partitions: number; errors: number }
  rssMB: number
  /** 200 connections cycling over the partitions, a produce every 100 ms each. */
  load: SteadySummary
}

export interface RestartResult {
  /** SIGTERM to exit. */
  stopSeconds: number
  /** Start of the new process to both ports accepting connections. */
  listenSeconds: number
  /** ... to a Metadata that lists every partition with a leader. */
  metadataSeconds: number
  /** ... to a produce answered without error (the last partition of the last topic). */
  firstProduceSeconds: number
  /** ... to a produce answered on every partition (20 connections of the harness). */
  everyPartitionSeconds: number
  rssMB: number
  /** Every partition still holds its records after the restart. */
  fetchAll: { partitions: number; errors: number }
}

/** The produce-all and fetch-all sweeps: 50 connections over 2 generators. */
const sweep = (broker: BrokerProcess, topics: TopicSpec[]) => ({
  port: kafkaPort(broker),
  firstConnection: 0,
  connections: 50,
  totalConnections: 50,
  topics,
  records: RECORDS,
  size: SIZE,
})

async function stage(o: LoadOptions, broker: BrokerProcess, topics: TopicSpec[]): Promise<PartitionStage> {
  const partitions = topics.reduce((s, t) => s + t.partitions, 0)
  const base = sweep(broker, topics)
  o.progress(`partitions: a produce to each of ${partitions} partitions`)
  const produced = await runGenerators(o.repoRoot, { ...base, mode: 'produce-all', acks: 1 }, 2)
  o.progress(
    `  ${produced.seconds.toFixed(1)} s, p99 ${produced.produce.quantileMs(0.99)} ms; fetching every partition`,
  )
  const fetched = await runGenerators(o.repoRoot, { ...base, mode: 'fetch-all' }, 2)
  const rss = residentBytes(broker.pid)
  const seconds = o.quick ? 5 : 20
  o.progress(`  ${fetched.seconds.toFixed(1)} s; RSS ${mb(rss)} MB; a steady load over them for ${seconds} s`)
  const load = await steady(
    o,
    broker,
    { connections: 200, topics, intervalMs: 100, acks: 'mix', fetchEvery: 2 },
    seconds,
    2,
  )
  return {
    partitions,
    produceAll: {
      seconds: Number(produced.seconds.toFixed(2)),
      produce: produced.produce.summary(),
      errors: produced.errors.count,
    },
    fetchAll: {
      seconds: Number(fetched.seconds.toFixed(2)),
      partitions: fetched.results.reduce((s, r) => s + Number(r.partitions), 0),
      errors: fetched.errors.count,
    },
    rssMB: mb(rss),
    load,
  }
}

/** Polls `what` until it resolves true; the seconds since `t0`. */
async function until(
  t0: number,
  timeoutMs: number,
  what: string,
  ready: () => Promise<boolean>,
): Promise<number> {
  for (;;) {
    try {
      if (await ready()) return Number(((performance.now() - t0) / 1000).toFixed(3))
    } catch {
      // not yet
    }
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`after the restart: ${what} not within ${timeoutMs / 1000} s`)
    await sleep(10)
  }
}

async function restart(
  o: LoadOptions,
  broker: BrokerProcess,
  topics: TopicSpec[],
): Promise<{ broker: BrokerProcess; result: Omit<RestartResult, 'fetchAll'> }> {
  const partitions = topics.reduce((s, t) => s + t.partitions, 0)
  const t0 = performance.now()
  await broker.stop({ keepData: true })
  o.onBroker(undefined)
  const stopSeconds = Number(((performance.now() - t0) / 1000).toFixed(3))
  const t1 = performance.now()
  const next = await startRunnel({
    repoRoot: o.repoRoot,
    profileDir: o.profileDir,
    restart: { dataDir: broker.dataDir, port: kafkaPort(broker), httpPort: broker.httpPort },
  })
  o.onBroker(next)
  const listenSeconds = Number(((performance.now() - t1) / 1000).toFixed(3))
  let conn: WireConnection | undefined
  try {
    const c = await WireConnection.connect(kafkaPort(next), 'runnel-bench-restart')
    conn = c
    const metadataSeconds = await until(t1, 60_000, 'a Metadata listing every partition', async () => {
      const { body } = await c.request(3, METADATA_VERSION, {
        topics: null,
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      })
      const listed = body.topics
        .filter((t) => topics.some((s) => s.name === t.name) && t.errorCode === 0)
        .reduce((s, t) => s + t.partitions.filter((p) => p.errorCode === 0 && p.leaderId >= 0).length, 0)
      return listed === partitions
    })
    const lastTopic = topics[topics.length - 1]
    const batch = recordBatch(RECORDS, SIZE)
    const firstProduceSeconds = await until(t1, 60_000, 'a produce answered', async () => {
      const r = await produceOne(c, { topic: lastTopic.name, partition: lastTopic.partitions - 1 }, batch, 1)
      return r.errorCode === 0
    })
    // Every partition, from 20 connections of this process (a generator would take a second to start).
    const all: Target[] = topics.flatMap((t) =>
      Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.name, partition })),
    )
    const conns = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        WireConnection.connect(kafkaPort(next), `runnel-bench-restart-${i}`),
      ),
    )
    let failed = 0
    await Promise.all(
      conns.map(async (c, i) => {
        for (let j = i; j < all.length; j += conns.length) {
          const r = await produceOne(c, all[j], batch, 1).catch(() => ({ errorCode: -1 }))
          if (r.errorCode !== 0) failed++
        }
      }),
    )
    const everyPartitionSeconds = Number(((performance.now() - t1) / 1000).toFixed(3))
    for (const c of conns) c.close()
    if (failed > 0) throw new Error(`after the restart, ${failed} produces failed`)
    return {
      broker: next,
      result: {
        stopSeconds,
        listenSeconds,
        metadataSeconds,
        firstProduceSeconds,
        everyPartitionSeconds,
        rssMB: mb(residentBytes(next.pid)),
      },
    }
  } catch (err) {
    await next.stop() // the caller stops the broker it knows, the one before the restart
    o.onBroker(undefined)
    throw err
  } finally {
    conn?.close()
  }
}

/** 10 topics of 1,000 partitions (of 100 with --quick): the first, then all ten, then a restart. */
export async function partitionsScenario(o: LoadOptions): Promise<PartitionsResult> {
  const perTopic = o.quick ? 100 : 1000
  const topics: TopicSpec[] = Array.from({ length: 10 }, (_, i) => ({
    name: `load-partitions-${i}`,
    partitions: perTopic,
  }))
  let broker = await startRunnel({ repoRoot: o.repoRoot, profileDir: o.profileDir })
  o.onBroker(broker)
  try {
    o.progress(`partitions: creating ${topics[0].name} (${perTopic} partitions)`)
    let t0 = performance.now()
    await createTopics(broker.bootstrap, [topics[0].name], perTopic)
    const first = (performance.now() - t0) / 1000
    const at1k = await stage(o, broker, topics.slice(0, 1))
    o.progress(`partitions: creating 9 more topics of ${perTopic} partitions`)
    t0 = performance.now()
    for (const t of topics.slice(1)) await createTopics(broker.bootstrap, [t.name], perTopic)
    const rest = (performance.now() - t0) / 1000
    const at10k = await stage(o, broker, topics)
    o.progress('partitions: restarting the broker (SIGTERM, start on the same data directory)')
    const restarted = await restart(o, broker, topics)
    broker = restarted.broker
    const fetched = await runGenerators(o.repoRoot, { ...sweep(broker, topics), mode: 'fetch-all' }, 2)
    return {
      topics: topics.length,
      partitionsPerTopic: perTopic,
      createSeconds: { first: Number(first.toFixed(2)), rest: Number(rest.toFixed(2)) },
      at1k,
      at10k,
      restart: {
        ...restarted.result,
        fetchAll: {
          partitions: fetched.results.reduce((s, r) => s + Number(r.partitions), 0),
          errors: fetched.errors.count,
        },
      },
    }
  } finally {
    await broker.stop()
    o.onBroker(undefined)
  }
}
