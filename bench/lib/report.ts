// Summaries of the runs: the table printed to stdout, the ratios, and the same as Markdown for
// docs/benchmarks.md.
import type { Case, Client, RunMeasure, Target } from './harness.ts'
import { type Spread, spread } from './stats.ts'

const API_OF_KIND = {
  produce: 'Produce',
  consume: 'Fetch',
  latency: 'Produce',
  rebalance: 'JoinGroup',
} as const
/** The requests a transaction makes of the broker, in order (FindCoordinator and InitProducerId come once). */
export const TXN_APIS = ['AddPartitionsToTxn', 'Produce', 'EndTxn'] as const

export interface CaseSummary {
  id: string
  group: string
  client: Client
  target: Target
  kind: Case['kind']
  size: number
  acks?: 1 | -1
  partitions?: number
  members?: number
  idempotent?: boolean
  perTransaction?: number
  departure?: 'leave' | 'kill'
  recordsPerRun: number
  runs: RunMeasure[]
  error?: string
  msgPerSec?: Spread
  mbPerSec?: Spread
  p50Ms?: Spread
  p99Ms?: Spread
  p999Ms?: Spread
  /** Fraction of the window the server's main thread (Node's event loop) was on a CPU. */
  serverLoopBusy?: Spread
  /** CPU of all the server's threads, in cores (1 = one core for the whole window). */
  serverCores?: Spread
  /** CPU seconds of all the server's threads per GB of record bytes: cost, whatever the load. */
  serverCpuPerGB?: Spread
  /** CPU seconds of the client per GB of record bytes. */
  clientCpuPerGB?: Spread
  /** Fraction of the window the server's main thread was runnable but waiting for a CPU. */
  serverLoopWaited?: Spread
  /** Fraction of the window the broker had a request of this case's API in hand (Runnel only). */
  inBroker?: Spread
  /** CPU of the client, in cores over its timed part. */
  clientCores?: Spread
  /** Rebalance: from the departure to the last remaining member told (its partitions revoked). */
  toldMs?: Spread
  /** Rebalance: from the departure to every partition owned again. */
  rebalanceMs?: Spread
  /** Rebalance: from the last remaining member told to every partition owned (rejoin and sync). */
  rejoinMs?: Spread
  /** Transactions: committed per second, and the client's time per transaction. */
  transactionsPerSec?: Spread
  msPerTransaction?: Spread
  /** Transactions: the broker's time per transaction answering each of TXN_APIS, in ms. */
  brokerMsPerTransaction?: Record<string, Spread>
}

const num = (v: unknown) => Number(v ?? Number.NaN)

export function summarize(c: Case, recordsPerRun: number, runs: RunMeasure[], error?: string): CaseSummary {
  const s: CaseSummary = {
    id: c.id,
    group: c.group,
    client: c.client,
    target: c.target,
    kind: c.kind,
    size: c.size,
    acks: c.acks,
    partitions: c.partitions,
    members: c.members,
    idempotent: c.idempotent,
    perTransaction: c.perTransaction,
    departure: c.departure,
    recordsPerRun,
    runs,
    error,
  }
  if (runs.length === 0) return s
  const of = (f: (r: RunMeasure) => number) => spread(runs.map(f))
  if (c.kind === 'latency') {
    s.p50Ms = of((r) => num(r.tool.p50Ms))
    s.p99Ms = of((r) => num(r.tool.p99Ms))
    s.p999Ms = of((r) => num(r.tool.p999Ms))
  } else if (c.kind === 'rebalance') {
    s.rebalanceMs = of((r) => num(r.tool.rebalanceMs))
    s.toldMs = of((r) => num(r.tool.toldMs))
    s.rejoinMs = of((r) => num(r.tool.rebalanceMs) - num(r.tool.toldMs))
  } else {
    s.msgPerSec = of((r) => num(r.tool.msgPerSec))
    s.mbPerSec = of((r) => num(r.tool.mbPerSec))
    s.serverCpuPerGB = of((r) => r.server.all.cpuSeconds / (num(r.tool.bytes) / 1e9))
    s.clientCpuPerGB = of((r) => r.clientCpuSeconds / (num(r.tool.bytes) / 1e9))
  }
  s.serverLoopBusy = of((r) => r.server.main.cpuSeconds / r.windowSeconds)
  s.serverCores = of((r) => r.server.all.cpuSeconds / r.windowSeconds)
  s.serverLoopWaited = of((r) => r.server.main.waitSeconds / r.windowSeconds)
  if (runs[0].apiSeconds) s.inBroker = of((r) => (r.apiSeconds?.[API_OF_KIND[c.kind]] ?? 0) / r.windowSeconds)
  s.clientCores = of((r) =>
    c.kind === 'latency' || c.kind === 'rebalance'
      ? r.clientCpuSeconds / r.windowSeconds
      : r.clientCpuSeconds / num(r.tool.seconds),
  )
  if (c.perTransaction) {
    const txns = (r: RunMeasure) => num(r.tool.transactions)
    s.transactionsPerSec = of((r) => txns(r) / num(r.tool.seconds))
    s.msPerTransaction = of((r) => (num(r.tool.seconds) * 1000) / txns(r))
    s.brokerMsPerTransaction = {}
    for (const api of TXN_APIS) {
      s.brokerMsPerTransaction[api] = of((r) => ((r.apiSeconds?.[api] ?? Number.NaN) * 1000) / txns(r))
    }
  }
  return s
}

type Described = Pick<
  CaseSummary,
  'kind' | 'size' | 'acks' | 'partitions' | 'members' | 'idempotent' | 'perTransaction' | 'departure'
>

export function describeCase(s: Described): string {
  const size = s.size === 1024 ? '1 KiB' : `${s.size} B`
  if (s.kind === 'latency') return `end-to-end ${size}`
  if (s.kind === 'rebalance') {
    const members = `${s.members} → ${(s.members ?? 1) - 1} members`
    return s.departure === 'kill'
      ? `rebalance after SIGKILL, ${members}`
      : `rebalance after LeaveGroup, ${members}`
  }
  if (s.kind === 'consume') {
    const group = s.members ? `, group of ${s.members}` : ''
    const partitions = s.partitions && s.partitions > 1 ? `, ${s.partitions} partitions` : ''
    return `consume ${size}${group}${partitions}`
  }
  const producer = s.perTransaction
    ? `, transactions of ${s.perTransaction}`
    : s.idempotent
      ? ', idempotent'
      : ''
  return `produce ${size} acks=${s.acks === -1 ? 'all' : '1'}${producer}`
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-')
const dec = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-')
const pct = (sp: Spread | undefined) => (sp ? `${Math.round(sp.median * 100)}%` : '-')
const cores = (sp: Spread | undefined) => (sp ? dec(sp.median, 2) : '-')
const withRange = (sp: Spread | undefined, f: (n: number) => string, runs: number) =>
  !sp ? '-' : runs > 1 ? `${f(sp.median)} (${f(sp.min)}–${f(sp.max)})` : f(sp.median)

export interface Ratio {
  name: string
  value: number
  detail: string
}

/** Goals and reference figures from DESIGN.md ("Speed") and issue 2. */
export const REFERENCES = {
  goalRdkafkaProduce100: 1_000_000,
  mockDesignMsgPerSec: 2_000_000,
  peers: {
    produce100: { who: 'RabbitMQ Streams', msgPerSec: 388_000 },
    consume100: { who: 'Redis Streams', msgPerSec: 592_000 },
    produce1k: { who: 'NATS JetStream', mbPerSec: 142 },
    p99: { who: 'Redis Streams', ms: 1.7 },
  },
} as const

export function ratios(summaries: readonly CaseSummary[]): Ratio[] {
  const by = (id: string) => summaries.find((s) => s.id === id && !s.error)
  const out: Ratio[] = []
  for (const size of ['100b', '1k']) {
    const runnel = by(`rdkafka-produce-${size}-acks1`)?.msgPerSec?.median
    const mock = by(`mock-produce-${size}-acks1`)?.msgPerSec?.median
    if (runnel && mock) {
      out.push({
        name: `Runnel / librdkafka mock, produce ${size === '1k' ? '1 KiB' : '100 B'} acks=1 (librdkafka)`,
        value: runnel / mock,
        detail: `${int(runnel)} / ${int(mock)} msg/s`,
      })
    }
    const runnelCpu = by(`rdkafka-produce-${size}-acks1`)?.serverCpuPerGB?.median
    const mockCpu = by(`mock-produce-${size}-acks1`)?.serverCpuPerGB?.median
    if (runnelCpu && mockCpu) {
      out.push({
        name: `broker CPU per GB, Runnel / librdkafka mock, produce ${size === '1k' ? '1 KiB' : '100 B'} acks=1`,
        value: runnelCpu / mockCpu,
        detail: `${dec(runnelCpu, 2)} / ${dec(mockCpu, 2)} CPU s/GB`,
      })
    }
  }
  const goal = by('rdkafka-produce-100b-acks1')?.msgPerSec?.median
  if (goal) {
    out.push({
      name: 'issue 2 goal: librdkafka produce 100 B acks=1 / 1,000,000 msg/s',
      value: goal / REFERENCES.goalRdkafkaProduce100,
      detail: `${int(goal)} msg/s: ${goal >= REFERENCES.goalRdkafkaProduce100 ? 'met' : 'not met'}`,
    })
  }
  const p = REFERENCES.peers
  const pp = by('platformatic-produce-100b-acks1')?.msgPerSec?.median
  if (pp) {
    out.push({
      name: `platformatic produce 100 B / ${p.produce100.who} (DESIGN.md, not re-measured here)`,
      value: pp / p.produce100.msgPerSec,
      detail: `${int(pp)} / ${int(p.produce100.msgPerSec)} msg/s`,
    })
  }
  const pc = by('platformatic-consume-100b')?.msgPerSec?.median
  if (pc) {
    out.push({
      name: `platformatic consume 100 B / ${p.consume100.who} (DESIGN.md, not re-measured here)`,
      value: pc / p.consume100.msgPerSec,
      detail: `${int(pc)} / ${int(p.consume100.msgPerSec)} msg/s`,
    })
  }
  const pk = by('platformatic-produce-1k-acks1')?.mbPerSec?.median
  if (pk) {
    out.push({
      name: `platformatic produce 1 KiB / ${p.produce1k.who} (DESIGN.md, not re-measured here)`,
      value: pk / p.produce1k.mbPerSec,
      detail: `${dec(pk)} / ${p.produce1k.mbPerSec} MB/s`,
    })
  }
  const group = by('rdkafka-group-consume-100b')?.msgPerSec?.median
  for (const [id, what] of [
    ['rdkafka-consume-100b', 'one consumer without a group, 1 partition'],
    ['rdkafka-consume-100b-6p', 'one consumer assigning itself the same 6 partitions'],
  ] as const) {
    const alone = by(id)?.msgPerSec?.median
    if (group && alone) {
      out.push({
        name: `consume 100 B through a group of 3 (6 partitions) / ${what} (librdkafka)`,
        value: group / alone,
        detail: `${int(group)} / ${int(alone)} msg/s`,
      })
    }
  }
  for (const [client, prefix] of [
    ['librdkafka', 'rdkafka'],
    ['platformatic', 'platformatic'],
  ] as const) {
    const txn = by(`${prefix}-produce-100b-txn`)?.msgPerSec?.median
    const plain = by(`${prefix}-produce-100b-idempotent`)?.msgPerSec?.median
    if (txn && plain) {
      out.push({
        name: `${client}: transactions of 100 / the same idempotent producer without transactions`,
        value: txn / plain,
        detail: `${int(txn)} / ${int(plain)} msg/s`,
      })
    }
  }
  const pl = by('latency-platformatic-100b')?.p99Ms?.median
  if (pl) {
    out.push({
      name: `${p.p99.who} p99 / platformatic p99 at 5,000 msg/s, 100 B (DESIGN.md, not re-measured here)`,
      value: p.p99.ms / pl,
      detail: `${p.p99.ms} ms / ${dec(pl, 2)} ms (above 1 = Runnel faster)`,
    })
  }
  return out
}

interface Table {
  head: string[]
  rows: string[][]
}

function throughputTable(summaries: readonly CaseSummary[], runs: number): Table {
  return {
    head: [
      'case',
      'client → broker',
      'records/run',
      'msg/s median (min–max)',
      'MB/s median (min–max)',
      'broker CPU s/GB',
      'client CPU s/GB',
      'broker loop busy',
      'broker loop waited',
      'in broker',
      'client CPU cores',
    ],
    rows: summaries
      .filter((s) => s.kind === 'produce' || s.kind === 'consume')
      .map((s) => [
        describeCase(s),
        `${s.client} → ${s.target === 'runnel' ? 'Runnel' : 'mock'}`,
        int(s.recordsPerRun),
        s.error ? s.error.split('\n')[0] : withRange(s.msgPerSec, int, runs),
        s.error ? '' : withRange(s.mbPerSec, (n) => dec(n), runs),
        s.serverCpuPerGB ? dec(s.serverCpuPerGB.median, 2) : '-',
        s.clientCpuPerGB ? dec(s.clientCpuPerGB.median, 2) : '-',
        pct(s.serverLoopBusy),
        pct(s.serverLoopWaited),
        pct(s.inBroker),
        cores(s.clientCores),
      ]),
  }
}

function latencyTable(summaries: readonly CaseSummary[], runs: number): Table {
  const ms = (n: number) => dec(n, 2)
  return {
    head: ['case', 'client', 'p50 ms', 'p99 ms', 'p99.9 ms', 'broker loop busy', 'broker loop waited'],
    rows: summaries
      .filter((s) => s.kind === 'latency')
      .map((s) => [
        describeCase(s),
        s.client,
        s.error ? s.error.split('\n')[0] : withRange(s.p50Ms, ms, runs),
        s.error ? '' : withRange(s.p99Ms, ms, runs),
        s.error ? '' : withRange(s.p999Ms, ms, runs),
        pct(s.serverLoopBusy),
        pct(s.serverLoopWaited),
      ]),
  }
}

function rebalanceTable(summaries: readonly CaseSummary[], runs: number): Table {
  const ms = (n: number) => int(n)
  return {
    head: [
      'case',
      'client',
      'departure → last member told, ms',
      'told → all partitions owned, ms',
      'departure → all partitions owned, ms',
      'broker loop busy',
    ],
    rows: summaries
      .filter((s) => s.kind === 'rebalance')
      .map((s) => [
        describeCase(s),
        s.client,
        s.error ? s.error.split('\n')[0] : withRange(s.toldMs, ms, runs),
        s.error ? '' : withRange(s.rejoinMs, ms, runs),
        s.error ? '' : withRange(s.rebalanceMs, ms, runs),
        pct(s.serverLoopBusy),
      ]),
  }
}

function transactionTable(summaries: readonly CaseSummary[], runs: number): Table {
  const ms = (n: number) => dec(n, 2)
  const inBroker = (s: CaseSummary) =>
    TXN_APIS.reduce((sum, api) => sum + (s.brokerMsPerTransaction?.[api]?.median ?? Number.NaN), 0)
  return {
    head: [
      'case',
      'client',
      'transactions/s',
      'ms per transaction',
      ...TXN_APIS.map((api) => `in broker: ${api} ms`),
      'outside the broker, ms',
    ],
    rows: summaries
      .filter((s) => s.perTransaction && !s.error)
      .map((s) => [
        describeCase(s),
        s.client,
        withRange(s.transactionsPerSec, int, runs),
        withRange(s.msPerTransaction, ms, runs),
        ...TXN_APIS.map((api) => ms(s.brokerMsPerTransaction?.[api]?.median ?? Number.NaN)),
        ms((s.msPerTransaction?.median ?? Number.NaN) - inBroker(s)),
      ]),
  }
}

function tables(summaries: readonly CaseSummary[], runs: number): Table[] {
  return [
    throughputTable(summaries, runs),
    latencyTable(summaries, runs),
    rebalanceTable(summaries, runs),
    transactionTable(summaries, runs),
  ]
}

function plain(t: Table): string {
  if (t.rows.length === 0) return ''
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i].length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ')
  return [line(t.head), line(widths.map((w) => '-'.repeat(w))), ...t.rows.map(line)].join('\n')
}

function markdown(t: Table): string {
  if (t.rows.length === 0) return ''
  const esc = (c: string) => c.replaceAll('|', '\\|')
  return [
    `| ${t.head.map(esc).join(' | ')} |`,
    `|${t.head.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n')
}

export function textReport(summaries: readonly CaseSummary[], runs: number): string {
  const parts = tables(summaries, runs).map(plain).filter(Boolean)
  const rs = ratios(summaries)
  if (rs.length > 0) parts.push(rs.map((r) => `${r.name}: ${r.value.toFixed(2)} (${r.detail})`).join('\n'))
  return parts.join('\n\n')
}

export function markdownTables(summaries: readonly CaseSummary[], runs: number): string {
  const parts = tables(summaries, runs).map(markdown).filter(Boolean)
  const rs = ratios(summaries)
  if (rs.length > 0) {
    parts.push(
      [
        '| ratio | value | from |',
        '|---|---|---|',
        ...rs.map((r) => `| ${r.name} | ${r.value.toFixed(2)} | ${r.detail} |`),
      ].join('\n'),
    )
  }
  return parts.join('\n\n')
}
