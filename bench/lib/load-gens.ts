// The harness's side of bench/load-gen.ts: a plan split over several generator processes
// (child processes, each holding its share of the connections), started together once every
// one of them has connected, and their results merged.
import { join } from 'node:path'
import type { Plan } from '../load-gen.ts'
import { LatencyHistogram, type LatencyJson } from './latency.ts'
import { type Started, start, waitExit } from './processes.ts'

export interface GeneratorRun {
  /** The generators' result lines. */
  results: Record<string, unknown>[]
  /** Merged latencies of the results' `produce` and `fetch` fields. */
  produce: LatencyHistogram
  produceAcks1: LatencyHistogram
  produceAcksAll: LatencyHistogram
  fetch: LatencyHistogram
  /** Errors summed over the generators, with the first messages. */
  errors: { count: number; codes: Record<string, number>; messages: string[] }
  /** CPU seconds of all the generators together. */
  cpuSeconds: number
  /** Wall time from "go" to the last result. */
  seconds: number
}

export interface Generators {
  /** Starts the plan in every generator. */
  go(): void
  /** Asks steady generators to finish and waits for all results. */
  stop(): Promise<GeneratorRun>
  /** Waits for all results (plans that end by themselves). */
  done(): Promise<GeneratorRun>
}

/** Splits `plan` (its `connections` being the total) over `processes` generators, connected and ready. */
export async function startGenerators(
  repoRoot: string,
  plan: Plan,
  processes: number,
  onTick?: (tick: Record<string, unknown>) => void,
  timeoutMs = 120_000,
): Promise<Generators> {
  const total = plan.connections
  const gens: { started: Started; result?: Record<string, unknown> }[] = []
  let readyCount = 0
  let first = 0
  for (let i = 0; i < processes; i++) {
    const connections = Math.floor(total / processes) + (i < total % processes ? 1 : 0)
    const part: Plan = { ...plan, firstConnection: first, connections, totalConnections: total }
    first += connections
    const gen: { started: Started; result?: Record<string, unknown> } = {
      started: start(
        process.execPath,
        ['--import', 'tsx', join(repoRoot, 'bench/load-gen.ts'), JSON.stringify(part)],
        {
          cwd: repoRoot,
          stdinPipe: true,
          onJson: (line) => {
            if (line.ready === true) readyCount++
            else if (typeof line.tick === 'number') onTick?.(line)
            else if ('mode' in line) gen.result = line
          },
        },
      ),
    }
    gens.push(gen)
  }
  const deadline = Date.now() + 60_000
  while (readyCount < processes) {
    const dead = gens.find((g) => g.started.child.exitCode !== null)
    if (dead) throw new Error(`a load generator exited while connecting: ${dead.started.stderr()}`)
    if (Date.now() > deadline)
      throw new Error(`load generators not connected within 60 s (${readyCount}/${processes})`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  let goAt = 0
  const collect = async (): Promise<GeneratorRun> => {
    for (const g of gens) {
      const code = await waitExit(g.started, timeoutMs, 'load generator')
      if (code !== 0 || !g.result) throw new Error(`load generator ended with ${code}: ${g.started.stderr()}`)
    }
    const results = gens.map((g) => g.result!)
    const latencies = (field: string) =>
      LatencyHistogram.merged(results.flatMap((r) => (r[field] ? [r[field] as LatencyJson] : [])))
    const errors = { count: 0, codes: {} as Record<string, number>, messages: [] as string[] }
    for (const r of results) {
      const e = r.errors as typeof errors
      errors.count += e.count
      for (const [c, n] of Object.entries(e.codes)) errors.codes[c] = (errors.codes[c] ?? 0) + n
      errors.messages.push(...e.messages.slice(0, 5 - errors.messages.length))
    }
    return {
      results,
      produce: latencies('produce'),
      produceAcks1: latencies('produceAcks1'),
      produceAcksAll: latencies('produceAcksAll'),
      fetch: latencies('fetch'),
      errors,
      cpuSeconds: Number(results.reduce((s, r) => s + Number(r.cpuSeconds ?? 0), 0).toFixed(3)),
      seconds: (performance.now() - goAt) / 1000,
    }
  }
  return {
    go() {
      goAt = performance.now()
      for (const g of gens) g.started.child.stdin?.write('go\n')
    },
    stop() {
      for (const g of gens) g.started.child.stdin?.end('stop\n')
      return collect()
    },
    done: collect,
  }
}

/** Starts a plan that ends by itself (produce-all, fetch-all, a steady plan with a duration) and waits for it. */
export async function runGenerators(
  repoRoot: string,
  plan: Plan,
  processes: number,
  onTick?: (tick: Record<string, unknown>) => void,
): Promise<GeneratorRun> {
  const gens = await startGenerators(repoRoot, plan, processes, onTick)
  gens.go()
  return gens.done()
}
