// The group coordinator's settings, read from the broker's configs under Kafka's names
// (`startBroker({ brokerConfigs: { 'group.initial.rebalance.delay.ms': '0' } })`), with
// Kafka's defaults.
import { wholeNumberSettings } from '../config/whole-number-settings.ts'

export interface CoordinatorConfig {
  /** group.min.session.timeout.ms / group.max.session.timeout.ms: the session timeouts a JoinGroup may ask for. */
  readonly minSessionTimeoutMs: number
  readonly maxSessionTimeoutMs: number
  /** group.initial.rebalance.delay.ms. */
  readonly initialRebalanceDelayMs: number
  /** group.max.size. */
  readonly maxSize: number
  /** offsets.retention.minutes, in ms: how long offsets of an empty group are kept. */
  readonly offsetsRetentionMs: number
  /** offsets.retention.check.interval.ms. */
  readonly retentionCheckIntervalMs: number
  /** offset.metadata.max.bytes: the longest commit metadata string accepted. */
  readonly offsetMetadataMaxBytes: number
  /** offsets.topic.num.partitions, used when `__consumer_offsets` is created. */
  readonly offsetsTopicPartitions: number
  /** offsets.topic.segment.bytes. */
  readonly offsetsTopicSegmentBytes: number
}

/** The group coordinator's broker settings and Kafka's defaults (DescribeConfigs lists them). */
export const COORDINATOR_DEFAULTS: Readonly<Record<string, number>> = {
  'group.min.session.timeout.ms': 6000,
  'group.max.session.timeout.ms': 1_800_000,
  'group.initial.rebalance.delay.ms': 3000,
  'group.max.size': 2_147_483_647,
  'offsets.retention.minutes': 7 * 24 * 60,
  'offsets.retention.check.interval.ms': 600_000,
  'offset.metadata.max.bytes': 4096,
  'offsets.topic.num.partitions': 50,
  'offsets.topic.segment.bytes': 104_857_600,
}

/** Throws RangeError for a setting that is not a whole number in range (a startup mistake). */
export function coordinatorConfig(brokerConfigs: Readonly<Record<string, string>>): CoordinatorConfig {
  const get = wholeNumberSettings(brokerConfigs, COORDINATOR_DEFAULTS)
  const minSession = get('group.min.session.timeout.ms', 1)
  const maxSession = get('group.max.session.timeout.ms', minSession)
  return {
    minSessionTimeoutMs: minSession,
    maxSessionTimeoutMs: maxSession,
    initialRebalanceDelayMs: get('group.initial.rebalance.delay.ms', 0),
    maxSize: get('group.max.size', 1),
    offsetsRetentionMs: get('offsets.retention.minutes', 1) * 60_000,
    retentionCheckIntervalMs: get('offsets.retention.check.interval.ms', 1),
    offsetMetadataMaxBytes: get('offset.metadata.max.bytes', 0),
    offsetsTopicPartitions: get('offsets.topic.num.partitions', 1),
    offsetsTopicSegmentBytes: get('offsets.topic.segment.bytes', 14),
  }
}
