// Broker settings: what `startBroker()` and `runnel broker` accept, with Kafka's defaults.

import type { Clock } from '../group/clock.ts'
import type { RequestFaults } from '../testing/faults.ts'

export interface BrokerOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string
  /** Kafka port; 0 picks a free one. Default 9092. */
  port?: number
  /** Host and port clients are told to connect to (Metadata). Default: the bound ones. */
  advertisedHost?: string
  advertisedPort?: number
  /** This node's id, reported as leader and controller. Default 1. */
  nodeId?: number
  /** Where logs and metadata live. Without it the broker keeps everything in memory. */
  dataDir?: string
  /** Port of the HTTP side port serving /health and /metrics; undefined = none, 0 = any. */
  httpPort?: number
  httpHost?: string
  /** auto.create.topics.enable. Default true, as Kafka. */
  autoCreateTopics?: boolean
  /** num.partitions for auto-created topics and CreateTopics with -1. Default 1. */
  numPartitions?: number
  /** socket.request.max.bytes. Default 100 MiB. */
  socketRequestMaxBytes?: number
  /**
   * log.retention.check.interval.ms. Default: brokerConfigs['log.retention.check.interval.ms'],
   * else 5 minutes, as Kafka.
   */
  retentionCheckIntervalMs?: number
  /**
   * Broker-level topic defaults by Kafka's broker config names (log.retention.ms,
   * log.segment.bytes, message.max.bytes, log.cleanup.policy, ...).
   */
  brokerConfigs?: Record<string, string>
  /**
   * Request faults for tests (`@runnel/broker/testing`): delay, fail or drop requests by API key
   * and topic. Never set in production.
   */
  faults?: RequestFaults
  /**
   * The clock of the group and transaction coordinators (session and rebalance timeouts,
   * transaction.timeout.ms, offset and transactional id expiry). Default: the process clock.
   * Tests pass a manual one (`@runnel/broker/testing`'s ManualClock) to make time pass at once.
   */
  clock?: Clock
  /** pino level. Default 'info'. */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
}

export interface BrokerConfig {
  readonly host: string
  readonly port: number
  readonly advertisedHost: string | undefined
  readonly advertisedPort: number | undefined
  readonly nodeId: number
  readonly dataDir: string | undefined
  readonly httpPort: number | undefined
  readonly httpHost: string
  readonly autoCreateTopics: boolean
  readonly numPartitions: number
  readonly socketRequestMaxBytes: number
  readonly retentionCheckIntervalMs: number
  readonly brokerConfigs: Readonly<Record<string, string>>
  readonly logLevel: NonNullable<BrokerOptions['logLevel']>
}

export function resolveBrokerConfig(options: BrokerOptions): BrokerConfig {
  const numPartitions = options.numPartitions ?? 1
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new RangeError(`numPartitions must be a positive integer, got ${options.numPartitions}`)
  }
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 9092,
    advertisedHost: options.advertisedHost,
    advertisedPort: options.advertisedPort,
    nodeId: options.nodeId ?? 1,
    dataDir: options.dataDir,
    httpPort: options.httpPort,
    httpHost: options.httpHost ?? options.host ?? '127.0.0.1',
    autoCreateTopics: options.autoCreateTopics ?? true,
    numPartitions,
    socketRequestMaxBytes: options.socketRequestMaxBytes ?? 100 * 1024 * 1024,
    retentionCheckIntervalMs:
      options.retentionCheckIntervalMs ??
      positiveMs(options.brokerConfigs?.['log.retention.check.interval.ms']) ??
      5 * 60 * 1000,
    brokerConfigs: { ...(options.brokerConfigs ?? {}) },
    logLevel: options.logLevel ?? 'info',
  }
}

/** A broker config given in milliseconds, as a string; undefined when absent. */
function positiveMs(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const ms = Number(value)
  if (!Number.isInteger(ms) || ms < 1) {
    throw new RangeError(`log.retention.check.interval.ms must be a positive integer, got "${value}"`)
  }
  return ms
}
