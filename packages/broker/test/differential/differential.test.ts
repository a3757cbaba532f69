// The differential check (issue 9): the same scripted requests (script.ts) to Runnel and to a
// 1-node Apache Kafka 4.4 (tools/kafka), at the versions both support, the answers compared field
// by field (normalize.ts) after removing what must differ (ids, hosts, ports, clocks, messages).
// Every difference left must be explained (differences.ts, and docs/compatibility.md).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { type ApacheKafka, kafkaSkipReason, startApacheKafka } from '../../../../tools/kafka/src/index.ts'
import { REPO_ROOT, startTestBroker, type TestBroker } from '../helpers/broker.ts'
import { EXPLAINED } from './differences.ts'
import { compare, type Difference } from './normalize.ts'
import { apiVersionsOf, commonVersions, runScript, type StepAnswer } from './script.ts'

describe('differential check against Apache Kafka 4.4', { skip: kafkaSkipReason() }, () => {
  let runnel: TestBroker
  let kafka: ApacheKafka
  let ours: StepAnswer[]
  let theirs: StepAnswer[]

  before(async () => {
    ;[runnel, kafka] = await Promise.all([startTestBroker(), startApacheKafka({ nodes: 1 })])
    const bootstrap = `127.0.0.1:${runnel.port}`
    const versions = commonVersions(await apiVersionsOf(bootstrap), await apiVersionsOf(kafka.bootstrap))
    ours = await runScript(bootstrap, versions)
    theirs = await runScript(kafka.bootstrap, versions)
  })
  after(async () => {
    await Promise.all([runnel?.dispose(), kafka?.close()])
  })

  it('Runnel answers every step as Kafka does, but for the explained differences', (t) => {
    assert.equal(ours.length, theirs.length, 'both ran the whole script')
    const unexplained: Difference[] = []
    const used = new Set<string>()
    for (const [i, step] of ours.entries()) {
      assert.equal(step.step, theirs[i].step)
      for (const d of compare(step.step, step.answer, theirs[i].answer)) {
        const why = EXPLAINED.find((e) => e.step.test(d.step) && e.path.test(d.path))
        if (why) used.add(why.id)
        else unexplained.push(d)
      }
    }
    t.diagnostic(`${ours.length} steps compared; explained differences: ${[...used].join(', ') || 'none'}`)
    assert.deepEqual(
      unexplained.map((d) => `${d.step} @ ${d.path}: Runnel ${d.runnel}, Kafka ${d.kafka}`),
      [],
      'differences with no explanation in differences.ts',
    )
    assert.deepEqual(
      EXPLAINED.filter((e) => !used.has(e.id)).map((e) => e.id),
      [],
      'explanations that match nothing any more',
    )
  })

  it('the script covers the edge cases the issue names', () => {
    const steps = ours.map((s) => s.step).join('\n')
    for (const want of [
      /unknown topic/,
      /invalid topic name/,
      /partition that does not exist/,
      /out of range/,
      /timestamp before the log/,
      /timestamp of record 2/,
      /timestamp after the log/,
      /describe configs of the topic/,
      /describe configs of the broker/,
      /join group/,
      /sync group/,
      /commit offsets/,
      /leave the group/,
      /delete the group/,
    ]) {
      assert.match(steps, want)
    }
  })

  it('docs/compatibility.md explains every accepted difference', () => {
    const doc = readFileSync(`${REPO_ROOT}docs/compatibility.md`, 'utf8')
    for (const e of EXPLAINED) assert.ok(doc.includes(`\`${e.id}\``), `docs/compatibility.md names ${e.id}`)
  })
})

describe('ApiVersions against Apache Kafka 4.4', { skip: kafkaSkipReason() }, () => {
  it('Runnel advertises no API Kafka does not, within its versions, and the APIs only Kafka has are the documented ones', async (t) => {
    const [runnel, kafka] = await Promise.all([startTestBroker(), startApacheKafka({ nodes: 1 })])
    try {
      const ours = await apiVersionsOf(`127.0.0.1:${runnel.port}`)
      const theirs = await apiVersionsOf(kafka.bootstrap)
      const older: string[] = []
      for (const [key, range] of ours) {
        const k = theirs.get(key)
        assert.ok(k, `Runnel advertises API ${key}, which Kafka 4.4 does not`)
        assert.ok(range.max <= k.max, `API ${key}: Runnel up to v${range.max}, Kafka up to v${k.max}`)
        // Older versions than Kafka 4 keeps are a choice (clients of Kafka 2.x and 3.x), not a slip.
        if (range.min < k.min) older.push(`${key} from v${range.min} (Kafka v${k.min})`)
      }
      t.diagnostic(`older versions Runnel still answers: ${older.join(', ')}`)
      // GetTelemetrySubscriptions (71) and PushTelemetry (72): a Kafka broker without a metrics
      // plugin does not advertise them, and Runnel has none.
      assert.equal(theirs.has(71), false)
      assert.equal(ours.has(71), false)
      const onlyKafka = [...theirs.keys()].filter((k) => !ours.has(k)).sort((a, b) => a - b)
      t.diagnostic(`APIs only Kafka 4.4 advertises: ${onlyKafka.join(', ')}`)
      const doc = readFileSync(`${REPO_ROOT}docs/compatibility.md`, 'utf8')
      const listed = /APIs only Kafka 4\.4 advertises[^:]*: ([\d, ]+)\./.exec(doc)?.[1]
      assert.equal(listed, onlyKafka.join(', '), 'docs/compatibility.md lists them')
    } finally {
      await Promise.all([runnel.dispose(), kafka.close()])
    }
  })
})
