// kill -9 of the broker process while librdkafka (python3-confluent-kafka in a child process)
// streams records with acks=all: after each restart every acknowledged record is at the
// offset it was acknowledged at, offsets are contiguous from 0, and nothing is duplicated.
//
// The producer numbers its records (value "seq-<n>", partition n % partitions) and prints one
// line per acknowledgement; it runs with retries=0, so a record is sent at most once and a
// duplicate in the log could only come from the broker. Records whose answer was lost in the
// crash may or may not be in the log; acknowledged ones must be.
//
// Kill points: right after CreateTopics (before any record), early in the stream (~20 acks),
// in full flow (1500 more acks), and at a random moment shortly after a restart.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { Admin } from '@platformatic/kafka'
import { BrokerProcess, freePort, makeTempDir, removeDir, sleep } from '../helpers/broker.ts'
import { type LineChild, tail } from '../helpers/child-process.ts'
import { fetchTopic } from '../helpers/platformatic-fetch.ts'
import { confluent, startStreamProducer } from '../helpers/python.ts'
import { byPartition, type ReadRecord, seededRandom } from '../helpers/records.ts'

const TOPIC = 'kill-9'
const PARTITIONS = 3
/** Records per second the producer offers (acks=all, each answered after an fsync). */
const RATE = 2000

interface Ack {
  n: number
  p: number
  o: number
}

function acksOf(lines: readonly string[]): Ack[] {
  const out: Ack[] = []
  for (const line of lines) {
    if (!line.startsWith('{"n"')) continue
    const parsed = JSON.parse(line) as { n: number; p?: number; o?: number; err?: string }
    if (parsed.err === undefined) out.push({ n: parsed.n, p: parsed.p!, o: parsed.o! })
  }
  return out
}

const countAcks = (lines: readonly string[]) => acksOf(lines).length

/** Adds the broker's log to the error of a wait that failed. */
async function withBrokerLog<T>(broker: BrokerProcess, wait: Promise<T>): Promise<T> {
  try {
    return await wait
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- broker (pid ${broker.pid}) ---\n${tail(broker.output)}`)
  }
}

/**
 * Checks the whole topic against the acknowledgements: contiguous offsets from 0 in every
 * partition, each record "seq-<n>" in partition n % PARTITIONS, no n twice, n increasing in a
 * partition (one producer, no retries), and every acknowledged n at its acknowledged offset.
 */
function checkLog(read: readonly ReadRecord[], acks: readonly Ack[], when: string): { total: number } {
  const problems: string[] = []
  const seen = new Map<number, { p: number; o: number }>()
  const parts = byPartition(read, PARTITIONS)
  for (let p = 0; p < PARTITIONS; p++) {
    let last = -1
    for (const [i, r] of parts[p].entries()) {
      if (r.offset !== i)
        problems.push(`partition ${p}: offset ${r.offset} at position ${i} (gap or reorder)`)
      const n = Number(/^seq-(\d+)$/.exec(r.value?.toString() ?? '')?.[1] ?? Number.NaN)
      if (!Number.isInteger(n)) {
        problems.push(`partition ${p} offset ${r.offset}: unexpected value ${r.value?.toString()}`)
        continue
      }
      if (n % PARTITIONS !== p)
        problems.push(`partition ${p} offset ${r.offset}: seq-${n} belongs to partition ${n % PARTITIONS}`)
      if (r.key?.toString() !== String(n))
        problems.push(`partition ${p} offset ${r.offset}: key ${r.key?.toString()} for seq-${n}`)
      const before = seen.get(n)
      if (before)
        problems.push(`seq-${n} duplicated: partition ${before.p} offset ${before.o} and offset ${r.offset}`)
      seen.set(n, { p, o: r.offset })
      if (n <= last) problems.push(`partition ${p} offset ${r.offset}: seq-${n} after seq-${last}`)
      last = n
    }
  }
  for (const a of acks) {
    const at = seen.get(a.n)
    if (!at) problems.push(`seq-${a.n} was acknowledged at ${a.p}/${a.o} and is missing`)
    else if (at.p !== a.p || at.o !== a.o)
      problems.push(`seq-${a.n} acknowledged at ${a.p}/${a.o}, found at ${at.p}/${at.o}`)
  }
  assert.deepEqual(problems.slice(0, 20), [], `${when}: ${problems.length} problems`)
  return { total: read.length }
}

describe('kill -9 during an acks=all produce stream', () => {
  const dirs: string[] = []
  after(async () => {
    for (const d of dirs) await removeDir(d)
  })

  it('loses no acknowledged record, keeps offsets contiguous and duplicates nothing, over several kill points', async () => {
    const dataDir = await makeTempDir('kill9')
    dirs.push(dataDir)
    const port = await freePort()
    const rnd = seededRandom(0x9)
    let broker: BrokerProcess | undefined
    let producer: LineChild | undefined
    try {
      // Kill point 1: the topic was just created (CreateTopics answered), nothing produced.
      broker = await BrokerProcess.start({ port, dataDir })
      const admin = new Admin({ clientId: 'kill9-admin', bootstrapBrokers: [broker.bootstrap], retries: 0 })
      let topicId: string
      try {
        ;[{ id: topicId }] = await admin.createTopics({
          topics: [TOPIC],
          partitions: PARTITIONS,
          replicas: 1,
        })
      } finally {
        await admin.close()
      }
      await broker.kill9()
      broker = await BrokerProcess.start({ port, dataDir })
      const [{ topics }] = await confluent<{ topics: Record<string, number> }>('list-topics', [
        broker.bootstrap,
      ])
      assert.equal(topics[TOPIC], PARTITIONS, 'the topic created just before kill -9 is there after restart')

      producer = startStreamProducer(broker.bootstrap, TOPIC, PARTITIONS, RATE)
      const stream = producer
      const killPoints: { name: string; ready: () => Promise<void> }[] = [
        {
          name: 'early in the stream (20 acks)',
          ready: () => stream.waitFor((l) => countAcks(l) >= 20, 20_000, '20 acks'),
        },
        {
          name: 'in full flow (+1500 acks)',
          ready: async () => {
            const from = countAcks(stream.lines)
            await stream.waitFor((l) => countAcks(l) >= from + 1500, 30_000, '1500 more acks')
          },
        },
        {
          name: 'at a random moment soon after the restart',
          ready: async () => {
            const from = countAcks(stream.lines)
            await stream.waitFor((l) => countAcks(l) > from, 20_000, 'acks after the restart')
            await sleep(Math.floor(rnd() * 300))
          },
        },
      ]
      let ackedBeforeLastKill = 0
      for (const point of killPoints) {
        await withBrokerLog(broker, point.ready())
        await broker.kill9()
        const acked = acksOf(stream.lines)
        broker = await BrokerProcess.start({ port, dataDir })
        // Read while the producer carries on: what was acknowledged before the kill is there.
        const { total } = checkLog(
          await fetchTopic(broker.bootstrap, TOPIC),
          acked,
          `after kill -9 ${point.name}`,
        )
        assert.ok(total >= acked.length, `${total} records in the log, ${acked.length} acknowledged`)
        ackedBeforeLastKill = acked.length
      }
      // The producer recovers and the stream goes on after the last restart.
      const from = countAcks(stream.lines)
      await withBrokerLog(
        broker,
        stream.waitFor((l) => countAcks(l) >= from + 300, 30_000, '300 acks after the last restart'),
      )
      const [code] = await stream.stop(30_000)
      assert.equal(code, 0, `producer exit\n${stream.stderr}`)
      producer = undefined
      const done = JSON.parse(stream.lines.find((l) => l.startsWith('{"done"'))!) as {
        sent: number
        ok: number
      }
      const acked = acksOf(stream.lines)
      assert.equal(acked.length, done.ok)
      assert.ok(acked.length > ackedBeforeLastKill, 'acknowledgements after the last restart')

      // A clean restart at the end: the whole log once more, with every acknowledgement.
      assert.equal(await broker.terminate(), 0)
      broker = await BrokerProcess.start({ port, dataDir })
      const read = await fetchTopic(broker.bootstrap, TOPIC)
      checkLog(read, acked, 'after the final clean restart')
      assert.ok(read.length <= done.sent, `${read.length} records in the log, ${done.sent} sent`)
      const admin2 = new Admin({
        clientId: 'kill9-admin-2',
        bootstrapBrokers: [broker.bootstrap],
        retries: 0,
      })
      try {
        const metadata = await admin2.metadata({
          topics: [TOPIC],
          forceUpdate: true,
          autocreateTopics: false,
        })
        assert.equal(metadata.topics.get(TOPIC)?.id, topicId, 'topic id unchanged by the crashes')
      } finally {
        await admin2.close()
      }
    } finally {
      if (producer) await producer.kill('SIGKILL')
      if (broker) await broker.kill9()
    }
  })
})
