// One consumer-group member with @platformatic/kafka 1.35, for the group tests.
//
//   node platformatic-member.mjs BOOTSTRAP TOPIC GROUP [INSTANCE_ID]
//
// Consumes TOPIC in GROUP from the committed offsets (earliest when none) and commits each
// record's offset after printing it. JSON lines on stdout, as confluent_member.py. Runs until
// stdin closes (then it closes, leaving the group); the test kills it by PID otherwise.
import { Consumer, stringDeserializers } from '@platformatic/kafka'

const [bootstrap, topic, groupId, instanceId] = process.argv.slice(2)
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`)
const consumer = new Consumer({
  groupId,
  clientId: 'platformatic-member',
  bootstrapBrokers: [bootstrap],
  deserializers: stringDeserializers,
  ...(instanceId ? { groupInstanceId: instanceId } : {}),
  sessionTimeout: 6000,
  rebalanceTimeout: 20000,
  heartbeatInterval: 500,
  retries: 50,
  retryDelay: 200,
  timeout: 10000,
})

consumer.on('consumer:group:join', ({ assignments }) => {
  const partitions = (assignments ?? [])
    .flatMap((a) => (a.topic === topic ? a.partitions : []))
    .sort((a, b) => a - b)
  out({ e: 'assigned', partitions, t: Date.now() })
})

const stream = await consumer.consume({
  topics: [topic],
  autocommit: false,
  mode: 'committed',
  fallbackMode: 'earliest',
  sessionTimeout: 6000,
  rebalanceTimeout: 20000,
  heartbeatInterval: 500,
  maxWaitTime: 200,
})
stream.on('error', (err) => out({ e: 'stream-error', err: String(err) }))

process.stdin.on('end', async () => {
  await stream.close().catch(() => {})
  await consumer.close(true).catch(() => {})
  out({ e: 'closed' })
  process.exit(0)
})
process.stdin.resume()

for await (const message of stream) {
  out({ e: 'rec', p: message.partition, o: Number(message.offset), v: message.value })
  try {
    await message.commit()
  } catch (err) {
    out({ e: 'commit-error', err: String(err) })
  }
}
