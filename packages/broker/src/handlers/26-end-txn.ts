// EndTxn (key 26)
//
// Behavior:
// - Commits or aborts the producer's ongoing transaction: PrepareCommit/PrepareAbort is written
//   to `__transaction_state`, a COMMIT/ABORT control batch to every partition the transaction
//   wrote to (and to the `__consumer_offsets` partition of each group it committed offsets
//   for, which makes those offsets visible or drops them), then CompleteCommit/CompleteAbort.
//   The answer comes once all of it is on disk (Kafka answers after the prepare record and
//   writes markers in the background).
// - A retry after success is answered NONE (commit after CompleteCommit, abort after
//   CompleteAbort).
// - Errors: INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED (an older epoch: a newer producer took
//   over, or the broker aborted the transaction on its timeout), INVALID_TXN_STATE (nothing to
//   end, or the opposite outcome already decided), CONCURRENT_TRANSACTIONS, INVALID_REQUEST,
//   COORDINATOR_NOT_AVAILABLE.
//
// Version notes:
// - kafkajs v0-v1, librdkafka v0-v1, platformatic v3-v4. v2 adds PRODUCER_FENCED, which v0-v1
//   get as INVALID_PRODUCER_EPOCH; v3 is flexible; v4 allows TRANSACTION_ABORTABLE (never
//   returned here).
import { registerHandler } from './registry.ts'
import { fencedForVersion } from './txn-errors.ts'

export const endTxn = registerHandler({
  apiKey: 26,
  name: 'EndTxn',
  minVersion: 0,
  maxVersion: 4,
  uses: ['transactions'],
  async handle(request, ctx) {
    const error = await ctx.transactions.endTxn(
      request.transactionalId,
      request.producerId,
      request.producerEpoch,
      request.committed,
    )
    return { throttleTimeMs: 0, errorCode: fencedForVersion(error, ctx.header.apiVersion) }
  },
})
