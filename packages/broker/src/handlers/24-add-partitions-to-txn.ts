// AddPartitionsToTxn (key 24)
//
// Behavior:
// - Adds partitions to the producer's transaction (starting it, if it was not ongoing), written
//   to `__transaction_state` before the answer. Partitions already in an ongoing transaction
//   are answered at once.
// - Errors, the same for every partition: INVALID_PRODUCER_ID_MAPPING (an unknown transactional
//   id, or not its producer id), PRODUCER_FENCED (an older epoch), CONCURRENT_TRANSACTIONS (the
//   previous transaction is still being ended: retry), INVALID_REQUEST (empty transactional id),
//   COORDINATOR_NOT_AVAILABLE. A partition that does not exist gets UNKNOWN_TOPIC_OR_PARTITION
//   and the others OPERATION_NOT_ATTEMPTED; nothing is added then.
//
// Version notes:
// - Only v0-v3 are advertised: v4+ is the batched form brokers send each other to verify
//   transactions (KIP-890), and platformatic would use it if it were advertised (COMPAT-NOTES).
// - kafkajs sends v0-v1, librdkafka v0, platformatic v3. v2 adds PRODUCER_FENCED, which v0-v1
//   get as INVALID_PRODUCER_EPOCH (as Kafka maps it); v3 is flexible.
import type {
  AddPartitionsToTxnResponse,
  AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
} from '@runnel/protocol'
import { ErrorCode } from '@runnel/protocol'
import type { TopicPartition } from '../txn/transaction-metadata.ts'
import { registerHandler } from './registry.ts'
import { fencedForVersion } from './txn-errors.ts'

export const addPartitionsToTxn = registerHandler({
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  minVersion: 0,
  maxVersion: 3,
  uses: ['topics', 'transactions'],
  async handle(request, ctx) {
    const version = ctx.header.apiVersion
    const topics = request.v3AndBelowTopics ?? []
    const partitions: TopicPartition[] = []
    let unknown = false
    const exists = new Map<string, boolean>()
    for (const t of topics) {
      const topic = ctx.topics.get(t.name)
      for (const p of t.partitions) {
        const ok = topic !== undefined && p >= 0 && p < topic.partitions.length
        exists.set(`${t.name}\0${p}`, ok)
        if (ok) partitions.push({ topic: t.name, partition: p })
        else unknown = true
      }
    }
    let errorFor: (topic: string, partition: number) => number
    if (unknown) {
      errorFor = (topic, partition) =>
        exists.get(`${topic}\0${partition}`)
          ? ErrorCode.OPERATION_NOT_ATTEMPTED
          : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    } else {
      const error = fencedForVersion(
        await ctx.transactions.addPartitions(
          request.v3AndBelowTransactionalId ?? '',
          request.v3AndBelowProducerId ?? -1n,
          request.v3AndBelowProducerEpoch ?? -1,
          partitions,
        ),
        version,
      )
      errorFor = () => error
    }
    const resultsByTopicV3AndBelow: AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult[] = topics.map(
      (t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((p) => ({
          partitionIndex: p,
          partitionErrorCode: errorFor(t.name, p),
        })),
      }),
    )
    const response: AddPartitionsToTxnResponse = { throttleTimeMs: 0, resultsByTopicV3AndBelow }
    return response
  },
})
