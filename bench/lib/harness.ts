// What every case of the benchmark shares: the context a run gets, what a run measured, the
// window over which the broker is measured from the outside (its CPU and run-queue wait per
// thread, from /proc, and the time it spent answering requests, from its /metrics), the load
// generators' command lines, and topics filled once for the consumers of every case.
import { join } from 'node:path'
import { type BrokerProcess, requestStats } from './broker-process.ts'
import { diffTimes, loadAverage, type ProcessTimes, processTimes } from './proc-stats.ts'
import { runTool } from './processes.ts'
import type { RdkafkaTool } from './rdkafka.ts'
import { createTopics } from './topics.ts'

export interface Counts {
  runs: number
  rdkafkaProduce100: number
  rdkafkaProduce1k: number
  platformaticProduce100: number
  platformaticProduce1k: number
  latencyRate: number
  latencyRecords: number
  latencyWarmup: number
  /** Records of 100 B read through a consumer group (and by one consumer) from 6 partitions. */
  groupConsume100: number
  /** Records of 100 B sent in transactions of 100 (each client). */
  transactional100: number
  /** Records of 100 B sent by the same producers without transactions. */
  rdkafkaIdempotent100: number
  platformaticIdempotent100: number
}

export type Client = 'librdkafka' | '@platformatic/kafka'
export type Target = 'runnel' | 'librdkafka mock'

export interface Context {
  repoRoot: string
  broker: BrokerProcess
  rdkafka: RdkafkaTool | undefined
  counts: Counts
  /** Topics already holding `records` records of `size` bytes, by `${size}x${records}x${partitions}`. */
  filled: Map<string, string[]>
}

/** What one run measured. Rates are per second of the run's own clock (the tool's). */
export interface RunMeasure {
  run: number
  topic: string
  /** The load generator's result line (msgPerSec, mbPerSec, p50Ms, ...). */
  tool: Record<string, unknown>
  /** Wall time of the measured window (the tool's timed part when it reports its start). */
  windowSeconds: number
  /** The window on the monotonic clock, in µs (what V8 stamps profile samples with). */
  windowUs: [number, number]
  /** The broker's (or the mock's) threads over the window. */
  server: ProcessTimes
  /** Seconds the broker spent answering each API over the window (Runnel only). */
  apiSeconds?: Record<string, number>
  /** Requests of each API the broker answered over the window (Runnel only). */
  apiCounts?: Record<string, number>
  /** The client's own CPU seconds (all its threads; all its processes when it has several). */
  clientCpuSeconds: number
  load1: number
}

export interface Case {
  id: string
  group: string
  client: Client
  target: Target
  kind: 'produce' | 'consume' | 'latency' | 'rebalance'
  size: number
  acks?: 1 | -1
  /** Partitions of the case's topic, when not one. */
  partitions?: number
  /** Consumers in one group (consume through a group, rebalance). */
  members?: number
  /** An idempotent producer (the transactional cases and their baselines). */
  idempotent?: boolean
  /** Records per transaction, for a transactional producer. */
  perTransaction?: number
  /** How a member leaves, for a rebalance. */
  departure?: 'leave' | 'kill'
  records: (c: Counts) => number
  needsRdkafka: boolean
  run(ctx: Context, run: number): Promise<RunMeasure>
}

export const TOOL_TIMEOUT_MS = 180_000
export const sizeName = (size: number) => (size === 1024 ? '1k' : `${size}b`)
export const topicName = (c: Case, run: number) => `bench-${c.id}-r${run}`

/** The command line of bench/platformatic-perf.ts in its own Node process. */
export function node(ctx: Context, args: string[]): [string, string[]] {
  return [process.execPath, ['--import', 'tsx', join(ctx.repoRoot, 'bench/platformatic-perf.ts'), ...args]]
}

/** Platformatic's records per send(): about 256 KiB a request, well under max.message.bytes. */
export const platformaticBatch = (size: number) => Math.max(1, Math.floor((256 * 1024) / (size + 12)))
export const PLATFORMATIC_INFLIGHT = 4

export interface Window {
  begin(): void
  end(): Promise<Omit<RunMeasure, 'run' | 'topic' | 'tool' | 'clientCpuSeconds'>>
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)

/** Measures the server process (and, for Runnel, its request time) between begin() and end(). */
export function measureWindow(serverPid: number, httpPort: number | undefined): Window {
  let t0 = performance.now()
  let t0Us = monotonicUs()
  let times = processTimes(serverPid)
  const stats = () => (httpPort === undefined ? undefined : requestStats(httpPort))
  let api = stats()
  return {
    begin() {
      t0 = performance.now()
      t0Us = monotonicUs()
      times = processTimes(serverPid)
      api = stats()
    },
    async end() {
      const windowSeconds = (performance.now() - t0) / 1000
      const windowUs: [number, number] = [t0Us, monotonicUs()]
      const server = diffTimes(processTimes(serverPid), times)
      let apiSeconds: Record<string, number> | undefined
      let apiCounts: Record<string, number> | undefined
      const after = stats()
      if (api && after) {
        const [b, a] = [await api, await after]
        apiSeconds = {}
        apiCounts = {}
        for (const [k, v] of Object.entries(a.seconds)) apiSeconds[k] = v - (b.seconds[k] ?? 0)
        for (const [k, v] of Object.entries(a.counts)) apiCounts[k] = v - (b.counts[k] ?? 0)
      }
      return { windowSeconds, windowUs, server, apiSeconds, apiCounts, load1: loadAverage()[0] }
    },
  }
}

/** Runs one load generator against a server process, measuring the window it reports. */
export async function measuredTool(
  command: string,
  args: string[],
  serverPid: number,
  httpPort: number | undefined,
  run: number,
  topic: string,
): Promise<RunMeasure> {
  const window = measureWindow(serverPid, httpPort)
  const { result } = await runTool(command, args, TOOL_TIMEOUT_MS, (line) => {
    if (line.start === true) window.begin()
  })
  return {
    run,
    topic,
    tool: result,
    clientCpuSeconds: Number(result.cpuSeconds ?? 0),
    ...(await window.end()),
  }
}

const filledKey = (size: number, records: number, partitions: number) => `${size}x${records}x${partitions}`

/**
 * `rdkafka-perf consume` of a filled topic's `partitions` partitions (assign(), no group): the
 * one-consumer cases, on one partition and on the six of the group cases.
 */
export async function rdkafkaConsumeRun(
  ctx: Context,
  run: number,
  size: number,
  records: number,
  partitions = 1,
): Promise<RunMeasure> {
  const topic = await filledTopic(ctx, size, records, run, partitions)
  return measuredTool(
    ctx.rdkafka!.binary,
    ['consume', ctx.broker.bootstrap, topic, String(partitions), String(records)],
    ctx.broker.pid,
    ctx.broker.httpPort,
    run,
    topic,
  )
}

/**
 * A topic already holding `records` records of `size` bytes (for consumers), made if needed;
 * with several partitions, spread evenly (record i to partition i % partitions).
 */
export async function filledTopic(
  ctx: Context,
  size: number,
  records: number,
  run: number,
  partitions = 1,
): Promise<string> {
  const key = filledKey(size, records, partitions)
  const have = ctx.filled.get(key) ?? []
  if (have[run - 1]) return have[run - 1]
  const topic = `bench-fill-${key}-r${run}`
  await createTopics(ctx.broker.bootstrap, [topic], partitions)
  if (ctx.rdkafka) {
    await runTool(
      ctx.rdkafka.binary,
      [
        'produce',
        ctx.broker.bootstrap,
        topic,
        String(records),
        String(size),
        '1',
        'none',
        String(partitions),
      ],
      TOOL_TIMEOUT_MS,
    )
  } else {
    if (partitions !== 1) throw new Error('a topic of several partitions is filled with librdkafka')
    const [cmd, args] = node(ctx, [
      'produce',
      ctx.broker.bootstrap,
      topic,
      String(records),
      String(size),
      '1',
      String(platformaticBatch(size)),
      String(PLATFORMATIC_INFLIGHT),
    ])
    await runTool(cmd, args, TOOL_TIMEOUT_MS)
  }
  remember(ctx, size, records, run, topic, partitions)
  return topic
}

/** Notes that a produce case's run left `topic` holding `records` records of `size` bytes. */
export function remember(
  ctx: Context,
  size: number,
  records: number,
  run: number,
  topic: string,
  partitions = 1,
): void {
  const key = filledKey(size, records, partitions)
  const list = ctx.filled.get(key) ?? []
  list[run - 1] = topic
  ctx.filled.set(key, list)
}

/** Polls `ready` every 10 ms until it is true; past `timeoutMs` this throws `what`. */
export async function waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
