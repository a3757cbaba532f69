// Consumer lag on the broker's Prometheus registry, per group, topic and partition: the
// committed offset, the partition's log end offset, and the lag in messages between them.
// Computed when /metrics is scraped, from the coordinator's in-memory offsets (no I/O).
import { Gauge, type Registry } from 'prom-client'

export interface CommittedOffsetSample {
  group: string
  topic: string
  partition: number
  committed: bigint
  /** undefined when the topic or partition no longer exists. */
  logEndOffset: number | undefined
}

export function registerLagMetrics(registry: Registry, source: () => Iterable<CommittedOffsetSample>): void {
  const labelNames = ['group', 'topic', 'partition'] as const
  const registers = [registry]
  const samples = () => {
    const out: {
      labels: { group: string; topic: string; partition: number }
      committed: number
      end: number
    }[] = []
    for (const s of source()) {
      if (s.logEndOffset === undefined) continue
      out.push({
        labels: { group: s.group, topic: s.topic, partition: s.partition },
        committed: Number(s.committed),
        end: s.logEndOffset,
      })
    }
    return out
  }
  new Gauge({
    name: 'runnel_group_committed_offset',
    help: 'Committed offset of a consumer group, by group, topic and partition',
    labelNames,
    registers,
    collect() {
      this.reset()
      for (const s of samples()) this.set(s.labels, s.committed)
    },
  })
  new Gauge({
    name: 'runnel_group_log_end_offset',
    help: 'Log end offset of a partition a consumer group has committed on',
    labelNames,
    registers,
    collect() {
      this.reset()
      for (const s of samples()) this.set(s.labels, s.end)
    },
  })
  new Gauge({
    name: 'runnel_group_lag',
    help: 'Consumer lag in messages: log end offset minus committed offset (0 when ahead)',
    labelNames,
    registers,
    collect() {
      this.reset()
      for (const s of samples()) this.set(s.labels, Math.max(0, s.end - s.committed))
    },
  })
}
