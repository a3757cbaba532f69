// Idempotent producers and transactions over the wire, against an in-process broker: the exact
// Kafka error codes, what read_committed and read_uncommitted fetches see, the last stable
// offset, fencing, timeouts, transactional offsets, the tooling APIs, and what survives a
// restart.
import assert from 'node:assert/strict'
import { cp, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { ErrorCode } from '@runnel/protocol'
import { brokerInternals } from '../../src/broker.ts'
import { startBroker } from '../../src/index.ts'
import { snapshotFileName } from '../../src/txn/producer-snapshot.ts'
import { ADMIN, offset, offsetCommit } from '../group/wire-group.ts'
import { makeTempDir, removeDir, sleep, startTestBroker, type TestBroker } from '../helpers/broker.ts'
import { WireClient } from '../helpers/wire-client.ts'
import {
  addOffsets,
  addPartitions,
  committedView,
  endTxn,
  fetch,
  fetchCommitted,
  initProducerId,
  initTransactions,
  listOffsetsLatest,
  makeBatch,
  plainBatch,
  produce,
  READ_COMMITTED,
  READ_UNCOMMITTED,
  type TxnProducer,
  txnBatch,
  txnOffsetCommit,
} from './txn-wire.ts'

/** Small internal topics and a quick timeout check keep the broker fast to start. */
export const TXN_TEST_CONFIGS = {
  'transaction.state.log.num.partitions': '3',
  'offsets.topic.num.partitions': '3',
  'group.initial.rebalance.delay.ms': '0',
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': '100',
}

describe('idempotent producers and transactions over the wire', () => {
  let broker: TestBroker
  let client: WireClient

  before(async () => {
    broker = await startTestBroker({ brokerConfigs: TXN_TEST_CONFIGS })
    for (const name of ['idem', 'txn', 'fence', 'offsets-in', 'timeout', 'tools']) {
      const r = await brokerInternals(broker).topics.create({ name, numPartitions: 2, replicationFactor: -1 })
      assert.ok(r.ok)
    }
    client = await WireClient.connect(broker.port)
  })

  after(async () => {
    client?.close()
    await broker?.dispose()
  })

  test('ApiVersions advertises the transaction APIs with AddPartitionsToTxn capped at v3', async () => {
    const r = await client.request(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })
    const range = (key: number) => {
      const k = r.apiKeys.find((a) => a.apiKey === key)
      return k ? [k.minVersion, k.maxVersion] : undefined
    }
    assert.deepEqual(range(22), [0, 5])
    assert.deepEqual(range(24), [0, 3])
    assert.deepEqual(range(25), [0, 4])
    assert.deepEqual(range(26), [0, 4])
    assert.deepEqual(range(28), [0, 4])
    assert.deepEqual(range(61), [0, 0])
    assert.deepEqual(range(65), [0, 0])
    assert.deepEqual(range(66), [0, 1])
  })

  test('InitProducerId: fresh ids for idempotent producers, Kafka errors for bad input', async () => {
    const a = await initProducerId(client, null, 60_000, 0)
    const b = await initProducerId(client, null, 60_000, 4, { producerId: a.producerId, producerEpoch: 0 })
    assert.equal(a.errorCode, ErrorCode.NONE)
    assert.equal(a.producerEpoch, 0)
    assert.equal(b.errorCode, ErrorCode.NONE)
    assert.notEqual(a.producerId, b.producerId, 'Kafka hands an idempotent producer a new id every time')
    assert.equal((await initProducerId(client, '', 60_000)).errorCode, ErrorCode.INVALID_REQUEST)
    assert.equal((await initProducerId(client, 'tx-bad', 0)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT)
    assert.equal(
      (await initProducerId(client, 'tx-bad', 900_001)).errorCode,
      ErrorCode.INVALID_TRANSACTION_TIMEOUT,
    )
    const half = await initProducerId(client, 'tx-bad', 1000, 3, { producerId: 5n, producerEpoch: -1 })
    assert.equal(half.errorCode, ErrorCode.INVALID_REQUEST)
  })

  test('a retried batch is acknowledged with its original offset and never appended twice', async () => {
    const { producerId } = await initProducerId(client, null)
    const first = makeBatch({ producerId, producerEpoch: 0, baseSequence: 0, values: ['a', 'b', 'c'] })
    const second = makeBatch({ producerId, producerEpoch: 0, baseSequence: 3, values: ['d'] })
    assert.deepEqual(await produce(client, 'idem', 0, plainBatch(['x'])), {
      errorCode: 0,
      baseOffset: 0,
      errorMessage: null,
    })
    assert.equal((await produce(client, 'idem', 0, Buffer.from(first))).baseOffset, 1)
    assert.equal((await produce(client, 'idem', 0, Buffer.from(second))).baseOffset, 4)
    // both retried, in order and out of order: original offsets, errorCode NONE, nothing appended
    assert.deepEqual(await produce(client, 'idem', 0, Buffer.from(first)), {
      errorCode: 0,
      baseOffset: 1,
      errorMessage: null,
    })
    assert.deepEqual(await produce(client, 'idem', 0, Buffer.from(second), null, 3), {
      errorCode: 0,
      baseOffset: 4,
      errorMessage: null,
    })
    const log = brokerInternals(broker).topics.partition('idem', 0)!
    assert.equal(log.logEndOffset, 5)
    const gap = await produce(
      client,
      'idem',
      0,
      makeBatch({ producerId, producerEpoch: 0, baseSequence: 9, values: ['z'] }),
    )
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    const next = await produce(
      client,
      'idem',
      0,
      makeBatch({ producerId, producerEpoch: 0, baseSequence: 4, values: ['e'] }),
    )
    assert.equal(next.baseOffset, 5)
    const all = await fetch(client, 'idem', 0, 0, READ_COMMITTED)
    assert.deepEqual(
      all.records.map((r) => r.value),
      ['x', 'a', 'b', 'c', 'd', 'e'],
    )
    // a client may not write control batches
    const control = makeBatch({ producerId, producerEpoch: 0, baseSequence: 5, values: ['f'] })
    control.writeInt16BE(control.readInt16BE(21) | 0x20, 21)
    const { computeBatchCrc } = await import('@runnel/protocol')
    control.writeUInt32BE(computeBatchCrc(control), 17)
    assert.equal((await produce(client, 'idem', 0, control)).errorCode, ErrorCode.INVALID_RECORD)
  })

  test('an aborted transaction is visible to read_uncommitted and never to read_committed; nothing past the LSO is returned', async () => {
    const tx = await initTransactions(client, 'tx-visibility')
    const { producerId } = tx
    assert.deepEqual(await addPartitions(client, tx, [{ name: 'txn', partitions: [0] }]), [0])
    await produce(client, 'txn', 0, plainBatch(['before']))
    const t1 = txnBatch(tx, 0, ['aborted-1', 'aborted-2'])
    assert.equal((await produce(client, 'txn', 0, t1, 'tx-visibility')).errorCode, ErrorCode.NONE)
    await produce(client, 'txn', 0, plainBatch(['plain-during']))
    // open: read_committed stops at the transaction's first offset
    const open = await fetch(client, 'txn', 0, 0, READ_COMMITTED)
    assert.equal(open.lastStableOffset, 1)
    assert.equal(open.highWatermark, 4)
    assert.deepEqual(
      open.records.map((r) => r.value),
      ['before'],
    )
    assert.ok(open.lastOffset < open.lastStableOffset, 'no batch at or above the LSO')
    assert.deepEqual((await fetch(client, 'txn', 0, 1, READ_COMMITTED)).records, [])
    assert.equal(await listOffsetsLatest(client, 'txn', 0, READ_COMMITTED), 1)
    assert.equal(await listOffsetsLatest(client, 'txn', 0, READ_UNCOMMITTED), 4)
    const dirty = await fetch(client, 'txn', 0, 0, READ_UNCOMMITTED)
    assert.deepEqual(
      dirty.records.map((r) => r.value),
      ['before', 'aborted-1', 'aborted-2', 'plain-during'],
    )
    assert.equal(dirty.abortedTransactions, null)

    assert.equal(await endTxn(client, tx, false), ErrorCode.NONE)
    const done = await fetch(client, 'txn', 0, 0, READ_COMMITTED)
    assert.equal(done.lastStableOffset, done.highWatermark)
    assert.deepEqual(done.abortedTransactions, [{ producerId, firstOffset: 1 }])
    assert.deepEqual(done.markers, [{ offset: 4, producerId, type: 'ABORT' }])
    assert.deepEqual(committedView(done), ['before', 'plain-during'])
    assert.deepEqual(committedView(await fetch(client, 'txn', 0, 0, READ_UNCOMMITTED)), [
      'before',
      'aborted-1',
      'aborted-2',
      'plain-during',
    ])
    // a fetch past the aborted range is not told about it
    assert.deepEqual((await fetch(client, 'txn', 0, 5, READ_COMMITTED)).abortedTransactions, [])

    // the next transaction commits, from a new sequence run of the same epoch
    await addPartitions(client, tx, [{ name: 'txn', partitions: [0, 1] }])
    const t2 = txnBatch(tx, 2, ['committed'])
    assert.equal((await produce(client, 'txn', 0, t2, 'tx-visibility')).errorCode, ErrorCode.NONE)
    assert.equal(await endTxn(client, tx, true, 1), ErrorCode.NONE)
    assert.equal(await endTxn(client, tx, true, 1), ErrorCode.NONE, 'a retried commit')
    assert.equal(await endTxn(client, tx, false), ErrorCode.INVALID_TXN_STATE)
    const after = await fetch(client, 'txn', 0, 0, READ_COMMITTED)
    assert.deepEqual(committedView(after), ['before', 'plain-during', 'committed'])
    // partition 1 got nothing: no marker there either
    assert.equal(brokerInternals(broker).topics.partition('txn', 1)!.logEndOffset, 0)
  })

  test('transactional writes outside the transaction are refused (INVALID_TXN_STATE)', async () => {
    const tx = await initTransactions(client, 'tx-verify')
    const { producerId, producerEpoch } = tx
    const batch = () => txnBatch(tx, 0, ['v'])
    assert.equal(
      (await produce(client, 'txn', 1, batch(), 'tx-verify')).errorCode,
      ErrorCode.INVALID_TXN_STATE,
    )
    await addPartitions(client, tx, [{ name: 'txn', partitions: [0] }])
    assert.equal(
      (await produce(client, 'txn', 1, batch(), 'tx-verify')).errorCode,
      ErrorCode.INVALID_TXN_STATE,
    )
    assert.equal((await produce(client, 'txn', 1, batch(), null)).errorCode, ErrorCode.INVALID_TXN_STATE)
    assert.equal((await produce(client, 'txn', 0, batch(), 'tx-verify')).errorCode, ErrorCode.NONE)
    const plain = makeBatch({ producerId, producerEpoch, baseSequence: 1, values: ['p'] })
    assert.equal((await produce(client, 'txn', 0, plain, 'tx-verify')).errorCode, ErrorCode.INVALID_TXN_STATE)
    assert.deepEqual(
      await addPartitions(client, tx, [
        { name: 'txn', partitions: [1] },
        { name: 'nope', partitions: [0] },
      ]),
      [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    )
    assert.equal(await endTxn(client, tx, false), ErrorCode.NONE)
    assert.equal(
      await endTxn(client, { ...tx, transactionalId: 'tx-unknown' }, false),
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    )
  })

  test('a second producer with the same transactional id fences the first and aborts its transaction', async () => {
    const first = await initTransactions(client, 'tx-fence')
    await addPartitions(client, first, [{ name: 'fence', partitions: [0] }])
    const zombie = (seq: number) => txnBatch(first, seq, [`z${seq}`])
    assert.equal((await produce(client, 'fence', 0, zombie(0), 'tx-fence')).errorCode, ErrorCode.NONE)
    assert.equal((await fetch(client, 'fence', 0, 0, READ_COMMITTED)).lastStableOffset, 0)

    const raw = await initProducerId(client, 'tx-fence')
    assert.equal(
      raw.errorCode,
      ErrorCode.CONCURRENT_TRANSACTIONS,
      'Kafka aborts the open transaction first and asks for a retry',
    )
    const second = await initTransactions(client, 'tx-fence')
    assert.equal(second.producerId, first.producerId)
    assert.equal(second.producerEpoch, first.producerEpoch + 2)

    // the zombie's transaction was aborted: the partition is stable again and the data hidden
    const f = await fetch(client, 'fence', 0, 0, READ_COMMITTED)
    assert.equal(f.lastStableOffset, f.highWatermark)
    assert.deepEqual(committedView(f), [])
    assert.deepEqual(f.abortedTransactions, [{ producerId: first.producerId, firstOffset: 0 }])
    // and everything it sends now is refused
    assert.equal(
      (await produce(client, 'fence', 0, zombie(1), 'tx-fence')).errorCode,
      ErrorCode.INVALID_PRODUCER_EPOCH,
    )
    assert.equal(
      (await produce(client, 'fence', 1, zombie(0), 'tx-fence')).errorCode,
      ErrorCode.INVALID_PRODUCER_EPOCH,
    )
    assert.equal(await endTxn(client, first, true, 1), ErrorCode.INVALID_PRODUCER_EPOCH)
    assert.equal(await endTxn(client, first, true, 3), ErrorCode.PRODUCER_FENCED)
    assert.deepEqual(await addPartitions(client, first, [{ name: 'fence', partitions: [1] }], 1), [
      ErrorCode.INVALID_PRODUCER_EPOCH,
    ])
    assert.deepEqual(await addPartitions(client, first, [{ name: 'fence', partitions: [1] }], 2), [
      ErrorCode.PRODUCER_FENCED,
    ])
    const v3 = await initProducerId(client, 'tx-fence', 60_000, 3, {
      producerId: first.producerId,
      producerEpoch: first.producerEpoch,
    })
    assert.equal(v3.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
    const v4 = await initProducerId(client, 'tx-fence', 60_000, 4, {
      producerId: first.producerId,
      producerEpoch: first.producerEpoch,
    })
    assert.equal(v4.errorCode, ErrorCode.PRODUCER_FENCED)
    // the new producer works
    await addPartitions(client, second, [{ name: 'fence', partitions: [0] }])
    const ok = txnBatch(second, 0, ['new'])
    assert.equal((await produce(client, 'fence', 0, ok, 'tx-fence')).errorCode, ErrorCode.NONE)
    assert.equal(await endTxn(client, second, true), ErrorCode.NONE)
    assert.deepEqual(committedView(await fetch(client, 'fence', 0, 0, READ_COMMITTED)), ['new'])
  })

  test('offsets committed in a transaction become visible only when it commits', async () => {
    const g = 'g-txn-offsets'
    const tx = await initTransactions(client, 'tx-offsets')
    // a plain commit first
    const plain = await client.request(8, 8, offsetCommit(g, ADMIN, { 'offsets-in': [offset(0, 3n)] }))
    assert.equal(plain.topics[0].partitions[0].errorCode, ErrorCode.NONE)
    await addPartitions(client, tx, [{ name: 'offsets-in', partitions: [1] }])
    assert.equal(
      await txnOffsetCommit(client, tx, g, 'offsets-in', 0, 10n),
      ErrorCode.INVALID_TXN_STATE,
      'the group must be added with AddOffsetsToTxn first',
    )
    assert.equal(await addOffsets(client, tx, g), ErrorCode.NONE)
    assert.equal(await txnOffsetCommit(client, tx, g, 'offsets-in', 0, 10n), ErrorCode.NONE)
    assert.equal(
      await txnOffsetCommit(client, { ...tx, producerEpoch: tx.producerEpoch + 1 }, g, 'offsets-in', 0, 11n),
      ErrorCode.INVALID_PRODUCER_EPOCH,
    )
    assert.deepEqual(await fetchCommitted(client, g, 'offsets-in', 0, false), { errorCode: 0, offset: 3n })
    assert.deepEqual(await fetchCommitted(client, g, 'offsets-in', 0, true), {
      errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT,
      offset: -1n,
    })
    assert.equal(await endTxn(client, tx, true), ErrorCode.NONE)
    assert.deepEqual(await fetchCommitted(client, g, 'offsets-in', 0, true), { errorCode: 0, offset: 10n })

    // an aborted transaction's offsets never show
    await addOffsets(client, tx, g)
    await txnOffsetCommit(client, tx, g, 'offsets-in', 0, 20n)
    assert.equal(await endTxn(client, tx, false), ErrorCode.NONE)
    assert.deepEqual(await fetchCommitted(client, g, 'offsets-in', 0, true), { errorCode: 0, offset: 10n })
  })

  test('a transaction left open past its timeout is aborted by the broker and consumers move on', async () => {
    // Long enough that the transaction is surely still open at the first fetch below (two
    // produces with fsyncs before it took 255 ms on a loaded machine), short enough to wait for.
    const timeoutMs = 2000
    const tx = await initTransactions(client, 'tx-timeout', timeoutMs)
    const { producerEpoch } = tx
    await addPartitions(client, tx, [{ name: 'timeout', partitions: [0] }])
    const b = txnBatch(tx, 0, ['never'])
    assert.equal((await produce(client, 'timeout', 0, b, 'tx-timeout')).errorCode, ErrorCode.NONE)
    await produce(client, 'timeout', 0, plainBatch(['after']))
    assert.deepEqual(committedView(await fetch(client, 'timeout', 0, 0, READ_COMMITTED)), [])
    const deadline = Date.now() + timeoutMs + 20_000
    while (brokerInternals(broker).transactions.transaction('tx-timeout')?.state !== 'CompleteAbort') {
      assert.ok(
        Date.now() < deadline,
        `the broker did not abort the transaction within ${timeoutMs} ms + 20 s`,
      )
      await sleep(50)
    }
    const f = await fetch(client, 'timeout', 0, 0, READ_COMMITTED)
    assert.equal(f.lastStableOffset, f.highWatermark)
    assert.deepEqual(committedView(f), ['after'])
    // the producer was fenced by the epoch bump
    assert.equal(
      brokerInternals(broker).transactions.transaction('tx-timeout')?.producerEpoch,
      producerEpoch + 1,
    )
    assert.equal(await endTxn(client, tx, true), ErrorCode.PRODUCER_FENCED)
  })

  test('DescribeTransactions, ListTransactions and DescribeProducers', async () => {
    const tx = await initTransactions(client, 'tx-tools')
    const { producerId, producerEpoch } = tx
    await addPartitions(client, tx, [{ name: 'tools', partitions: [1, 0] }])
    const b = txnBatch(tx, 0, ['a', 'b'])
    await produce(client, 'tools', 1, plainBatch(['p']))
    await produce(client, 'tools', 1, b, 'tx-tools')
    const d = await client.request(65, 0, { transactionalIds: ['tx-tools', 'nope', ''] })
    const [tools, nope, empty] = d.transactionStates
    assert.equal(tools.errorCode, ErrorCode.NONE)
    assert.equal(tools.transactionState, 'Ongoing')
    assert.equal(tools.producerId, producerId)
    assert.deepEqual(tools.topics, [{ topic: 'tools', partitions: [0, 1] }])
    assert.ok(tools.transactionStartTimeMs > 0n)
    assert.equal(nope.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND)
    assert.equal(empty.errorCode, ErrorCode.INVALID_REQUEST)

    const l = await client.request(66, 1, {
      stateFilters: ['Ongoing', 'Bogus'],
      producerIdFilters: [],
      durationFilter: -1n,
    })
    assert.deepEqual(l.unknownStateFilters, ['Bogus'])
    assert.deepEqual(
      l.transactionStates.map((t) => [t.transactionalId, t.transactionState]),
      [['tx-tools', 'Ongoing']],
    )
    const byPid = await client.request(66, 0, { stateFilters: [], producerIdFilters: [producerId] })
    assert.deepEqual(
      byPid.transactionStates.map((t) => t.transactionalId),
      ['tx-tools'],
    )

    const p = await client.request(61, 0, { topics: [{ name: 'tools', partitionIndexes: [1, 7] }] })
    const [one, missing] = p.topics[0].partitions
    assert.equal(one.errorCode, ErrorCode.NONE)
    assert.deepEqual(
      one.activeProducers.map((a) => [
        a.producerId,
        a.producerEpoch,
        a.lastSequence,
        a.currentTxnStartOffset,
      ]),
      [[producerId, producerEpoch, 1, 1n]],
    )
    assert.equal(missing.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    assert.equal(await endTxn(client, tx, true), ErrorCode.NONE)
  })
})

describe('transactions across a restart', () => {
  let dataDir: string
  before(async () => {
    dataDir = await makeTempDir('txn-restart')
  })
  after(async () => {
    await removeDir(dataDir)
  })

  test('producer state, open transactions, pending offsets and producer ids survive a restart', async () => {
    const options = { port: 0, dataDir, logLevel: 'silent' as const, brokerConfigs: TXN_TEST_CONFIGS }
    let running = await startBroker(options)
    let c = await WireClient.connect(running.port)
    const g = 'g-restart'
    let idem: bigint
    let tx: TxnProducer
    let retried: Buffer
    try {
      assert.ok(
        (await brokerInternals(running).topics.create({ name: 'r', numPartitions: 1, replicationFactor: -1 }))
          .ok,
      )
      idem = (await initProducerId(c, null)).producerId
      retried = makeBatch({ producerId: idem, producerEpoch: 0, baseSequence: 0, values: ['i0', 'i1'] })
      assert.equal((await produce(c, 'r', 0, Buffer.from(retried))).baseOffset, 0)
      tx = await initTransactions(c, 'tx-restart')
      await addPartitions(c, tx, [{ name: 'r', partitions: [0] }])
      await addOffsets(c, tx, g)
      const t = txnBatch(tx, 0, ['t0'])
      assert.equal((await produce(c, 'r', 0, t, 'tx-restart')).baseOffset, 2)
      assert.equal(await txnOffsetCommit(c, tx, g, 'r', 0, 2n), ErrorCode.NONE)
    } finally {
      c.close()
      await running.close()
    }
    running = await startBroker(options)
    c = await WireClient.connect(running.port)
    try {
      // the retry of the idempotent batch is still recognized
      assert.deepEqual(await produce(c, 'r', 0, Buffer.from(retried)), {
        errorCode: 0,
        baseOffset: 0,
        errorMessage: null,
      })
      // the transaction is still open, its offsets still pending
      assert.equal((await fetch(c, 'r', 0, 0, READ_COMMITTED)).lastStableOffset, 2)
      assert.equal((await fetchCommitted(c, g, 'r', 0, true)).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT)
      assert.equal(await endTxn(c, tx, true), ErrorCode.NONE)
      const f = await fetch(c, 'r', 0, 0, READ_COMMITTED)
      assert.deepEqual(committedView(f), ['i0', 'i1', 't0'])
      assert.deepEqual(await fetchCommitted(c, g, 'r', 0, true), { errorCode: 0, offset: 2n })
      // producer ids never repeat
      const fresh = await initProducerId(c, null)
      assert.ok(fresh.producerId > idem && fresh.producerId > tx.producerId)
    } finally {
      c.close()
      await running.close()
    }
  })

  test('after a crash, producer state comes back from the last snapshot plus the log after it', async () => {
    const options = {
      port: 0,
      dataDir,
      logLevel: 'silent' as const,
      brokerConfigs: { ...TXN_TEST_CONFIGS, 'runnel.producer.state.snapshot.interval.ms': '3600000' },
    }
    const crashed = await makeTempDir('txn-crash-image')
    let running = await startBroker(options)
    let c = await WireClient.connect(running.port)
    let pid: bigint
    let tx: TxnProducer
    let late: Buffer
    let topicId = ''
    try {
      assert.ok(
        (
          await brokerInternals(running).topics.create({
            name: 'crash',
            numPartitions: 1,
            replicationFactor: -1,
          })
        ).ok,
      )
      topicId = brokerInternals(running).topics.get('crash')!.topicId
      pid = (await initProducerId(c, null)).producerId
      await produce(
        c,
        'crash',
        0,
        makeBatch({ producerId: pid, producerEpoch: 0, baseSequence: 0, values: ['a', 'b'] }),
      )
      await brokerInternals(running).producers.snapshotNow()
      // after the snapshot: a batch whose answer the client will "lose", an aborted and an open transaction
      late = makeBatch({ producerId: pid, producerEpoch: 0, baseSequence: 2, values: ['c'] })
      assert.equal((await produce(c, 'crash', 0, Buffer.from(late))).baseOffset, 2)
      tx = await initTransactions(c, 'tx-crash')
      await addPartitions(c, tx, [{ name: 'crash', partitions: [0] }])
      const t1 = txnBatch(tx, 0, ['x'])
      assert.equal((await produce(c, 'crash', 0, t1, 'tx-crash')).baseOffset, 3)
      assert.equal(await endTxn(c, tx, false), ErrorCode.NONE)
      await addPartitions(c, tx, [{ name: 'crash', partitions: [0] }])
      const t2 = txnBatch(tx, 1, ['y'])
      assert.equal((await produce(c, 'crash', 0, t2, 'tx-crash')).baseOffset, 5)
      // a crash image: the files as they are now, with no clean shutdown
      await cp(dataDir, crashed, { recursive: true })
    } finally {
      c.close()
      await running.close()
    }
    // the image holds the snapshot taken at offset 2, not a later one
    const snapshots = (await readdir(join(crashed, '__producer_state'))).filter((n) =>
      n.startsWith(`${topicId}-0-`),
    )
    assert.deepEqual(snapshots, [snapshotFileName(topicId, 0, 2)])
    running = await startBroker({ ...options, dataDir: crashed })
    c = await WireClient.connect(running.port)
    try {
      assert.deepEqual(await produce(c, 'crash', 0, Buffer.from(late)), {
        errorCode: 0,
        baseOffset: 2,
        errorMessage: null,
      })
      const f = await fetch(c, 'crash', 0, 0, READ_COMMITTED)
      assert.equal(f.lastStableOffset, 5, 'the open transaction still holds the last stable offset')
      assert.deepEqual(f.abortedTransactions, [{ producerId: tx.producerId, firstOffset: 3 }])
      assert.deepEqual(committedView(f), ['a', 'b', 'c'])
      assert.equal(await endTxn(c, tx, true), ErrorCode.NONE)
      assert.deepEqual(committedView(await fetch(c, 'crash', 0, 0, READ_COMMITTED)), ['a', 'b', 'c', 'y'])
    } finally {
      c.close()
      await running.close()
      await removeDir(crashed)
    }
  })
})
