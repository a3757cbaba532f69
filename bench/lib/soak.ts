// The soak (issue 8): a steady mixed load for --soak-minutes (default 30) on a broker of its
// own: 8 raw producers (bench/load-gen.ts), each a produce of 10 x 100 B every 20 ms (acks=1
// and acks=all), half of them fetching back what they wrote, and a consumer group of two
// @platformatic/kafka members (bench/soak-member.ts) reading the same 12-partition topic and
// committing every second. Every 10 s: the broker's RSS (/proc), heap and event-loop delay
// (/metrics) and the producers' p99 over those 10 s. Memory is flat when the RSS's slope,
// fitted over the samples after the first sixth of the run (the warm-up), stays below
// FLAT_MB_PER_10_MIN.
import { join } from 'node:path'
import { type BrokerProcess, startRunnel } from './broker-process.ts'
import { LatencyHistogram, type LatencyJson } from './latency.ts'
import { startGenerators } from './load-gens.ts'
import { loadAverage } from './proc-stats.ts'
import { type Started, sleep, start, waitExit } from './processes.ts'
import { type LoadOptions, MB, sampler } from './scale.ts'
import { createTopics } from './topics.ts'

export const FLAT_MB_PER_10_MIN = 2
const TOPIC = 'load-soak'
const PARTITIONS = 12

export interface SoakSample {
  atSeconds: number
  rssMB: number
  heapMB: number
  heapTotalMB: number
  externalMB: number
  loopP99Ms: number
  loopMaxMs: number
  produceP99Ms: number
  load1: number
}

export interface SoakResult {
  minutes: number
  samples: SoakSample[]
  rssMB: { first: number; last: number; max: number }
  heapMB: { first: number; last: number; max: number }
  /** Least-squares slope over the samples after the warm-up. */
  rssSlopeMBPer10Min: number
  heapSlopeMBPer10Min: number
  /** The RSS's slope over the second half of the run alone. */
  rssSecondHalfSlopeMBPer10Min: number
  heapTotalMB: { first: number; last: number; max: number }
  externalMB: { first: number; last: number; max: number }
  fittedFromSeconds: number
  flat: boolean
  produce: ReturnType<LatencyHistogram['summary']>
  fetch: ReturnType<LatencyHistogram['summary']>
  producedRecords: number
  groupRecords: number
  errors: { producers: number; members: number; messages: string[] }
  loopP99MaxMs: number
}

/** Least-squares slope of y over x. */
function slope(points: readonly [number, number][]): number {
  const n = points.length
  if (n < 2) return 0
  const mx = points.reduce((s, p) => s + p[0], 0) / n
  const my = points.reduce((s, p) => s + p[1], 0) / n
  const sxy = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0)
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0)
  return sxx === 0 ? 0 : sxy / sxx
}

const round1 = (v: number) => Number(v.toFixed(1))

export async function soakScenario(o: LoadOptions, minutes: number): Promise<SoakResult> {
  const broker: BrokerProcess = await startRunnel({ repoRoot: o.repoRoot, profileDir: o.profileDir })
  o.onBroker(broker)
  const members: Started[] = []
  try {
    await createTopics(broker.bootstrap, [TOPIC], PARTITIONS)
    const memberResults: Record<string, unknown>[] = []
    const memberRecords = new Map<number, number>()
    for (let i = 0; i < 2; i++) {
      const m = start(
        process.execPath,
        [
          '--import',
          'tsx',
          join(o.repoRoot, 'bench/soak-member.ts'),
          broker.bootstrap,
          TOPIC,
          'load-soak-group',
        ],
        {
          cwd: o.repoRoot,
          stdinPipe: true,
          onJson: (line) => {
            if (typeof line.tick === 'number') memberRecords.set(i, Number(line.records))
            if (line.mode === 'soak-member') memberResults.push(line)
          },
        },
      )
      members.push(m)
    }
    let windowP99 = 0
    const gens = await startGenerators(
      o.repoRoot,
      {
        mode: 'steady',
        port: Number(broker.bootstrap.split(':')[1]),
        firstConnection: 0,
        connections: 8,
        totalConnections: 8,
        topics: [{ name: TOPIC, partitions: PARTITIONS }],
        records: 10,
        size: 100,
        intervalMs: 20,
        acks: 'mix',
        fetchEvery: 2,
        durationMs: 0,
        reportEveryMs: 10_000,
      },
      1,
      (tick) => {
        windowP99 = LatencyHistogram.merged([tick.produce as LatencyJson]).quantileMs(0.99)
      },
      minutes * 60_000 + 120_000,
    )
    const sampling = sampler(broker, 10_000)
    gens.go()
    const samples: SoakSample[] = []
    const t0 = performance.now()
    let reported = 0
    while (performance.now() - t0 < minutes * 60_000) {
      await sleep(1000)
      for (const s of sampling.samples.slice(samples.length)) {
        samples.push({
          atSeconds: s.atSeconds,
          rssMB: round1(s.rssBytes / MB),
          heapMB: round1(s.heapUsedBytes / MB),
          heapTotalMB: round1(s.heapTotalBytes / MB),
          externalMB: round1(s.externalBytes / MB),
          loopP99Ms: s.loopP99Ms,
          loopMaxMs: s.loopMaxMs,
          produceP99Ms: windowP99,
          load1: loadAverage()[0],
        })
      }
      const minute = Math.floor((performance.now() - t0) / 60_000)
      if (minute > reported && samples.length > 0) {
        reported = minute
        const s = samples[samples.length - 1]
        o.progress(
          `  soak ${minute}/${minutes} min: RSS ${s.rssMB} MB, heap ${s.heapMB} MB (of ${s.heapTotalMB}), external ${s.externalMB} MB, loop p99 ${s.loopP99Ms} ms, produce p99 ${s.produceP99Ms} ms, group read ${[...memberRecords.values()].reduce((a, b) => a + b, 0)}; load ${s.load1}`,
        )
      }
    }
    const run = await gens.stop()
    await sampling.stop()
    for (const m of members) m.child.stdin?.end()
    for (const m of members) await waitExit(m, 30_000, 'soak member')
    // Warm-up: the tail cache fills (12 partitions x 4 MiB in about two minutes) and V8 grows
    // its heap to suit the allocation rate; the slope is fitted after the first sixth.
    const fitFrom = (minutes * 60) / 6
    const fitted = samples.filter((s) => s.atSeconds >= fitFrom)
    const per10Min = (pick: (s: SoakSample) => number, from = fitted) =>
      round1(slope(from.map((s) => [s.atSeconds, pick(s)])) * 600)
    const secondHalf = samples.filter((s) => s.atSeconds >= (minutes * 60) / 2)
    const span = (pick: (s: SoakSample) => number) => ({
      first: pick(samples[0]),
      last: pick(samples[samples.length - 1]),
      max: Math.max(...samples.map(pick)),
    })
    const rssSlope = per10Min((s) => s.rssMB)
    return {
      minutes,
      samples,
      rssMB: span((s) => s.rssMB),
      heapMB: span((s) => s.heapMB),
      rssSlopeMBPer10Min: rssSlope,
      heapSlopeMBPer10Min: per10Min((s) => s.heapMB),
      rssSecondHalfSlopeMBPer10Min: per10Min((s) => s.rssMB, secondHalf),
      heapTotalMB: span((s) => s.heapTotalMB),
      externalMB: span((s) => s.externalMB),
      fittedFromSeconds: fitFrom,
      flat: rssSlope < FLAT_MB_PER_10_MIN,
      produce: run.produce.summary(),
      fetch: run.fetch.summary(),
      producedRecords: run.results.reduce((s, r) => s + Number(r.producedRecords ?? 0), 0),
      groupRecords: memberResults.reduce((s, r) => s + Number(r.records ?? 0), 0),
      errors: {
        producers: run.errors.count,
        members: memberResults.reduce((s, r) => s + Number(r.errors ?? 0), 0),
        messages: run.errors.messages,
      },
      loopP99MaxMs: Math.max(...samples.map((s) => s.loopP99Ms)),
    }
  } finally {
    for (const m of members) {
      if (m.child.exitCode === null && m.child.signalCode === null) {
        try {
          process.kill(m.pid, 'SIGKILL')
        } catch {
          // gone meanwhile
        }
      }
    }
    await broker.stop()
    o.onBroker(undefined)
  }
}
