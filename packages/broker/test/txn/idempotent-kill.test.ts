// Issue 5 acceptance: an idempotent librdkafka producer (enable.idempotence=true, infinite
// retries) keeps producing while the broker process is killed with SIGKILL and restarted five
// times. Batches whose acknowledgement was lost in a crash are retried with the same producer
// id and sequences; the restarted broker, which rebuilds producer state from its snapshot and
// the log tail, must recognize them. The topic must end with every record exactly once, in
// order, without gaps.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { BrokerProcess, freePort, makeTempDir, removeDir, sleep } from '../helpers/broker.ts'
import { type LineChild, tail } from '../helpers/child-process.ts'
import { confluent, PYTHON } from '../helpers/python.ts'
import { seededRandom } from '../helpers/records.ts'
import { readAll, spawnLoop, TXN_CLIENT } from './exactly-once.ts'

const TOPIC = 'idempotent-kill'
const PARTITIONS = 2
const RATE = 2000
const KILLS = 5

const ackedOf = (lines: readonly string[]): number => {
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i].startsWith('{"acked"')) return (JSON.parse(lines[i]) as { acked: number }).acked
  }
  return 0
}

describe('idempotent producer across broker crashes', () => {
  test(`librdkafka enable.idempotence: ${KILLS} SIGKILLs of the broker, every record exactly once and in order`, {
    timeout: 150_000,
  }, async (t) => {
    const dataDir = await makeTempDir('idempotent-kill')
    const port = await freePort()
    // Snapshots every 300 ms: crashes land both just after a snapshot and long after one.
    const extraArgs = ['--config', 'runnel.producer.state.snapshot.interval.ms=300']
    let broker: BrokerProcess | undefined
    let producer: LineChild | undefined
    const random = seededRandom(0x1de)
    try {
      broker = await BrokerProcess.start({ port, dataDir, extraArgs })
      await confluent('create-topic', [broker.bootstrap, TOPIC, PARTITIONS])
      producer = spawnLoop(PYTHON, [
        TXN_CLIENT,
        'idempotent',
        broker.bootstrap,
        TOPIC,
        String(PARTITIONS),
        String(RATE),
      ])
      for (let kill = 0; kill < KILLS; kill++) {
        const before = ackedOf(producer.lines)
        const step = 200 + Math.floor(random() * 600)
        await producer.waitFor(
          (lines) => ackedOf(lines) >= before + step,
          30_000,
          `${step} more acknowledgements`,
        )
        await broker.kill9()
        await sleep(Math.floor(random() * 300))
        broker = await BrokerProcess.start({ port, dataDir, extraArgs })
      }
      const before = ackedOf(producer.lines)
      await producer.waitFor(
        (lines) => ackedOf(lines) >= before + 400,
        30_000,
        'acknowledgements after the last restart',
      )
      const [code] = await producer.stop(160_000)
      assert.equal(code, 0, tail(producer.stderr))
      const doneLine = producer.lines.find((l) => l.startsWith('{"done"'))
      assert.ok(doneLine, 'the producer reported its end')
      const done = (
        JSON.parse(doneLine) as {
          done: { sent: number; acked: number; failed: number; unflushed: number; errors: string[] }
        }
      ).done
      t.diagnostic(JSON.stringify(done))
      assert.deepEqual(done.errors, [])
      assert.equal(done.failed, 0)
      assert.equal(done.unflushed, 0)
      assert.equal(done.acked, done.sent)

      const read = await readAll(broker.bootstrap, TOPIC, PARTITIONS, 'read_committed')
      const seen = new Set<number>()
      const problems: string[] = []
      for (let p = 0; p < PARTITIONS; p++) {
        let last = -1
        for (const r of read.filter((x) => x.p === p)) {
          const n = Number(/^seq-(\d+)$/.exec(r.v ?? '')?.[1])
          if (seen.has(n)) problems.push(`seq-${n} twice`)
          if (n <= last) problems.push(`partition ${p}: seq-${n} after seq-${last}`)
          if (n % PARTITIONS !== p) problems.push(`seq-${n} in partition ${p}`)
          seen.add(n)
          last = n
        }
      }
      for (let n = 0; n < done.sent; n++) if (!seen.has(n)) problems.push(`seq-${n} missing`)
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems in ${read.length} records`)
      assert.equal(read.length, done.sent)
    } finally {
      await producer?.kill('SIGKILL')
      await broker?.kill9()
      await removeDir(dataDir)
    }
  })
})
