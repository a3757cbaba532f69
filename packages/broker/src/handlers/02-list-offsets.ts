// ListOffsets (key 2)
//
// Behavior:
// - Timestamp -2 (EARLIEST): the log start offset. -1 (LATEST): the high watermark, or the
//   last stable offset for READ_COMMITTED. -3 (MAX_TIMESTAMP, v7+): the offset and timestamp
//   of the record with the largest timestamp. -4 (EARLIEST_LOCAL, v8+) answers like -2: there
//   is no tiered storage, every record is local. -5 (LATEST_TIERED, v9+) and -6
//   (EARLIEST_PENDING_UPLOAD, v11+) find nothing (offset -1), as on a Kafka without remote
//   storage. A special timestamp below the version that defines it, or one no version defines
//   (-7 and below): UNSUPPORTED_VERSION, as Kafka answers (the differential check,
//   test/differential).
// - A timestamp >= 0: the first offset whose record timestamp is at or after it, and that
//   record's timestamp; offset -1 and timestamp -1 when none is. The time index narrows the
//   search to one batch, which is then decoded to find the exact record.
// - Errors: UNKNOWN_TOPIC_OR_PARTITION; INVALID_REQUEST for a partition asked twice; a lookup that
//   meets a storage failure answers it (handlers/storage-failures.ts), never "not found".
//
// Version notes:
// - v0's old-style offset lists are not advertised (we start at v1). v2 adds isolation level;
//   v4 leader epochs (always 0 here); v6 flexible; v7 MAX_TIMESTAMP; v8 EARLIEST_LOCAL; v9
//   LATEST_TIERED; v10 a timeout for remote lookups (none here: answered at once); v11
//   EARLIEST_PENDING_UPLOAD.
import {
  ErrorCode,
  type ListOffsetsResponseListOffsetsPartitionResponse,
  type ListOffsetsResponseListOffsetsTopicResponse,
  readBatch,
} from '@runnel/protocol'
import type { Partitions } from '../cluster/partitions.ts'
import type { PartitionLog, RequestFailure, StorageFailure } from '../storage/index.ts'
import { registerHandler } from './registry.ts'
import { isStorageFailure, storageFailureCode } from './storage-failures.ts'

const LATEST = -1n
const EARLIEST = -2n
const MAX_TIMESTAMP = -3n
const EARLIEST_LOCAL = -4n
const LATEST_TIERED = -5n
const EARLIEST_PENDING_UPLOAD = -6n
/** The version that defines each special timestamp. */
const SINCE_VERSION = new Map([
  [MAX_TIMESTAMP, 7],
  [EARLIEST_LOCAL, 8],
  [LATEST_TIERED, 9],
  [EARLIEST_PENDING_UPLOAD, 11],
])
const READ_COMMITTED = 1

export const listOffsets = registerHandler({
  apiKey: 2,
  name: 'ListOffsets',
  minVersion: 1,
  maxVersion: 11,
  uses: ['topics', 'partitions'],
  handle(request, ctx) {
    const version = ctx.header.apiVersion
    const readCommitted = (request.isolationLevel ?? 0) === READ_COMMITTED
    const topics: ListOffsetsResponseListOffsetsTopicResponse[] = request.topics.map((t) => {
      const topic = ctx.topics.get(t.name)
      const seen = new Set<number>()
      return {
        name: t.name,
        partitions: t.partitions.map((p): ListOffsetsResponseListOffsetsPartitionResponse => {
          const answer = (errorCode: number, timestamp = -1n, offset = -1n) => ({
            partitionIndex: p.partitionIndex,
            errorCode,
            oldStyleOffsets: [],
            timestamp,
            offset,
            leaderEpoch: errorCode === ErrorCode.NONE ? 0 : -1,
          })
          if (seen.has(p.partitionIndex)) return answer(ErrorCode.INVALID_REQUEST)
          seen.add(p.partitionIndex)
          const log = topic?.partitions[p.partitionIndex]
          if (!log) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          if (
            p.timestamp < EARLIEST &&
            (SINCE_VERSION.get(p.timestamp) ?? Number.POSITIVE_INFINITY) > version
          )
            return answer(ErrorCode.UNSUPPORTED_VERSION)
          const found = lookup(ctx.partitions, log, p.timestamp, readCommitted)
          if ('failure' in found) return answer(storageFailureCode(found.failure)[0])
          return answer(ErrorCode.NONE, BigInt(found.timestamp), BigInt(found.offset))
        }),
      }
    })
    return { throttleTimeMs: 0, topics }
  },
})

const NOT_FOUND = { offset: -1, timestamp: -1 }

function lookup(
  partitions: Partitions,
  log: PartitionLog,
  target: bigint,
  readCommitted: boolean,
): { offset: number; timestamp: number } | { failure: StorageFailure | RequestFailure } {
  if (target === EARLIEST || target === EARLIEST_LOCAL) return { offset: log.logStartOffset, timestamp: -1 }
  if (target === LATEST_TIERED || target === EARLIEST_PENDING_UPLOAD) return NOT_FOUND
  if (target === LATEST) {
    return { offset: readCommitted ? partitions.lastStableOffset(log) : log.highWatermark, timestamp: -1 }
  }
  if (target === MAX_TIMESTAMP) {
    const found = log.maxTimestamp()
    if (isStorageFailure(found)) return { failure: found }
    if (found.kind !== 'found') return NOT_FOUND
    // The record carrying the batch's max timestamp (the first one, on ties).
    for (const record of readBatch(found.batch).records()) {
      if (record.timestamp === found.maxTimestamp)
        return { offset: record.offset, timestamp: record.timestamp }
    }
    return { offset: found.lastOffset, timestamp: found.maxTimestamp }
  }
  if (target < 0n) return NOT_FOUND
  const ts = Number(target)
  // Storage finds the first batch whose max timestamp reaches the target; the exact record is
  // inside it. When logStartOffset cuts into that batch and no later record in it qualifies,
  // the search goes on after it.
  let from = log.logStartOffset
  for (;;) {
    const found = log.offsetForTimestamp(ts, from)
    if (isStorageFailure(found)) return { failure: found }
    if (found.kind !== 'found') return NOT_FOUND
    for (const record of readBatch(found.batch).records()) {
      if (record.offset >= log.logStartOffset && record.timestamp >= ts) {
        return { offset: record.offset, timestamp: record.timestamp }
      }
    }
    from = found.lastOffset + 1
  }
}
