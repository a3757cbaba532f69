// `npm run bench`: Runnel's broker in its own process under librdkafka and @platformatic/kafka
// load, plus librdkafka's mock cluster as a reference point. A benchmark, not a test: it never
// runs in CI. Prints a table, writes bench/results/<time>.json and, with --write-docs, the
// figures in docs/benchmarks.md.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { type BrokerProcess, startRunnel } from './lib/broker-process.ts'
import { writeDocs } from './lib/docs.ts'
import { type FsyncProbe, probeFsync } from './lib/fsync-probe.ts'
import type { Case, Context, Counts, RunMeasure } from './lib/harness.ts'
import { LOAD_GROUPS, runLoad } from './lib/load-run.ts'
import { describeMachine, loadAverage } from './lib/proc-stats.ts'
import { killChildren } from './lib/processes.ts'
import {
  loadProfile,
  mainThreadProfile,
  type ProfileSummary,
  profileText,
  summarizeProfile,
} from './lib/profile.ts'
import { buildRdkafkaTool, type RdkafkaTool } from './lib/rdkafka.ts'
import {
  type CaseSummary,
  describeCase,
  markdownTables,
  ratios,
  summarize,
  textReport,
} from './lib/report.ts'
import { CASES, FULL, GROUPS, QUICK, warmUp } from './lib/scenarios.ts'

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..')

const HELP = `Usage: npm run bench -- [options]

Starts Runnel's broker (node packages/cli/bin/runnel.js broker) on free ports with a fresh
data directory, runs each scenario on fresh topics (one partition; six for the consumer-group
cases), 3 runs each (median, min, max), prints a table and writes bench/results/<time>.json.

Options:
  --quick              smaller counts, one run each
  --scenario <name>    only these (repeatable or comma-separated): a group
                       (${GROUPS.join(', ')}) or a case id:
                       ${CASES.map((c) => c.id).join('\n                       ')}
                       or a load and scale group (issue 8; each on a broker of its own,
                       never with the cases above): connections (1,000 at once, 60 s),
                       partitions (10,000: create, produce to all, fetch from all, restart),
                       scale (both), soak (a steady mixed load, RSS every 10 s)
  --soak-minutes <n>   how long the soak runs (default 30)
  --runs <n>           runs per case (default 3; 1 with --quick)
  --profile            run the broker under node --cpu-prof and print its hot spots
  --write-docs         update the figures in docs/benchmarks.md (full runs only)
  -h, --help           show this help

librdkafka scenarios need gcc and Debian's librdkafka-dev (apt-get install librdkafka-dev);
without them they are skipped.`

const progress = (msg: string) => process.stderr.write(`${msg}\n`)

/** The code measured: HEAD, and the broker's and protocol's files changed in the work tree. */
function sourceState(): { commit: string; modified: string[] } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' })
  try {
    const modified = git(
      'status',
      '--porcelain',
      '--',
      'packages/broker/src',
      'packages/protocol/src',
      'packages/cli/src',
    )
      .split('\n')
      .filter((l) => l.length > 3)
      .map((l) => l.slice(3)) // "XY path"
    return { commit: git('rev-parse', '--short', 'HEAD').trim(), modified }
  } catch {
    return { commit: 'unknown', modified: [] }
  }
}

function selectCases(names: readonly string[]): Case[] {
  if (names.length === 0) return [...CASES]
  const wanted = names.flatMap((n) => n.split(',')).map((n) => n.trim())
  for (const w of wanted) {
    if (!CASES.some((c) => c.id === w || c.group === w)) {
      throw new Error(
        `unknown scenario "${w}"; groups: ${GROUPS.join(', ')}; cases: ${CASES.map((c) => c.id).join(', ')}`,
      )
    }
  }
  return CASES.filter((c) => wanted.includes(c.id) || wanted.includes(c.group))
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      scenario: { type: 'string', multiple: true },
      runs: { type: 'string' },
      'soak-minutes': { type: 'string' },
      profile: { type: 'boolean' },
      'write-docs': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(HELP)
    return 0
  }
  const wanted = (values.scenario ?? []).flatMap((n) => n.split(',')).map((n) => n.trim())
  const loadGroups = wanted.filter((w) => (LOAD_GROUPS as readonly string[]).includes(w))
  if (loadGroups.length > 0) {
    if (loadGroups.length < wanted.length)
      throw new Error(`${LOAD_GROUPS.join(', ')} run without the other cases`)
    if (values['write-docs'])
      throw new Error('--write-docs takes the other cases; write the load figures by hand')
    const soakMinutes = Number(values['soak-minutes'] ?? 30)
    if (!(soakMinutes > 0))
      throw new Error(`--soak-minutes takes a positive number, got "${values['soak-minutes']}"`)
    let broker: BrokerProcess | undefined
    const onSignal = () => {
      progress('interrupted: stopping the broker and the load generators')
      killChildren(broker?.pid)
      void (broker?.stop() ?? Promise.resolve()).finally(() => process.exit(130))
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    const source = sourceState()
    progress(
      `code: commit ${source.commit}${source.modified.length > 0 ? ` + uncommitted changes in ${source.modified.join(', ')}` : ''}`,
    )
    return runLoad({
      repoRoot,
      scenarios: loadGroups,
      quick: values.quick ?? false,
      soakMinutes,
      profile: values.profile ?? false,
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
      source,
      progress,
      onBroker: (b) => {
        broker = b
      },
    })
  }
  if (values['soak-minutes'] !== undefined) throw new Error('--soak-minutes goes with --scenario soak')
  const cases = selectCases(values.scenario ?? [])
  const counts: Counts = { ...(values.quick ? QUICK : FULL) }
  if (values.runs !== undefined) {
    counts.runs = Number(values.runs)
    if (!Number.isInteger(counts.runs) || counts.runs < 1)
      throw new Error(`--runs takes a positive integer, got "${values.runs}"`)
  }
  const fullRun = !values.quick && values.scenario === undefined && counts.runs >= 3
  if (values['write-docs'] && !fullRun) {
    throw new Error(
      '--write-docs takes its figures from a full run: no --quick, no --scenario, at least 3 runs',
    )
  }

  const startedAt = new Date()
  let startedDate = startedAt.toUTCString()
  try {
    startedDate = execFileSync('date', { encoding: 'utf8' }).trim() // as `date` prints it
  } catch {
    // no date(1): the UTC string will do
  }
  const machine = describeMachine()
  const source = sourceState()
  progress(
    `code: commit ${source.commit}${source.modified.length > 0 ? ` + uncommitted changes in ${source.modified.join(', ')}` : ''}`,
  )
  const loadAtStart = loadAverage()
  const toolDir = mkdtempSync(join(tmpdir(), 'runnel-bench-tool-'))
  const profileDir = values.profile ? mkdtempSync(join(tmpdir(), 'runnel-bench-prof-')) : undefined
  let broker: BrokerProcess | undefined
  const cleanup = async () => {
    killChildren(broker?.pid) // the load generators; the broker then stops cleanly (and writes its profile)
    await broker?.stop()
    rmSync(toolDir, { recursive: true, force: true })
  }
  const onSignal = () => {
    progress('interrupted: stopping the broker and the load generators')
    void cleanup().finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  const summaries: CaseSummary[] = []
  let rdkafka: RdkafkaTool | undefined
  const fsync: { start?: FsyncProbe; end?: FsyncProbe } = {}
  try {
    if (cases.some((c) => c.needsRdkafka)) {
      const built = await buildRdkafkaTool(repoRoot, toolDir)
      if ('missing' in built) progress(`librdkafka scenarios skipped: ${built.missing}`)
      else rdkafka = built
    }
    broker = await startRunnel({ repoRoot, profileDir })
    progress(
      `runnel broker pid ${broker.pid} on ${broker.bootstrap} (metrics on :${broker.httpPort}), data in ${broker.dataDir}`,
    )
    fsync.start = probeFsync(dirname(broker.dataDir))
    const ctx: Context = { repoRoot, broker, rdkafka, counts, filled: new Map() }
    progress('warming up the broker (not measured)')
    await warmUp(ctx)
    // Round robin: run 1 of every case, then run 2 of every case, ... so a change in the
    // machine's other load while the benchmark runs touches every case alike, and the ratios
    // compare runs taken minutes apart at most.
    const runs = new Map<Case, RunMeasure[]>(cases.map((c) => [c, []]))
    const errors = new Map<Case, string>()
    for (const c of cases) if (c.needsRdkafka && !rdkafka) errors.set(c, 'skipped: no librdkafka')
    for (let run = 1; run <= counts.runs; run++) {
      for (const c of cases) {
        if (errors.has(c)) continue
        progress(`${c.id} (${describeCase(c)}, ${c.client} → ${c.target}) run ${run}/${counts.runs}`)
        try {
          const m = await c.run(ctx, run)
          runs.get(c)!.push(m)
          const t = m.tool
          progress(
            c.kind === 'latency'
              ? `  p50 ${t.p50Ms} ms, p99 ${t.p99Ms} ms, p99.9 ${t.p999Ms} ms, max ${t.maxMs} ms (${t.counted} samples)`
              : c.kind === 'rebalance'
                ? `  members told after ${t.toldMs} ms, all partitions owned after ${t.rebalanceMs} ms; load ${m.load1}`
                : `  ${t.msgPerSec} msg/s, ${t.mbPerSec} MB/s in ${t.seconds} s; load ${m.load1}`,
          )
        } catch (err) {
          errors.set(c, `failed: ${err instanceof Error ? err.message : String(err)}`)
          progress(`  ${errors.get(c)}`)
        }
      }
    }
    for (const c of cases) summaries.push(summarize(c, c.records(counts), runs.get(c)!, errors.get(c)))
    fsync.end = probeFsync(dirname(broker.dataDir))
  } finally {
    await cleanup()
  }

  const loadAtEnd = loadAverage()
  const report = textReport(summaries, counts.runs)
  const profiles: ProfileSummary[] = []
  const profileFile = mainThreadProfile(broker?.profiles() ?? [])
  if (values.profile && !profileFile) progress('no CPU profile of the broker was written')
  if (profileFile) {
    const loaded = loadProfile(profileFile)
    for (const s of summaries) {
      if (s.runs.length > 0)
        profiles.push(
          summarizeProfile(
            loaded,
            repoRoot,
            s.id,
            s.runs.map((r) => r.windowUs),
          ),
        )
    }
  }
  console.log(`\n${report}\n`)
  console.log(
    `load average (1, 5, 15 min) at start ${loadAtStart.join(', ')}, at end ${loadAtEnd.join(', ')} on ${machine.nproc} CPUs`,
  )
  const fsyncText = describeFsync(fsync)
  if (fsyncText) console.log(fsyncText)
  if (profiles.length > 0) {
    console.log(`\nWhere the broker's event loop spent its time during each case (${profileFile}):`)
    for (const p of profiles) console.log(`\n${profileText(p)}`)
  }

  const resultsDir = join(repoRoot, 'bench/results')
  mkdirSync(resultsDir, { recursive: true })
  const resultsFile = join(
    resultsDir,
    `${startedAt
      .toISOString()
      .replaceAll(':', '-')
      .replace(/\.\d+Z$/, 'Z')}.json`,
  )
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
  writeFileSync(
    resultsFile,
    `${JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        command,
        source,
        machine,
        librdkafka: rdkafka?.version,
        loadAverage: { start: loadAtStart, end: loadAtEnd },
        fsync,
        counts,
        cases: summaries,
        ratios: ratios(summaries),
        profiles,
      },
      null,
      2,
    )}\n`,
  )
  console.log(`\nresults: ${resultsFile}`)

  if (values['write-docs']) {
    writeDocs(
      repoRoot,
      join(repoRoot, 'docs/benchmarks.md'),
      [
        `Measured ${startedDate} with \`${command}\` (${counts.runs} runs of each case; median, then min–max).`,
        '',
        `Code: commit ${source.commit}` +
          (source.modified.length > 0
            ? ` with uncommitted changes in ${source.modified.map((f) => `\`${f}\``).join(', ')}.`
            : '.'),
        '',
        `Machine: ${machine.nproc} CPUs (\`nproc\`), ${machine.cpuModel}, ${machine.memoryGiB} GiB RAM (\`free -g\`), ` +
          `Linux ${machine.kernel}; Node ${machine.node}; librdkafka ${rdkafka?.version ?? '(not available)'}. ` +
          `Load average (1, 5, 15 min) at the start ${loadAtStart.join(', ')}, at the end ${loadAtEnd.join(', ')}.`,
        ...(fsyncText ? ['', `${fsyncText}.`] : []),
        '',
        markdownTables(summaries, counts.runs),
      ].join('\n'),
    )
    console.log('docs/benchmarks.md updated')
  }
  return summaries.some((s) => s.error?.startsWith('failed')) ? 1 : 0
}

/** One line on what an fsync cost at the start and the end of the run. */
function describeFsync(fsync: { start?: FsyncProbe; end?: FsyncProbe }): string | undefined {
  const one = (p: FsyncProbe) => `${p.medianMs} ms (${p.minMs}–${p.maxMs})`
  if (!fsync.start) return undefined
  return (
    `fsync after a 4 KiB append, in the data directory's file system (${fsync.start.fsyncs} in a row, median (min–max)): ` +
    `${one(fsync.start)} at the start${fsync.end ? `, ${one(fsync.end)} at the end` : ''}`
  )
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    killChildren()
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
