// WriteTxnMarkers (key 27)
//
// Behavior:
// - Kafka's coordinator sends it to partition leaders to end a transaction; clients send it
//   through Admin.abortTransaction (kafka-transactions.sh abort) to end a hanging transaction the
//   coordinator no longer knows. Runnel's own coordinator writes its markers directly; this API
//   is for the second use.
// - For each marker and partition: a COMMIT or ABORT control batch for the producer, written and
//   fsynced before the answer, when the producer has a transaction open there (none open: nothing
//   to write, answered NONE). On `__consumer_offsets` the producer's pending offsets are made
//   visible or dropped, as after EndTxn.
// - Errors per partition: UNKNOWN_TOPIC_OR_PARTITION; INVALID_PRODUCER_EPOCH (the marker's epoch
//   is older than the producer's); TRANSACTION_COORDINATOR_FENCED (its coordinator epoch is older
//   than the one of the producer's last marker); KAFKA_STORAGE_ERROR and the other storage
//   failures (handlers/storage-failures.ts).
//
// Version notes:
// - v1 is Kafka 4's baseline (v0 removed), flexible; v2 adds TransactionVersion (ignored: one
//   marker format).
import { ErrorCode, type WriteTxnMarkersResponseWritableTxnMarkerResult } from '@runnel/protocol'
import { OFFSETS_TOPIC } from '../group/offsets-topic.ts'
import type { PartitionLog } from '../storage/index.ts'
import { registerHandler } from './registry.ts'
import { isStorageFailure, storageFailureCode } from './storage-failures.ts'

export const writeTxnMarkers = registerHandler({
  apiKey: 27,
  name: 'WriteTxnMarkers',
  minVersion: 1,
  maxVersion: 2,
  uses: ['log', 'topics', 'partitions', 'groups'],
  async handle(request, ctx) {
    const markers: WriteTxnMarkersResponseWritableTxnMarkerResult[] = []
    for (const marker of request.markers) {
      const touched: PartitionLog[] = []
      const offsetsPartitions: number[] = []
      const topics = marker.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          const log = ctx.topics.get(t.name)?.partitions[partitionIndex]
          const answer = (errorCode: number) => ({ partitionIndex, errorCode })
          if (!log) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          const refused = ctx.partitions.checkMarker(
            log,
            marker.producerId,
            marker.producerEpoch,
            marker.coordinatorEpoch,
          )
          if (refused !== ErrorCode.NONE) return answer(refused)
          const appended = ctx.partitions.appendMarker(
            log,
            marker.producerId,
            marker.producerEpoch,
            marker.transactionResult,
            Date.now(),
            marker.coordinatorEpoch,
          )
          if (appended.kind === 'appended') touched.push(log)
          else if (isStorageFailure(appended)) return answer(storageFailureCode(appended)[0])
          else if (appended.kind !== 'skipped') return answer(ErrorCode.UNKNOWN_SERVER_ERROR) // a marker is never too large
          if (t.name === OFFSETS_TOPIC) offsetsPartitions.push(partitionIndex)
          return answer(ErrorCode.NONE)
        }),
      }))
      const synced = await Promise.all(touched.map((log) => log.flush())).then(
        () => true,
        (err: unknown) => {
          ctx.log.error({ err }, 'fsync failed; WriteTxnMarkers answered KAFKA_STORAGE_ERROR')
          return false
        },
      )
      if (!synced) {
        for (const t of topics)
          for (const p of t.partitions)
            if (p.errorCode === ErrorCode.NONE) p.errorCode = ErrorCode.KAFKA_STORAGE_ERROR
      } else if (offsetsPartitions.length > 0) {
        await ctx.groups.completeTransaction(marker.producerId, offsetsPartitions, marker.transactionResult)
      }
      markers.push({ producerId: marker.producerId, topics })
    }
    return { markers }
  },
})
