// The fault campaign: the broker as a child process on a fresh data directory, real clients
// producing and consuming at full speed, the broker killed with SIGKILL at random moments and
// restarted on the same directory; after each run a fresh reader checks what every client was
// told against what the log holds. `npm run campaign` runs many (run.ts); campaign.test.ts
// runs a short one in `npm test`.
//
// The workloads of one run, each on a topic of its own:
//
//   rd-idem       librdkafka (Debian's python3-confluent-kafka), idempotent, acks=all, records of
//                 100 B to 100 KiB, 1 MiB segments (rolls all the time); read by a kafkajs consumer
//                 group whose two members leave and join every few seconds (rebalances)
//   rd-acks1      librdkafka, acks=1, retries on (at least once), lz4
//   rd-compact    librdkafka (the current PyPI wheel when installed), idempotent, acks=all, 200 keys,
//                 cleanup.policy=compact on 256 KiB segments, cleaner woken every 300 ms
//   rd-retention  librdkafka, idempotent, acks=all, retention.bytes=2 MiB on 512 KiB segments,
//                 retention checked every 500 ms
//   kjs-txn       kafkajs, transactional: commits two transactions in three, aborts the rest
//   pf-idem       @platformatic/kafka, idempotent, acks=all
//
// What is checked, from the broker after the last restart (docs/reliability.md):
//   - every acks=all acknowledgement is in the log at the offset the client was given (unless
//     compaction superseded it by a later record of the same key, or retention deleted it);
//   - offsets are contiguous from the log start to the high watermark (not on compacted topics);
//   - no record of an idempotent or transactional producer is in the log twice;
//   - read_committed (librdkafka) returns exactly the committed transactional records: none of
//     an aborted transaction, all of a committed one, all or none of one whose outcome the
//     client never learned;
//   - the group's committed offsets never fall below an acknowledged commit, across restarts.
// acks=1 acknowledgements the log lost are counted, not violations (Kafka gives acks=1 no such
// promise either).

import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Admin, Consumer } from '@platformatic/kafka'
import { BrokerProcess, freePort, REPO_ROOT, removeDir, sleep } from '../helpers/broker.ts'
import { killChild, runProcess } from '../helpers/child-process.ts'
import { PYTHON, WHEEL_PYTHON } from '../helpers/python.ts'
import { seededRandom } from '../helpers/records.ts'

const HERE = new URL('.', import.meta.url).pathname
export const RD_WORKLOAD = join(HERE, 'clients/rdkafka_workload.py')
const NODE_WORKLOAD = join(HERE, 'clients/node-workload.ts')

export interface CampaignRunOptions {
  /** This run's number (for names) and seed (kill moments, record sizes). */
  run: number
  seed: number
  /** Where the run keeps its data directory and every process's output. */
  dir: string
  /** How long the clients produce, in ms; the kills fall inside it. */
  durationMs: number
  /** SIGKILLs per run. */
  kills: number
  log?: (line: string) => void
  /** Run the built broker (dist/, after `npm run build`) instead of its sources through tsx. */
  built?: boolean
}

export interface RunReport {
  run: number
  seed: number
  violations: string[]
  /** Acknowledged records per workload. */
  acked: Record<string, number>
  /** acks=1 acknowledgements not found in the log. */
  acks1Lost: number
  transactions: { commit: number; abort: number; unknown: number }
  commits: number
  /** Time from each restart to the broker accepting connections, ms. */
  restartsMs: number[]
  killsAt: number[]
  bytesRead: number
  /** ms spent starting the clients, producing (with the kills), stopping them, and checking. */
  phases: { start: number; produce: number; stop: number; verify: number }
  ms: number
}

interface TopicPlan {
  name: string
  partitions: number
  configs: Record<string, string>
}

const TOPICS: TopicPlan[] = [
  { name: 'rd-idem', partitions: 3, configs: { 'segment.bytes': String(1 << 20) } },
  { name: 'rd-acks1', partitions: 2, configs: { 'segment.bytes': String(1 << 20) } },
  {
    name: 'rd-compact',
    partitions: 2,
    configs: {
      'cleanup.policy': 'compact',
      'segment.bytes': String(256 << 10),
      'min.cleanable.dirty.ratio': '0.01',
      'delete.retention.ms': '1000',
    },
  },
  {
    name: 'rd-retention',
    partitions: 2,
    configs: { 'retention.bytes': String(2 << 20), 'segment.bytes': String(512 << 10) },
  },
  { name: 'kjs-txn', partitions: 3, configs: { 'segment.bytes': String(1 << 20) } },
  { name: 'pf-idem', partitions: 2, configs: { 'segment.bytes': String(1 << 20) } },
]
const partitionsOf = (topic: string) => TOPICS.find((t) => t.name === topic)!.partitions
const GROUP = 'campaign-group'
const COMPACT_KEYS = 200

const BROKER_ARGS = [
  '--config',
  'log.retention.check.interval.ms=500',
  '--config',
  'log.cleaner.backoff.ms=300',
  '--num-partitions',
  '1',
]

/** A workload child process whose stdout and stderr go to files in the run's directory. */
export class Workload {
  readonly child: ChildProcess
  readonly outFile: string
  readonly errFile: string
  readonly exited: Promise<unknown>

  constructor(
    readonly name: string,
    dir: string,
    command: string,
    args: string[],
  ) {
    this.outFile = join(dir, `${name}.out`)
    this.errFile = join(dir, `${name}.err`)
    const out = openSync(this.outFile, 'w')
    const err = openSync(this.errFile, 'w')
    // The clients run at a lower CPU priority than the broker, as if on machines of their own:
    // the machine is still loaded, but a full-speed client cannot starve the broker it tests.
    this.child = spawn('nice', ['-n', '10', command, ...args], {
      cwd: REPO_ROOT,
      stdio: ['pipe', out, err],
      env: { ...process.env, PYTHONUNBUFFERED: '0' },
    })
    closeSync(out)
    closeSync(err)
    this.child.stdin!.on('error', () => {})
    this.exited = once(this.child, 'close').catch(() => undefined)
  }

  lines(): string[] {
    return readFileSync(this.outFile, 'utf8').split('\n')
  }

  /** Closes stdin (the cue to finish and flush); SIGKILL by PID after graceMs. */
  async stop(graceMs: number): Promise<boolean> {
    this.child.stdin!.end()
    let killed = false
    const timer = setTimeout(() => {
      killed = true
      killChild(this.child, 'SIGKILL')
    }, graceMs)
    await this.exited
    clearTimeout(timer)
    return !killed
  }
}

/** Resolves once every workload has written a line (an outcome); fails after timeoutMs. */
export async function untilAllStarted(workloads: readonly Workload[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const idle = workloads.filter((w) => statSync(w.outFile).size === 0)
    if (idle.length === 0) return
    if (Date.now() > deadline) {
      throw new Error(`no progress within ${timeoutMs} ms from ${idle.map((w) => w.name).join(', ')}`)
    }
    await sleep(100)
  }
}

function rdkafka(bootstrap: string, dir: string, name: string, spec: object, python = PYTHON): Workload {
  const topic = name
  return new Workload(name, dir, python, [
    RD_WORKLOAD,
    'produce',
    bootstrap,
    topic,
    String(partitionsOf(topic)),
    JSON.stringify(spec),
  ])
}

function nodeWorkload(
  bootstrap: string,
  dir: string,
  name: string,
  kind: string,
  topic: string,
  spec: object,
): Workload {
  // Node strips the types itself (the workload imports only the clients): no tsx start-up.
  return new Workload(name, dir, process.execPath, [
    NODE_WORKLOAD,
    kind,
    bootstrap,
    topic,
    String(partitionsOf(topic)),
    JSON.stringify(spec),
  ])
}

export interface Ack {
  n: number
  p: number
  o: number
}

export function acksOf(lines: readonly string[]): Ack[] {
  const acks: Ack[] = []
  for (const line of lines) {
    const m = /^(\d+) (\d+) (\d+)$/.exec(line)
    if (m) acks.push({ n: Number(m[1]), p: Number(m[2]), o: Number(m[3]) })
  }
  return acks
}

/** One record (or control record) of the log as read back, with its batch's facts. */
interface LogRecord {
  offset: number
  key: Buffer | null
  /** The n of "<id>:<n>:", or -1 when the value has no such prefix. */
  n: number
  producerId: bigint
  transactional: boolean
  /** For a control record: 0 abort, 1 commit. */
  control?: number
}

interface PartitionLog {
  logStart: number
  highWatermark: number
  lastStable: number
  records: LogRecord[]
}

const TRANSACTIONAL = 0x10
const CONTROL = 0x20

function numberOf(value: Buffer | null): number {
  if (!value) return -1
  const first = value.indexOf(0x3a) // ':'
  const second = first < 0 ? -1 : value.indexOf(0x3a, first + 1)
  if (second < 0) return -1
  const n = Number(value.subarray(first + 1, second).toString('latin1'))
  return Number.isInteger(n) ? n : -1
}

/** Every batch of every partition of `topic`, read_uncommitted, from the log start to the high watermark. */
async function readTopic(
  bootstrap: string,
  topic: string,
  counter: { bytes: number },
): Promise<PartitionLog[]> {
  const consumer = new Consumer({
    clientId: 'campaign-reader',
    bootstrapBrokers: [bootstrap],
    groupId: 'campaign-reader-no-group-api',
    retries: 3,
    retryDelay: 200,
    timeout: 20_000,
  })
  try {
    const metadata = await consumer.metadata({ topics: [topic], forceUpdate: true })
    const t = metadata.topics.get(topic)
    if (!t) throw new Error(`no topic ${topic}`)
    const out: PartitionLog[] = []
    for (let p = 0; p < t.partitionsCount; p++) {
      const node = t.partitions[p].leader
      const records: LogRecord[] = []
      let offset = 0n
      let logStart = -1
      const deadline = Date.now() + 120_000
      for (;;) {
        const request = {
          node,
          maxWaitTime: 50,
          minBytes: 1,
          maxBytes: 16 << 20,
          isolationLevel: 0,
          topics: [
            {
              topicId: t.id,
              partitions: [
                {
                  partition: p,
                  fetchOffset: offset,
                  partitionMaxBytes: 8 << 20,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                },
              ],
            },
          ],
        }
        // @platformatic/kafka throws on a partition error; the answer rides on the error.
        const response = await consumer.fetch(request).catch((err: { response?: FetchAnswer }) => {
          if (err.response?.responses?.[0]?.partitions?.[0]) return err.response
          throw err
        })
        const part = response.responses[0].partitions[0]
        if (part.errorCode === 1) {
          // OFFSET_OUT_OF_RANGE: retention moved the log start past `offset`. The answer
          // carries no offsets (-1, as Kafka's): ask for the log start, as a client does.
          const earliest = await consumer.listOffsets({
            topics: [topic],
            partitions: { [topic]: [p] },
            timestamp: -2n,
          })
          const start = earliest.get(topic)?.[p]
          if (start === undefined || start <= offset)
            throw new Error(`${topic}/${p}: out of range at ${offset}, log start ${start}`)
          offset = start
          continue
        }
        if (part.errorCode !== 0) throw new Error(`${topic}/${p}: fetch error ${part.errorCode} at ${offset}`)
        if (logStart < 0) logStart = Number(part.logStartOffset)
        for (const batch of part.records ?? []) {
          counter.bytes += batch.length
          const transactional = (batch.attributes & TRANSACTIONAL) !== 0
          const control = (batch.attributes & CONTROL) !== 0
          for (const record of batch.records) {
            const at = Number(batch.firstOffset + BigInt(record.offsetDelta))
            if (at < Number(offset)) continue
            records.push({
              offset: at,
              key: record.key,
              n: control ? -1 : numberOf(record.value),
              producerId: batch.producerId,
              transactional,
              control: control && record.key ? record.key.readInt16BE(2) : undefined,
            })
          }
          const next = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n
          if (next > offset) offset = next
        }
        if (offset >= part.highWatermark) {
          out.push({
            logStart,
            highWatermark: Number(part.highWatermark),
            lastStable: Number(part.lastStableOffset),
            records,
          })
          break
        }
        if (Date.now() > deadline)
          throw new Error(`${topic}/${p}: stuck at offset ${offset} of ${part.highWatermark}`)
      }
    }
    return out
  } finally {
    await consumer.close()
  }
}

type FetchAnswer = Awaited<ReturnType<Consumer['fetch']>>

interface CheckContext {
  violations: string[]
  add(msg: string): void
}

function context(): CheckContext {
  const violations: string[] = []
  return {
    violations,
    add(msg) {
      if (violations.length < 50) violations.push(msg)
    },
  }
}

/** Offsets contiguous from the log start (the first record read) to the high watermark. */
function checkContiguous(ctx: CheckContext, topic: string, logs: PartitionLog[]): void {
  for (const [p, log] of logs.entries()) {
    let expected = log.records[0]?.offset ?? log.highWatermark
    if (expected > log.logStart && log.records.length > 0 && log.logStart >= 0) {
      ctx.add(`${topic}/${p}: log starts at ${log.logStart} but the first record read is at ${expected}`)
    }
    for (const r of log.records) {
      if (r.offset !== expected) {
        ctx.add(`${topic}/${p}: offset ${r.offset} where ${expected} was expected (gap or overlap)`)
        expected = r.offset
      }
      expected++
    }
    if (expected !== log.highWatermark) {
      ctx.add(`${topic}/${p}: the records end at ${expected}, the high watermark is ${log.highWatermark}`)
    }
  }
}

function checkNoDuplicates(
  ctx: CheckContext,
  topic: string,
  logs: PartitionLog[],
  visible?: (r: LogRecord, p: number) => boolean,
): void {
  const seen = new Map<number, string>()
  for (const [p, log] of logs.entries()) {
    for (const r of log.records) {
      if (r.control !== undefined || r.n < 0) continue
      if (visible && !visible(r, p)) continue
      const before = seen.get(r.n)
      if (before) ctx.add(`${topic}: record ${r.n} twice, at ${before} and at ${p}/${r.offset}`)
      seen.set(r.n, `${p}/${r.offset}`)
    }
  }
}

/**
 * Every acknowledged record at the offset it was acknowledged at. `superseded` lets compaction
 * remove a record whose key was written again later; offsets below the log start are gone by
 * retention.
 */
function checkAcks(
  ctx: CheckContext,
  topic: string,
  logs: PartitionLog[],
  acks: readonly Ack[],
  compacted = false,
): number {
  const byOffset = logs.map((log) => new Map(log.records.map((r) => [r.offset, r])))
  // For compaction: the highest offset each key is at in the log.
  const lastOfKey = logs.map((log) => {
    const m = new Map<string, number>()
    for (const r of log.records) if (r.key) m.set(r.key.toString('latin1'), r.offset)
    return m
  })
  let missing = 0
  for (const a of acks) {
    const log = logs[a.p]
    if (!log) {
      ctx.add(`${topic}: record ${a.n} acknowledged in partition ${a.p}, which does not exist`)
      continue
    }
    if (a.o < log.logStart) continue // deleted by retention
    if (a.o >= log.highWatermark) {
      missing++
      ctx.add(
        `${topic}/${a.p}: record ${a.n} acknowledged at offset ${a.o}, beyond the high watermark ${log.highWatermark}`,
      )
      continue
    }
    const r = byOffset[a.p].get(a.o)
    if (r?.n === a.n) continue
    if (compacted && r === undefined) {
      const key = `k${a.n % COMPACT_KEYS}`
      const last = lastOfKey[a.p].get(key)
      if (last !== undefined && last > a.o) continue // superseded by a later record of its key
    }
    missing++
    ctx.add(
      `${topic}/${a.p}: record ${a.n} acknowledged at offset ${a.o}, the log has ${r ? `record ${r.n}` : 'nothing'} there`,
    )
  }
  return missing
}

interface TxnLine {
  t: number
  first: number
  last: number
  r: 'commit' | 'abort' | 'unknown'
}

/**
 * Transactions: the committed set from the log's own control records, compared with what
 * read_committed returns and with what the client was told.
 */
async function checkTransactions(
  ctx: CheckContext,
  bootstrap: string,
  dir: string,
  logs: PartitionLog[],
  txns: TxnLine[],
): Promise<void> {
  const topic = 'kjs-txn'
  // Walk the log: transactional records stay pending until their producer's marker.
  const committed = new Set<number>()
  const aborted = new Set<number>()
  for (const [p, log] of logs.entries()) {
    const pending = new Map<bigint, number[]>()
    for (const r of log.records) {
      if (r.control !== undefined) {
        const list = pending.get(r.producerId) ?? []
        for (const n of list) (r.control === 1 ? committed : aborted).add(n)
        pending.delete(r.producerId)
      } else if (r.transactional) {
        const list = pending.get(r.producerId) ?? []
        list.push(r.n)
        pending.set(r.producerId, list)
      } else {
        ctx.add(`${topic}/${p}: a non-transactional record at offset ${r.offset}`)
      }
    }
    for (const [pid, list] of pending) {
      if (list.length > 0)
        ctx.add(
          `${topic}/${p}: producer ${pid} left ${list.length} records in an open transaction (LSO ${log.lastStable}, HW ${log.highWatermark})`,
        )
    }
  }
  // read_committed through librdkafka.
  const result = await runProcess(
    PYTHON,
    [RD_WORKLOAD, 'read', bootstrap, topic, String(partitionsOf(topic)), 'read_committed'],
    { timeoutMs: 180_000, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
  )
  writeFileSync(join(dir, 'read-committed.out'), result.stdout)
  if (result.code !== 0) {
    ctx.add(`read_committed reader failed (${result.code ?? result.signal}): ${result.stderr.slice(-500)}`)
    return
  }
  const seen = new Map<number, string>()
  for (const line of result.stdout.split('\n')) {
    const m = /^(\d+) (\d+) (-?\d+|\?)$/.exec(line)
    if (!m) continue
    const n = Number(m[3])
    if (!committed.has(n))
      ctx.add(
        `read_committed returned record ${n} at ${m[1]}/${m[2]}, which is not committed${aborted.has(n) ? ' (it was aborted)' : ''}`,
      )
    if (seen.has(n)) ctx.add(`read_committed returned record ${n} twice`)
    seen.set(n, `${m[1]}/${m[2]}`)
  }
  for (const n of committed) if (!seen.has(n)) ctx.add(`read_committed did not return committed record ${n}`)
  for (const txn of txns) {
    let visible = 0
    const count = txn.last - txn.first + 1
    for (let n = txn.first; n <= txn.last; n++) if (seen.has(n)) visible++
    if (txn.r === 'commit' && visible !== count)
      ctx.add(`transaction ${txn.t} was committed: ${visible} of its ${count} records are visible`)
    if (txn.r === 'abort' && visible !== 0)
      ctx.add(`transaction ${txn.t} was aborted: ${visible} of its ${count} records are visible`)
    if (txn.r === 'unknown' && visible !== 0 && visible !== count)
      ctx.add(`transaction ${txn.t} (outcome unknown to the client) is half visible: ${visible} of ${count}`)
  }
}

/** The group's committed offsets against the highest acknowledged commit per partition. */
async function checkCommits(
  ctx: CheckContext,
  bootstrap: string,
  members: Workload[],
  when: string,
): Promise<number> {
  const best = new Map<number, number>()
  let count = 0
  for (const m of members) {
    for (const line of m.lines()) {
      if (!line.startsWith('{"c"')) continue
      const c = JSON.parse(line) as { c: number; o: number }
      count++
      best.set(c.c, Math.max(best.get(c.c) ?? -1, c.o))
    }
  }
  if (best.size === 0) return 0
  const admin = new Admin({
    clientId: 'campaign-admin',
    bootstrapBrokers: [bootstrap],
    retries: 5,
    retryDelay: 300,
  })
  try {
    const fetched = await admin.listConsumerGroupOffsets({
      groups: [{ groupId: GROUP, topics: [{ name: 'rd-idem', partitionIndexes: [...best.keys()] }] }],
    })
    const committed = new Map<number, number>()
    for (const g of fetched)
      for (const t of g.topics ?? [])
        for (const p of t.partitions ?? []) committed.set(p.partitionIndex, Number(p.committedOffset))
    for (const [p, o] of best) {
      const now = committed.get(p) ?? -1
      if (now < o)
        ctx.add(
          `${when}: group ${GROUP} rd-idem/${p} committed offset ${now}, below the acknowledged commit ${o}`,
        )
    }
  } finally {
    await admin.close()
  }
  return count
}

/** Waits until every partition's last stable offset equals its high watermark. */
async function untilStable(bootstrap: string, topic: string, timeoutMs: number): Promise<boolean> {
  const admin = new Admin({ clientId: 'campaign-admin', bootstrapBrokers: [bootstrap], retries: 3 })
  try {
    const deadline = Date.now() + timeoutMs
    const partitionIndexes = Array.from({ length: partitionsOf(topic) }, (_, i) => i)
    const ask = async (isolationLevel: 0 | 1) => {
      const [t] = await admin.listOffsets({
        isolationLevel,
        topics: [
          {
            name: topic,
            partitions: partitionIndexes.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })),
          },
        ],
      })
      return t.partitions.map((p) => p.offset)
    }
    for (;;) {
      const [stable, high] = [await ask(1), await ask(0)] // read_committed, read_uncommitted
      if (stable.every((o, i) => o === high[i])) return true
      if (Date.now() > deadline) return false
      await sleep(500)
    }
  } finally {
    await admin.close()
  }
}

async function createTopics(bootstrap: string): Promise<void> {
  const admin = new Admin({ clientId: 'campaign-admin', bootstrapBrokers: [bootstrap], retries: 3 })
  try {
    for (const t of TOPICS) {
      await admin.createTopics({
        topics: [t.name],
        partitions: t.partitions,
        replicas: 1,
        configs: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
      })
    }
  } finally {
    await admin.close()
  }
}

/** One run of the campaign. Resolves with its report; `violations` empty means it passed. */
export async function campaignRun(options: CampaignRunOptions): Promise<RunReport> {
  const started = Date.now()
  const rnd = seededRandom(options.seed)
  const log = options.log ?? (() => {})
  await mkdir(options.dir, { recursive: true })
  const dataDir = join(options.dir, 'data')
  const port = await freePort()
  const ctx = context()
  const phases = { start: 0, produce: 0, stop: 0, verify: 0 }
  const restartsMs: number[] = []
  const killsAt: number[] = []
  const brokerLogs: string[] = []
  let broker = await BrokerProcess.start({
    port,
    dataDir,
    extraArgs: BROKER_ARGS,
    logLevel: 'warn',
    built: options.built,
  })
  const bootstrap = broker.bootstrap
  const workloads: Workload[] = []
  try {
    await createTopics(bootstrap)
    const dir = options.dir
    const seed = options.seed
    const wheel = existsSync(WHEEL_PYTHON) ? WHEEL_PYTHON : PYTHON
    const b = bootstrap
    workloads.push(
      rdkafka(b, dir, 'rd-idem', { id: 'rd-idem', acks: 'all', idempotent: true, seed }),
      rdkafka(b, dir, 'rd-acks1', {
        id: 'rd-acks1',
        acks: '1',
        idempotent: false,
        seed: seed + 1,
        compression: 'lz4',
      }),
      rdkafka(
        b,
        dir,
        'rd-compact',
        {
          id: 'rd-compact',
          acks: 'all',
          idempotent: true,
          keys: COMPACT_KEYS,
          seed: seed + 2,
          batchBytes: 200_000,
        },
        wheel,
      ),
      rdkafka(b, dir, 'rd-retention', {
        id: 'rd-retention',
        acks: 'all',
        idempotent: true,
        seed: seed + 3,
        batchBytes: 400_000,
      }),
      nodeWorkload(b, dir, 'kjs-txn', 'kafkajs-txn', 'kjs-txn', { id: 'kjs-txn', seed: seed + 4 }),
      nodeWorkload(b, dir, 'pf-idem', 'platformatic-idem', 'pf-idem', { id: 'pf-idem', seed: seed + 5 }),
    )
    const members = [0, 1].map((i) =>
      nodeWorkload(b, dir, `group-${i}`, 'kafkajs-group', 'rd-idem', {
        id: `group-${i}`,
        seed: seed + 6 + i,
        group: GROUP,
      }),
    )
    workloads.push(...members)
    // The kills start once every client has made progress (a Node client takes a few seconds to
    // start on a loaded machine): every kill then hits streams in full flow.
    await untilAllStarted(workloads, 120_000)
    phases.start = Date.now() - started
    // Kill moments: spread over the run, each at a random point of its slice.
    const slice = options.durationMs / options.kills
    let elapsed = 0
    for (let k = 0; k < options.kills; k++) {
      const at = k * slice + 500 + rnd() * Math.max(0, slice - 1000)
      await sleep(Math.max(0, at - elapsed))
      elapsed = at
      await broker.kill9()
      killsAt.push(Math.round(at))
      brokerLogs.push(broker.output)
      await sleep(Math.floor(rnd() * 500)) // down for a moment: clients see refused connections
      const t0 = Date.now()
      broker = await BrokerProcess.start({
        port,
        dataDir,
        extraArgs: BROKER_ARGS,
        logLevel: 'warn',
        startTimeoutMs: 60_000,
        built: options.built,
      })
      restartsMs.push(Date.now() - t0)
      elapsed += Date.now() - t0
      log(`  run ${options.run}: kill -9 at ${Math.round(at)} ms, restarted in ${restartsMs.at(-1)} ms`)
      await checkCommits(ctx, bootstrap, members, `after restart ${k + 1}`)
    }
    await sleep(Math.max(0, options.durationMs - elapsed))
    // Let the clients finish what they hold (librdkafka flushes; transactions end).
    phases.produce = Date.now() - started - phases.start
    const stopped = await Promise.all(workloads.map((w) => w.stop(60_000)))
    phases.stop = Date.now() - started - phases.start - phases.produce
    for (const [i, ok] of stopped.entries()) {
      if (!ok) ctx.add(`workload ${workloads[i].name} did not finish within 60 s of being told to stop`)
    }
    // Check, from the broker that survived the kills.
    const counter = { bytes: 0 }
    const verifyFrom = Date.now()
    const acked: Record<string, number> = {}
    const logsOf = new Map<string, PartitionLog[]>()
    for (const t of TOPICS) logsOf.set(t.name, await readTopic(bootstrap, t.name, counter))
    let acks1Lost = 0
    for (const name of ['rd-idem', 'rd-acks1', 'rd-compact', 'rd-retention', 'pf-idem']) {
      const w = workloads.find((x) => x.name === name)!
      const lines = w.lines()
      const acks = acksOf(lines)
      acked[name] = acks.length
      const logs = logsOf.get(name)!
      if (name === 'rd-acks1') {
        const lost = checkAcks(context(), name, logs, acks)
        acks1Lost = lost
        checkContiguous(ctx, name, logs)
        continue
      }
      checkAcks(ctx, name, logs, acks, name === 'rd-compact')
      if (name !== 'rd-compact') checkContiguous(ctx, name, logs)
      checkNoDuplicates(ctx, name, logs)
      if (name.startsWith('rd-') && !lines.some((l) => l.startsWith('{"done"')))
        ctx.add(`${name}: the producer did not report its end`)
    }
    const txnLines = workloads
      .find((w) => w.name === 'kjs-txn')!
      .lines()
      .filter((l) => l.startsWith('{"t"'))
      .map((l) => JSON.parse(l) as TxnLine)
    // A transaction still open now (a client gone without ending it) is aborted by the
    // coordinator after transaction.timeout.ms (20 s here); re-read once the log is stable.
    if (!(await untilStable(bootstrap, 'kjs-txn', 45_000)))
      ctx.add('kjs-txn: the last stable offset did not reach the high watermark within 45 s')
    logsOf.set('kjs-txn', await readTopic(bootstrap, 'kjs-txn', counter))
    const txnLogs = logsOf.get('kjs-txn')!
    checkContiguous(ctx, 'kjs-txn', txnLogs)
    await checkTransactions(ctx, bootstrap, dir, txnLogs, txnLines)
    const commits = await checkCommits(ctx, bootstrap, members, 'at the end')
    phases.verify = Date.now() - verifyFrom
    const transactions = { commit: 0, abort: 0, unknown: 0 }
    for (const t of txnLines) transactions[t.r]++
    acked['kjs-txn'] = transactions.commit
    if (acked['rd-idem'] === 0 || acked['pf-idem'] === 0 || transactions.commit === 0)
      ctx.add(`a workload made no progress: ${JSON.stringify(acked)}`)
    return {
      run: options.run,
      seed: options.seed,
      violations: ctx.violations,
      acked,
      acks1Lost,
      transactions,
      commits,
      restartsMs,
      killsAt,
      bytesRead: counter.bytes,
      phases,
      ms: Date.now() - started,
    }
  } finally {
    for (const w of workloads) killChild(w.child, 'SIGKILL')
    await Promise.all(workloads.map((w) => w.exited))
    brokerLogs.push(broker.output)
    await broker.terminate().catch(() => null)
    brokerLogs.push(broker.output)
    writeFileSync(join(options.dir, 'broker.log'), brokerLogs.join('\n--- restart ---\n'))
  }
}

/** Removes a passing run's directory (a failing one is kept for the post-mortem). */
export async function discardRun(dir: string): Promise<void> {
  await removeDir(dir)
}
