// Issue 5 acceptance: a consume-transform-produce loop, killed with SIGKILL at random points and
// restarted each time, copies every input record exactly once, in order per key, as a
// read_committed consumer sees it. With librdkafka (python3-confluent-kafka,
// send_offsets_to_transaction), kafkajs (transaction.sendOffsets) and @platformatic/kafka
// (transaction.addConsumer + addOffset). The broker runs in this process; only the loops die.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, type TestContext, test } from 'node:test'
import { brokerInternals } from '../../src/broker.ts'
import { startTestBroker, type TestBroker } from '../helpers/broker.ts'
import type { LineChild } from '../helpers/child-process.ts'
import { PYTHON } from '../helpers/python.ts'
import { WireClient } from '../helpers/wire-client.ts'
import {
  CLIENTS_DIR,
  checkExactlyOnce,
  INPUT_PARTITIONS,
  readAll,
  runUnderKills,
  spawnLoop,
  TXN_CLIENT,
  writeInput,
} from './exactly-once.ts'

const CONFIGS = {
  'transaction.state.log.num.partitions': '3',
  'offsets.topic.num.partitions': '3',
  'group.initial.rebalance.delay.ms': '0',
  // the JS loops are group members: a killed one must leave the group fast
  'group.min.session.timeout.ms': '500',
}

// A bound against a hang, not a speed test: each of the 21 runs starts a client process and a
// JS loop rejoins after its predecessor's session times out. Under load a run took 35 to 82 s
// (platformatic) or 57 s (kafkajs); each wait inside has its own deadline.
const TIMEOUT_MS = 300_000

describe('exactly-once consume-transform-produce under SIGKILL', () => {
  let broker: TestBroker
  let client: WireClient

  before(async () => {
    broker = await startTestBroker({ brokerConfigs: CONFIGS })
    client = await WireClient.connect(broker.port)
  })
  after(async () => {
    client?.close()
    await broker?.dispose()
  })

  /**
   * Writes `count` records to `<name>-in`, runs the copy loop `spawn` starts under 20 kills
   * (seeded), and checks a read_committed consumer of `<name>-out` sees each record once.
   */
  async function copyUnderKills(
    t: TestContext,
    name: string,
    count: number,
    seed: number,
    spawn: (input: string, output: string) => LineChild,
  ): Promise<void> {
    const input = `${name}-in`
    const output = `${name}-out`
    for (const topic of [input, output]) {
      const created = await brokerInternals(broker).topics.create({
        name: topic,
        numPartitions: INPUT_PARTITIONS,
        replicationFactor: -1,
      })
      assert.ok(created.ok)
    }
    await writeInput(client, input, count)
    const report = await runUnderKills(() => spawn(input, output), 20, seed)
    const committed = await readAll(broker.bootstrap, output, INPUT_PARTITIONS, 'read_committed')
    checkExactlyOnce(committed, count)
    const uncommitted = await readAll(broker.bootstrap, output, INPUT_PARTITIONS, 'read_uncommitted')
    // Kills inside transactions leave aborted records behind, which read_uncommitted shows.
    t.diagnostic(JSON.stringify({ aborted: uncommitted.length - committed.length, ...report }))
    assert.equal(report.kills, 20)
  }

  test('librdkafka (python3-confluent-kafka): 20 kills', { timeout: TIMEOUT_MS }, (t) =>
    copyUnderKills(t, 'eos-confluent', 2400, 0xc0ffee, (input, output) =>
      spawnLoop(PYTHON, [
        TXN_CLIENT,
        'ctp',
        broker.bootstrap,
        input,
        output,
        'eos-confluent',
        'eos-confluent-tx',
        String(INPUT_PARTITIONS),
        '20',
      ]),
    ),
  )

  for (const [title, script, name, seed] of [
    ['kafkajs 2.2.4', 'ctp-kafkajs.mjs', 'eos-kafkajs', 0xbeef],
    ['@platformatic/kafka 1.35', 'ctp-platformatic.mjs', 'eos-platformatic', 0xfeed],
  ] as const) {
    test(`${title}: 20 kills`, { timeout: TIMEOUT_MS }, (t) =>
      copyUnderKills(t, name, 3000, seed, (input, output) =>
        spawnLoop(process.execPath, [
          join(CLIENTS_DIR, script),
          broker.bootstrap,
          input,
          output,
          name,
          `${name}-tx`,
        ]),
      ),
    )
  }
})
