// One consumer-group member with kafkajs 2.2.4, for the group tests.
//
//   node kafkajs-member.mjs BOOTSTRAP TOPIC GROUP
//
// Consumes TOPIC in GROUP and commits each record's offset after printing it ("commit after
// processing"). JSON lines on stdout, as confluent_member.py. Runs until stdin closes (then it
// disconnects, leaving the group); the test kills it by PID otherwise.
import { Kafka, logLevel } from 'kafkajs'

const [bootstrap, topic, groupId] = process.argv.slice(2)
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`)
const retry = { retries: 50, initialRetryTime: 100, maxRetryTime: 1000 }
const kafka = new Kafka({
  brokers: [bootstrap],
  clientId: 'kafkajs-member',
  logLevel: logLevel.NOTHING,
  retry,
})
const consumer = kafka.consumer({
  groupId,
  sessionTimeout: 6000,
  heartbeatInterval: 500,
  rebalanceTimeout: 20000,
  retry,
})

consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
  const partitions = [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b)
  out({ e: 'assigned', partitions, t: Date.now() })
})
consumer.on(consumer.events.CRASH, ({ payload }) =>
  out({ e: 'crash', err: String(payload.error), restart: payload.restart }),
)

await consumer.connect()
await consumer.subscribe({ topic, fromBeginning: true })
await consumer.run({
  autoCommit: false,
  eachMessage: async ({ partition, message }) => {
    out({ e: 'rec', p: partition, o: Number(message.offset), v: message.value.toString() })
    try {
      await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }])
    } catch (err) {
      out({ e: 'commit-error', err: String(err) })
      throw err
    }
  },
})

process.stdin.on('end', async () => {
  await consumer.disconnect()
  out({ e: 'closed' })
  process.exit(0)
})
process.stdin.resume()
