// WriteTxnMarkers (27), as Admin.abortTransaction sends it: a transaction left open by a
// producer that went away (the last stable offset stuck behind it) is aborted by an ABORT marker
// for its producer id and epoch; an older epoch is refused, a missing partition named.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ErrorCode } from '@runnel/protocol'
import { Kafka, logLevel } from 'kafkajs'
import { startTestBroker, type TestBroker } from '../../src/testing/index.ts'
import { WireClient } from '../helpers/wire-client.ts'

describe('WriteTxnMarkers (Admin.abortTransaction)', () => {
  let broker: TestBroker
  let wire: WireClient

  before(async () => {
    broker = await startTestBroker({ autoCreateTopics: false })
    wire = await WireClient.connect(broker.port)
    await wire.request(19, 5, {
      topics: [{ name: 'hanging', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 5000,
      validateOnly: false,
    })
  })
  after(async () => {
    wire?.close()
    await broker?.close()
  })

  const offsets = async (isolationLevel: number) => {
    const r = await wire.request(2, 7, {
      replicaId: -1,
      isolationLevel,
      topics: [
        { name: 'hanging', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] },
      ],
    })
    return r.topics[0].partitions[0].offset ?? -1n
  }
  const markers = (producerId: bigint, producerEpoch: number, partitions = [0]) =>
    wire.request(27, 1, {
      markers: [
        {
          producerId,
          producerEpoch,
          transactionResult: false,
          coordinatorEpoch: 0,
          topics: [{ name: 'hanging', partitionIndexes: partitions }],
        },
      ],
    })

  it('aborts a transaction its producer left open: the last stable offset moves past it, read_committed sees none of it', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
    const producer = kafka.producer({
      transactionalId: 'gone',
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 600_000,
    })
    await producer.connect()
    const txn = await producer.transaction()
    await txn.send({ topic: 'hanging', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] })
    await producer.disconnect() // without ending the transaction
    assert.equal(await offsets(0), 3n)
    assert.equal(await offsets(1), 0n, 'the open transaction holds the last stable offset')

    const described = await wire.request(61, 0, { topics: [{ name: 'hanging', partitionIndexes: [0] }] })
    const [p] = described.topics[0].partitions[0].activeProducers
    assert.ok(p, 'DescribeProducers names the producer')

    const older = await markers(p.producerId, p.producerEpoch - 1)
    if (p.producerEpoch > 0)
      assert.equal(older.markers[0].topics[0].partitions[0].errorCode, ErrorCode.INVALID_PRODUCER_EPOCH)
    const missing = await markers(p.producerId, p.producerEpoch, [4])
    assert.equal(missing.markers[0].topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)

    const aborted = await markers(p.producerId, p.producerEpoch)
    assert.equal(aborted.markers[0].topics[0].partitions[0].errorCode, ErrorCode.NONE)
    assert.equal(await offsets(0), 4n, 'the ABORT marker took an offset')
    assert.equal(await offsets(1), 4n, 'the last stable offset is the high watermark again')

    const fetched = await wire.request(1, 12, {
      replicaId: -1,
      maxWaitMs: 10,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        { topic: 'hanging', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
      ],
      forgottenTopicsData: [],
      rackId: '',
    })
    const part = fetched.responses[0].partitions[0]
    assert.deepEqual(
      part.abortedTransactions?.map((a) => [a.producerId, a.firstOffset]),
      [[p.producerId, 0n]],
      'read_committed is told to skip the aborted records',
    )
    // Again: nothing open any more, nothing written, NONE.
    const again = await markers(p.producerId, p.producerEpoch)
    assert.equal(again.markers[0].topics[0].partitions[0].errorCode, ErrorCode.NONE)
    assert.equal(await offsets(0), 4n)
  })
})
