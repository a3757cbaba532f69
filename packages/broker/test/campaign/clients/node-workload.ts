// kafkajs and @platformatic/kafka workloads for the fault campaign (campaign.ts), each run as a
// child process (`node node-workload.ts <kind> <bootstrap> <topic> <partitions> <spec>`; Node strips the types)
// until its stdin closes. Every outcome the checker needs is one line on stdout:
//
//   kafkajs-txn         a transactional producer: begin, 1-40 records, commit (2 in 3) or abort;
//                       {"t", "first", "last", "r": "commit" | "abort" | "unknown"} per transaction
//                       ("unknown": the broker went away before the outcome was known)
//   platformatic-idem   an idempotent acks=all producer, batches of 1-20 records to one
//                       partition: "n p o" per acknowledged record
//   kafkajs-group       a consumer group member that leaves and joins again every few seconds
//                       (rebalances), commits after each batch: {"c": partition, "o": offset}
//                       per acknowledged commit
//
// Values are "<id>:<n>:" and padding (100 B-1 KiB here; the librdkafka workload sends up to
// 100 KiB). A failure the client reports is retried the way an application would; nothing
// here hides a lost acknowledgement, since only acknowledged outcomes are printed.
import { randomBytes } from 'node:crypto'
import { Producer as PlatformaticProducer } from '@platformatic/kafka'
import { Kafka, logLevel } from 'kafkajs'

interface Spec {
  id: string
  seed: number
  /** kafkajs-group: the group id. */
  group?: string
}

const [kind, bootstrap, topic, partitionsText, specText] = process.argv.slice(2)
const partitions = Number(partitionsText)
const spec = JSON.parse(specText ?? '{}') as Spec
const PAD = randomBytes(1024)
let stopping = false
process.stdin.on('data', () => {})
process.stdin.on('end', () => {
  stopping = true
})
process.stdin.resume()

const out: string[] = []
function emit(line: string): void {
  out.push(line)
  if (out.length >= 256) flush()
}
function flush(): void {
  if (out.length > 0) process.stdout.write(`${out.join('\n')}\n`)
  out.length = 0
}
setInterval(flush, 200).unref()

let state = spec.seed >>> 0 || 1
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1))
const value = (n: number) => {
  const head = Buffer.from(`${spec.id}:${n}:`)
  return Buffer.concat([head, PAD.subarray(0, Math.max(0, int(100, 1024) - head.length))])
}
/** A client error, on stderr (the first few of each kind), for the run's post-mortem. */
const reported = new Map<string, number>()
function report(err: unknown): void {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  const seen = reported.get(text) ?? 0
  reported.set(text, seen + 1)
  if (seen < 20) process.stderr.write(`${new Date().toISOString()} ${text}\n`)
}
/** A client call that must finish within 20 s; a hang is reported and ends the attempt. */
const TRACE = process.env.RUNNEL_CAMPAIGN_TRACE === '1'
async function step<T>(what: string, call: Promise<T>): Promise<T> {
  if (TRACE) process.stderr.write(`${new Date().toISOString()} ${what}\n`)
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} hung for 20 s`)), 20_000)
  })
  try {
    return await Promise.race([call, timeout])
  } finally {
    clearTimeout(timer)
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** A client call that may hang when the broker died under it: given up (and reported) after ms. */
async function bounded<T>(what: string, ms: number, call: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      report(new Error(`${what} did not finish within ${ms} ms`))
      resolve(undefined)
    }, ms)
  })
  try {
    return await Promise.race([call, timeout])
  } finally {
    clearTimeout(timer)
  }
}

function kafkajs(clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  })
}

/**
 * Runs `attempt` with a fresh client until told to stop, as an application would: a failure is
 * reported, the client closed (bounded: a close can hang when the broker died under it) and a
 * new one made.
 */
async function untilStopped<C>(
  make: () => C,
  attempt: (client: C) => Promise<void>,
  close: (client: C) => Promise<unknown>,
): Promise<void> {
  while (!stopping) {
    const client = make()
    try {
      await attempt(client)
    } catch (err) {
      report(err)
      await sleep(200)
    } finally {
      await bounded(
        'close',
        5000,
        close(client).catch(() => {}),
      )
    }
  }
}

async function kafkajsTxn(): Promise<void> {
  const kafka = kafkajs(`${spec.id}-txn`)
  let n = 0
  let t = 0
  // A fresh producer with the same transactional id after every failure: InitProducerId bumps
  // the epoch and the coordinator aborts whatever the old one left open.
  const producer = () =>
    kafka.producer({
      transactionalId: `${spec.id}-tid`,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 20_000,
    })
  let unknownOutcome = false
  await untilStopped(
    producer,
    async (producer) => {
      await step('connect', producer.connect())
      while (!stopping) {
        const first = n
        const count = int(1, 40)
        const commit = random() < 2 / 3
        const txn = await step('transaction', producer.transaction())
        let outcome: 'commit' | 'abort' | 'unknown' = 'unknown'
        try {
          const byPartition = new Map<number, { key: string; value: Buffer }[]>()
          for (let i = 0; i < count; i++, n++) {
            const p = int(0, partitions - 1)
            const list = byPartition.get(p) ?? []
            list.push({ key: String(n), value: value(n) })
            byPartition.set(p, list)
          }
          await step(
            'sendBatch',
            txn.sendBatch({
              topicMessages: [...byPartition].map(([p, messages]) => ({
                topic,
                messages: messages.map((m) => ({ ...m, partition: p })),
              })),
            }),
          )
          if (commit) await step('commit', txn.commit())
          else await step('abort', txn.abort())
          outcome = commit ? 'commit' : 'abort'
        } finally {
          unknownOutcome = outcome === 'unknown'
          emit(JSON.stringify({ t: t++, first, last: n - 1, r: outcome }))
        }
      }
    },
    (producer) => producer.disconnect(),
  )
  // Stopping with a transaction whose end was never answered: as an application restarting
  // would, a new producer with the same transactional id fences it (InitProducerId makes the
  // coordinator abort what the old epoch left open) rather than leaving it to the timeout.
  for (let attempt = 0; unknownOutcome && attempt < 5; attempt++) {
    const fencer = producer()
    try {
      await step('connect', fencer.connect())
      const txn = await step('transaction', fencer.transaction())
      await step('abort', txn.abort())
      unknownOutcome = false
    } catch (err) {
      report(err)
      await sleep(500)
    } finally {
      await bounded(
        'close',
        5000,
        fencer.disconnect().catch(() => {}),
      )
    }
  }
}

async function platformaticIdem(): Promise<void> {
  let n = 0
  await untilStopped(
    () =>
      new PlatformaticProducer({
        clientId: `${spec.id}-producer`,
        bootstrapBrokers: [bootstrap],
        idempotent: true,
        acks: -1,
        retries: 5,
        retryDelay: 200,
        timeout: 10_000,
      }),
    async (producer) => {
      while (!stopping) {
        const p = int(0, partitions - 1)
        const first = n
        const count = int(1, 20)
        const messages = []
        for (let i = 0; i < count; i++, n++) {
          messages.push({ topic, partition: p, key: Buffer.from(String(n)), value: value(n) })
        }
        const result = await step('send', producer.send({ messages }))
        const base = result.offsets?.find((o) => o.partition === p)?.offset
        if (base === undefined) throw new Error('no offset in the produce answer')
        for (let i = 0; i < count; i++) emit(`${first + i} ${p} ${Number(base) + i}`)
      }
    },
    (producer) => producer.close(),
  )
}

async function kafkajsGroup(): Promise<void> {
  const kafka = kafkajs(`${spec.id}-member`)
  await untilStopped(
    () =>
      kafka.consumer({
        groupId: spec.group ?? `${spec.id}-group`,
        sessionTimeout: 10_000,
        rebalanceTimeout: 10_000,
        heartbeatInterval: 500,
        retry: { retries: 2, initialRetryTime: 100 },
      }),
    async (consumer) => {
      // kafkajs resolves commitOffsets without committing when the consumer is stopping (and
      // swallows the error then): only its COMMIT_OFFSETS event means the broker answered.
      consumer.on(consumer.events.COMMIT_OFFSETS, (event) => {
        for (const t of event.payload.topics)
          for (const p of t.partitions) emit(JSON.stringify({ c: Number(p.partition), o: Number(p.offset) }))
      })
      await step('connect', consumer.connect())
      await step('subscribe', consumer.subscribe({ topic, fromBeginning: true }))
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
          if (!isRunning() || isStale() || batch.messages.length === 0) return
          const next = String(BigInt(batch.lastOffset()) + 1n)
          await step(
            'commitOffsets',
            consumer.commitOffsets([{ topic, partition: batch.partition, offset: next }]),
          )
          await heartbeat()
        },
      })
      // Stay a member for a few seconds, then leave: the group rebalances each time.
      const until = Date.now() + int(2000, 6000)
      while (!stopping && Date.now() < until) await sleep(100)
    },
    (consumer) => consumer.disconnect(),
  )
}

const kinds: Record<string, () => Promise<void>> = {
  'kafkajs-txn': kafkajsTxn,
  'platformatic-idem': platformaticIdem,
  'kafkajs-group': kafkajsGroup,
}
const run = kinds[kind ?? '']
if (!run) {
  process.stderr.write(`unknown workload ${kind}; one of ${Object.keys(kinds).join(', ')}\n`)
  process.exit(2)
}
await run()
flush()
emit(JSON.stringify({ done: true }))
flush()
process.exit(0)
