// PartitionProducerState, given/when/then with no I/O: Kafka's duplicate, epoch, sequence and
// transaction rules for one partition, the last stable offset and the aborted-transaction index.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ErrorCode } from '@runnel/protocol'
import {
  decodeSnapshot,
  encodeSnapshot,
  parseSnapshotFileName,
  snapshotFileName,
} from '../../src/txn/producer-snapshot.ts'
import { type BatchFacts, lastSequenceOf, PartitionProducerState } from '../../src/txn/producer-state.ts'

const PID = 7n

function batch(baseSequence: number, records: number, extra: Partial<BatchFacts> = {}): BatchFacts {
  return {
    producerId: PID,
    producerEpoch: 0,
    baseSequence,
    lastOffsetDelta: records - 1,
    maxTimestamp: 1_000,
    isTransactional: false,
    ...extra,
  }
}

/** Given these batches appended in order from offset `from`, returns the state and the next offset. */
function given(batches: BatchFacts[], from = 0): { state: PartitionProducerState; next: number } {
  const state = new PartitionProducerState()
  let next = from
  for (const b of batches) {
    assert.equal(state.check(b, 'client').kind, 'append')
    state.applyData(b, next)
    next += b.lastOffsetDelta + 1
  }
  return { state, next }
}

function refusedWith(state: PartitionProducerState, b: BatchFacts): number {
  const r = state.check(b, 'client')
  assert.equal(r.kind, 'refused', JSON.stringify(r))
  return r.kind === 'refused' ? r.errorCode : -1
}

describe('idempotent producer rules', () => {
  test('a producer the partition does not know may start at any sequence (Kafka 3.x)', () => {
    const { state } = given([])
    assert.equal(state.check(batch(42, 3), 'client').kind, 'append')
  })

  test('the next batch in sequence is appended; a gap is OUT_OF_ORDER_SEQUENCE_NUMBER', () => {
    const { state } = given([batch(0, 10), batch(10, 5)])
    assert.equal(state.check(batch(15, 1), 'client').kind, 'append')
    assert.equal(refusedWith(state, batch(16, 1)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    assert.equal(refusedWith(state, batch(3, 2)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  })

  test('a retry of one of the last five batches is a duplicate with its original offsets', () => {
    const batches = [0, 1, 2, 3, 4, 5].map((i) => batch(i * 10, 10))
    const { state } = given(batches, 100)
    // batch 0 (seq 0-9) has left the window of five
    assert.equal(refusedWith(state, batch(0, 10)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
    for (let i = 1; i <= 5; i++) {
      assert.deepEqual(state.check(batch(i * 10, 10), 'client'), {
        kind: 'duplicate',
        firstOffset: 100 + i * 10,
        lastOffset: 100 + i * 10 + 9,
      })
    }
    // same first sequence, different length: not the same batch
    assert.equal(refusedWith(state, batch(50, 3)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
  })

  test('a stale epoch is INVALID_PRODUCER_EPOCH; a new epoch must start at sequence 0', () => {
    const { state } = given([batch(0, 5, { producerEpoch: 3 })])
    assert.equal(refusedWith(state, batch(5, 1, { producerEpoch: 2 })), ErrorCode.INVALID_PRODUCER_EPOCH)
    assert.equal(
      refusedWith(state, batch(5, 1, { producerEpoch: 4 })),
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    )
    assert.equal(state.check(batch(0, 1, { producerEpoch: 4 }), 'client').kind, 'append')
  })

  test('a bumped epoch forgets the old batches: their retry is no longer a duplicate', () => {
    const { state, next } = given([batch(0, 5)])
    state.applyData(batch(0, 2, { producerEpoch: 1 }), next)
    assert.equal(refusedWith(state, batch(0, 5)), ErrorCode.INVALID_PRODUCER_EPOCH)
    assert.deepEqual(state.check(batch(0, 2, { producerEpoch: 1 }), 'client'), {
      kind: 'duplicate',
      firstOffset: next,
      lastOffset: next + 1,
    })
  })

  test('sequences wrap after Int32.MAX to 0', () => {
    const max = 0x7fffffff
    assert.equal(lastSequenceOf(max - 1, 3), 1)
    const { state } = given([batch(max - 4, 5)])
    assert.equal(state.check(batch(0, 1), 'client').kind, 'append')
  })

  test('the coordinator origin checks the epoch only', () => {
    const { state } = given([batch(0, 5, { producerEpoch: 2 })])
    assert.equal(state.check(batch(99, 1, { producerEpoch: 2 }), 'coordinator').kind, 'append')
    const r = state.check(batch(99, 1, { producerEpoch: 1 }), 'coordinator')
    assert.equal(r.kind === 'refused' && r.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
  })

  test('batches without a producer id are never checked, unless they claim to be transactional', () => {
    const state = new PartitionProducerState()
    assert.equal(state.check(batch(-1, 3, { producerId: -1n, producerEpoch: -1 }), 'client').kind, 'append')
    const r = state.check(
      batch(-1, 3, { producerId: -1n, producerEpoch: -1, isTransactional: true }),
      'client',
    )
    assert.equal(r.kind === 'refused' && r.errorCode, ErrorCode.INVALID_RECORD)
  })
})

describe('transactions in a partition', () => {
  test('given an open transaction, the last stable offset is its first offset until its marker', () => {
    const state = new PartitionProducerState()
    state.applyData(batch(0, 3, { producerId: 1n }), 0) // plain, offsets 0-2
    state.applyData(batch(0, 2, { producerId: 2n, isTransactional: true }), 3) // txn of 2 starts at 3
    state.applyData(batch(0, 2, { producerId: 3n, isTransactional: true }), 5) // txn of 3 starts at 5
    assert.equal(state.firstUnstableOffset(), 3)
    state.applyMarker(2n, 0, 0, true, 7, 2_000)
    assert.equal(state.firstUnstableOffset(), 5)
    state.applyMarker(3n, 0, 0, false, 8, 2_000)
    assert.equal(state.firstUnstableOffset(), undefined)
    assert.deepEqual(state.abortedTransactions(0, 100), [
      { producerId: 3n, firstOffset: 5, lastOffset: 8, lastStableOffset: 9 },
    ])
  })

  test('a plain write while the producer has a transaction open is INVALID_TXN_STATE', () => {
    const { state } = given([batch(0, 2, { isTransactional: true })])
    assert.equal(refusedWith(state, batch(2, 1)), ErrorCode.INVALID_TXN_STATE)
    assert.equal(state.check(batch(2, 1, { isTransactional: true }), 'client').kind, 'append')
  })

  test('a marker with a bumped epoch fences the old epoch in this partition', () => {
    const { state, next } = given([batch(0, 2, { isTransactional: true })])
    state.applyMarker(PID, 1, 0, false, next, 2_000)
    assert.equal(refusedWith(state, batch(2, 1, { isTransactional: true })), ErrorCode.INVALID_PRODUCER_EPOCH)
  })

  test('the aborted index answers the transactions overlapping a fetched range', () => {
    const state = new PartitionProducerState()
    // aborted transactions at [10..20], [30..31], [40..90] (markers at the last offsets)
    for (const [first, last] of [
      [10, 20],
      [30, 31],
      [40, 90],
    ]) {
      const pid = BigInt(first)
      state.applyData(batch(0, 1, { producerId: pid, isTransactional: true }), first)
      state.applyMarker(pid, 0, 0, false, last, 0)
    }
    const firsts = (from: number, to: number) => state.abortedTransactions(from, to).map((t) => t.firstOffset)
    assert.deepEqual(firsts(0, 10), [], 'ends before the first transaction starts')
    assert.deepEqual(firsts(0, 11), [10])
    assert.deepEqual(firsts(21, 35), [30], 'the marker of [10..20] is before the fetch offset')
    assert.deepEqual(firsts(20, 35), [10, 30])
    assert.deepEqual(firsts(50, 60), [40], 'a long transaction still overlaps')
    assert.deepEqual(firsts(91, 200), [])
    assert.equal(state.trimBefore(25), 1)
    assert.deepEqual(firsts(0, 100), [30, 40])
  })

  test('producers expire after producer.id.expiration.ms unless a transaction is open', () => {
    const state = new PartitionProducerState()
    state.applyData(batch(0, 1, { producerId: 1n, maxTimestamp: 0 }), 0)
    state.applyData(batch(0, 1, { producerId: 2n, maxTimestamp: 0, isTransactional: true }), 1)
    state.applyData(batch(0, 1, { producerId: 3n, maxTimestamp: 900 }), 2)
    assert.equal(state.expireProducers(1_000, 500), 1)
    assert.deepEqual([...state.producers.keys()], [2n, 3n])
  })

  test('a snapshot restores producers, open transactions and the aborted index', () => {
    const state = new PartitionProducerState()
    state.applyData(batch(0, 4, { producerId: 1n }), 0)
    state.applyData(batch(0, 1, { producerId: 2n, isTransactional: true }), 4)
    state.applyMarker(2n, 0, 0, false, 5, 10)
    state.applyData(batch(1, 1, { producerId: 2n, isTransactional: true }), 6)
    const decoded = decodeSnapshot(encodeSnapshot(7, state.toSnapshot()))
    assert.equal(decoded.offset, 7)
    const copy = PartitionProducerState.fromSnapshot(decoded.snapshot)
    assert.equal(copy.firstUnstableOffset(), 6)
    assert.deepEqual(copy.abortedTransactions(0, 10), state.abortedTransactions(0, 10))
    assert.deepEqual(copy.check(batch(0, 4, { producerId: 1n }), 'client'), {
      kind: 'duplicate',
      firstOffset: 0,
      lastOffset: 3,
    })
  })

  test('snapshot files are named by topic id, partition and offset', () => {
    const id = '3f2b6c1e-9a4d-4e8f-b1c2-0d9e8f7a6b5c'
    const name = snapshotFileName(id, 12, 4182)
    assert.equal(name, `${id}-12-00000000000000004182.snapshot`)
    assert.deepEqual(parseSnapshotFileName(name), { topicId: id, partition: 12, offset: 4182 })
    assert.equal(parseSnapshotFileName('producer-ids.json'), undefined)
  })
})
