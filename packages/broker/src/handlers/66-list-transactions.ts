// ListTransactions (key 66)
//
// Behavior:
// - Every transactional id this coordinator knows, sorted, with its producer id and state.
//   StateFilters keeps those in the named states (Kafka's names, exact); a name that is no state
//   comes back in UnknownStateFilters. ProducerIdFilters keeps those producer ids. Empty filters
//   keep everything.
// - Errors: COORDINATOR_NOT_AVAILABLE while shutting down.
//
// Version notes:
// - v0 is flexible; v1 adds DurationFilter: only transactions started at least that many
//   milliseconds ago (-1: all).
import type { ListTransactionsResponse } from '@runnel/protocol'
import { registerHandler } from './registry.ts'

export const listTransactions = registerHandler({
  apiKey: 66,
  name: 'ListTransactions',
  minVersion: 0,
  maxVersion: 1,
  uses: ['transactions'],
  handle(request, ctx) {
    const duration = ctx.header.apiVersion >= 1 ? Number(request.durationFilter ?? -1n) : -1
    const listed = ctx.transactions.list(request.stateFilters, request.producerIdFilters, duration)
    const response: ListTransactionsResponse = { throttleTimeMs: 0, ...listed }
    return response
  },
})
