// The benchmark's cases. Each run gets a fresh topic (one partition unless said otherwise) and
// is measured from the outside too (see harness.ts), over the window in which the load
// generator ran. The consumer-group and transaction cases live in groups.ts and
// transactions.ts.
import { groupCases } from './groups.ts'
import {
  type Case,
  type Context,
  type Counts,
  filledTopic,
  measuredTool,
  measureWindow,
  node,
  PLATFORMATIC_INFLIGHT,
  platformaticBatch,
  rdkafkaConsumeRun,
  remember,
  sizeName,
  TOOL_TIMEOUT_MS,
  topicName,
} from './harness.ts'
import { runTool, start, waitExit } from './processes.ts'
import { type MockCluster, startMock } from './rdkafka.ts'
import { createTopics } from './topics.ts'
import { transactionCases } from './transactions.ts'

export const FULL: Counts = {
  runs: 3,
  rdkafkaProduce100: 2_000_000,
  rdkafkaProduce1k: 500_000,
  platformaticProduce100: 500_000,
  platformaticProduce1k: 100_000,
  latencyRate: 5000,
  latencyRecords: 35_000, // 7 s at 5,000/s, of which the first second is warm-up
  latencyWarmup: 5000,
  groupConsume100: 2_000_000,
  transactional100: 50_000, // 500 transactions: several seconds at a few hundred a second
  rdkafkaIdempotent100: 2_000_000,
  platformaticIdempotent100: 200_000, // one 100-record send at a time
}

export const QUICK: Counts = {
  runs: 1,
  rdkafkaProduce100: 300_000,
  rdkafkaProduce1k: 50_000,
  platformaticProduce100: 100_000,
  platformaticProduce1k: 20_000,
  latencyRate: 5000,
  latencyRecords: 10_000,
  latencyWarmup: 2500,
  groupConsume100: 300_000,
  transactional100: 10_000,
  rdkafkaIdempotent100: 300_000,
  platformaticIdempotent100: 50_000,
}

export const GROUPS = [
  'rdkafka-produce',
  'mock',
  'rdkafka-consume',
  'platformatic-produce',
  'platformatic-consume',
  'latency',
  'group-consume',
  'rebalance',
  'transactions',
] as const

function rdkafkaProduce(size: number, acks: 1 | -1, records: (c: Counts) => number): Case {
  const c: Case = {
    id: `rdkafka-produce-${sizeName(size)}-acks${acks === 1 ? '1' : 'all'}`,
    group: 'rdkafka-produce',
    client: 'librdkafka',
    target: 'runnel',
    kind: 'produce',
    size,
    acks,
    records,
    needsRdkafka: true,
    async run(ctx, run) {
      const topic = topicName(c, run)
      const n = records(ctx.counts)
      await createTopics(ctx.broker.bootstrap, [topic])
      const m = await measuredTool(
        ctx.rdkafka!.binary,
        ['produce', ctx.broker.bootstrap, topic, String(n), String(size), acks === 1 ? '1' : 'all'],
        ctx.broker.pid,
        ctx.broker.httpPort,
        run,
        topic,
      )
      if (acks === 1) remember(ctx, size, n, run, topic)
      return m
    },
  }
  return c
}

function mockProduce(size: number, records: (c: Counts) => number): Case {
  const c: Case = {
    id: `mock-produce-${sizeName(size)}-acks1`,
    group: 'mock',
    client: 'librdkafka',
    target: 'librdkafka mock',
    kind: 'produce',
    size,
    acks: 1,
    records,
    needsRdkafka: true,
    async run(ctx, run) {
      const topic = topicName(c, run)
      // A fresh mock cluster for each run, in its own process, like the broker under test.
      const mock: MockCluster = await startMock(ctx.rdkafka!, [topic])
      try {
        return await measuredTool(
          ctx.rdkafka!.binary,
          ['produce', mock.bootstrap, topic, String(records(ctx.counts)), String(size), '1'],
          mock.pid,
          undefined,
          run,
          topic,
        )
      } finally {
        await mock.stop()
      }
    },
  }
  return c
}

function rdkafkaConsume(size: number, records: (c: Counts) => number): Case {
  const c: Case = {
    id: `rdkafka-consume-${sizeName(size)}`,
    group: 'rdkafka-consume',
    client: 'librdkafka',
    target: 'runnel',
    kind: 'consume',
    size,
    records,
    needsRdkafka: true,
    run: (ctx, run) => rdkafkaConsumeRun(ctx, run, size, records(ctx.counts)),
  }
  return c
}

function platformaticProduce(size: number, records: (c: Counts) => number): Case {
  const c: Case = {
    id: `platformatic-produce-${sizeName(size)}-acks1`,
    group: 'platformatic-produce',
    client: '@platformatic/kafka',
    target: 'runnel',
    kind: 'produce',
    size,
    acks: 1,
    records,
    needsRdkafka: false,
    async run(ctx, run) {
      const topic = topicName(c, run)
      const n = records(ctx.counts)
      await createTopics(ctx.broker.bootstrap, [topic])
      const [cmd, args] = node(ctx, [
        'produce',
        ctx.broker.bootstrap,
        topic,
        String(n),
        String(size),
        '1',
        String(platformaticBatch(size)),
        String(PLATFORMATIC_INFLIGHT),
      ])
      const m = await measuredTool(cmd, args, ctx.broker.pid, ctx.broker.httpPort, run, topic)
      remember(ctx, size, n, run, topic)
      return m
    },
  }
  return c
}

function platformaticConsume(size: number, records: (c: Counts) => number): Case {
  const c: Case = {
    id: `platformatic-consume-${sizeName(size)}`,
    group: 'platformatic-consume',
    client: '@platformatic/kafka',
    target: 'runnel',
    kind: 'consume',
    size,
    records,
    needsRdkafka: false,
    async run(ctx, run) {
      const n = records(ctx.counts)
      const topic = await filledTopic(ctx, size, n, run)
      const [cmd, args] = node(ctx, ['consume', ctx.broker.bootstrap, topic, String(n), String(1024 * 1024)])
      return measuredTool(cmd, args, ctx.broker.pid, ctx.broker.httpPort, run, topic)
    },
  }
  return c
}

function rdkafkaLatency(size: number): Case {
  const c: Case = {
    id: `latency-rdkafka-${sizeName(size)}`,
    group: 'latency',
    client: 'librdkafka',
    target: 'runnel',
    kind: 'latency',
    size,
    acks: 1,
    records: (k) => k.latencyRecords,
    needsRdkafka: true,
    async run(ctx, run) {
      const topic = topicName(c, run)
      const k = ctx.counts
      await createTopics(ctx.broker.bootstrap, [topic])
      return measuredTool(
        ctx.rdkafka!.binary,
        [
          'latency',
          ctx.broker.bootstrap,
          topic,
          String(k.latencyRate),
          String(k.latencyRecords),
          String(size),
          String(k.latencyWarmup),
        ],
        ctx.broker.pid,
        ctx.broker.httpPort,
        run,
        topic,
      )
    },
  }
  return c
}

function platformaticLatency(size: number): Case {
  const c: Case = {
    id: `latency-platformatic-${sizeName(size)}`,
    group: 'latency',
    client: '@platformatic/kafka',
    target: 'runnel',
    kind: 'latency',
    size,
    acks: 1,
    records: (k) => k.latencyRecords,
    needsRdkafka: false,
    async run(ctx, run) {
      const topic = topicName(c, run)
      const k = ctx.counts
      const bootstrap = ctx.broker.bootstrap
      await createTopics(bootstrap, [topic])
      // Consumer and producer in two processes, as two services would be; both stamp with
      // CLOCK_MONOTONIC, which all processes on the machine share.
      const window = measureWindow(ctx.broker.pid, ctx.broker.httpPort)
      let consumerResult: Record<string, unknown> | undefined
      let signalReady: () => void = () => {}
      const ready = new Promise<void>((resolve) => {
        signalReady = resolve
      })
      const [ccmd, cargs] = node(ctx, [
        'latency-consume',
        bootstrap,
        topic,
        String(k.latencyRecords),
        String(k.latencyWarmup),
      ])
      const consumer = start(ccmd, cargs, {
        onJson: (line) => {
          if (line.ready === true) signalReady()
          if (line.mode === 'latency') consumerResult = line
        },
      })
      const timeoutMs = (k.latencyRecords / k.latencyRate) * 1000 + 60_000
      try {
        await Promise.race([
          ready,
          consumer.exited.then((code) =>
            Promise.reject(new Error(`latency consumer exited with ${code}: ${consumer.stderr()}`)),
          ),
          new Promise<never>((_, reject) => {
            setTimeout(() => reject(new Error('latency consumer not ready within 30 s')), 30_000).unref()
          }),
        ])
        window.begin()
        const [pcmd, pargs] = node(ctx, [
          'latency-produce',
          bootstrap,
          topic,
          String(k.latencyRate),
          String(k.latencyRecords),
          String(size),
        ])
        const produced = await runTool(pcmd, pargs, timeoutMs)
        const code = await waitExit(consumer, 30_000, 'latency consumer')
        if (code !== 0 || !consumerResult)
          throw new Error(`latency consumer ended with ${code}: ${consumer.stderr()}`)
        return {
          run,
          topic,
          tool: consumerResult,
          clientCpuSeconds: Number(consumerResult.cpuSeconds ?? 0) + Number(produced.result.cpuSeconds ?? 0),
          ...(await window.end()),
        }
      } finally {
        if (consumer.child.exitCode === null) {
          try {
            process.kill(consumer.pid, 'SIGKILL')
          } catch {
            // gone meanwhile
          }
        }
      }
    },
  }
  return c
}

/**
 * Before anything is measured: warms the broker's JIT and does its one-time work, such as
 * creating __consumer_offsets on the first FindCoordinator (librdkafka's consumer asks even
 * when it only assigns partitions) and __transaction_state on the first transactional
 * InitProducerId, so no run pays for it.
 */
export async function warmUp(ctx: Context): Promise<void> {
  const topic = 'bench-warmup'
  const records = 200_000
  await createTopics(ctx.broker.bootstrap, [topic])
  if (ctx.rdkafka) {
    const b = ctx.broker.bootstrap
    await runTool(ctx.rdkafka.binary, ['produce', b, topic, String(records), '100', '1'], TOOL_TIMEOUT_MS)
    await runTool(ctx.rdkafka.binary, ['consume', b, topic, '1', String(records)], TOOL_TIMEOUT_MS)
  }
  const [pcmd, pargs] = node(ctx, ['produce', ctx.broker.bootstrap, topic, '20000', '100', '1', '1000', '4'])
  await runTool(pcmd, pargs, TOOL_TIMEOUT_MS)
  const [ccmd, cargs] = node(ctx, ['consume', ctx.broker.bootstrap, topic, '20000', String(1024 * 1024)])
  await runTool(ccmd, cargs, TOOL_TIMEOUT_MS)
  if (ctx.rdkafka) {
    await runTool(
      ctx.rdkafka.binary,
      ['txn-produce', ctx.broker.bootstrap, topic, '2000', '100', '100'],
      TOOL_TIMEOUT_MS,
    )
  }
  const [tcmd, targs] = node(ctx, ['txn-produce', ctx.broker.bootstrap, topic, '2000', '100', '100', '1'])
  await runTool(tcmd, targs, TOOL_TIMEOUT_MS)
}

export const CASES: readonly Case[] = [
  rdkafkaProduce(100, 1, (k) => k.rdkafkaProduce100),
  rdkafkaProduce(100, -1, (k) => k.rdkafkaProduce100),
  rdkafkaProduce(1024, 1, (k) => k.rdkafkaProduce1k),
  mockProduce(100, (k) => k.rdkafkaProduce100),
  mockProduce(1024, (k) => k.rdkafkaProduce1k),
  rdkafkaConsume(100, (k) => k.rdkafkaProduce100),
  rdkafkaConsume(1024, (k) => k.rdkafkaProduce1k),
  platformaticProduce(100, (k) => k.platformaticProduce100),
  platformaticProduce(1024, (k) => k.platformaticProduce1k),
  platformaticConsume(100, (k) => k.platformaticProduce100),
  platformaticConsume(1024, (k) => k.platformaticProduce1k),
  rdkafkaLatency(100),
  rdkafkaLatency(1024),
  platformaticLatency(100),
  platformaticLatency(1024),
  ...groupCases(),
  ...transactionCases(),
]
