// The transaction coordinator's decisions, given/when/then with no I/O (Kafka 3.9's
// TransactionCoordinator / TransactionMetadata rules), and `__transaction_state` records in
// Kafka's format.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ErrorCode, Writer } from '@runnel/protocol'
import { decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue } from '../../src/txn/transaction-log.ts'
import {
  completed,
  type Decision,
  decideAddPartitions,
  decideEndTxn,
  decideInitProducerId,
  fenced,
  isExpired,
  isTimedOut,
  newTxnMetadata,
  type TxnMetadata,
  TxnState,
  verifyPartition,
} from '../../src/txn/transaction-metadata.ts'

const NOW = 1_700_000_000_000
const T0 = [{ topic: 'orders', partition: 0 }]

function nextOf(d: Decision): TxnMetadata {
  assert.ok(
    d.kind === 'write' || d.kind === 'fence',
    `expected a write, got ${JSON.stringify(d, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
  )
  return d.next
}
const errorOf = (d: Decision): number => (d.kind === 'error' ? d.errorCode : -1)

/** Given a transactional id initialized once (producer id 5, epoch 0). */
function initialized(): TxnMetadata {
  return nextOf(
    decideInitProducerId(
      newTxnMetadata('tx', 5n, 60_000, NOW),
      { timeoutMs: 60_000, expected: null, now: NOW },
      () => 99n,
    ),
  )
}

function ongoing(): TxnMetadata {
  return nextOf(decideAddPartitions(initialized(), 5n, 0, T0, NOW + 1))
}

describe('InitProducerId', () => {
  test('a new transactional id gets epoch 0; each init bumps it', () => {
    const first = initialized()
    assert.equal(first.producerId, 5n)
    assert.equal(first.producerEpoch, 0)
    assert.equal(first.state, TxnState.Empty)
    const again = nextOf(
      decideInitProducerId(first, { timeoutMs: 1000, expected: null, now: NOW }, () => 99n),
    )
    assert.equal(again.producerEpoch, 1)
    assert.equal(again.txnTimeoutMs, 1000)
  })

  test('with a transaction ongoing, the epoch is bumped, the transaction aborted, and the client told to retry', () => {
    const d = decideInitProducerId(ongoing(), { timeoutMs: 60_000, expected: null, now: NOW + 2 }, () => 99n)
    assert.equal(d.kind, 'fence')
    const next = nextOf(d)
    assert.equal(next.state, TxnState.PrepareAbort)
    assert.equal(next.producerEpoch, 1)
    const done = completed(next, NOW + 3)
    assert.equal(done.state, TxnState.CompleteAbort)
    // the retry bumps once more
    assert.equal(
      nextOf(decideInitProducerId(done, { timeoutMs: 60_000, expected: null, now: NOW + 4 }, () => 99n))
        .producerEpoch,
      2,
    )
  })

  test('v3+: the current producer bumps its own epoch; a retry of that bump gets the same epoch; others are fenced', () => {
    const m = initialized()
    const bumped = nextOf(
      decideInitProducerId(
        m,
        { timeoutMs: 60_000, expected: { producerId: 5n, producerEpoch: 0 }, now: NOW },
        () => 99n,
      ),
    )
    assert.equal(bumped.producerEpoch, 1)
    assert.equal(bumped.lastProducerEpoch, 0)
    const retry = nextOf(
      decideInitProducerId(
        bumped,
        { timeoutMs: 60_000, expected: { producerId: 5n, producerEpoch: 0 }, now: NOW },
        () => 99n,
      ),
    )
    assert.equal(retry.producerEpoch, 1)
    const stale = decideInitProducerId(
      retry,
      { timeoutMs: 60_000, expected: { producerId: 4n, producerEpoch: 0 }, now: NOW },
      () => 99n,
    )
    assert.equal(errorOf(stale), ErrorCode.PRODUCER_FENCED)
    const fencedOut = nextOf(
      decideInitProducerId(bumped, { timeoutMs: 60_000, expected: null, now: NOW }, () => 99n),
    )
    const old = decideInitProducerId(
      fencedOut,
      { timeoutMs: 60_000, expected: { producerId: 5n, producerEpoch: 0 }, now: NOW },
      () => 99n,
    )
    assert.equal(errorOf(old), ErrorCode.PRODUCER_FENCED)
  })

  test('an exhausted epoch rotates to a new producer id', () => {
    const m = { ...initialized(), producerEpoch: 32766 }
    const next = nextOf(decideInitProducerId(m, { timeoutMs: 60_000, expected: null, now: NOW }, () => 99n))
    assert.equal(next.producerId, 99n)
    assert.equal(next.producerEpoch, 0)
    assert.equal(next.lastProducerId, 5n)
  })

  test('while markers are being written the client must retry', () => {
    const preparing = nextOf(decideEndTxn(ongoing(), 5n, 0, true, NOW))
    assert.equal(
      errorOf(decideInitProducerId(preparing, { timeoutMs: 1, expected: null, now: NOW }, () => 99n)),
      ErrorCode.CONCURRENT_TRANSACTIONS,
    )
  })
})

describe('AddPartitionsToTxn and EndTxn', () => {
  test('the first partition starts the transaction and its clock; more partitions keep it', () => {
    const m = ongoing()
    assert.equal(m.state, TxnState.Ongoing)
    assert.equal(m.txnStartTimestamp, NOW + 1)
    const more = nextOf(decideAddPartitions(m, 5n, 0, [{ topic: 'audit', partition: 3 }, ...T0], NOW + 9))
    assert.deepEqual(more.partitions, [
      { topic: 'audit', partition: 3 },
      { topic: 'orders', partition: 0 },
    ])
    assert.equal(more.txnStartTimestamp, NOW + 1)
    assert.deepEqual(decideAddPartitions(more, 5n, 0, T0, NOW + 10), { kind: 'none' })
  })

  test('unknown ids and producer ids are INVALID_PRODUCER_ID_MAPPING; other epochs PRODUCER_FENCED', () => {
    assert.equal(
      errorOf(decideAddPartitions(undefined, 5n, 0, T0, NOW)),
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    )
    assert.equal(
      errorOf(decideAddPartitions(initialized(), 6n, 0, T0, NOW)),
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    )
    assert.equal(errorOf(decideAddPartitions(initialized(), 5n, 1, T0, NOW)), ErrorCode.PRODUCER_FENCED)
    assert.equal(errorOf(decideEndTxn(ongoing(), 5n, 3, true, NOW)), ErrorCode.PRODUCER_FENCED)
  })

  test('EndTxn prepares the outcome; retries of a decided outcome are NONE, the opposite INVALID_TXN_STATE', () => {
    const prepared = nextOf(decideEndTxn(ongoing(), 5n, 0, true, NOW))
    assert.equal(prepared.state, TxnState.PrepareCommit)
    assert.equal(errorOf(decideEndTxn(prepared, 5n, 0, true, NOW)), ErrorCode.CONCURRENT_TRANSACTIONS)
    assert.equal(errorOf(decideEndTxn(prepared, 5n, 0, false, NOW)), ErrorCode.INVALID_TXN_STATE)
    const done = completed(prepared, NOW)
    assert.equal(done.state, TxnState.CompleteCommit)
    assert.deepEqual(done.partitions, [])
    assert.deepEqual(decideEndTxn(done, 5n, 0, true, NOW), { kind: 'none' })
    assert.equal(errorOf(decideEndTxn(done, 5n, 0, false, NOW)), ErrorCode.INVALID_TXN_STATE)
    assert.equal(errorOf(decideEndTxn(initialized(), 5n, 0, false, NOW)), ErrorCode.INVALID_TXN_STATE)
    // a new transaction after a completed one starts a new clock
    assert.equal(nextOf(decideAddPartitions(done, 5n, 0, T0, NOW + 50)).txnStartTimestamp, NOW + 50)
  })
})

describe('timeouts, expiry and produce verification', () => {
  test('an Ongoing transaction past its timeout is aborted under a bumped epoch', () => {
    const m = ongoing()
    assert.equal(isTimedOut(m, NOW + 1 + 60_000), false)
    assert.equal(isTimedOut(m, NOW + 2 + 60_000), true)
    const f = fenced(m, NOW + 60_002)
    assert.equal(f.state, TxnState.PrepareAbort)
    assert.equal(f.producerEpoch, 1)
    assert.equal(errorOf(decideEndTxn(completed(f, NOW), 5n, 0, true, NOW)), ErrorCode.PRODUCER_FENCED)
  })

  test('idle transactional ids expire; open ones never', () => {
    assert.equal(isExpired(initialized(), NOW + 10, 10), true)
    assert.equal(isExpired(ongoing(), NOW + 1_000_000, 10), false)
  })

  test('a transactional batch must come from the current producer with its partition added', () => {
    const m = ongoing()
    assert.equal(verifyPartition(m, 5n, 0, 'orders', 0).errorCode, ErrorCode.NONE)
    assert.equal(verifyPartition(m, 5n, 0, 'orders', 1).errorCode, ErrorCode.INVALID_TXN_STATE)
    assert.equal(verifyPartition(undefined, 5n, 0, 'orders', 0).errorCode, ErrorCode.INVALID_TXN_STATE)
    const bumped = { ...m, producerEpoch: 1 }
    assert.equal(verifyPartition(bumped, 5n, 0, 'orders', 0).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
  })
})

describe('__transaction_state records', () => {
  test('key and value round trip in Kafka format v0', () => {
    const m = nextOf(decideAddPartitions(ongoing(), 5n, 0, [{ topic: 'audit', partition: 2 }], NOW + 5))
    const key = encodeTxnKey('tx')
    assert.deepEqual([...key], [0, 0, 0, 2, 0x74, 0x78])
    assert.equal(decodeTxnKey(key), 'tx')
    const back = decodeTxnValue('tx', encodeTxnValue(m))
    assert.deepEqual({ ...back, lastProducerEpoch: m.lastProducerEpoch, lastProducerId: m.lastProducerId }, m)
    // Empty writes a null partition list
    const empty = encodeTxnValue(initialized())
    assert.equal(empty.readInt32BE(2 + 8 + 2 + 4 + 1), -1)
  })

  test('a value written by Kafka (v0, hand-assembled) decodes', () => {
    const w = new Writer(64)
      .int16(0)
      .int64(42n)
      .int16(3)
      .int32(15000)
      .int8(2) // PrepareCommit
      .int32(1)
      .nullableString('payments')
      .int32(2)
      .int32(0)
      .int32(4)
      .int64(1234n)
      .int64(1200n)
    const m = decodeTxnValue('pay', w.toBuffer())
    assert.equal(m.state, TxnState.PrepareCommit)
    assert.equal(m.producerId, 42n)
    assert.equal(m.producerEpoch, 3)
    assert.deepEqual(m.partitions, [
      { topic: 'payments', partition: 0 },
      { topic: 'payments', partition: 4 },
    ])
    assert.equal(m.txnStartTimestamp, 1200)
    assert.equal(m.txnLastUpdateTimestamp, 1234)
    assert.throws(() => decodeTxnValue('x', new Writer(8).int16(9).toBuffer()), RangeError)
  })
})
