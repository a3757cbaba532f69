// Fuzz: over 100,000 random and mutated frames, over a few connections, against the broker
// CLI running as a child process. Each fuzz frame is followed on its connection by a probe
// (ApiVersions v0): the broker must answer the frame (at most one response, with the frame's
// correlation id, decodable as that API and version) and then the probe, or close the
// connection — and keep serving everyone else. A frame whose size prefix lies is the last
// one on its connection. Meanwhile a canary client produces with acks=all, and every record
// it was acknowledged for must be in the log afterwards. The broker must end alive, log no
// handler failure, and stop cleanly on SIGTERM.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { Producer } from '@platformatic/kafka'
import { decodeResponse, encodeRequest } from '@runnel/protocol'
import { BrokerProcess, freePort, makeTempDir, removeDir } from '../helpers/broker.ts'
import { fetchTopic } from '../helpers/platformatic-fetch.ts'
import { seededRandom } from '../helpers/records.ts'
import { WireClient } from '../helpers/wire-client.ts'
import { badSizeFrame, buildTemplates, mutate, pick, type Rng, randomFrame, type Template } from './frames.ts'

const FRAMES = Number(process.env.RUNNEL_FUZZ_FRAMES ?? 100_000)
const CONNECTIONS = 6
const FUZZ_TOPIC = 'fuzz'
const CANARY_TOPIC = 'canary'
const PROBE_TIMEOUT_MS = 1000
const SEED = Number(process.env.RUNNEL_FUZZ_SEED ?? 0xf022)

type Outcome = 'answered' | 'no-response' | 'closed' | 'held'

interface Stats {
  frames: number
  random: number
  mutated: number
  valid: number
  badSize: number
  badSizeClosed: number
  outcomes: Record<Outcome, number>
  problems: string[]
  /** The frames that were neither answered nor closed on within the probe timeout. */
  held: string[]
}

describe('fuzz: random and mutated frames', () => {
  const dirs: string[] = []
  after(async () => {
    for (const d of dirs) await removeDir(d)
  })

  it(`survives ${FRAMES} random and mutated frames over ${CONNECTIONS} connections while a canary produces`, async (t) => {
    const dataDir = await makeTempDir('fuzz')
    dirs.push(dataDir)
    const port = await freePort()
    const rng = seededRandom(SEED)
    let broker: BrokerProcess | undefined = await BrokerProcess.start({
      port,
      dataDir,
      logLevel: (process.env.RUNNEL_FUZZ_LOG_LEVEL as 'error') ?? 'error',
      extraArgs: ['--no-auto-create-topics'],
    })
    let canaryStop = false
    try {
      const setup = await WireClient.connect(port)
      const created = await setup.request(19, 5, {
        topics: [
          { name: FUZZ_TOPIC, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] },
          { name: CANARY_TOPIC, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] },
        ],
        timeoutMs: 5000,
        validateOnly: false,
      })
      assert.deepEqual(
        created.topics.map((t) => t.errorCode),
        [0, 0],
      )
      const metadata = await setup.request(3, 12, {
        topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: FUZZ_TOPIC }],
        allowAutoTopicCreation: false,
        includeTopicAuthorizedOperations: false,
      })
      const versions = await setup.request(18, 3, {
        clientSoftwareName: 'runnel-fuzz',
        clientSoftwareVersion: '1',
      })
      // The first FindCoordinator creates __consumer_offsets (a few hundred ms): do it before
      // the probes' 1-second clock starts.
      if (versions.apiKeys.some((k) => k.apiKey === 10))
        await setup.request(10, 0, { key: 'warm-up' }, 30_000)
      setup.close()
      const templates = buildTemplates(
        versions.apiKeys,
        { topic: FUZZ_TOPIC, topicId: metadata.topics[0].topicId!, partitions: 3 },
        rng,
      )
      assert.ok(new Set(templates.map((t) => t.apiKey)).size >= 6, 'templates of many APIs')

      // The canary: acks=all, one small batch after another, for as long as the fuzz runs.
      const acked: { partition: number; offset: number; value: string }[] = []
      const canaryErrors: string[] = []
      const canary = (async () => {
        const producer = new Producer({
          clientId: 'canary',
          bootstrapBrokers: [`127.0.0.1:${port}`],
          idempotent: false,
          retries: 0,
          timeout: 10_000,
        })
        try {
          for (let n = 0; !canaryStop; n++) {
            const value = `canary-${n}`
            try {
              const result = await producer.send({
                acks: -1,
                messages: [
                  {
                    topic: CANARY_TOPIC,
                    partition: n % 2,
                    key: Buffer.from(String(n)),
                    value: Buffer.from(value),
                  },
                ],
              })
              const o = result.offsets?.[0]
              if (o) acked.push({ partition: o.partition, offset: Number(o.offset), value })
            } catch (err) {
              canaryErrors.push(String((err as Error).message))
            }
            await new Promise((r) => setTimeout(r, 5))
          }
        } finally {
          await producer.close()
        }
      })()

      const stats: Stats = {
        frames: 0,
        random: 0,
        mutated: 0,
        valid: 0,
        badSize: 0,
        badSizeClosed: 0,
        outcomes: { answered: 0, 'no-response': 0, closed: 0, held: 0 },
        problems: [],
        held: [],
      }
      const started = Date.now()
      const workers = Array.from({ length: CONNECTIONS }, (_, w) =>
        fuzzWorker(port, templates, seededRandom(SEED + 1 + w), stats, () => stats.frames >= FRAMES),
      )
      await Promise.all(workers)
      const elapsed = Date.now() - started
      canaryStop = true
      await canary

      // The broker is alive, answers, and logged no handler failure.
      assert.equal(broker.child.child.exitCode, null, `broker exited during the fuzz\n${broker.output}`)
      const after = await WireClient.connect(port)
      assert.equal(
        (await after.request(18, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' })).errorCode,
        0,
      )
      after.close()

      const summary = `${stats.frames} frames in ${elapsed} ms (${stats.random} random, ${stats.mutated} mutated, ${stats.valid} valid, ${stats.badSize} bad sizes, ${stats.badSizeClosed} of them closed at once); outcomes ${JSON.stringify(stats.outcomes)}; canary ${acked.length} acked, ${canaryErrors.length} failed; held: ${stats.held.slice(0, 5).join(' | ')}`
      t.diagnostic(`fuzz seed ${SEED}: ${summary}`)
      assert.ok(stats.frames >= FRAMES, summary)
      assert.deepEqual(stats.problems.slice(0, 20), [], `${stats.problems.length} problems; ${summary}`)
      // Only a request that legitimately waits (a long-poll Fetch or a JoinGroup whose
      // mutated timeouts are large) may be unanswered within the probe timeout.
      assert.ok(stats.outcomes.held <= FRAMES / 1000, `${stats.outcomes.held} frames held; ${summary}`)

      // Every acknowledged canary record landed, at its offset, once.
      assert.deepEqual(canaryErrors.slice(0, 5), [], `canary produce failures; ${summary}`)
      assert.ok(acked.length > 20, `the canary got ${acked.length} acknowledgements`)
      const log = await fetchTopic(`127.0.0.1:${port}`, CANARY_TOPIC)
      const at = new Map(log.map((r) => [`${r.partition}/${r.offset}`, r.value?.toString()]))
      const missing = acked.filter((a) => at.get(`${a.partition}/${a.offset}`) !== a.value)
      assert.deepEqual(missing.slice(0, 5), [], `${missing.length} acknowledged canary records missing`)
      assert.equal(log.length, acked.length, 'no canary record twice, none unacknowledged')

      // A handler that throws is a bug even though only its connection pays for it; and the
      // broker must still stop cleanly after all this.
      const handlerErrors = distinctMessages(
        broker.output.split('\n').filter((l) => /"level":(50|60)/.test(l)),
      )
      const exitCodeAfterSigterm = await broker.terminate()
      broker = undefined
      assert.deepEqual(
        { handlerErrors, exitCodeAfterSigterm },
        { handlerErrors: [], exitCodeAfterSigterm: 0 },
        summary,
      )
    } finally {
      canaryStop = true
      await broker?.kill9()
    }
  })
})

/** Sends frames on one connection at a time, reconnecting whenever the broker closes it. */
async function fuzzWorker(port: number, templates: Template[], rng: Rng, stats: Stats, done: () => boolean) {
  let conn = await WireClient.connect(port)
  let probeId = 0x70000000 + Math.floor(rng() * 0x1000000)
  try {
    while (!done()) {
      const kind = rng()
      if (kind < 0.01) {
        // A lying size prefix: the broker closes, or waits for bytes that never come.
        stats.frames++
        stats.badSize++
        await conn.write(badSizeFrame(pick(rng, templates).frame, rng))
        // Closed at once, or (for a size that promises more than comes) waiting for the rest.
        if (await conn.waitClosed(100)) stats.badSizeClosed++
        conn.close()
        conn = await WireClient.connect(port)
        continue
      }
      let frame: Buffer
      if (kind < 0.2) {
        frame = randomFrame(rng)
        stats.random++
      } else if (kind < 0.25) {
        frame = pick(rng, templates).frame
        stats.valid++
      } else {
        frame = mutate(pick(rng, templates).frame, rng)
        stats.mutated++
      }
      stats.frames++
      probeId++
      const probe = Buffer.concat(encodeRequest(18, 0, probeId, 'probe', {}))
      await conn.write(Buffer.concat([frame, probe]))
      const outcome = await awaitOutcome(conn, frame, probeId, stats)
      stats.outcomes[outcome]++
      if (outcome === 'closed' || outcome === 'held') {
        conn.close()
        conn = await WireClient.connect(port)
      }
    }
  } finally {
    conn.close()
  }
}

/** Reads what came back for `frame` followed by the probe `probeId`. */
async function awaitOutcome(
  conn: WireClient,
  frame: Buffer,
  probeId: number,
  stats: Stats,
): Promise<Outcome> {
  const header =
    frame.length >= 12
      ? { apiKey: frame.readInt16BE(4), version: frame.readInt16BE(6), correlationId: frame.readInt32BE(8) }
      : undefined
  let responses = 0
  const deadline = Date.now() + PROBE_TIMEOUT_MS
  for (;;) {
    const next = await conn.next(Math.max(deadline - Date.now(), 1))
    if ('closed' in next) {
      if (responses > 0) stats.problems.push(`answered then closed: ${describeFrame(frame)}`)
      return 'closed'
    }
    if ('timeout' in next) {
      stats.held.push(describeFrame(frame))
      return 'held'
    }
    const correlationId = next.frame.readInt32BE(0)
    if (correlationId === probeId) {
      try {
        const probe = decodeResponse(18, 0, next.frame)
        if (probe.body.errorCode !== 0)
          stats.problems.push(`probe answered ${probe.body.errorCode} after ${describeFrame(frame)}`)
      } catch (err) {
        stats.problems.push(
          `probe answer does not decode after ${describeFrame(frame)}: ${(err as Error).message}`,
        )
      }
      return responses === 0 ? 'no-response' : 'answered'
    }
    responses++
    if (responses > 1) {
      stats.problems.push(`two responses to one frame: ${describeFrame(frame)}`)
      continue
    }
    if (!header || correlationId !== header.correlationId) {
      stats.problems.push(`response with correlation id ${correlationId} to ${describeFrame(frame)}`)
      continue
    }
    // An answer must be a well-formed response of the request's API and version — except an
    // ApiVersions request of a version we do not speak, which Kafka answers in v0.
    const version = header.apiKey === 18 && (header.version < 0 || header.version > 3) ? 0 : header.version
    try {
      decodeResponse(header.apiKey as 18, version, next.frame)
    } catch (err) {
      stats.problems.push(
        `response to ${describeFrame(frame)} does not decode as v${version}: ${(err as Error).message}`,
      )
    }
  }
}

function describeFrame(frame: Buffer): string {
  const head = frame.length >= 8 ? `api ${frame.readInt16BE(4)} v${frame.readInt16BE(6)}` : 'short frame'
  return `${head}, ${frame.length} bytes: ${frame.subarray(0, 48).toString('hex')}…`
}

function distinctMessages(lines: readonly string[]): string[] {
  const out = new Set<string>()
  for (const l of lines) {
    try {
      const o = JSON.parse(l) as { msg?: string; api?: string; version?: number; err?: { message?: string } }
      out.add(`${o.msg} ${o.api ?? ''} v${o.version ?? ''}: ${o.err?.message ?? ''}`)
    } catch {
      out.add(l.slice(0, 200))
    }
  }
  return [...out].slice(0, 20)
}
