// The broker's Prometheus metrics, on a registry of its own so several brokers can live in
// one process (the test broker). Names follow Prometheus conventions: `_total` counters,
// `_seconds` histograms.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

export interface PartitionGaugeSource {
  /** Every partition with its log start and end offsets, read when /metrics is scraped. */
  partitionOffsets(): Iterable<{
    topic: string
    partition: number
    logStartOffset: number
    logEndOffset: number
  }>
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
  }

  observeRequest(api: string, seconds: number): void {
    this.requests.inc({ api })
    this.requestLatency.observe({ api }, seconds)
  }
}
