// Wire helpers for the transaction tests: produce exactly the batches a test builds (producer
// id, epoch, sequence, transactional bit), fetch with an isolation level and decode what came
// back, and the transaction APIs, all through @runnel/protocol's codec.
import assert from 'node:assert/strict'
import { buildBatch, ErrorCode, iterateBatches, readBatch, readControlRecord } from '@runnel/protocol'
import type { WireClient } from '../helpers/wire-client.ts'

export const READ_UNCOMMITTED = 0
export const READ_COMMITTED = 1

export interface BatchSpec {
  producerId: bigint
  producerEpoch: number
  baseSequence: number
  /** Record values; keys are null. */
  values: string[]
  transactional?: boolean
}

export function makeBatch(spec: BatchSpec): Buffer {
  return buildBatch({
    producerId: spec.producerId,
    producerEpoch: spec.producerEpoch,
    baseSequence: spec.baseSequence,
    transactional: spec.transactional ?? false,
    records: spec.values.map((v) => ({ key: null, value: Buffer.from(v) })),
  })
}

export function plainBatch(values: string[]): Buffer {
  return buildBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) })
}

export async function produce(
  client: WireClient,
  topic: string,
  partition: number,
  batch: Buffer,
  transactionalId: string | null = null,
  version = 9,
): Promise<{ errorCode: number; baseOffset: number; errorMessage: string | null }> {
  const r = await client.request(0, version, {
    transactionalId,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  })
  const p = r.responses[0].partitionResponses[0]
  return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset), errorMessage: p.errorMessage ?? null }
}

export interface FetchedRecord {
  offset: number
  value: string
  producerId: bigint
  transactional: boolean
}

export interface Fetched {
  errorCode: number
  highWatermark: number
  lastStableOffset: number
  abortedTransactions: { producerId: bigint; firstOffset: number }[] | null
  /** Data records in offset order. */
  records: FetchedRecord[]
  /** Control markers: offset, producer id and COMMIT/ABORT. */
  markers: { offset: number; producerId: bigint; type: string }[]
  /** The last offset of the last batch returned, -1 when none. */
  lastOffset: number
}

export async function fetch(
  client: WireClient,
  topic: string,
  partition: number,
  fetchOffset: number,
  isolationLevel: number,
  version = 11,
): Promise<Fetched> {
  const r = await client.request(1, version, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 10 * 1024 * 1024,
    isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [{ partition, fetchOffset: BigInt(fetchOffset), partitionMaxBytes: 10 * 1024 * 1024 }],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  })
  const p = r.responses[0].partitions[0]
  const out: Fetched = {
    errorCode: p.errorCode,
    highWatermark: Number(p.highWatermark),
    lastStableOffset: Number(p.lastStableOffset),
    abortedTransactions:
      p.abortedTransactions == null
        ? null
        : p.abortedTransactions.map((a) => ({
            producerId: a.producerId,
            firstOffset: Number(a.firstOffset),
          })),
    records: [],
    markers: [],
    lastOffset: -1,
  }
  const records = p.records
  const chunks =
    records === null || records === undefined ? [] : Buffer.isBuffer(records) ? [records] : [...records]
  for (const chunk of chunks) {
    for (const loc of iterateBatches(chunk)) {
      const batch = readBatch(chunk, loc.pos)
      out.lastOffset = batch.lastOffset
      for (const rec of batch.records()) {
        if (batch.isControl) {
          out.markers.push({
            offset: rec.offset,
            producerId: batch.producerId,
            type: readControlRecord(rec).type,
          })
        } else if (rec.offset >= fetchOffset) {
          out.records.push({
            offset: rec.offset,
            value: rec.value === null ? '' : Buffer.from(rec.value).toString(),
            producerId: batch.producerId,
            transactional: batch.isTransactional,
          })
        }
      }
    }
  }
  return out
}

/**
 * What a read_committed client delivers from a fetch: data records minus those of aborted
 * transactions (a batch of producer P at or after an aborted transaction's first offset is
 * skipped until P's ABORT marker), as kafkajs and librdkafka do.
 */
export function committedView(f: Fetched): string[] {
  const aborted = [...(f.abortedTransactions ?? [])]
  const skipping = new Set<bigint>()
  const events = [
    ...f.records.map((r) => ({ offset: r.offset, kind: 'data' as const, r })),
    ...f.markers.map((m) => ({ offset: m.offset, kind: 'marker' as const, m })),
  ].sort((a, b) => a.offset - b.offset)
  const out: string[] = []
  for (const e of events) {
    for (let i = aborted.length - 1; i >= 0; i--) {
      if (aborted[i].firstOffset <= e.offset) {
        skipping.add(aborted[i].producerId)
        aborted.splice(i, 1)
      }
    }
    if (e.kind === 'marker') {
      if (e.m.type === 'ABORT') skipping.delete(e.m.producerId)
      continue
    }
    if (e.r.transactional && skipping.has(e.r.producerId)) continue
    out.push(e.r.value)
  }
  return out
}

export async function listOffsetsLatest(
  client: WireClient,
  topic: string,
  partition: number,
  isolationLevel: number,
): Promise<number> {
  const r = await client.request(2, 5, {
    replicaId: -1,
    isolationLevel,
    topics: [
      { name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }] },
    ],
  })
  const p = r.topics[0].partitions[0]
  assert.equal(p.errorCode, ErrorCode.NONE)
  return Number(p.offset)
}

/** A transactional producer as the transaction APIs name it: its id, producer id and epoch. */
export interface TxnProducer {
  transactionalId: string
  producerId: bigint
  producerEpoch: number
}

/** The fields AddOffsetsToTxn, EndTxn and TxnOffsetCommit name the producer by. */
function producerFields({ transactionalId, producerId, producerEpoch }: TxnProducer): TxnProducer {
  return { transactionalId, producerId, producerEpoch }
}

/** A transactional batch of `values` from `producer`, starting at `baseSequence`. */
export function txnBatch(producer: TxnProducer, baseSequence: number, values: string[]): Buffer {
  const { producerId, producerEpoch } = producer
  return makeBatch({ producerId, producerEpoch, baseSequence, values, transactional: true })
}

export async function initProducerId(
  client: WireClient,
  transactionalId: string | null,
  timeoutMs = 60_000,
  version = 4,
  expected: { producerId: bigint; producerEpoch: number } = { producerId: -1n, producerEpoch: -1 },
): Promise<{ errorCode: number; producerId: bigint; producerEpoch: number }> {
  const r = await client.request(22, version, {
    transactionalId,
    transactionTimeoutMs: timeoutMs,
    producerId: expected.producerId,
    producerEpoch: expected.producerEpoch,
  })
  return { errorCode: r.errorCode, producerId: r.producerId, producerEpoch: r.producerEpoch }
}

/** InitProducerId as clients do it: retried while the answer is CONCURRENT_TRANSACTIONS. */
export async function initTransactions(
  client: WireClient,
  transactionalId: string,
  timeoutMs = 60_000,
): Promise<TxnProducer & { retries: number }> {
  for (let retries = 0; retries < 50; retries++) {
    const r = await initProducerId(client, transactionalId, timeoutMs)
    if (r.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS) continue
    assert.equal(r.errorCode, ErrorCode.NONE)
    return { transactionalId, producerId: r.producerId, producerEpoch: r.producerEpoch, retries }
  }
  throw new Error('InitProducerId kept answering CONCURRENT_TRANSACTIONS')
}

export async function addPartitions(
  client: WireClient,
  producer: TxnProducer,
  topics: { name: string; partitions: number[] }[],
  version = 3,
): Promise<number[]> {
  const r = await client.request(24, version, {
    v3AndBelowTransactionalId: producer.transactionalId,
    v3AndBelowProducerId: producer.producerId,
    v3AndBelowProducerEpoch: producer.producerEpoch,
    v3AndBelowTopics: topics,
  })
  return (r.resultsByTopicV3AndBelow ?? []).flatMap((t) =>
    t.resultsByPartition.map((p) => p.partitionErrorCode),
  )
}

export async function addOffsets(
  client: WireClient,
  producer: TxnProducer,
  groupId: string,
  version = 3,
): Promise<number> {
  return (await client.request(25, version, { ...producerFields(producer), groupId })).errorCode
}

export async function endTxn(
  client: WireClient,
  producer: TxnProducer,
  committed: boolean,
  version = 3,
): Promise<number> {
  return (await client.request(26, version, { ...producerFields(producer), committed })).errorCode
}

export async function txnOffsetCommit(
  client: WireClient,
  producer: TxnProducer,
  groupId: string,
  topic: string,
  partition: number,
  offset: bigint,
  version = 3,
): Promise<number> {
  const r = await client.request(28, version, {
    ...producerFields(producer),
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [
      {
        name: topic,
        partitions: [
          {
            partitionIndex: partition,
            committedOffset: offset,
            committedLeaderEpoch: -1,
            committedMetadata: '',
          },
        ],
      },
    ],
  })
  return r.topics[0].partitions[0].errorCode
}

export async function fetchCommitted(
  client: WireClient,
  groupId: string,
  topic: string,
  partition: number,
  requireStable: boolean,
): Promise<{ errorCode: number; offset: bigint }> {
  const r = await client.request(9, 7, {
    groupId,
    topics: [{ name: topic, partitionIndexes: [partition] }],
    requireStable,
  })
  const p = r.topics![0].partitions[0]
  return { errorCode: p.errorCode, offset: p.committedOffset }
}
