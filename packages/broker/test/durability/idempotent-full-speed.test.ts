// Issue 8's scenario, as a new user ran it: a 3-partition topic, an idempotent librdkafka
// producer (Debian's python3-confluent-kafka 2.0.2: enable.idempotence, acks=all, linger.ms=2)
// writing as fast as it can, the broker killed with SIGKILL three times at 6 s intervals and
// restarted on the same data directory, while another client load (an acks=1 producer) runs on
// the machine. Then a fresh librdkafka consumer (default max.partition.fetch.bytes, 1 MiB) reads
// every partition from the beginning to the end of the partition. Before the fix it found 56%
// of the acknowledged records: a cold read whose 1 MiB window ended inside a batch header took
// the partition offline. Here every acknowledged record is read back at its offset, each
// partition holds many 1 MiB windows, offsets are contiguous and nothing is duplicated.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { Admin } from '@platformatic/kafka'
import { type Ack, acksOf, RD_WORKLOAD, untilAllStarted, Workload } from '../campaign/campaign.ts'
import { BrokerProcess, freePort, makeTempDir, removeDir, sleep } from '../helpers/broker.ts'
import { runProcess, tail } from '../helpers/child-process.ts'
import { PYTHON } from '../helpers/python.ts'

const TOPIC = 'full-speed'
const PARTITIONS = 3

describe('an idempotent acks=all producer at full speed over three kill -9', () => {
  const dirs: string[] = []
  after(async () => {
    for (const d of dirs) await removeDir(d)
  })

  it('ends with every acknowledged record readable by a fresh librdkafka consumer', async () => {
    const dir = await makeTempDir('full-speed')
    dirs.push(dir)
    const dataDir = `${dir}/data`
    const port = await freePort()
    let broker = await BrokerProcess.start({ port, dataDir })
    const workloads: Workload[] = []
    try {
      const admin = new Admin({ clientId: 'full-speed-admin', bootstrapBrokers: [broker.bootstrap] })
      try {
        await admin.createTopics({ topics: [TOPIC, 'other-load'], partitions: PARTITIONS, replicas: 1 })
      } finally {
        await admin.close()
      }
      const spec = (id: string, acks: string, idempotent: boolean) =>
        JSON.stringify({ id, acks, idempotent, seed: 8, sizes: [80, 400] })
      const producer = new Workload('producer', dir, PYTHON, [
        RD_WORKLOAD,
        'produce',
        broker.bootstrap,
        TOPIC,
        String(PARTITIONS),
        spec('p', 'all', true), // records of 80-400 B, as in the report
      ])
      const other = new Workload('other', dir, PYTHON, [
        RD_WORKLOAD,
        'produce',
        broker.bootstrap,
        'other-load',
        String(PARTITIONS),
        spec('o', '1', false),
      ])
      workloads.push(producer, other)
      await untilAllStarted(workloads, 60_000)
      for (let kill = 0; kill < 3; kill++) {
        await sleep(6000)
        await broker.kill9()
        broker = await BrokerProcess.start({ port, dataDir, startTimeoutMs: 60_000 })
      }
      await sleep(3000)
      for (const w of workloads) assert.ok(await w.stop(60_000), `${w.name} finished`)
      const lines = producer.lines()
      const done = JSON.parse(lines.find((l) => l.startsWith('{"done"')) ?? 'null') as {
        sent: number
        ok: number
      } | null
      assert.ok(done, `the producer reported its end\n${tail(lines.slice(-5).join('\n'))}`)
      const acks = acksOf(lines)
      assert.equal(acks.length, done.ok)

      // A fresh consumer, cold: everything before the last restart is read from disk.
      await readsEveryAck(broker, TOPIC, PARTITIONS, acks)
      // Enough data that the cold read crosses many 1 MiB windows in every partition.
      const sizes = await partitionBytes(dataDir)
      for (let p = 0; p < PARTITIONS; p++) {
        assert.ok((sizes.get(p) ?? 0) > 8 * 2 ** 20, `partition ${p} holds ${sizes.get(p)} bytes`)
      }
    } finally {
      for (const w of workloads) w.child.kill('SIGKILL')
      await Promise.all(workloads.map((w) => w.exited))
      await broker.terminate()
    }
  })

  // The report's deterministic reproduction: before the fix the consumer read 0 of 150,000.
  it('150,000 single-record batches, a clean restart, then a fresh consumer with 1 MiB fetches reads them all', async () => {
    const dir = await makeTempDir('one-record-batches')
    dirs.push(dir)
    const dataDir = `${dir}/data`
    const port = await freePort()
    let broker = await BrokerProcess.start({ port, dataDir })
    const topic = 'one-record-batches'
    try {
      const admin = new Admin({ clientId: 'one-record-admin', bootstrapBrokers: [broker.bootstrap] })
      try {
        await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
      } finally {
        await admin.close()
      }
      const count = 150_000
      const spec = {
        id: 'b',
        acks: 'all',
        idempotent: false,
        oneRecordBatches: true,
        count,
        sizes: [80, 400],
        seed: 3,
      }
      const producer = new Workload('one-record', dir, PYTHON, [
        RD_WORKLOAD,
        'produce',
        broker.bootstrap,
        topic,
        '1',
        JSON.stringify(spec),
      ])
      try {
        await producer.exited
      } finally {
        producer.child.kill('SIGKILL')
      }
      const acks = acksOf(producer.lines())
      assert.equal(acks.length, count, 'every record acknowledged')
      assert.equal(await broker.terminate(), 0)
      broker = await BrokerProcess.start({ port, dataDir, startTimeoutMs: 60_000 })
      await readsEveryAck(broker, topic, 1, acks)
    } finally {
      await broker.terminate()
    }
  })
})

/**
 * Reads every partition from its start to its end with a fresh librdkafka consumer (default
 * 1 MiB max.partition.fetch.bytes) and checks: offsets contiguous from 0 to the high watermark,
 * no record twice, every acknowledged record at its acknowledged offset.
 */
async function readsEveryAck(
  broker: BrokerProcess,
  topic: string,
  partitions: number,
  acks: readonly Ack[],
): Promise<void> {
  const read = await runProcess(
    PYTHON,
    [RD_WORKLOAD, 'read', broker.bootstrap, topic, String(partitions), 'read_uncommitted'],
    { timeoutMs: 300_000 },
  )
  assert.equal(read.code, 0, `reader: ${tail(read.stderr)}\n--- broker ---\n${tail(broker.output)}`)
  const highs: number[] = []
  const byPartition: Map<number, number>[] = Array.from({ length: partitions }, () => new Map())
  const problems: string[] = []
  const seen = new Set<number>()
  for (const line of read.stdout.split('\n')) {
    if (line.startsWith('{')) {
      const w = JSON.parse(line) as { p: number; high: number }
      highs[w.p] = w.high
      continue
    }
    const m = /^(\d+) (\d+) (\d+)$/.exec(line)
    if (!m) continue
    const [p, o, n] = [Number(m[1]), Number(m[2]), Number(m[3])]
    if (o !== byPartition[p].size)
      problems.push(`partition ${p}: offset ${o} at position ${byPartition[p].size}`)
    if (seen.has(n)) problems.push(`record ${n} read twice`)
    seen.add(n)
    byPartition[p].set(o, n)
  }
  for (let p = 0; p < partitions; p++) {
    if (byPartition[p].size !== highs[p])
      problems.push(`partition ${p}: read ${byPartition[p].size} records, the high watermark is ${highs[p]}`)
  }
  for (const a of acks) {
    const n = byPartition[a.p].get(a.o)
    if (n !== a.n) problems.push(`record ${a.n} acknowledged at ${a.p}/${a.o}; read ${n ?? 'nothing'} there`)
  }
  assert.deepEqual(
    problems.slice(0, 20),
    [],
    `${problems.length} problems\n--- broker ---\n${tail(broker.output)}`,
  )
  assert.equal(
    seen.size >= acks.length && acks.length > 0,
    true,
    `${seen.size} records read, ${acks.length} acknowledged`,
  )
}

/** Bytes of segment files per partition of TOPIC, from the data directory. */
async function partitionBytes(dataDir: string): Promise<Map<number, number>> {
  const { readdir, stat } = await import('node:fs/promises')
  const out = new Map<number, number>()
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory()) await walk(path)
      else if (entry.name.endsWith('.log')) {
        const m = new RegExp(`${TOPIC}-(\\d+)`).exec(path)
        if (m) out.set(Number(m[1]), (out.get(Number(m[1])) ?? 0) + (await stat(path)).size)
      }
    }
  }
  await walk(dataDir)
  return out
}
