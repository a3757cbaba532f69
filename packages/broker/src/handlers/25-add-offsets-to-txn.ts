// AddOffsetsToTxn (key 25)
//
// Behavior:
// - Adds the group's `__consumer_offsets` partition to the producer's transaction (as Kafka
//   does), so a TxnOffsetCommit for that group may follow and its offsets are committed or
//   dropped with the transaction.
// - Errors: those of AddPartitionsToTxn (INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED,
//   CONCURRENT_TRANSACTIONS, INVALID_REQUEST), COORDINATOR_NOT_AVAILABLE when
//   `__consumer_offsets` cannot be created.
//
// Version notes:
// - kafkajs and librdkafka send v0-v1, platformatic up to v4. v2 adds PRODUCER_FENCED, which
//   v0-v1 get as INVALID_PRODUCER_EPOCH; v3 is flexible; v4 allows TRANSACTION_ABORTABLE, never
//   returned here.
import { registerHandler } from './registry.ts'
import { fencedForVersion } from './txn-errors.ts'

export const addOffsetsToTxn = registerHandler({
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 4,
  uses: ['transactions'],
  async handle(request, ctx) {
    const error = await ctx.transactions.addOffsets(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      request.groupId,
    )
    return { throttleTimeMs: 0, errorCode: fencedForVersion(error, ctx.header.apiVersion) }
  },
})
