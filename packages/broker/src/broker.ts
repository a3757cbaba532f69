// The broker: one node that speaks the Kafka protocol. It owns the listening socket, the
// connections, the topic manager (and through it the partition logs), the HTTP side port and
// the background work (retention, log compaction). `startBroker()` is the library entry point.

import { createServer, type Server, type Socket } from 'node:net'
import { type Logger, pino } from 'pino'
import { loadOrCreateMetaProperties, newClusterId } from './cluster/meta-properties.ts'
import { Partitions } from './cluster/partitions.ts'
import { logConfigOf, TopicManager } from './cluster/topics.ts'
import { type BrokerConfig, type BrokerOptions, resolveBrokerConfig } from './config/broker-config.ts'
import { GroupCoordinator } from './group/coordinator.ts'
import './handlers/index.ts'
import { type HttpSidePort, startHttpSidePort } from './http/side-port.ts'
import { BrokerMetrics } from './metrics.ts'
import { Connection, type ConnectionDeps } from './network/connection.ts'
import type { BrokerServices, NodeIdentity } from './services.ts'
import {
  BufferPool,
  type LogStore,
  MemoryLogStore,
  MemoryTopicCatalog,
  openDiskLogStore,
  openDiskTopicCatalog,
  type TopicCatalog,
} from './storage/index.ts'
import { ProducerStateManager } from './txn/producer-states.ts'
import { TransactionCoordinator } from './txn/transaction-coordinator.ts'
import { transactionConfig } from './txn/txn-config.ts'

export interface RunningBroker {
  /** The Kafka listener's bound host and port. */
  readonly host: string
  readonly port: number
  /** `host:port`, ready for a client's bootstrap list. */
  readonly bootstrap: string
  /** The HTTP side port (/health, /metrics) when enabled. */
  readonly httpPort: number | undefined
  readonly clusterId: string
  /** The broker's logger (pino), for the process that embeds it. */
  readonly log: Logger
  /** Flushes every log, closes connections and listeners. Idempotent. */
  close(): Promise<void>
}

/** The broker behind each RunningBroker (and test broker), for this package's own tests. */
const internals = new WeakMap<object, Broker>()

/**
 * The broker object behind a running broker or a test broker: for @runnel/broker's own tests,
 * which look at its state. Not part of the package's public entry points.
 */
export function brokerInternals(running: RunningBroker | object): Broker {
  const broker = internals.get(running)
  if (!broker) throw new Error('not a broker started by startBroker() or startTestBroker()')
  return broker
}

/** Makes `handle` (a wrapper of `running`, such as a test broker) name the same internals. */
export function shareInternals(running: object, handle: object): void {
  const broker = internals.get(running)
  if (broker) internals.set(handle, broker)
}

/**
 * The composition root: builds the broker's parts, gives each the narrow services it works with
 * (src/services.ts), and owns the listener, the connections, the side port and the timers.
 * Nothing in the broker imports this file to reach another part.
 */
export class Broker implements NodeIdentity {
  readonly config: BrokerConfig
  readonly log: Logger
  readonly metrics: BrokerMetrics
  readonly topics: TopicManager
  /** Consumer groups and committed offsets (kept in __consumer_offsets). */
  readonly groups: GroupCoordinator
  /** Producer ids, sequences and open/aborted transactions of every partition (snapshots in __producer_state/). */
  readonly producers: ProducerStateManager
  /** Transactional ids and their transactions (kept in __transaction_state). */
  readonly transactions: TransactionCoordinator
  /** The one way into partitions' records: appends with producer state, reads, waits for appends. */
  readonly partitions: Partitions
  /** What request handlers, connections and the side port are given (src/services.ts). */
  readonly services: BrokerServices
  /** Reused memory for produce requests and the tail cache's batches (storage/buffer-pool.ts). */
  readonly buffers = new BufferPool()
  /** Topics that exist, with ids, partition counts and config overrides (persisted). */
  readonly catalog: TopicCatalog
  /** Every partition log. */
  readonly logs: LogStore
  readonly clusterId: string
  /** Owner: the broker; connections add and remove themselves. */
  private readonly connections = new Set<Connection>()
  private server: Server | undefined
  private http: HttpSidePort | undefined
  private retentionTimer: NodeJS.Timeout | undefined
  private cleanerTimer: NodeJS.Timeout | undefined
  /** The log cleaner's current run (one at a time). Owner: the broker. */
  private cleaning: Promise<void> | undefined
  private boundPort = 0
  private closing: Promise<void> | undefined

  private readonly connectionDeps: ConnectionDeps

  private constructor(
    config: BrokerConfig,
    log: Logger,
    catalog: TopicCatalog,
    logs: LogStore,
    clusterId: string,
    /** The coordinators' clock and a test's request faults (BrokerOptions). */
    { clock, faults }: Pick<BrokerOptions, 'clock' | 'faults'>,
  ) {
    this.config = config
    this.log = log
    this.catalog = catalog
    this.logs = logs
    this.clusterId = clusterId
    this.topics = new TopicManager({
      config,
      log,
      catalog,
      logs,
      topicDeleted: (name, partitions) => this.partitions.topicDeleted(name, partitions),
    })
    this.metrics = new BrokerMetrics({
      partitionOffsets: () => this.topics.partitionOffsets(),
      offlinePartitions: () => this.topics.offlinePartitions(),
      storageStats: () => this.logs.stats(),
      bufferPoolStats: () => this.buffers.stats,
    })
    this.producers = new ProducerStateManager(
      {
        log,
        dataDir: config.dataDir,
        topics: this.topics,
        // Kafka's transaction.partition.verification: the transaction coordinator's answer.
        verifier: {
          verifyPartition: (txnId, pid, epoch, topic, partition) =>
            this.transactions.verifyPartition(txnId, pid, epoch, topic, partition),
        },
      },
      transactionConfig(config.brokerConfigs),
    )
    this.partitions = new Partitions(this.producers)
    const internalTopics = { log, topics: this.topics, partitions: this.partitions }
    this.groups = new GroupCoordinator({
      ...internalTopics,
      brokerConfigs: config.brokerConfigs,
      metrics: this.metrics.registry,
      clock,
    })
    const groups = this.groups
    this.transactions = new TransactionCoordinator({
      ...internalTopics,
      brokerConfigs: config.brokerConfigs,
      producerIdDir: this.producers.dir,
      markers: this.partitions,
      // The group side of a transaction's completion: its offsets partition and pending offsets.
      groups: {
        ensureReady: () => groups.ensureReady(),
        offsetsPartitionFor: (groupId) => groups.offsetsTopic.partitionFor(groupId),
        completeTransaction: (producerId, partitions, commit) =>
          groups.completeTransaction(producerId, partitions, commit),
        commitTxnOffsets: (input) => groups.commitTxnOffsets(input),
      },
      clock,
    })
    this.services = {
      node: this,
      config,
      log,
      metrics: this.metrics,
      topics: this.topics,
      partitions: this.partitions,
      groups: this.groups,
      transactions: this.transactions,
    }
    this.connectionDeps = {
      services: this.services,
      buffers: this.buffers,
      maxRequestBytes: config.socketRequestMaxBytes,
      faults,
      closed: (connection) => this.connectionClosed(connection),
    }
  }

  get nodeId(): number {
    return this.config.nodeId
  }
  get advertisedHost(): string {
    return this.config.advertisedHost ?? this.config.host
  }
  get advertisedPort(): number {
    return this.config.advertisedPort ?? this.boundPort
  }

  static async start(options: BrokerOptions = {}): Promise<RunningBroker> {
    const config = resolveBrokerConfig(options)
    const log = pino({ name: 'runnel-broker', level: config.logLevel })
    let broker: Broker
    if (config.dataDir !== undefined) {
      const dataDir = config.dataDir
      const { clusterId, created } = loadOrCreateMetaProperties(dataDir, config.nodeId)
      const catalog = openDiskTopicCatalog(dataDir)
      // Logs found on disk open with their topic's config, which the catalog knows.
      const logs = await openDiskLogStore({
        dataDir,
        logger: log,
        configFor: (topic: string) => logConfigOf(catalog.get(topic)?.configs ?? {}, config.brokerConfigs),
      })
      broker = new Broker(config, log, catalog, logs, clusterId, options)
      if (!logs.wasCleanShutdown && !created)
        log.warn({ dataDir }, 'previous run did not stop cleanly; logs were recovered')
    } else {
      broker = new Broker(
        config,
        log,
        new MemoryTopicCatalog(),
        new MemoryLogStore({ logger: log }),
        newClusterId(),
        options,
      )
    }
    await broker.topics.load()
    await broker.groups.start()
    broker.producers.start()
    await broker.transactions.start()
    await broker.listen()
    if (config.httpPort !== undefined)
      broker.http = await startHttpSidePort(broker.services, config.httpHost, config.httpPort)
    broker.retentionTimer = setInterval(() => broker.enforceRetention(), config.retentionCheckIntervalMs)
    broker.retentionTimer.unref()
    // Kafka's log cleaner: log.cleaner.enable (default true), woken every log.cleaner.backoff.ms.
    if (config.brokerConfigs['log.cleaner.enable'] !== 'false') {
      broker.cleanerTimer = setInterval(() => void broker.runCleaner(), cleanerBackoffMs(config))
      broker.cleanerTimer.unref()
    }
    log.info(
      {
        host: config.host,
        port: broker.boundPort,
        httpPort: broker.http?.port,
        dataDir: config.dataDir ?? '(memory)',
        clusterId: broker.clusterId,
        topics: broker.topics.list().length,
      },
      'broker started',
    )
    const running: RunningBroker = {
      host: config.host,
      port: broker.boundPort,
      bootstrap: `${config.host}:${broker.boundPort}`,
      httpPort: broker.http?.port,
      clusterId: broker.clusterId,
      log,
      close: () => broker.close(),
    }
    internals.set(running, broker)
    return running
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true }, (socket) => this.accept(socket))
      server.once('error', reject)
      server.listen(this.config.port, this.config.host, () => {
        server.off('error', reject)
        server.on('error', (err) => this.log.error({ err }, 'listener error'))
        const address = server.address()
        this.boundPort = typeof address === 'object' && address ? address.port : this.config.port
        this.server = server
        resolve()
      })
    })
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    const connection = new Connection(socket, this.connectionDeps)
    this.connections.add(connection)
    this.metrics.connections.set(this.connections.size)
  }

  /** Called by a connection when its socket closes. */
  private connectionClosed(connection: Connection): void {
    this.connections.delete(connection)
    this.metrics.connections.set(this.connections.size)
  }

  enforceRetention(now = Date.now()): void {
    try {
      this.topics.enforceRetention(now)
    } catch (err) {
      this.log.error({ err }, 'retention failed')
    }
  }

  /**
   * Log compaction: cleans logs whose cleanup.policy includes compact, one at a time, until none
   * needs it (the storage's cleaner yields to the event loop as it works). Resolves when done.
   */
  runCleaner(): Promise<void> {
    if (this.cleaning === undefined) {
      const run = async () => {
        try {
          for (;;) {
            const result = await this.logs.clean({
              stableOffset: (log) => this.partitions.lastStableOffset(log),
            })
            if (result.kind !== 'cleaned') break
          }
        } catch (err) {
          this.log.error({ err }, 'log cleaning failed')
        } finally {
          this.cleaning = undefined
        }
      }
      this.cleaning = run()
    }
    return this.cleaning
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  private async shutdown(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer)
    if (this.cleanerTimer) clearInterval(this.cleanerTimer) // logs.close() stops a run in progress
    const listenerClosed = new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    )
    for (const c of this.connections) c.close()
    await listenerClosed
    this.partitions.wakeAll()
    await this.http?.close()
    await this.transactions.stop()
    await this.groups.stop()
    await this.producers.stop()
    await this.logs.close()
    this.metrics.close()
    this.log.info('broker stopped')
    this.log.flush?.()
  }
}

/** log.cleaner.backoff.ms (Kafka's default: 15 s): how often the cleaner looks for dirty logs. */
function cleanerBackoffMs(config: BrokerConfig): number {
  const value = Number(config.brokerConfigs['log.cleaner.backoff.ms'] ?? 15_000)
  return Number.isSafeInteger(value) && value > 0 ? value : 15_000
}

/** Starts a broker; `await startBroker({ port: 0, dataDir })` gives its bound address and close(). */
export function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  return Broker.start(options)
}
