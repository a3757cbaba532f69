// `npm run bench -- --scenario scale|connections|partitions|soak`: the load and scale
// measurements of issue 8, each on a broker of its own, with their own report (the goals
// they are held to) rather than the throughput table of the other cases.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import type { BrokerProcess } from './broker-process.ts'
import { describeMachine, loadAverage } from './proc-stats.ts'
import { loadProfile, type ProfileSummary, profileText, summarizeProfile } from './profile.ts'
import {
  type ConnectionsResult,
  connectionsScenario,
  type PartitionsResult,
  partitionsScenario,
  type SteadySummary,
} from './scale.ts'
import { FLAT_MB_PER_10_MIN, type SoakResult, soakScenario } from './soak.ts'

/** scale = connections + partitions; soak runs alone for its --soak-minutes. */
export const LOAD_GROUPS = ['scale', 'connections', 'partitions', 'soak'] as const

export const GOALS = {
  produceP99Ms: 10,
  rssAt1kPartitionsMB: 300,
  restartAt10kPartitionsSeconds: 5,
}

export interface LoadRunOptions {
  repoRoot: string
  scenarios: readonly string[]
  quick: boolean
  soakMinutes: number
  /** Every broker under node --cpu-prof; its hot spots printed after each scenario. */
  profile: boolean
  command: string
  source: { commit: string; modified: string[] }
  progress: (msg: string) => void
  onBroker: (broker: BrokerProcess | undefined) => void
}

const met = (ok: boolean) => (ok ? 'met' : 'NOT met')

function steadyLines(s: SteadySummary): string[] {
  return [
    `    ${s.connections} connections for ${s.seconds} s: ${s.produceRequestsPerSec} produce/s (${s.recordsPerSec} records/s, ${s.mbPerSec} MB/s), ${s.fetchRequestsPerSec} fetch/s (${s.fetchedRecordsPerSec} records/s)`,
    `    produce p50 ${s.produce.p50Ms} ms, p99 ${s.produce.p99Ms} ms, p99.9 ${s.produce.p999Ms} ms, max ${s.produce.maxMs} ms (${s.produce.count} requests); acks=1 p99 ${s.produceAcks1.p99Ms} ms, acks=all p99 ${s.produceAcksAll.p99Ms} ms`,
    `    fetch p50 ${s.fetch.p50Ms} ms, p99 ${s.fetch.p99Ms} ms, max ${s.fetch.maxMs} ms; late sends ${s.lateTicks}; errors ${s.errors.count}${s.errors.count > 0 ? ` ${JSON.stringify(s.errors)}` : ''}`,
    `    broker: RSS ${s.broker.rssStartMB} → ${s.broker.rssEndMB} MB (max ${s.broker.rssMaxMB}), event-loop delay p99 (worst 10 s) ${s.broker.loopP99MaxMs} ms, max ${s.broker.loopMaxMs} ms, connections ${s.broker.connectionsMax}, main thread CPU ${s.broker.cpuSeconds} s, waited ${s.broker.cpuWaitSeconds} s; generators' CPU ${s.generatorCpuSeconds} s; load ${s.load1}`,
  ]
}

export function connectionsText(r: ConnectionsResult): string {
  return [
    `connections: broker RSS ${r.rssIdleMB} MB before, ${r.rssConnectedMB} MB with ${r.connections} connections open`,
    ...steadyLines(r.load),
    `  goal: produce p99 < ${GOALS.produceP99Ms} ms with ${r.connections} connections, no errors: ${met(r.load.produce.p99Ms < GOALS.produceP99Ms && r.load.errors.count === 0)}`,
  ].join('\n')
}

export function partitionsText(r: PartitionsResult): string {
  const total = r.topics * r.partitionsPerTopic
  const stage = (s: PartitionsResult['at1k']) => [
    `  ${s.partitions} partitions: produce to all ${s.produceAll.seconds} s (p99 ${s.produceAll.produce.p99Ms} ms, max ${s.produceAll.produce.maxMs} ms, errors ${s.produceAll.errors}); fetch from all ${s.fetchAll.seconds} s (${s.fetchAll.partitions} with records, errors ${s.fetchAll.errors}); RSS ${s.rssMB} MB`,
    ...steadyLines(s.load),
  ]
  const rs = r.restart
  return [
    `partitions: created ${r.topics} topics of ${r.partitionsPerTopic}: the first in ${r.createSeconds.first} s, the other ${r.topics - 1} in ${r.createSeconds.rest} s`,
    ...stage(r.at1k),
    ...stage(r.at10k),
    `  restart with ${total} partitions: SIGTERM → exit ${rs.stopSeconds} s; start → ports accept ${rs.listenSeconds} s, Metadata lists all ${rs.metadataSeconds} s, a produce answered ${rs.firstProduceSeconds} s, every partition produced to ${rs.everyPartitionSeconds} s; RSS ${rs.rssMB} MB; afterwards ${rs.fetchAll.partitions} partitions still hold records (errors ${rs.fetchAll.errors})`,
    `  goal: RSS < ${GOALS.rssAt1kPartitionsMB} MB with ${r.at1k.partitions} partitions: ${met(r.at1k.rssMB < GOALS.rssAt1kPartitionsMB && r.at1k.load.broker.rssMaxMB < GOALS.rssAt1kPartitionsMB)} (${r.at1k.rssMB} MB, ${r.at1k.load.broker.rssMaxMB} MB at most under load)`,
    `  goal: produce p99 < ${GOALS.produceP99Ms} ms with ${total} partitions: ${met(r.at10k.load.produce.p99Ms < GOALS.produceP99Ms && r.at10k.load.errors.count === 0)} (${r.at10k.load.produce.p99Ms} ms)`,
    `  goal: restart with ${total} partitions < ${GOALS.restartAt10kPartitionsSeconds} s (start to a produce answered): ${met(rs.firstProduceSeconds < GOALS.restartAt10kPartitionsSeconds)} (${rs.firstProduceSeconds} s)`,
  ].join('\n')
}

export function soakText(r: SoakResult): string {
  return [
    `soak: ${r.minutes} min, ${r.producedRecords} records produced, ${r.groupRecords} read by the group; errors: producers ${r.errors.producers}, group members ${r.errors.members}`,
    `  RSS first ${r.rssMB.first} MB, last ${r.rssMB.last} MB, max ${r.rssMB.max} MB; slope ${r.rssSlopeMBPer10Min} MB per 10 min (fitted from ${r.fittedFromSeconds} s; over the second half ${r.rssSecondHalfSlopeMBPer10Min})`,
    `  heap used ${r.heapMB.first} → ${r.heapMB.last} MB (max ${r.heapMB.max}), slope ${r.heapSlopeMBPer10Min} MB per 10 min; heap held ${r.heapTotalMB.first} → ${r.heapTotalMB.last} MB (max ${r.heapTotalMB.max}); external ${r.externalMB.first} → ${r.externalMB.last} MB (max ${r.externalMB.max})`,
    `  produce p50 ${r.produce.p50Ms} ms, p99 ${r.produce.p99Ms} ms, max ${r.produce.maxMs} ms; fetch p99 ${r.fetch.p99Ms} ms; event-loop delay p99 (worst 10 s) ${r.loopP99MaxMs} ms`,
    `  memory flat (RSS slope < ${FLAT_MB_PER_10_MIN} MB per 10 min): ${r.flat ? 'pass' : 'FAIL'}`,
  ].join('\n')
}

export async function runLoad(o: LoadRunOptions): Promise<number> {
  const startedAt = new Date()
  const machine = describeMachine()
  const loadAtStart = loadAverage()
  const wants = (g: string) => o.scenarios.includes(g) || (g !== 'soak' && o.scenarios.includes('scale'))
  const profiles: ProfileSummary[] = []
  const base = (name: string) => {
    const profileDir = o.profile ? mkdtempSync(join(tmpdir(), `runnel-bench-prof-${name}-`)) : undefined
    return {
      repoRoot: o.repoRoot,
      profileDir,
      quick: o.quick,
      progress: o.progress,
      onBroker: o.onBroker,
      /** The main thread's profile of each broker the scenario ran (written when it stopped). */
      profiled: () => {
        if (!profileDir) return
        for (const f of readdirSync(profileDir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .sort()) {
          if (basename(f).split('.')[4] !== '0') continue // a worker thread's
          const summary = summarizeProfile(
            loadProfile(join(profileDir, f)),
            o.repoRoot,
            `${name} (${f})`,
            undefined,
          )
          profiles.push(summary)
          texts.push(profileText(summary))
        }
      },
    }
  }
  const results: { connections?: ConnectionsResult; partitions?: PartitionsResult; soak?: SoakResult } = {}
  const texts: string[] = []
  let failed = false
  const attempt = async <T>(
    name: string,
    run: (options: ReturnType<typeof base>) => Promise<T>,
    text: (r: T) => string,
  ): Promise<T | undefined> => {
    const options = base(name)
    try {
      const r = await run(options)
      texts.push(text(r))
      o.progress(text(r))
      return r
    } catch (err) {
      failed = true
      texts.push(`${name}: failed: ${err instanceof Error ? err.message : String(err)}`)
      o.progress(texts[texts.length - 1])
      return undefined
    } finally {
      options.profiled()
    }
  }
  if (wants('connections'))
    results.connections = await attempt('connections', connectionsScenario, connectionsText)
  if (wants('partitions'))
    results.partitions = await attempt('partitions', partitionsScenario, partitionsText)
  if (wants('soak')) results.soak = await attempt('soak', (b) => soakScenario(b, o.soakMinutes), soakText)
  const loadAtEnd = loadAverage()
  console.log(`\n${texts.join('\n\n')}\n`)
  console.log(
    `load average (1, 5, 15 min) at start ${loadAtStart.join(', ')}, at end ${loadAtEnd.join(', ')} on ${machine.nproc} CPUs`,
  )
  const resultsDir = join(o.repoRoot, 'bench/results')
  mkdirSync(resultsDir, { recursive: true })
  const file = join(
    resultsDir,
    `${startedAt
      .toISOString()
      .replaceAll(':', '-')
      .replace(/\.\d+Z$/, 'Z')}-load.json`,
  )
  writeFileSync(
    file,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), command: o.command, source: o.source, machine, loadAverage: { start: loadAtStart, end: loadAtEnd }, goals: GOALS, ...results, profiles }, null, 2)}\n`,
  )
  console.log(`\nresults: ${file}`)
  return failed ? 1 : 0
}
