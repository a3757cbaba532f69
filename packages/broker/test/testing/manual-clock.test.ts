// startTestBroker({ clock: new ManualClock() }): the coordinators' timeouts pass when the test
// says so, not in real time. A group's initial rebalance delay and a member's 30 s session, and
// a transaction's 60 s timeout, each pass in milliseconds of real time over real sockets.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ErrorCode } from '@runnel/protocol'
import { ManualClock, startTestBroker, type TestBroker } from '../../src/testing/index.ts'
import { joinGroup } from '../group/wire-group.ts'
import { sleep } from '../helpers/broker.ts'
import { WireClient } from '../helpers/wire-client.ts'
import { addPartitions, endTxn, initTransactions, produce, txnBatch } from '../txn/txn-wire.ts'

/** Advances `clock` in steps, letting the broker's work between steps run, until `done` settles. */
async function advanceUntil<T>(
  clock: ManualClock,
  stepMs: number,
  done: Promise<T>,
  maxSteps = 200,
): Promise<T> {
  let settled = false
  const watched = done.finally(() => {
    settled = true
  })
  for (let i = 0; i < maxSteps && !settled; i++) {
    clock.advance(stepMs)
    await sleep(5)
  }
  return watched
}

/** Polls `check` every 10 ms of real time for at most 5 s. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + 5_000
  while (!(await check())) {
    assert.ok(performance.now() < deadline, `${what}: not within 5 s of real time`)
    await sleep(10)
  }
}

describe('startTestBroker with a manual clock', () => {
  const clock = new ManualClock()
  let broker: TestBroker
  let client: WireClient

  before(async () => {
    broker = await startTestBroker({
      autoCreateTopics: false,
      clock,
      // Kafka's default initial rebalance delay: with a real clock every first join waits 3 s.
      brokerConfigs: { 'group.initial.rebalance.delay.ms': '3000' },
    })
    client = await WireClient.connect(broker.port)
    const created = await client.request(19, 5, {
      topics: [{ name: 'orders', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5_000,
      validateOnly: false,
    })
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE)
  })

  after(async () => {
    client?.close()
    await broker?.close()
  })

  it("a member's session timeout passes when the clock is advanced, and the group is left Empty", async () => {
    const started = performance.now()
    const member = await WireClient.connect(broker.port)
    try {
      // The first join waits for the initial rebalance delay: on this clock, until it is advanced.
      const join = await advanceUntil(
        clock,
        500,
        joinGroup(member, 'g-clock', { sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000 }),
      )
      assert.equal(join.errorCode, ErrorCode.NONE)
      const sync = await member.request(14, 3, {
        groupId: 'g-clock',
        generationId: join.generationId,
        memberId: join.memberId,
        groupInstanceId: null,
        assignments: [{ memberId: join.memberId, assignment: Buffer.from('assigned') }],
      })
      assert.equal(sync.errorCode, ErrorCode.NONE)
      const describe = () =>
        client.request(15, 5, { groups: ['g-clock'], includeAuthorizedOperations: false })
      assert.equal((await describe()).groups[0].groupState, 'Stable')

      // 29 s pass: the member is still in its session.
      clock.advance(29_000)
      await sleep(20)
      assert.equal((await describe()).groups[0].members.length, 1)
      // Past 30 s without a heartbeat: the coordinator removes it.
      clock.advance(1_500)
      await eventually(
        'the member is removed',
        async () => (await describe()).groups[0].groupState === 'Empty',
      )
      assert.equal((await describe()).groups[0].members.length, 0)
      const heartbeat = await member.request(12, 4, {
        groupId: 'g-clock',
        generationId: join.generationId,
        memberId: join.memberId,
        groupInstanceId: null,
      })
      assert.equal(heartbeat.errorCode, ErrorCode.UNKNOWN_MEMBER_ID)
      // 3 s of rebalance delay and 30 s of session passed in well under that much real time.
      assert.ok(performance.now() - started < 10_000, `${Math.round(performance.now() - started)} ms`)
    } finally {
      member.close()
    }
  })

  it('transaction.timeout.ms passes when the clock is advanced: the broker aborts and fences the producer', async () => {
    const started = performance.now()
    const tx = await initTransactions(client, 'tx-clock', 60_000)
    await addPartitions(client, tx, [{ name: 'orders', partitions: [0] }])
    assert.equal(
      (await produce(client, 'orders', 0, txnBatch(tx, 0, ['x']), 'tx-clock')).errorCode,
      ErrorCode.NONE,
    )
    const state = async () =>
      (await client.request(65, 0, { transactionalIds: ['tx-clock'] })).transactionStates[0].transactionState

    // 50 s: still inside its 60 s timeout.
    clock.advance(50_000)
    await sleep(50)
    assert.equal(await state(), 'Ongoing')
    // Past it, the coordinator's timer (every 10 s, on the same clock) aborts it: time goes on
    // passing, a second per check, until it has.
    clock.advance(20_000)
    await eventually('the transaction is aborted', async () => {
      clock.advance(1_000)
      return (await state()) === 'CompleteAbort'
    })
    assert.equal(await endTxn(client, tx, true), ErrorCode.PRODUCER_FENCED)
    assert.ok(performance.now() - started < 10_000, `${Math.round(performance.now() - started)} ms`)
  })
})
