// The broker: one node that speaks the Kafka protocol. It owns the listening socket, the
// connections, the topic manager (and through it the partition logs), the HTTP side port and
// the background work (retention, log compaction). `startBroker()` is the library entry point.

import { createServer, type Server, type Socket } from 'node:net'
import { type Logger, pino } from 'pino'
import { AppendNotifier } from './cluster/append-notifier.ts'
import { loadOrCreateMetaProperties, newClusterId } from './cluster/meta-properties.ts'
import { logConfigOf, TopicManager } from './cluster/topics.ts'
import { type BrokerConfig, type BrokerOptions, resolveBrokerConfig } from './config/broker-config.ts'
import { GroupCoordinator } from './group/coordinator.ts'
import type { RequestFaults } from './testing/faults.ts'
import './handlers/index.ts'
import { type HttpSidePort, startHttpSidePort } from './http/side-port.ts'
import { BrokerMetrics } from './metrics.ts'
import { Connection } from './network/connection.ts'
import {
  BufferPool,
  type LogStore,
  MemoryLogStore,
  MemoryTopicCatalog,
  openDiskLogStore,
  openDiskTopicCatalog,
  type PartitionLog,
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
  readonly broker: Broker
  /** Flushes every log, closes connections and listeners. Idempotent. */
  close(): Promise<void>
}

export class Broker {
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
  readonly appends = new AppendNotifier()
  /** Request faults a test asked for (`@runnel/broker/testing`); undefined in production. */
  faults: RequestFaults | undefined
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

  private constructor(
    config: BrokerConfig,
    log: Logger,
    catalog: TopicCatalog,
    logs: LogStore,
    clusterId: string,
  ) {
    this.config = config
    this.log = log
    this.catalog = catalog
    this.logs = logs
    this.clusterId = clusterId
    this.topics = new TopicManager(this)
    this.metrics = new BrokerMetrics({
      partitionOffsets: () => this.topics.partitionOffsets(),
      offlinePartitions: () => this.topics.offlinePartitions(),
      storageStats: () => this.logs.stats(),
      bufferPoolStats: () => this.buffers.stats,
    })
    this.groups = new GroupCoordinator(this)
    this.producers = new ProducerStateManager(this, transactionConfig(config.brokerConfigs))
    this.transactions = new TransactionCoordinator(this)
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
      broker = new Broker(config, log, catalog, logs, clusterId)
      if (!logs.wasCleanShutdown && !created)
        log.warn({ dataDir }, 'previous run did not stop cleanly; logs were recovered')
    } else {
      broker = new Broker(
        config,
        log,
        new MemoryTopicCatalog(),
        new MemoryLogStore({ logger: log }),
        newClusterId(),
      )
    }
    broker.faults = options.faults
    await broker.topics.load()
    await broker.groups.start()
    broker.producers.start()
    await broker.transactions.start()
    await broker.listen()
    if (config.httpPort !== undefined)
      broker.http = await startHttpSidePort(broker, config.httpHost, config.httpPort)
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
    return {
      host: config.host,
      port: broker.boundPort,
      bootstrap: `${config.host}:${broker.boundPort}`,
      httpPort: broker.http?.port,
      clusterId: broker.clusterId,
      broker,
      close: () => broker.close(),
    }
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
    const connection = new Connection(socket, this)
    this.connections.add(connection)
    this.metrics.connections.set(this.connections.size)
  }

  /** Called by a connection when its socket closes. */
  connectionClosed(connection: Connection): void {
    this.connections.delete(connection)
    this.metrics.connections.set(this.connections.size)
  }

  /**
   * The offset below which every transaction is decided: the first offset of the partition's
   * earliest open transaction, else the high watermark.
   */
  lastStableOffset(log: PartitionLog): number {
    return this.producers.lastStableOffset(log)
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
            const result = await this.logs.clean({ stableOffset: (log) => this.lastStableOffset(log) })
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
    this.appends.wakeAll()
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
