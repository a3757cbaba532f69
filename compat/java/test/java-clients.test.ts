// The Java clients (kafka-clients 4.4.0) against Runnel's broker and against Apache Kafka 4.4 on
// one node: the same JUnit suite (compat/java/src/test/java), one offline Maven run per target, the
// broker given as -Dbootstrap. A test that fails on Kafka is a wrong test; one that fails only on
// Runnel is a broker finding. Runnel's known gaps (RUNNEL_GAPS) are passed as -Dgaps, and the tests
// of a gap skip themselves there with an assumption that names it, so both runs are green and the
// gap stays visible (docs/compatibility.md, "Java kafka-clients 4.4"). `npm run compat:java:install`
// fetches what Maven needs once; skips with the reason when Java or Maven is missing, unless
// RUNNEL_REQUIRE_KAFKA=1.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { after, before, describe, it, type TestContext } from 'node:test'
import {
  BrokerProcess,
  freePort,
  makeTempDir,
  REPO_ROOT,
  removeDir,
} from '../../../packages/broker/test/helpers/broker.ts'
import {
  type ApacheKafka,
  kafkaHome,
  kafkaSkipReason,
  startApacheKafka,
} from '../../../tools/kafka/src/index.ts'
import { describeFailures, readReports, type TestCase } from './helpers/surefire.ts'

const POM_DIR = join(REPO_ROOT, 'compat/java')
/** Names a Java test passes to Target.assumeNoGap: the differences from Kafka that Runnel has now. */
const RUNNEL_GAPS = [
  'consumer-group-heartbeat', // GroupTest: API 68, group.protocol=consumer (KIP-848)
  'broker-configs-subset', // AdminTest: DescribeConfigs of the BROKER resource
  'elect-leaders', // AdminSingleNodeTest: API 43
  'describe-acls', // AdminSingleNodeTest: API 29
  'quotas-scram-client-metrics', // AdminSingleNodeTest: APIs 48, 50, 74
  'describe-quorum', // AdminSingleNodeTest: API 55
]
const MAVEN_TIMEOUT_MS = 240_000

function mavenSkipReason(): string | undefined {
  const java = kafkaSkipReason()
  if (java) return java
  const mvn = spawnSync('mvn', ['-v'], { stdio: 'ignore' })
  const problem = mvn.error || mvn.status !== 0 ? 'Maven (mvn) is not installed' : undefined
  if (problem && process.env.RUNNEL_REQUIRE_KAFKA !== '1') return problem
  return undefined
}

interface SuiteRun {
  code: number | null
  cases: TestCase[]
  log: string
  elapsedMs: number
}

/** `mvn -o test` against one broker; its output goes to target/maven-<target>.log. */
async function runSuite(target: string, bootstrap: string, gaps: readonly string[]): Promise<SuiteRun> {
  const reports = join(POM_DIR, 'target/surefire-reports', target)
  rmSync(reports, { recursive: true, force: true })
  const log = join(POM_DIR, 'target', `maven-${target}.log`)
  mkdirSync(dirname(log), { recursive: true }) // a fresh clone has no target/ yet
  const started = performance.now()
  const args = [
    '-B',
    '-o',
    'test',
    `-Dbootstrap=${bootstrap}`,
    `-Dtarget=${target}`,
    `-Dgaps=${gaps.join(',')}`,
    // ToolsTest runs Kafka's command-line tools from the harness's jars
    `-Dkafka.libs=${join(kafkaHome(), 'libs')}`,
  ]
  const child = spawn('mvn', args, {
    cwd: POM_DIR,
    // Maven's own JVM: small and quick to start (the tests fork their own, see the pom)
    env: { ...process.env, MAVEN_OPTS: '-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const out = createWriteStream(log)
  child.stdout.pipe(out)
  child.stderr.pipe(out)
  const timer = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), MAVEN_TIMEOUT_MS)
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      out.write(`cannot run mvn: ${error.message}\n`)
      resolve(null)
    })
    child.once('close', (c) => resolve(c))
  })
  clearTimeout(timer)
  return { code, cases: readReports(reports), log, elapsedMs: performance.now() - started }
}

function report(t: TestContext, target: string, run: SuiteRun): void {
  const count = (outcome: TestCase['outcome']) => run.cases.filter((c) => c.outcome === outcome).length
  t.diagnostic(
    `${target}: ${count('passed')} passed, ${count('failed') + count('error')} failed, ${count('skipped')} skipped ` +
      `in ${(run.elapsedMs / 1000).toFixed(1)} s (log ${run.log})`,
  )
  for (const c of run.cases.filter((c) => c.outcome === 'skipped'))
    t.diagnostic(`skipped ${c.name}: ${c.message}`)
  const failures = describeFailures(run.cases)
  assert.equal(failures, '', `Java tests failed against ${target}:\n${failures}`)
  assert.ok(
    run.cases.length > 0,
    `no Java test ran against ${target} (Maven exited ${run.code}; see ${run.log})`,
  )
  assert.equal(run.code, 0, `Maven exited ${run.code} against ${target}; see ${run.log}`)
}

/** The tests both runs had, by name: the same suite must have run against both. */
const names = (run: SuiteRun) => run.cases.map((c) => c.name).sort()

describe('Java kafka-clients 4.4', { skip: mavenSkipReason(), timeout: 600_000 }, () => {
  let onRunnel: SuiteRun | undefined

  describe('against Runnel', () => {
    let broker: BrokerProcess
    let dataDir: string
    before(async () => {
      dataDir = await makeTempDir('java-compat')
      broker = await BrokerProcess.start({
        port: await freePort(),
        dataDir,
        // as the Kafka harness does: a group's first join is answered at once
        extraArgs: ['--config', 'group.initial.rebalance.delay.ms=0'],
      })
    })
    after(async () => {
      await broker?.terminate()
      if (dataDir) await removeDir(dataDir)
    })

    it('passes the suite, with only the known gaps skipped', async (t) => {
      onRunnel = await runSuite('runnel', broker.bootstrap, RUNNEL_GAPS)
      report(t, 'runnel', onRunnel)
      for (const c of onRunnel.cases.filter((c) => c.outcome === 'skipped')) {
        assert.match(c.message, /known gap on runnel \(/, `${c.name} skipped for another reason`)
      }
      // a client that copes (retries, reconnects) can hide a broker bug: the broker must log none
      const brokerLog = join(POM_DIR, 'target', 'runnel-broker.log')
      writeFileSync(brokerLog, broker.output)
      assert.doesNotMatch(
        broker.output,
        /handler failed|uncaught|unhandled/i,
        `the broker logged a failure: ${brokerLog}`,
      )
    })
  })

  describe('against Apache Kafka 4.4 (1 node)', () => {
    let kafka: ApacheKafka
    before(async () => {
      kafka = await startApacheKafka({ nodes: 1, timeoutMs: 90_000 })
    })
    after(() => kafka?.close())

    it('passes the whole suite, nothing skipped', async (t) => {
      const run = await runSuite('kafka', kafka.bootstrap, [])
      report(t, 'kafka', run)
      assert.deepEqual(
        run.cases.filter((c) => c.outcome === 'skipped').map((c) => c.name),
        [],
        'no gaps on Kafka',
      )
      if (onRunnel) assert.deepEqual(names(run), names(onRunnel), 'the same tests ran against both')
    })
  })
})
