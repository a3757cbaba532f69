// A @platformatic/kafka load generator for Runnel's benchmarks, the counterpart of
// rdkafka-perf.c: run as its own process (so the client never shares an event loop with the
// broker or the harness), it prints one JSON line with the same fields. Modes:
//   produce <bootstrap> <topic> <count> <size> <acks> <batch> <inflight>
//       sends <count> records of <size> bytes to partition 0, <batch> records per send(),
//       at most <inflight> sends awaiting their answer; wall time from first send to last ack.
//   txn-produce <bootstrap> <topic> <count> <size> <per-send> <transactional: 0|1>
//       an idempotent producer (acks=all), one send() of <per-send> records to partition 0 at a
//       time; with 1, each send() is a transaction of its own (beginTransaction, send, commit).
//       Prints {"start":true} before its first transaction (or send), then the produce fields.
//   consume <bootstrap> <topic> <count> <partitionMaxBytes>
//       reads partition 0 from offset 0 with Consumer.fetch in a loop (no group) until
//       <count> records have been decoded; prints {"start":true} at the first record.
//   latency-consume <bootstrap> <topic> <count> <warmup>
//       prints {"ready":true} once it is fetching, then reads partition 0 and measures
//       receive - stamped send time of each record (the first <warmup> records not counted).
//   latency-produce <bootstrap> <topic> <rate> <count> <size>
//       sends records at <rate> per second (those due in the same 1 ms timer tick in one
//       send()), acks=1, each stamped with its
//       scheduled send time (CLOCK_MONOTONIC through process.hrtime, which every process on
//       the machine shares) and its sequence number.
// Every line carries cpuSeconds, this process's CPU time (user + system).

import { setTimeout as sleep } from 'node:timers/promises'
import { Consumer, Producer } from '@platformatic/kafka'
import { percentileMs } from './lib/stats.ts'

const [mode, bootstrap, topic, ...rest] = process.argv.slice(2)
const n = (i: number): number => {
  const v = Number(rest[i])
  if (!Number.isFinite(v)) throw new Error(`${mode}: argument ${i + 3} must be a number, got "${rest[i]}"`)
  return v
}
const client = (id: string) => ({
  clientId: `runnel-bench-${id}`,
  bootstrapBrokers: [bootstrap],
  retries: 3,
  retryDelay: 100,
  timeout: 30_000,
})
const cpuSeconds = (): number => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1e6
}
/** Prints one JSON line; cpuSeconds counts from `since` (the CPU time when timing began). */
/** The throughput fields of a result line: records and bytes over the timed seconds. */
function rates(records: number, bytes: number, seconds: number) {
  return {
    records,
    bytes,
    seconds: Number(seconds.toFixed(3)),
    msgPerSec: Math.round(records / seconds),
    mbPerSec: Number((bytes / seconds / 1e6).toFixed(1)),
  }
}

const print = (line: Record<string, unknown>, since = 0): void => {
  process.stdout.write(
    `${JSON.stringify({ ...line, cpuSeconds: Number((cpuSeconds() - since).toFixed(3)) })}\n`,
  )
}
/** Marks the start of the timed part, so the harness measures the broker over the same window. */
const markStart = (): number => {
  process.stdout.write('{"start":true}\n')
  return cpuSeconds()
}
// Stamp layout of a latency record's value: scheduled send time (ns), then the sequence number.
const STAMP_BYTES = 16

async function produce(
  count: number,
  size: number,
  acks: number,
  batch: number,
  inflight: number,
): Promise<void> {
  const producer = new Producer({ ...client('producer'), acks, idempotent: false })
  const value = Buffer.alloc(size, 'a')
  let next = 0
  let delivered = 0
  // One array of messages serves every send: the producer encodes them before it returns.
  const messages = Array.from({ length: batch }, () => ({ topic, partition: 0, value }))
  try {
    await producer.metadata({ topics: [topic] })
    const cpuAtStart = markStart()
    const start = performance.now()
    const lane = async (): Promise<void> => {
      while (next < count) {
        const take = Math.min(batch, count - next)
        next += take
        await producer.send({ messages: take === batch ? messages : messages.slice(0, take) })
        delivered += take
      }
    }
    await Promise.all(Array.from({ length: inflight }, lane))
    const seconds = (performance.now() - start) / 1000
    print(
      {
        mode: 'produce',
        ...rates(delivered, delivered * size, seconds),
        failed: count - delivered,
      },
      cpuAtStart,
    )
  } finally {
    await producer.close()
  }
}

async function txnProduce(
  count: number,
  size: number,
  perSend: number,
  transactional: boolean,
): Promise<void> {
  const producer = new Producer({
    ...client(transactional ? 'txn-producer' : 'idempotent-producer'),
    acks: -1,
    idempotent: true,
    // What a new Java producer sends: platformatic's default (producer id 0, epoch 0) claims to
    // be producer 0, which a transactional id of another producer id fences (see
    // docs/broker-transactions.md, "Client notes").
    producerId: -1n,
    producerEpoch: -1,
    ...(transactional ? { transactionalId: `runnel-bench-${topic}-${process.pid}` } : {}),
  })
  const value = Buffer.alloc(size, 'a')
  const messages = Array.from({ length: perSend }, () => ({ topic, partition: 0, value }))
  let delivered = 0
  let transactions = 0
  try {
    await producer.metadata({ topics: [topic] })
    const cpuAtStart = markStart()
    const start = performance.now()
    while (delivered < count) {
      const batch = count - delivered >= perSend ? messages : messages.slice(0, count - delivered)
      if (transactional) {
        const transaction = await producer.beginTransaction()
        await transaction.send({ messages: batch })
        await transaction.commit()
        transactions++
      } else {
        await producer.send({ messages: batch })
      }
      delivered += batch.length
    }
    const seconds = (performance.now() - start) / 1000
    print(
      {
        mode: 'txn-produce',
        ...rates(delivered, delivered * size, seconds),
        failed: count - delivered,
        transactions,
        perTransaction: transactional ? perSend : 0,
      },
      cpuAtStart,
    )
  } finally {
    await producer.close()
  }
}

/** Fetches partition 0 from `offset` on, calling `onRecord` for each record, until it returns false. */
async function fetchLoop(
  consumer: Consumer,
  partitionMaxBytes: number,
  maxWaitTime: number,
  deadline: number,
  onRecord: (value: Buffer | null | undefined) => boolean,
  onFirstFetch?: () => void,
): Promise<void> {
  const metadata = await consumer.metadata({ topics: [topic] })
  const t = metadata.topics.get(topic)
  if (!t) throw new Error(`no topic ${topic}`)
  const node = t.partitions[0].leader
  let offset = 0n
  let first = true
  for (;;) {
    if (Date.now() > deadline) throw new Error(`timed out at offset ${offset}`)
    const fetching = consumer.fetch({
      node,
      maxWaitTime,
      minBytes: 1,
      maxBytes: 64 * 1024 * 1024,
      topics: [
        {
          topicId: t.id,
          partitions: [
            {
              partition: 0,
              fetchOffset: offset,
              partitionMaxBytes,
              currentLeaderEpoch: -1,
              lastFetchedEpoch: -1,
            },
          ],
        },
      ],
    })
    if (first) {
      first = false
      onFirstFetch?.()
    }
    const response = await fetching
    const part = response.responses[0].partitions[0]
    if (part.errorCode !== 0) throw new Error(`fetch error ${part.errorCode} at offset ${offset}`)
    for (const batch of part.records ?? []) {
      for (const record of batch.records) {
        const at = batch.firstOffset + BigInt(record.offsetDelta)
        if (at < offset) continue // a batch can start before the offset asked for
        offset = at + 1n
        if (!onRecord(record.value)) return
      }
    }
  }
}

async function consume(count: number, partitionMaxBytes: number): Promise<void> {
  const consumer = new Consumer({ ...client('consumer'), groupId: 'runnel-bench-unused' })
  let records = 0
  let bytes = 0
  let start = 0
  let cpuAtStart = 0
  try {
    await fetchLoop(consumer, partitionMaxBytes, 500, Date.now() + 120_000, (value) => {
      if (records === 0) {
        // timed from the first record, as rdkafka-perf's consumer; the harness measures the
        // broker from here too, not over the connection and metadata before it
        cpuAtStart = markStart()
        start = performance.now()
      }
      records++
      bytes += value?.length ?? 0
      return records < count
    })
    const seconds = (performance.now() - start) / 1000
    print(
      {
        mode: 'consume',
        ...rates(records, bytes, seconds),
      },
      cpuAtStart,
    )
  } finally {
    await consumer.close()
  }
}

async function latencyConsume(count: number, warmup: number): Promise<void> {
  const consumer = new Consumer({ ...client('latency-consumer'), groupId: 'runnel-bench-unused' })
  const nanos: number[] = []
  let records = 0
  let cpuAtStart = 0
  try {
    await fetchLoop(
      consumer,
      1024 * 1024,
      500,
      Date.now() + 60_000 + count, // a millisecond per record: five times the time 5,000/s needs
      (value) => {
        const received = process.hrtime.bigint()
        records++
        if (value && value.length >= STAMP_BYTES && value.readBigInt64LE(8) >= BigInt(warmup)) {
          nanos.push(Number(received - value.readBigInt64LE(0)))
        }
        return records < count
      },
      () => {
        cpuAtStart = cpuSeconds()
        process.stdout.write('{"ready":true}\n')
      },
    )
    nanos.sort((a, b) => a - b)
    print(
      {
        mode: 'latency',
        records,
        counted: nanos.length,
        p50Ms: percentileMs(nanos, 0.5),
        p99Ms: percentileMs(nanos, 0.99),
        p999Ms: percentileMs(nanos, 0.999),
        maxMs: percentileMs(nanos, 1),
      },
      cpuAtStart,
    )
  } finally {
    await consumer.close()
  }
}

async function latencyProduce(rate: number, count: number, size: number): Promise<void> {
  const producer = new Producer({ ...client('latency-producer'), acks: 1, idempotent: false })
  let pending = 0
  let failed = 0
  try {
    await producer.metadata({ topics: [topic] })
    const cpuAtStart = cpuSeconds()
    const start = process.hrtime.bigint() + 100_000_000n
    const interval = 1e9 / rate
    let i = 0
    while (i < count) {
      const now = process.hrtime.bigint()
      // Every record whose time has come goes in one send(): at 5,000/s a 1 ms timer finds about
      // five, as a producer with linger.ms=1 would batch them (platformatic has no linger of its
      // own; one send() per record tops out near 2,000/s here, one request at a time). A late
      // timer makes a bigger batch, each record still stamped with when it should have left, so
      // the delay shows in the figures.
      const messages: { topic: string; partition: number; value: Buffer }[] = []
      while (i < count) {
        const due = start + BigInt(Math.round(i * interval))
        if (due > now) break
        const value = Buffer.alloc(Math.max(size, STAMP_BYTES), 'a')
        value.writeBigInt64LE(due, 0)
        value.writeBigInt64LE(BigInt(i), 8)
        messages.push({ topic, partition: 0, value })
        i++
      }
      if (messages.length > 0) {
        pending += messages.length
        producer.send({ messages }).then(
          () => {
            pending -= messages.length
          },
          () => {
            pending -= messages.length
            failed += messages.length
          },
        )
      }
      await sleep(1)
    }
    const deadline = Date.now() + 30_000
    while (pending > 0 && Date.now() < deadline) await sleep(5)
    print(
      { mode: 'latency-produce', records: count - failed - pending, failed: failed + pending },
      cpuAtStart,
    )
  } finally {
    await producer.close()
  }
}

const modes: Record<string, () => Promise<void>> = {
  produce: () => produce(n(0), n(1), n(2), n(3), n(4)),
  'txn-produce': () => txnProduce(n(0), n(1), n(2), n(3) === 1),
  consume: () => consume(n(0), n(1)),
  'latency-consume': () => latencyConsume(n(0), n(1)),
  'latency-produce': () => latencyProduce(n(0), n(1), n(2)),
}
const run = modes[mode ?? '']
if (!run || !bootstrap || !topic) {
  process.stderr.write(
    'usage: platformatic-perf produce <bootstrap> <topic> <count> <size> <acks> <batch> <inflight>\n' +
      '       platformatic-perf txn-produce <bootstrap> <topic> <count> <size> <per-send> <transactional 0|1>\n' +
      '       platformatic-perf consume <bootstrap> <topic> <count> <partitionMaxBytes>\n' +
      '       platformatic-perf latency-consume <bootstrap> <topic> <count> <warmup>\n' +
      '       platformatic-perf latency-produce <bootstrap> <topic> <rate> <count> <size>\n',
  )
  process.exit(2)
}
run().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  },
)
