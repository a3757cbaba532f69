// Settings of the transaction coordinator and of producer state, read from the broker's configs
// under Kafka's names (`startBroker({ brokerConfigs: { 'transaction.max.timeout.ms': '60000' } })`)
// with Kafka's defaults. One setting is Runnel's own: how often producer state is snapshotted
// (Kafka snapshots when a segment rolls; this broker snapshots on a timer, see producer-states.ts).
import { wholeNumberSettings } from '../config/whole-number-settings.ts'

export interface TransactionConfig {
  /** transaction.max.timeout.ms: the largest transaction.timeout.ms InitProducerId accepts. */
  readonly maxTimeoutMs: number
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms: how often timed-out transactions are looked for. */
  readonly abortTimedOutIntervalMs: number
  /** transactional.id.expiration.ms: an idle transactional id is forgotten after this long. */
  readonly transactionalIdExpirationMs: number
  /** transaction.remove.expired.transaction.cleanup.interval.ms. */
  readonly removeExpiredIntervalMs: number
  /** transaction.state.log.num.partitions, used when `__transaction_state` is created. */
  readonly statePartitions: number
  /** transaction.state.log.segment.bytes. */
  readonly stateSegmentBytes: number
  /** producer.id.expiration.ms: a producer without an open transaction is forgotten after this long. */
  readonly producerIdExpirationMs: number
  /** runnel.producer.state.snapshot.interval.ms: how often changed producer state is written to disk. */
  readonly snapshotIntervalMs: number
}

const DEFAULTS: Readonly<Record<string, number>> = {
  'transaction.max.timeout.ms': 900_000,
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': 10_000,
  'transactional.id.expiration.ms': 604_800_000,
  'transaction.remove.expired.transaction.cleanup.interval.ms': 3_600_000,
  'transaction.state.log.num.partitions': 50,
  'transaction.state.log.segment.bytes': 104_857_600,
  'producer.id.expiration.ms': 86_400_000,
  'runnel.producer.state.snapshot.interval.ms': 30_000,
}

/** Throws RangeError for a setting that is not a whole number in range (a startup mistake). */
export function transactionConfig(brokerConfigs: Readonly<Record<string, string>>): TransactionConfig {
  const get = wholeNumberSettings(brokerConfigs, DEFAULTS)
  return {
    maxTimeoutMs: get('transaction.max.timeout.ms', 1),
    abortTimedOutIntervalMs: get('transaction.abort.timed.out.transaction.cleanup.interval.ms', 1),
    transactionalIdExpirationMs: get('transactional.id.expiration.ms', 1),
    removeExpiredIntervalMs: get('transaction.remove.expired.transaction.cleanup.interval.ms', 1),
    statePartitions: get('transaction.state.log.num.partitions', 1),
    stateSegmentBytes: get('transaction.state.log.segment.bytes', 14),
    producerIdExpirationMs: get('producer.id.expiration.ms', 1),
    snapshotIntervalMs: get('runnel.producer.state.snapshot.interval.ms', 1),
  }
}
