// Fetch (key 1)
//
// Behavior:
// - Returns stored record batches as they are on disk or in the tail cache, whole, without
//   decoding them; a partition's bytes are handed to the socket as a list of slices.
// - Long poll: when fewer than MinBytes are available the request waits, up to MaxWaitMs,
//   for an append to one of its partitions, then reads again.
// - MaxBytes caps the response and PartitionMaxBytes each partition; the first batch of the
//   first partition that has data is returned even when larger, so a consumer never stalls
//   on one big batch (Kafka's rule since KIP-74).
// - Fetch sessions are not kept: SessionId is always 0, which every client handles by
//   sending full fetches. An incremental fetch (SessionId != 0) gets
//   FETCH_SESSION_ID_NOT_FOUND and the client starts over.
// - READ_COMMITTED reads stop at the last stable offset (the first offset of the partition's
//   earliest open transaction, else the high watermark), so open and undecided data is never
//   returned; AbortedTransactions lists the aborted transactions (producer id, first offset)
//   that overlap the returned batches, for the client to skip. It is null for read_uncommitted.
// - Errors per partition: UNKNOWN_TOPIC_OR_PARTITION (by name), UNKNOWN_TOPIC_ID (v13+ by
//   id), OFFSET_OUT_OF_RANGE below the log start or above the log end offset.
// - PreferredReadReplica is always -1 (clients must not be sent elsewhere).
//
// Version notes:
// - From v2: librdkafka enables gzip/snappy only when Fetch v2 and Produce v2 are advertised.
//   Every client picks the highest common version (>= 4), which reads record batches v2;
//   stored batches are never down-converted, so a client that really fetches at v2-3 gets
//   batches v2 (librdkafka and kafkajs read them by their magic byte).
// - v4 adds the isolation level and last stable offset. v5 log start offset; v7 sessions;
//   v9 current leader epoch; v11 rack and preferred replica; v12 flexible; v13 topic ids
//   instead of names; v15 replica state; v16 node endpoints; v17 directory id (broker only).
import {
  batchLastOffsetDelta,
  ErrorCode,
  type FetchResponse,
  type FetchResponseFetchableTopicResponse,
  type FetchResponsePartitionData,
  iterateBatches,
} from '@runnel/protocol'
import { AppendNotifier } from '../cluster/append-notifier.ts'
import type { TopicState } from '../cluster/topics.ts'
import type { BrokerMetrics } from '../metrics.ts'
import { type RequestContext, registerHandler } from './registry.ts'
import { storageFailureCode } from './storage-failures.ts'

const READ_COMMITTED = 1
const ZERO_UUID = '00000000-0000-0000-0000-000000000000'
/** Clients expect an empty record set, never a null one (librdkafka: "invalid MessageSetSize -1"). */
const NO_RECORDS = Buffer.alloc(0)

interface Wanted {
  topic: TopicState | undefined
  /** The name or id the client used, echoed back. */
  name: string
  topicId: string
  partition: number
  fetchOffset: number
  partitionMaxBytes: number
}

export const fetch = registerHandler({
  apiKey: 1,
  name: 'Fetch',
  minVersion: 2,
  maxVersion: 17,
  uses: ['metrics', 'topics', 'partitions'],
  async handle(request, ctx) {
    const { header } = ctx
    const version = header.apiVersion
    const byId = version >= 13

    if (version >= 7 && (request.sessionId ?? 0) !== 0) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
        sessionId: 0,
        responses: [],
      }
    }

    const wanted: Wanted[] = []
    for (const t of request.topics) {
      const topic = byId ? ctx.topics.byId(t.topicId ?? ZERO_UUID) : ctx.topics.get(t.topic ?? '')
      for (const p of t.partitions) {
        wanted.push({
          topic,
          name: t.topic ?? topic?.name ?? '',
          topicId: t.topicId ?? topic?.topicId ?? ZERO_UUID,
          partition: p.partition,
          fetchOffset: Number(p.fetchOffset),
          partitionMaxBytes: p.partitionMaxBytes,
        })
      }
    }
    const readCommitted = (request.isolationLevel ?? 0) === READ_COMMITTED
    const maxBytes = request.maxBytes ?? 0x7fffffff
    const minBytes = request.minBytes
    const deadline = Date.now() + request.maxWaitMs

    let result = readAll(ctx, wanted, maxBytes, readCommitted, byId)
    while (result.bytes < minBytes && !result.hasError && !ctx.signal.aborted) {
      const remaining = deadline - Date.now()
      if (remaining <= 0) break
      const keys = wanted.map((w) => AppendNotifier.key(w.topic?.name ?? w.name, w.partition))
      const woken = await ctx.partitions.waitForAppend(keys, remaining, ctx.signal)
      if (ctx.signal.aborted) break
      // The previous read is dropped unsent: let go of the pooled memory it held.
      ctx.lease.release()
      result = readAll(ctx, wanted, maxBytes, readCommitted, byId)
      if (!woken) break
    }
    const response: FetchResponse = {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      sessionId: 0,
      responses: result.responses,
    }
    return response
  },
})

function readAll(
  ctx: RequestContext<'metrics' | 'partitions'>,
  wanted: Wanted[],
  maxBytes: number,
  readCommitted: boolean,
  byId: boolean,
): { responses: FetchResponseFetchableTopicResponse[]; bytes: number; hasError: boolean } {
  const responses: FetchResponseFetchableTopicResponse[] = []
  const byTopic = new Map<string, FetchResponseFetchableTopicResponse>()
  let bytes = 0
  let hasError = false
  for (const w of wanted) {
    const key = byId ? w.topicId : w.name
    let topicResponse = byTopic.get(key)
    if (!topicResponse) {
      topicResponse = { topic: w.name, topicId: w.topicId, partitions: [] }
      byTopic.set(key, topicResponse)
      responses.push(topicResponse)
    }
    const part: FetchResponsePartitionData = {
      partitionIndex: w.partition,
      errorCode: ErrorCode.NONE,
      highWatermark: -1n,
      lastStableOffset: -1n,
      logStartOffset: -1n,
      abortedTransactions: readCommitted ? [] : null,
      preferredReadReplica: -1,
      records: NO_RECORDS,
    }
    topicResponse.partitions.push(part)
    const log = w.topic?.partitions[w.partition]
    if (!log) {
      part.errorCode = byId && !w.topic ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
      part.abortedTransactions = [] // as Kafka 4.4 answers a partition it does not have
      hasError = true
      continue
    }
    const budget = Math.min(w.partitionMaxBytes, maxBytes - bytes)
    if (budget <= 0 && bytes > 0) {
      // The response is full: this partition gets its offsets and no records.
      const offsets = ctx.partitions.offsetsOf(log)
      part.highWatermark = BigInt(offsets.highWatermark)
      part.lastStableOffset = BigInt(offsets.lastStableOffset)
      part.logStartOffset = BigInt(offsets.logStartOffset)
      continue
    }
    const read = ctx.partitions.read(log, w.fetchOffset, Math.max(budget, 0), {
      lease: ctx.lease,
      minOneBatch: bytes === 0,
      readCommitted,
    })
    const result = read.result
    if (result.kind !== 'ok') {
      part.errorCode =
        result.kind === 'offsetOutOfRange' ? ErrorCode.OFFSET_OUT_OF_RANGE : storageFailureCode(result)[0]
      // Kafka answers a partition error with no offsets (-1): the client asks ListOffsets.
      hasError = true
      continue
    }
    part.highWatermark = BigInt(read.highWatermark)
    part.lastStableOffset = BigInt(read.lastStableOffset)
    part.logStartOffset = BigInt(read.logStartOffset)
    if (result.sizeInBytes > 0) {
      part.records = result.batches
      if (readCommitted) {
        part.abortedTransactions = read.abortedTransactions.map((t) => ({
          producerId: t.producerId,
          firstOffset: BigInt(t.firstOffset),
        }))
      }
      bytes += result.sizeInBytes
      countOut(ctx.metrics, w.topic!.name, result.batches, result.sizeInBytes)
    }
  }
  return { responses, bytes, hasError }
}

function countOut(metrics: BrokerMetrics, topic: string, batches: readonly Buffer[], size: number): void {
  let records = 0
  for (const b of batches) {
    for (const at of iterateBatches(b)) records += batchLastOffsetDelta(b, at.pos) + 1
  }
  metrics.bytesOut.inc({ topic }, size)
  metrics.messagesOut.inc({ topic }, records)
}
