// Acceptance (issue 2) with librdkafka through Python, twice: Debian's python3-confluent-kafka
// 2.0.2 (librdkafka 2.0.2, /usr/bin/python3) and the current confluent-kafka wheel from PyPI
// (librdkafka 2.16 built in; .ci/run installs it in a virtual environment, helpers/python.ts
// WHEEL_PYTHON). AdminClient creates and deletes a 6-partition topic; Producer sends 10,000
// keyed records with acks=all and every codec librdkafka has (none, gzip, snappy, lz4, zstd);
// Consumer with assign() from OFFSET_BEGINNING reads each partition back in order;
// offsets_for_times looks offsets up by timestamp.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { startTestBroker, type TestBroker } from '../helpers/broker.ts'
import { PYTHON, confluent as runConfluent, WHEEL_PYTHON } from '../helpers/python.ts'
import {
  assertSameRecords,
  byPartition,
  chunksByCodec,
  expectedOffsetForTimestamp,
  fromWire,
  generateRecords,
  lookupTargets,
  toWire,
  type WireRecord,
} from '../helpers/records.ts'
import { storedCodecs } from '../helpers/stored-batches.ts'

const TOPIC = 'confluent-acceptance'
const PARTITIONS = 6
const COUNT = 10_000
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

interface DeliveryReport {
  i: number
  p: number
  o: number
  err: string | null
}

/** `confluent-kafka <version> (librdkafka <version>)` of an interpreter. */
function clientVersion(python: string): string {
  // version() is a (string, int) pair in 1.x and a string in the 2.x wheels.
  const code =
    'import confluent_kafka as c; v = c.version(); print(v[0] if isinstance(v, tuple) else v, c.libversion()[0])'
  const [client, lib] = execFileSync(python, ['-c', code], { encoding: 'utf8' }).trim().split(' ')
  return `confluent-kafka ${client} (librdkafka ${lib})`
}

for (const python of [PYTHON, WHEEL_PYTHON]) {
  const confluent: typeof runConfluent = (command, args, options = {}) =>
    runConfluent(command, args, { ...options, python })
  describe(`${clientVersion(python)}, ${python}: produce, consume, look up and delete`, () => {
    let broker: TestBroker
    const records = generateRecords({
      count: COUNT,
      partitions: PARTITIONS,
      seed: 0xc0f,
      baseTimestamp: Date.now() - 5_400_000,
      nullHeaderValues: true,
      emptyNotNull: true,
    })
    const expected = byPartition(records, PARTITIONS)

    before(async () => {
      broker = await startTestBroker({ autoCreateTopics: false })
    })

    after(async () => {
      await broker?.dispose()
    })

    it('creates a topic with 6 partitions (AdminClient.create_topics)', async () => {
      await confluent('create-topic', [broker.bootstrap, TOPIC, PARTITIONS])
      const [{ topics }] = await confluent<{ topics: Record<string, number> }>('list-topics', [
        broker.bootstrap,
      ])
      assert.equal(topics[TOPIC], PARTITIONS)
    })

    it(`produces ${COUNT} keyed records with acks=all and codecs ${CODECS.join(', ')}`, async () => {
      const chunks = chunksByCodec(records, CODECS, 2000).map((c) => ({
        codec: c.codec,
        acks: -1,
        records: c.records.map(toWire),
      }))
      const reports = await confluent<DeliveryReport>('produce', [broker.bootstrap, TOPIC], {
        input: { chunks },
        timeoutMs: 90_000,
      })
      assert.equal(reports.length, COUNT)
      const failed = reports.filter((r) => r.err !== null)
      assert.deepEqual(failed.slice(0, 5), [], `${failed.length} records failed`)
      // Each record was acknowledged at the offset it has in its partition's produce order.
      const offsetOf = new Map<number, number>()
      for (const part of expected) {
        for (const [offset, r] of part.entries()) offsetOf.set(r.index, offset)
      }
      for (const r of reports) {
        assert.equal(r.p, records[r.i].partition, `record ${r.i} partition`)
        assert.equal(r.o, offsetOf.get(r.i), `record ${r.i} offset`)
      }
      assert.deepEqual(
        await storedCodecs(broker.port, TOPIC, PARTITIONS),
        new Set(CODECS),
        'codecs of the stored batches',
      )
    })

    it('reads every partition back in order with assign() from OFFSET_BEGINNING', async () => {
      const lines = await confluent<
        WireRecord & { watermarks?: { p: number; low: number; high: number }; tstype?: number }
      >('consume', [broker.bootstrap, TOPIC, PARTITIONS], { timeoutMs: 90_000 })
      const watermarks = lines.filter((l) => l.watermarks).map((l) => l.watermarks!)
      assert.deepEqual(
        watermarks,
        expected.map((e, p) => ({ p, low: 0, high: e.length })),
      )
      const read = lines.filter((l) => !l.watermarks)
      for (const r of read) assert.equal(r.tstype, 1, 'timestamp type CreateTime') // TIMESTAMP_CREATE_TIME
      assertSameRecords(records, read.map(fromWire), PARTITIONS)
    })

    it('looks offsets up by timestamp (offsets_for_times)', async () => {
      const lookups: [number, number][] = []
      for (let p = 0; p < PARTITIONS; p++) for (const t of lookupTargets(expected[p], p)) lookups.push([p, t])
      const answers = await confluent<{ p: number; ts: number; o: number; err: string | null }>(
        'offsets-for-times',
        [broker.bootstrap, TOPIC],
        { input: { lookups } },
      )
      assert.equal(answers.length, lookups.length)
      for (const a of answers) {
        assert.equal(a.err, null, `partition ${a.p} timestamp ${a.ts}`)
        // librdkafka reports -1 (OFFSET_END) when no record is at or after the timestamp.
        const want = expectedOffsetForTimestamp(expected[a.p], a.ts)?.offset ?? -1
        assert.equal(a.o, want, `partition ${a.p}, timestamp ${a.ts}`)
      }
    })

    it('deletes the topic (AdminClient.delete_topics)', async () => {
      await confluent('delete-topic', [broker.bootstrap, TOPIC])
      const [{ topics }] = await confluent<{ topics: Record<string, number> }>('list-topics', [
        broker.bootstrap,
      ])
      assert.equal(topics[TOPIC], undefined)
    })
  })
}
