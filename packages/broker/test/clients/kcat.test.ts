// Acceptance (issue 2) with Debian's kcat 1.7 (librdkafka 2.0.2). kcat has no admin
// commands: the topic is created by the broker's auto-creation (num.partitions=6) when kcat
// asks for it, and deleted with librdkafka's AdminClient (python3-confluent-kafka). kcat
// produces 10,000 records line by line (-P -p <partition> -K : -Z -H name=value, -X
// compression.codec=none|gzip|snappy|lz4|zstd), reads each partition back (-C -p -o
// beginning -e -f '%p %o %T %k %s %h' -Z), reads from an offset (-o N, -o -N), and looks
// offsets up by timestamp (-Q -t topic:partition:timestamp, and -o s@timestamp).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startTestBroker, type TestBroker } from '../helpers/broker.ts'
import { kcat } from '../helpers/kcat.ts'
import { confluent } from '../helpers/python.ts'
import {
  assertSameRecords,
  byPartition,
  expectedOffsetForTimestamp,
  generateRecords,
  type ReadRecord,
  type TestHeader,
  type TestRecord,
} from '../helpers/records.ts'
import { storedCodecs } from '../helpers/stored-batches.ts'

const TOPIC = 'kcat-acceptance'
const PARTITIONS = 6
const COUNT = 10_000
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const FORMAT = '%p\\t%o\\t%T\\t%k\\t%s\\t%h\\n'

/** One `kcat -P` run: records for one partition, one codec, one set of -H headers. */
interface Invocation {
  partition: number
  codec: string
  headers: TestHeader[]
  records: TestRecord[]
  /** Wall clock around the run: kcat stamps records with its own clock. */
  startedMs?: number
  endedMs?: number
}

describe('kcat 1.7 (librdkafka 2.0.2): produce, consume, look up', () => {
  let broker: TestBroker
  const invocations: Invocation[] = []
  let records: TestRecord[] = []
  let read: ReadRecord[] = []

  before(async () => {
    broker = await startTestBroker({ autoCreateTopics: true, numPartitions: PARTITIONS })
    // Text records (kcat reads lines); headers are per kcat run, so each run gets its own set.
    const generated = generateRecords({
      count: COUNT,
      partitions: PARTITIONS,
      seed: 0xca7,
      baseTimestamp: 0,
      text: true,
    })
    const parts = byPartition(generated, PARTITIONS)
    for (let p = 0; p < PARTITIONS; p++) {
      const per = Math.ceil(parts[p].length / CODECS.length)
      CODECS.forEach((codec, c) => {
        const headers: TestHeader[] =
          c === 0
            ? []
            : [
                { key: 'codec', value: Buffer.from(codec) },
                { key: 'x-dup', value: Buffer.from(`p${p}`) },
                { key: 'x-dup', value: Buffer.from(`c${c}`) },
              ]
        invocations.push({
          partition: p,
          codec,
          headers,
          // With -Z kcat sends an empty key or value as null: expect null for those.
          records: parts[p].slice(c * per, (c + 1) * per).map((r) => ({
            ...r,
            key: r.key?.length ? r.key : null,
            value: r.value?.length ? r.value : null,
            headers,
          })),
        })
      })
    }
    records = invocations.flatMap((i) => i.records)
  })

  after(async () => {
    await broker?.dispose()
  })

  it('auto-creates the topic with 6 partitions when kcat asks for it (-L -t)', async () => {
    const { stdout } = await kcat(broker.bootstrap, ['-L', '-J', '-t', TOPIC])
    const metadata = JSON.parse(stdout) as { topics: { topic: string; partitions: unknown[] }[] }
    const topic = metadata.topics.find((t) => t.topic === TOPIC)
    assert.ok(topic, stdout)
    assert.equal(topic.partitions.length, PARTITIONS)
  })

  it(`produces ${COUNT} records with -K : -Z -H -p and every codec`, async () => {
    // Partitions in parallel (two at a time), each partition's runs in order.
    const queue = [...Array(PARTITIONS).keys()]
    const worker = async () => {
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
        for (const inv of invocations.filter((i) => i.partition === p)) await produce(broker.bootstrap, inv)
      }
    }
    await Promise.all([worker(), worker()])
    assert.deepEqual(
      await storedCodecs(broker.port, TOPIC, PARTITIONS),
      new Set(CODECS),
      'codecs of the stored batches',
    )
  })

  it('reads every partition back in order (-C -p -o beginning -e -f -Z)', async () => {
    read = []
    for (let p = 0; p < PARTITIONS; p++) {
      read.push(...(await consume(broker.bootstrap, p, 'beginning', ...TO_THE_END)))
    }
    assertSameRecords(records, read, PARTITIONS, { timestamps: false })
    // kcat stamps records itself: each must carry a time from its own run.
    const runOf = new Map<number, Invocation>()
    for (const inv of invocations) for (const r of inv.records) runOf.set(r.index, inv)
    const want = byPartition(records, PARTITIONS)
    for (const r of read) {
      const inv = runOf.get(want[r.partition][r.offset].index)!
      assert.ok(
        r.timestamp >= inv.startedMs! - 1 && r.timestamp <= inv.endedMs! + 1,
        `partition ${r.partition} offset ${r.offset}: timestamp ${r.timestamp} outside its run ${inv.startedMs}..${inv.endedMs}`,
      )
    }
  })

  it('reads from an absolute offset (-o 100 -c 5) and from the end (-o -3 -e)', async () => {
    const p = 2
    const ofPartition = read.filter((r) => r.partition === p)
    const absolute = await consume(broker.bootstrap, p, '100', '-c', '5')
    assert.deepEqual(absolute, ofPartition.slice(100, 105))
    const relative = await consume(broker.bootstrap, p, '-3', ...TO_THE_END)
    assert.deepEqual(relative, ofPartition.slice(-3))
  })

  it('looks offsets up by timestamp (-Q -t topic:partition:timestamp)', async () => {
    const parts = byPartition(read, PARTITIONS)
    const targets = (p: number) => {
      const ts = parts[p].map((r) => r.timestamp)
      const min = Math.min(...ts)
      const max = Math.max(...ts)
      const mid = ts[Math.floor(ts.length / 2)]
      return [min - 1000, min, mid, mid + 1, max, max + 1]
    }
    for (let k = 0; k < 6; k++) {
      const args = ['-Q']
      for (let p = 0; p < PARTITIONS; p++) args.push('-t', `${TOPIC}:${p}:${targets(p)[k]}`)
      const { stdout } = await kcat(broker.bootstrap, args)
      const answers = new Map<number, number>()
      for (const m of stdout.matchAll(/\[(\d+)\]\s+offset\s+(-?\d+)/g))
        answers.set(Number(m[1]), Number(m[2]))
      for (let p = 0; p < PARTITIONS; p++) {
        const target = targets(p)[k]
        const want = expectedOffsetForTimestamp(parts[p], target)?.offset ?? -1
        assert.equal(answers.get(p), want, `partition ${p}, timestamp ${target}\n${stdout}`)
      }
    }
  })

  it('starts consuming at a timestamp (-o s@timestamp)', async () => {
    const p = 4
    const ofPartition = read.filter((r) => r.partition === p)
    const target = ofPartition[Math.floor(ofPartition.length / 3)].timestamp
    const from = expectedOffsetForTimestamp(ofPartition, target)!.offset
    const consumed = await consume(broker.bootstrap, p, `s@${target}`, '-c', '10')
    assert.deepEqual(consumed, ofPartition.slice(from, from + 10))
  })

  it('is gone after AdminClient.delete_topics', async () => {
    await confluent('delete-topic', [broker.bootstrap, TOPIC])
    const { stdout } = await kcat(broker.bootstrap, ['-L', '-J'])
    const metadata = JSON.parse(stdout) as { topics: { topic: string }[] }
    assert.deepEqual(
      metadata.topics.filter((t) => t.topic === TOPIC),
      [],
    )
  })
})

async function produce(bootstrap: string, inv: Invocation): Promise<void> {
  const args = ['-P', '-t', TOPIC, '-p', String(inv.partition), '-K', ':', '-Z']
  args.push('-X', `compression.codec=${inv.codec}`, '-X', 'acks=all', '-X', 'linger.ms=5')
  for (const h of inv.headers) args.push('-H', `${h.key}=${h.value!.toString()}`)
  // With -Z an empty key or value is sent as null.
  const input = inv.records.map((r) => `${r.key?.toString() ?? ''}:${r.value?.toString() ?? ''}\n`).join('')
  inv.startedMs = Date.now()
  const result = await kcat(bootstrap, args, { input, timeoutMs: 30_000 })
  inv.endedMs = Date.now()
  assert.doesNotMatch(result.stderr, /fail|error/i, `kcat -P partition ${inv.partition} codec ${inv.codec}`)
}

/** Stop at the end of the partition (-e), noticed after a short fetch wait. */
const TO_THE_END = ['-e', '-X', 'fetch.wait.max.ms=50']

/** `kcat -C -Z -f FORMAT` on one partition from `offset` (its -o), with `more` flags; what it read. */
async function consume(
  bootstrap: string,
  partition: number,
  offset: string,
  ...more: string[]
): Promise<ReadRecord[]> {
  const args = ['-C', '-t', TOPIC, '-p', String(partition), '-o', offset, ...more, '-Z', '-f', FORMAT]
  const { stdout } = await kcat(bootstrap, args)
  return parseFormatted(stdout)
}

/** Parses `-f '%p\t%o\t%T\t%k\t%s\t%h\n' -Z` lines. */
function parseFormatted(stdout: string): ReadRecord[] {
  const out: ReadRecord[] = []
  for (const line of stdout.split('\n')) {
    if (line === '') continue
    const [p, o, ts, k, s, h] = line.split('\t')
    out.push({
      partition: Number(p),
      offset: Number(o),
      timestamp: Number(ts),
      key: k === 'NULL' ? null : Buffer.from(k),
      value: s === 'NULL' ? null : Buffer.from(s),
      headers:
        h === '' || h === undefined
          ? []
          : h.split(',').map((pair) => {
              const eq = pair.indexOf('=')
              return { key: pair.slice(0, eq), value: Buffer.from(pair.slice(eq + 1)) }
            }),
    })
  }
  return out
}
