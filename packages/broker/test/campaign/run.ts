// `npm run campaign -- [--runs N] [--seed S] [--seconds T] [--kills K] [--dir D]`: runs of
// campaign.ts one after the other, one line per run and a summary; stops at the first run with
// a violation and keeps its data directory and every process's output.
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { REPO_ROOT } from '../helpers/broker.ts'
import { campaignRun, discardRun, type RunReport } from './campaign.ts'

const HELP = `Usage: npm run campaign -- [options]

The fault campaign: each run starts the broker as a child process on a fresh data directory,
runs librdkafka, kafkajs and @platformatic/kafka workloads at full speed (idempotent,
transactional, acks=1 and acks=all, a compacted and a retention topic, a consumer group that
rebalances), kills the broker with SIGKILL at random moments and restarts it, then checks every
acknowledgement against the log (docs/reliability.md).

Options:
  --runs <n>      runs (default 10)
  --seed <n>      seed of the first run; run i uses seed + i (default: from the clock)
  --seconds <n>   how long the clients produce in each run (default 20)
  --kills <n>     SIGKILLs per run (default 3)
  --dir <path>    where runs keep their data (default: a directory under ${tmpdir()})
  --keep          keep every run's directory, also of runs that passed
  --verbose       a line per kill and restart
  -h, --help      show this help

Exit status: 0 when every run passed, 1 at the first violation (its directory is kept),
2 for bad options.`

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name} must be a positive integer, got "${value}"\n\n${HELP}\n`)
    process.exit(2)
  }
  return n
}

let values: Record<string, string | boolean | undefined>
try {
  ;({ values } = parseArgs({
    options: {
      runs: { type: 'string' },
      seed: { type: 'string' },
      seconds: { type: 'string' },
      kills: { type: 'string' },
      dir: { type: 'string' },
      keep: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }))
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n\n${HELP}\n`)
  process.exit(2)
}
if (values.help) {
  process.stdout.write(`${HELP}\n`)
  process.exit(0)
}
const runs = positive('runs', values.runs as string | undefined, 10)
const seed = positive('seed', values.seed as string | undefined, Date.now() % 1_000_000)
const seconds = positive('seconds', values.seconds as string | undefined, 20)
const kills = positive('kills', values.kills as string | undefined, 3)
const root = (values.dir as string | undefined) ?? join(tmpdir(), `runnel-campaign-${process.pid}`)
mkdirSync(root, { recursive: true })

const say = (line: string) => process.stdout.write(`${line}\n`)
// The broker as users run it, from dist/ (built now from the current sources): a restart then
// takes what the broker needs, not what tsx needs to compile it.
execFileSync(process.execPath, [join(REPO_ROOT, 'scripts/build.mjs')], { stdio: 'inherit' })
say(
  `campaign: ${runs} runs of ${seconds} s, ${kills} kill -9 each, seeds ${seed}..${seed + runs - 1}; ` +
    `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, data in ${root}`,
)
const reports: RunReport[] = []
const started = Date.now()
for (let i = 0; i < runs; i++) {
  const dir = join(root, `run-${i + 1}`)
  let report: RunReport
  try {
    report = await campaignRun({
      run: i + 1,
      seed: seed + i,
      dir,
      durationMs: seconds * 1000,
      kills,
      log: values.verbose ? say : undefined,
      built: true,
    })
  } catch (err) {
    say(`run ${i + 1} (seed ${seed + i}): could not complete: ${(err as Error).stack}`)
    say(`kept ${dir}`)
    process.exit(1)
  }
  reports.push(report)
  const a = report.acked
  const phases = Object.values(report.phases)
    .map((ms) => (ms / 1000).toFixed(0))
    .join('/')
  const total = Object.values(a).reduce((x, y) => x + y, 0)
  say(
    `run ${report.run} seed ${report.seed}: ${report.violations.length === 0 ? 'ok' : 'VIOLATION'} ` +
      `${(report.ms / 1000).toFixed(1)} s, ${total} acknowledged (idem ${a['rd-idem']}, acks=1 ${a['rd-acks1']}, ` +
      `compact ${a['rd-compact']}, retention ${a['rd-retention']}, platformatic ${a['pf-idem']}), ` +
      `txns ${report.transactions.commit}/${report.transactions.abort}/${report.transactions.unknown} (commit/abort/unknown), ` +
      `${report.commits} group commits, kills at ${report.killsAt.join(',')} ms, restarts ${report.restartsMs.join(',')} ms, ` +
      `${(report.bytesRead / 2 ** 20).toFixed(0)} MiB read back, acks=1 lost ${report.acks1Lost}, load ${loadavg()[0].toFixed(1)}, phases ${phases} s (start/produce/stop/check)`,
  )
  if (report.violations.length > 0) {
    for (const v of report.violations) say(`  ${v}`)
    say(`kept ${dir} (broker.log, each workload's .out/.err, data/)`)
    process.exit(1)
  }
  if (!values.keep) await discardRun(dir)
}
const sum = (f: (r: RunReport) => number) => reports.reduce((x, r) => x + f(r), 0)
const restarts = reports.flatMap((r) => r.restartsMs).sort((x, y) => x - y)
say(
  `campaign passed: ${runs} runs, ${runs * kills} kill -9, 0 violations in ${((Date.now() - started) / 60000).toFixed(1)} min; ` +
    `${sum((r) => Object.values(r.acked).reduce((x, y) => x + y, 0))} acknowledged records checked, ` +
    `${sum((r) => r.transactions.commit + r.transactions.abort + r.transactions.unknown)} transactions, ` +
    `${(sum((r) => r.bytesRead) / 2 ** 30).toFixed(2)} GiB read back; restart median ${restarts[restarts.length >> 1]} ms, max ${restarts.at(-1)} ms; ` +
    `acks=1 acknowledgements lost: ${sum((r) => r.acks1Lost)}`,
)
