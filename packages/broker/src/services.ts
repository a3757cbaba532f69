// The broker's services: the capabilities its parts are given, each by the narrowest interface
// it needs, instead of the broker itself. broker.ts builds them once and hands each part (a
// request handler through its context, the connections, the HTTP side port) the ones it uses;
// nothing imports broker.ts to reach them (docs/architecture.md).
import type { Logger } from 'pino'
import type { Partitions } from './cluster/partitions.ts'
import type { TopicManager } from './cluster/topics.ts'
import type { BrokerConfig } from './config/broker-config.ts'
import type { GroupCoordinator } from './group/coordinator.ts'
import type { BrokerMetrics } from './metrics.ts'
import type { TransactionCoordinator } from './txn/transaction-coordinator.ts'

/** Who this node is, as Metadata, FindCoordinator and DescribeCluster name it. */
export interface NodeIdentity {
  readonly nodeId: number
  readonly clusterId: string
  readonly advertisedHost: string
  /** The advertised port (the bound one unless configured), known once the listener is up. */
  readonly advertisedPort: number
}

/**
 * The capabilities a handler may ask for. Each handler names the few it uses (`uses`) and its
 * context has only those: a handler never sees the broker as a whole.
 */
export interface BrokerServices {
  readonly node: NodeIdentity
  readonly config: BrokerConfig
  readonly log: Logger
  readonly metrics: BrokerMetrics
  /** Topic names, ids, configs and their partition logs; creates and deletes topics. */
  readonly topics: TopicManager
  /** The way into a partition's records: appends (with producer state), reads, waits for appends. */
  readonly partitions: Partitions
  readonly groups: GroupCoordinator
  readonly transactions: TransactionCoordinator
}

export type ServiceName = keyof BrokerServices
