// One consumer-group member for the soak (bench/lib/soak.ts), with @platformatic/kafka:
//
//   node --import tsx bench/soak-member.ts <bootstrap> <topic> <group>
//
// Reads <topic> in <group> from the committed offsets (earliest when none), committing every
// second (autocommit), and prints {"tick":n,"records":r,"errors":e} every 10 s, until stdin
// closes; then it leaves the group, prints {"mode":"soak-member",...} and exits.
import { Consumer } from '@platformatic/kafka'

const [bootstrap, topic, groupId] = process.argv.slice(2)
const out = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`)
const consumer = new Consumer({
  groupId,
  clientId: 'runnel-bench-soak-member',
  bootstrapBrokers: [bootstrap],
  sessionTimeout: 10_000,
  heartbeatInterval: 1000,
  retries: 20,
  retryDelay: 250,
  timeout: 30_000,
})
let records = 0
let errors = 0
const stream = await consumer.consume({
  topics: [topic],
  mode: 'committed',
  fallbackMode: 'earliest',
  autocommit: 1000,
  maxWaitTime: 500,
})
stream.on('error', () => {
  errors++
})
let ticks = 0
const timer = setInterval(() => out({ tick: ++ticks, records, errors }), 10_000)
process.stdin.on('end', async () => {
  clearInterval(timer)
  await stream.close().catch(() => {})
  await consumer.close(true).catch(() => {})
  out({ mode: 'soak-member', records, errors })
  process.exit(0)
})
process.stdin.resume()
out({ ready: true })
for await (const _ of stream) records++
