// DescribeTransactions (key 65)
//
// Behavior:
// - For each transactional id: its state (Kafka's names: Empty, Ongoing, PrepareCommit,
//   PrepareAbort, CompleteCommit, CompleteAbort), timeout, start time (-1 before a transaction),
//   producer id and epoch, and the partitions of the current transaction.
// - Errors per id: TRANSACTIONAL_ID_NOT_FOUND (unknown, or expired), INVALID_REQUEST (empty id),
//   COORDINATOR_NOT_AVAILABLE while shutting down.
//
// Version notes:
// - v0 only, flexible.
import type { DescribeTransactionsResponse } from '@runnel/protocol'
import { registerHandler } from './registry.ts'

export const describeTransactions = registerHandler({
  apiKey: 65,
  name: 'DescribeTransactions',
  minVersion: 0,
  maxVersion: 0,
  uses: ['transactions'],
  handle(request, ctx) {
    const response: DescribeTransactionsResponse = {
      throttleTimeMs: 0,
      transactionStates: request.transactionalIds.map((id) => ctx.transactions.describe(id)),
    }
    return response
  },
})
