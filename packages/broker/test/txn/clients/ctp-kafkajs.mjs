// A consume-transform-produce loop with kafkajs 2.2.4 transactions, for the exactly-once tests.
//
//   node ctp-kafkajs.mjs BOOTSTRAP IN OUT GROUP TXN_ID
//
// Consumes IN in GROUP (eachBatch) and, per chunk of up to 25 records, writes them to the same
// partition of OUT and commits the consumed offsets in one transaction (transaction.sendOffsets).
// JSON lines on stdout: {"ready"} once the producer is initialized (fencing any predecessor),
// {"txn": i, "n": records} per commit, {"done": true} once every partition of IN is consumed to
// the end it had at start. The test kills it by PID.
import kafkajs from 'kafkajs'

const { Kafka, logLevel } = kafkajs
const [bootstrap, input, output, groupId, transactionalId] = process.argv.slice(2)
const CHUNK = 25
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`)

const kafka = new Kafka({
  clientId: 'ctp-kafkajs',
  brokers: [bootstrap],
  logLevel: logLevel.NOTHING,
  retry: { retries: 20, initialRetryTime: 50 },
})
const producer = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true })
await producer.connect()
const admin = kafka.admin()
await admin.connect()
const high = new Map((await admin.fetchTopicOffsets(input)).map((p) => [p.partition, Number(p.high)]))
const committed = await admin.fetchOffsets({ groupId, topics: [input] })
const position = new Map(committed[0].partitions.map((p) => [p.partition, Math.max(0, Number(p.offset))]))
await admin.disconnect()
out({ ready: { position: Object.fromEntries(position), high: Object.fromEntries(high) } })
const isDone = () => [...high].every(([p, h]) => (position.get(p) ?? 0) >= h)
if (isDone()) out({ done: true })

const consumer = kafka.consumer({
  groupId,
  sessionTimeout: 1500,
  heartbeatInterval: 200,
  rebalanceTimeout: 3000,
  maxWaitTimeInMs: 100,
})
await consumer.connect()
await consumer.subscribe({ topic: input, fromBeginning: true })
let txns = 0
await consumer.run({
  autoCommit: false,
  eachBatchAutoResolve: false,
  eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
    for (let i = 0; i < batch.messages.length; i += CHUNK) {
      const chunk = batch.messages.slice(i, i + CHUNK)
      const last = chunk[chunk.length - 1]
      const next = Number(last.offset) + 1
      const tx = await producer.transaction()
      try {
        await tx.send({
          topic: output,
          messages: chunk.map((m) => ({ key: m.key, value: m.value, partition: batch.partition })),
        })
        await tx.sendOffsets({
          consumerGroupId: groupId,
          topics: [{ topic: input, partitions: [{ partition: batch.partition, offset: String(next) }] }],
        })
        await tx.commit()
      } catch (err) {
        await tx.abort().catch(() => {})
        throw err
      }
      resolveOffset(last.offset)
      position.set(batch.partition, next)
      out({ txn: ++txns, n: chunk.length })
      if (isDone()) out({ done: true })
      await heartbeat()
    }
  },
})
