// DescribeProducers (key 61)
//
// Behavior:
// - For each partition asked, the producers its producer state knows: producer id, epoch, last
//   sequence (-1 for a producer seen only through markers or coordinator writes), the timestamp
//   of its last batch, coordinator epoch (-1 until a marker was written) and the first offset of
//   its open transaction there (-1 when none). What `kafka-transactions.sh describe-producers`
//   shows, to find a hanging transaction.
// - Errors per partition: UNKNOWN_TOPIC_OR_PARTITION; KAFKA_STORAGE_ERROR when the log cannot
//   be read to rebuild the state.
//
// Version notes:
// - v0 only, flexible.
import {
  type DescribeProducersResponse,
  type DescribeProducersResponsePartitionResponse,
  ErrorCode,
} from '@runnel/protocol'
import { registerHandler } from './registry.ts'

export const describeProducers = registerHandler({
  apiKey: 61,
  name: 'DescribeProducers',
  minVersion: 0,
  maxVersion: 0,
  uses: ['topics', 'partitions'],
  handle(request, ctx) {
    const response: DescribeProducersResponse = {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((index): DescribeProducersResponsePartitionResponse => {
          const fail = (errorCode: number, errorMessage: string) => ({
            partitionIndex: index,
            errorCode,
            errorMessage,
            activeProducers: [],
          })
          const log = ctx.topics.get(t.name)?.partitions[index]
          if (!log)
            return fail(
              ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              'This server does not host this topic-partition.',
            )
          const producers = ctx.partitions.producersOf(log)
          if (!producers)
            return fail(ErrorCode.KAFKA_STORAGE_ERROR, 'The log of this partition cannot be read')
          return {
            partitionIndex: index,
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            activeProducers: producers.map((p) => ({
              producerId: p.producerId,
              producerEpoch: p.producerEpoch,
              lastSequence: p.batches.length > 0 ? p.batches[p.batches.length - 1].lastSeq : -1,
              lastTimestamp: BigInt(p.lastTimestamp),
              coordinatorEpoch: p.coordinatorEpoch,
              currentTxnStartOffset: BigInt(p.currentTxnFirstOffset),
            })),
          }
        }),
      })),
    }
    return response
  },
})
