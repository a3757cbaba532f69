// The broker's Prometheus metrics, on a registry of its own so several brokers can live in
// one process (the test broker). Names follow Prometheus conventions: `_total` counters,
// `_seconds` histograms.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { BufferPoolStats, StorageStats } from './storage/index.ts'

export interface PartitionGaugeSource {
  /** Every partition with its log start and end offsets, read when /metrics is scraped. */
  partitionOffsets(): Iterable<{
    topic: string
    partition: number
    logStartOffset: number
    logEndOffset: number
  }>
  /** The log store's counters (tail cache, fsyncs, compaction), read when /metrics is scraped. */
  storageStats(): StorageStats
  /** Partitions whose log is offline after an I/O error. */
  offlinePartitions(): Iterable<{ topic: string; partition: number }>
  /** The broker's buffer pool (storage/buffer-pool.ts). */
  bufferPoolStats(): BufferPoolStats
}

/** The event-loop delay sampler's period. */
const LOOP_SAMPLE_MS = 10

type Sampled = readonly [name: string, help: string, kind: 'counter' | 'gauge', read: () => number]

/** Metrics read from the storage layer's own counters when /metrics is scraped. */
function storageSamples(source: PartitionGaugeSource): Sampled[] {
  const storage = () => source.storageStats()
  const pool = () => source.bufferPoolStats()
  return [
    ['runnel_broker_log_segments', 'Segments across all partition logs', 'gauge', () => storage().segments],
    [
      'runnel_broker_log_size_bytes',
      'Bytes held by all partition logs',
      'gauge',
      () => storage().sizeInBytes,
    ],
    [
      'runnel_broker_log_fsyncs_total',
      'fsync calls made for partition logs',
      'counter',
      () => storage().fsyncs,
    ],
    [
      'runnel_broker_tail_cache_bytes',
      'Bytes of recent batches kept in memory for fetches',
      'gauge',
      () => storage().tailCacheBytes,
    ],
    [
      'runnel_broker_tail_cache_hits_total',
      'Reads answered from the tail cache',
      'counter',
      () => storage().tailCacheHits,
    ],
    [
      'runnel_broker_tail_cache_misses_total',
      'Reads that went to the segment files',
      'counter',
      () => storage().tailCacheMisses,
    ],
    [
      'runnel_broker_cleaner_runs_total',
      'Log compaction cleanings completed',
      'counter',
      () => storage().cleanerRuns,
    ],
    [
      'runnel_broker_cleaner_bytes_read_total',
      'Bytes the log cleaner read',
      'counter',
      () => storage().cleanerBytesRead,
    ],
    [
      'runnel_broker_cleaner_bytes_reclaimed_total',
      'Bytes log compaction removed',
      'counter',
      () => storage().cleanerBytesReclaimed,
    ],
    [
      'runnel_broker_cleaner_records_removed_total',
      'Records log compaction removed',
      'counter',
      () => storage().cleanerRecordsRemoved,
    ],
    [
      'runnel_broker_cleaner_seconds_total',
      'Wall time of completed cleanings',
      'counter',
      () => storage().cleanerTimeMs / 1000,
    ],
    [
      'runnel_broker_uncleanable_partitions',
      'Partitions the cleaner gave up on after an error',
      'gauge',
      () => storage().uncleanablePartitions,
    ],
    [
      'runnel_broker_buffer_pool_acquired_total',
      'Pooled buffers handed out (produce requests)',
      'counter',
      () => pool().acquired,
    ],
    [
      'runnel_broker_buffer_pool_reused_total',
      'Pooled buffers handed out again instead of fresh memory',
      'counter',
      () => pool().reused,
    ],
    [
      'runnel_broker_buffer_pool_idle_bytes',
      'Capacity of free pooled buffers',
      'gauge',
      () => pool().idleBytes,
    ],
    [
      'runnel_broker_buffer_pool_in_use_bytes',
      'Capacity of pooled buffers in use (requests, tail cache, responses)',
      'gauge',
      () => pool().inUseBytes,
    ],
  ]
}

export class BrokerMetrics {
  readonly registry = new Registry()
  readonly bytesIn: Counter<'topic'>
  readonly bytesOut: Counter<'topic'>
  readonly messagesIn: Counter<'topic'>
  readonly messagesOut: Counter<'topic'>
  readonly requests: Counter<'api'>
  readonly requestLatency: Histogram<'api'>
  readonly connections: Gauge
  /**
   * How late the event loop ran a 10 ms timer, since the previous scrape: every request, timer
   * and socket waits behind whatever runs now. Owner: this object; collect() resets it.
   */
  private readonly loopDelay: RecordableHistogram = createHistogram()
  private readonly loopTimer: NodeJS.Timeout

  constructor(source: PartitionGaugeSource) {
    const registers = [this.registry]
    this.bytesIn = new Counter({
      name: 'runnel_broker_bytes_in_total',
      help: 'Record batch bytes appended, by topic',
      labelNames: ['topic'],
      registers,
    })
    this.bytesOut = new Counter({
      name: 'runnel_broker_bytes_out_total',
      help: 'Record batch bytes returned by Fetch, by topic',
      labelNames: ['topic'],
      registers,
    })
    this.messagesIn = new Counter({
      name: 'runnel_broker_messages_in_total',
      help: 'Records appended, by topic',
      labelNames: ['topic'],
      registers,
    })
    this.messagesOut = new Counter({
      name: 'runnel_broker_messages_out_total',
      help: 'Records returned by Fetch, by topic (counted from batch headers)',
      labelNames: ['topic'],
      registers,
    })
    this.requests = new Counter({
      name: 'runnel_broker_requests_total',
      help: 'Requests handled, by API',
      labelNames: ['api'],
      registers,
    })
    this.requestLatency = new Histogram({
      name: 'runnel_broker_request_duration_seconds',
      help: 'Time from a request being read to its response being queued, by API',
      labelNames: ['api'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    })
    this.connections = new Gauge({
      name: 'runnel_broker_connections',
      help: 'Open client connections',
      registers,
    })
    const logEnd = new Gauge({
      name: 'runnel_broker_log_end_offset',
      help: 'Log end offset (high watermark) by topic and partition',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset()
        for (const p of source.partitionOffsets())
          this.set({ topic: p.topic, partition: p.partition }, p.logEndOffset)
      },
    })
    new Gauge({
      name: 'runnel_broker_log_start_offset',
      help: 'Log start offset by topic and partition',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset()
        for (const p of source.partitionOffsets())
          this.set({ topic: p.topic, partition: p.partition }, p.logStartOffset)
      },
    })
    void logEnd
    new Gauge({
      name: 'runnel_broker_offline_partitions',
      help: 'Partitions whose log is offline after an I/O error (Kafka: OfflinePartitionsCount); each answers KAFKA_STORAGE_ERROR until restart',
      registers,
      collect() {
        this.set([...source.offlinePartitions()].length)
      },
    })
    new Gauge({
      name: 'runnel_broker_partition_offline',
      help: '1 for each partition whose log is offline (see /health for why)',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset()
        for (const p of source.offlinePartitions()) this.set({ topic: p.topic, partition: p.partition }, 1)
      },
    })
    // Not perf_hooks.monitorEventLoopDelay: its reset() drops the interval in progress, so a
    // stall just after a scrape never showed (measured). This timer records every interval,
    // less its own period, the one spanning a scrape included.
    const loopDelay = this.loopDelay
    let last = performance.now()
    this.loopTimer = setInterval(() => {
      const now = performance.now()
      loopDelay.record(Math.max(1, Math.round((now - last - LOOP_SAMPLE_MS) * 1e6)))
      last = now
    }, LOOP_SAMPLE_MS).unref()
    new Gauge({
      name: 'runnel_broker_event_loop_delay_seconds',
      help: 'Event loop delay since the previous scrape (reset at each scrape), sampled every 10 ms: quantile 0.5, 0.99 and max',
      labelNames: ['quantile'],
      registers,
      collect() {
        // No sample yet (a scrape right after the previous one): 0, not the histogram's sentinel.
        // Recorded in ns, at least 1 (record() takes no 0).
        const none = loopDelay.count === 0
        this.set({ quantile: '0.5' }, none ? 0 : loopDelay.percentile(50) / 1e9)
        this.set({ quantile: '0.99' }, none ? 0 : loopDelay.percentile(99) / 1e9)
        this.set({ quantile: 'max' }, none ? 0 : loopDelay.max / 1e9)
        loopDelay.reset()
      },
    })
    new Gauge({
      name: 'process_resident_memory_bytes',
      help: 'Resident memory of the broker process (all of it: every broker in one process shares it)',
      registers,
      collect() {
        this.set(process.memoryUsage.rss())
      },
    })
    // Where the resident memory goes: the V8 heap (used, and what V8 holds for it) and the
    // memory of Buffers and other ArrayBuffers outside it (records, the tail cache).
    const memory: [name: string, help: string, read: (m: NodeJS.MemoryUsage) => number][] = [
      ['nodejs_heap_size_used_bytes', 'V8 heap in use in the broker process', (m) => m.heapUsed],
      ['nodejs_heap_size_total_bytes', 'V8 heap the broker process holds', (m) => m.heapTotal],
      [
        'nodejs_external_memory_bytes',
        'Memory of Buffers and other objects outside the V8 heap',
        (m) => m.external,
      ],
    ]
    for (const [name, help, read] of memory) {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(process.memoryUsage()))
        },
      })
    }
    for (const [name, help, kind, read] of storageSamples(source)) {
      if (kind === 'gauge') {
        new Gauge({
          name,
          help,
          registers,
          collect() {
            this.set(read())
          },
        })
      } else {
        new Counter({
          name,
          help,
          registers,
          collect() {
            this.reset()
            this.inc(read())
          },
        })
      }
    }
  }

  /** Stops sampling the event loop (the broker has closed). */
  close(): void {
    clearInterval(this.loopTimer)
  }

  /** Label children per API, looked up once: prom-client hashes a label object on every call. */
  private readonly perApi = new Map<string, { count: Counter.Internal; latency: Histogram.Internal<'api'> }>()

  observeRequest(api: string, seconds: number): void {
    let children = this.perApi.get(api)
    if (children === undefined) {
      children = { count: this.requests.labels(api), latency: this.requestLatency.labels(api) }
      this.perApi.set(api, children)
    }
    children.count.inc()
    children.latency.observe(seconds)
  }
}
