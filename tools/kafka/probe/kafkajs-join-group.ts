// What a broker answers to kafkajs 2.2.4's low-level group sequence (issue 9): JoinGroup with
// no rebalanceTimeout (kafkajs then writes 0), which a v4+ broker answers MEMBER_ID_REQUIRED
// and kafkajs repeats with the member id it was given; SyncGroup as the leader; OffsetCommit
// with that generation and member id. Prints one JSON line per request as kafkajs saw it on
// the wire (API, version, error code and name, the fields that matter).
//
//   npx tsx tools/kafka/probe/kafkajs-join-group.ts                        # a fresh 1-node Kafka 4.4
//   npx tsx tools/kafka/probe/kafkajs-join-group.ts --bootstrap HOST:PORT  # any broker (Runnel)
//   ... --rebalance-timeout 30000      # the same with a rebalance timeout given
//   ... --keep-files                   # keep Kafka's folder and print the path of its log
//
// Findings are in docs/kafka-harness.md ("kafkajs's group sequence").
//
// kafkajs keeps its Cluster and Broker objects private; the probe reaches them through the
// client's createCluster symbol, as the consumer does inside kafkajs.
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'
import kafkajs from 'kafkajs'
import { startApacheKafka } from '../src/index.ts'

const { Kafka, logLevel, AssignerProtocol } = kafkajs
// kafkajs's table of Kafka error codes (type, code, message): its logs give only the message.
const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as {
  errorCodes: { type: string; code: number; message: string }[]
}

const { values } = parseArgs({
  options: {
    bootstrap: { type: 'string' },
    'rebalance-timeout': { type: 'string' },
    'keep-files': { type: 'boolean' },
  },
})
const rebalanceTimeout =
  values['rebalance-timeout'] === undefined ? undefined : Number(values['rebalance-timeout'])
const kafka =
  values.bootstrap === undefined
    ? await startApacheKafka({ nodes: 1, keepFiles: values['keep-files'] })
    : undefined
const bootstrap = values.bootstrap ?? kafka!.bootstrap
const out = (line: object) => console.log(JSON.stringify(line))
const TOPIC = 'probe-topic'
const GROUP = `probe-group-${Date.now()}`
const SESSION_TIMEOUT = 30_000 // kafkajs's consumer default

// kafkajs logs every request and response at debug level: keep the group APIs' responses.
const GROUP_RESPONSES = /^Response (JoinGroup|SyncGroup|OffsetCommit|Heartbeat|FindCoordinator)\(/
const client = new Kafka({
  clientId: 'runnel-probe',
  brokers: bootstrap.split(','),
  logLevel: logLevel.DEBUG,
  logCreator:
    () =>
    ({
      level,
      log,
    }: {
      level: number
      log: { message: string; error?: string; data?: Record<string, unknown> }
    }) => {
      // a failed response is logged twice, at error and at debug level: keep the debug line
      if (level !== logLevel.DEBUG || !GROUP_RESPONSES.test(log.message)) return
      const known = errorCodes.find((e) => e.message === log.error)
      const data = log.data ?? {}
      out({
        response: log.message.replace('Response ', ''),
        errorCode: log.error === undefined ? 0 : (known?.code ?? log.error),
        error: log.error === undefined ? 'NONE' : (known?.type ?? log.error),
        ...pick(data, ['generationId', 'memberId', 'leaderId', 'groupProtocol', 'protocolName']),
        ...(data.responses ? { responses: data.responses } : {}),
      })
    },
})

function pick(data: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => data[k] !== undefined).map((k) => [k, data[k]]))
}

const admin = client.admin()
await admin.connect()
await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true })
await admin.disconnect()

const createCluster = Object.getOwnPropertySymbols(client).find(
  (s) => s.description === 'private:Kafka:createCluster',
)!
// biome-ignore lint/suspicious/noExplicitAny: kafkajs's private Cluster and Broker have no types
const cluster = (client as any)[createCluster]({})
await cluster.connect()
let coordinator = await cluster.findGroupCoordinator({ groupId: GROUP })

// A fresh cluster makes __consumer_offsets on the first FindCoordinator, and its coordinator
// answers NOT_COORDINATOR until the partition is loaded: kafkajs's consumer finds the
// coordinator again and retries, and so does the probe (each answer is printed). These are
// kafkajs's names for COORDINATOR_LOAD_IN_PROGRESS (14), COORDINATOR_NOT_AVAILABLE (15) and
// NOT_COORDINATOR (16).
const COORDINATOR_ERRORS = [
  'GROUP_LOAD_IN_PROGRESS',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR_FOR_GROUP',
]
/** Prints the step, runs it, and prints kafkajs's error type if it throws (returned too). */
async function step(name: string, fields: object, call: () => Promise<unknown>): Promise<string | undefined> {
  out({ step: name, ...fields })
  try {
    await call()
    return undefined
  } catch (error) {
    const type = (error as { type?: string }).type ?? String(error)
    out({ step: `${name} failed`, error: type })
    return type
  }
}

let join: { generationId: number; memberId: string; leaderId: string } | undefined
for (let attempt = 1; join === undefined; attempt++) {
  const failed = await step(
    'JoinGroup',
    { attempt, rebalanceTimeout: rebalanceTimeout ?? 'not given', sessionTimeout: SESSION_TIMEOUT },
    async () => {
      join = await coordinator.joinGroup({
        groupId: GROUP,
        sessionTimeout: SESSION_TIMEOUT,
        rebalanceTimeout,
        groupProtocols: [
          {
            name: 'RoundRobinAssigner',
            metadata: AssignerProtocol.MemberMetadata.encode({
              version: 0,
              topics: [TOPIC],
              userData: Buffer.alloc(0),
            }),
          },
        ],
      })
    },
  )
  if (failed === undefined) break
  if (!COORDINATOR_ERRORS.includes(failed) || attempt === 20) await finish()
  await new Promise((resolve) => setTimeout(resolve, 500))
  coordinator = await cluster.findGroupCoordinator({ groupId: GROUP })
}
const { generationId, memberId } = join!

await step('SyncGroup', { generationId, memberId }, () =>
  coordinator.syncGroup({
    groupId: GROUP,
    generationId,
    memberId,
    groupAssignment: [
      {
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: { [TOPIC]: [0] },
          userData: Buffer.alloc(0),
        }),
      },
    ],
  }),
)
await step('OffsetCommit', { generationId, memberId }, () =>
  coordinator.offsetCommit({
    groupId: GROUP,
    groupGenerationId: generationId,
    memberId,
    topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: '0' }] }],
  }),
)
await finish()

async function finish(): Promise<never> {
  await cluster.disconnect().catch(() => {})
  await kafka?.close()
  if (kafka && values['keep-files']) out({ kafkaLog: kafka.brokers[0].log })
  process.exit(0)
}
