// A consume-transform-produce loop with @platformatic/kafka 1.35 transactions, for the
// exactly-once tests.
//
//   node ctp-platformatic.mjs BOOTSTRAP IN OUT GROUP TXN_ID
//
// Consumes IN in GROUP and, for whatever arrived (up to 25 records), writes the records to the
// same partition of OUT and commits the consumed offsets in one transaction
// (transaction.addConsumer + addOffset). JSON lines as ctp-kafkajs.mjs.
//
// platformatic sends InitProducerId v3+ with producerId 0 and epoch 0 unless told otherwise,
// which a Kafka broker answers PRODUCER_FENCED once the transactional id belongs to another
// producer id; -1/-1 is what a new producer must send (and what the Java client sends), so the
// loop passes them.
import { Admin, Consumer, Producer } from '@platformatic/kafka'

const [bootstrap, input, output, groupId, transactionalId] = process.argv.slice(2)
const CHUNK = 25
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`)
const base = { bootstrapBrokers: [bootstrap], retries: 50, retryDelay: 50, timeout: 10_000 }

const producer = new Producer({
  ...base,
  clientId: 'ctp-platformatic',
  transactionalId,
  producerId: -1n,
  producerEpoch: -1,
  idempotent: true,
})
let tx = await producer.beginTransaction() // InitProducerId: fences the previous incarnation
const admin = new Admin({ ...base, clientId: 'ctp-platformatic-admin' })
const high = new Map()
for (const t of await admin.listOffsets({
  topics: [
    {
      name: input,
      partitions: [0, 1, 2].map((partition) => ({ partitionIndex: partition, timestamp: -1n })),
    },
  ],
})) {
  for (const p of t.partitions) high.set(p.partitionIndex, Number(p.offset))
}
const position = new Map()
const [group] = await admin.listConsumerGroupOffsets({
  groups: [{ groupId, topics: [{ name: input, partitionIndexes: [0, 1, 2] }] }],
  requireStable: true,
})
for (const t of group?.topics ?? []) {
  for (const p of t.partitions) position.set(p.partitionIndex, Math.max(0, Number(p.committedOffset)))
}
await admin.close()
out({ ready: { position: Object.fromEntries(position), high: Object.fromEntries(high) } })
const isDone = () => [...high].every(([p, h]) => (position.get(p) ?? 0) >= h)
if (isDone()) out({ done: true })

const consumer = new Consumer({
  ...base,
  clientId: 'ctp-platformatic-consumer',
  groupId,
  sessionTimeout: 1500,
  heartbeatInterval: 200,
  rebalanceTimeout: 3000,
})
const stream = await consumer.consume({
  topics: [input],
  autocommit: false,
  mode: 'committed',
  fallbackMode: 'earliest',
  maxWaitTime: 100,
})
const pending = []
let wake
stream.on('data', (m) => {
  pending.push(m)
  wake?.()
})
stream.on('error', (err) => {
  process.stderr.write(`stream error: ${err}\n`)
  process.exit(3)
})
let txns = 0
for (;;) {
  if (pending.length === 0) await new Promise((resolve) => (wake = resolve))
  wake = undefined
  const chunk = pending.splice(0, CHUNK)
  tx ??= await producer.beginTransaction()
  await tx.send({
    messages: chunk.map((m) => ({ topic: output, key: m.key, value: m.value, partition: m.partition })),
  })
  await tx.addConsumer(consumer)
  const lastOf = new Map()
  for (const m of chunk) lastOf.set(m.partition, m)
  for (const m of lastOf.values()) await tx.addOffset(m)
  await tx.commit()
  tx = undefined
  for (const m of lastOf.values()) position.set(m.partition, Number(m.offset) + 1)
  out({ txn: ++txns, n: chunk.length })
  if (isDone()) out({ done: true })
}
