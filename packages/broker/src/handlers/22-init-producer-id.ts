// InitProducerId (key 22)
//
// Behavior:
// - Without a transactional id (an idempotent producer): a new producer id, epoch 0, every time
//   (Kafka ignores the producer id and epoch a v3+ request carries in that case). Producer ids
//   are never given twice, restarts and crashes included (blocks reserved on disk).
// - With a transactional id (a transactional producer): the id's producer id, with its epoch
//   bumped, which fences any older producer of the same id. If that id has a transaction open,
//   it is aborted (its producer's epoch bumped) and the answer is CONCURRENT_TRANSACTIONS: the
//   client retries and gets the epoch bumped once more. `__transaction_state` is created by the
//   first such request.
// - v3+ ProducerId/ProducerEpoch (both -1: a new producer): a producer recovering from an error
//   asks to bump its own epoch; an id or epoch that is no longer current is PRODUCER_FENCED,
//   and a retry of the last bump gets the same epoch again.
// - Errors: INVALID_REQUEST (empty transactional id, or only one of ProducerId/ProducerEpoch
//   set), INVALID_TRANSACTION_TIMEOUT (<= 0 or above transaction.max.timeout.ms),
//   CONCURRENT_TRANSACTIONS (retriable), PRODUCER_FENCED, COORDINATOR_NOT_AVAILABLE.
//
// Version notes:
// - v0-v1 kafkajs; librdkafka up to v4 (v3+ to bump its epoch); platformatic v3-v5. v2 is
//   flexible; v3 adds ProducerId/ProducerEpoch; v4 adds PRODUCER_FENCED, which earlier versions
//   get as INVALID_PRODUCER_EPOCH (as Kafka maps it); v5 allows TRANSACTION_ABORTABLE, never
//   returned here.
import { ErrorCode, type InitProducerIdResponse } from '@runnel/protocol'
import { registerHandler } from './registry.ts'

const PRODUCER_FENCED_FROM_VERSION = 4

export const initProducerId = registerHandler({
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  uses: ['transactions'],
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const answer = (errorCode: number, producerId = -1n, producerEpoch = -1): InitProducerIdResponse => ({
      throttleTimeMs: 0,
      errorCode:
        errorCode === ErrorCode.PRODUCER_FENCED && version < PRODUCER_FENCED_FROM_VERSION
          ? ErrorCode.INVALID_PRODUCER_EPOCH
          : errorCode,
      producerId,
      producerEpoch,
    })
    let expected: { producerId: bigint; producerEpoch: number } | null = null
    if (version >= 3) {
      const producerId = request.producerId ?? -1n
      const producerEpoch = request.producerEpoch ?? -1
      if ((producerId === -1n) !== (producerEpoch === -1)) return answer(ErrorCode.INVALID_REQUEST)
      if (producerId !== -1n) expected = { producerId, producerEpoch }
    }
    const result = await ctx.transactions.initProducerId(
      request.transactionalId,
      request.transactionTimeoutMs,
      expected,
    )
    return answer(result.errorCode, result.producerId, result.producerEpoch)
  },
})
