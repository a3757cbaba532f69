// Request latencies from several load-generator processes, merged: each process keeps a
// histogram of log-spaced buckets (1% wide, from 1 µs), prints it as JSON, and the harness
// adds them up. A percentile is the upper bound of its bucket, so at most 1% high.

const BASE_MS = 0.001
const LOG_STEP = Math.log(1.01)

export interface LatencyJson {
  count: number
  maxMs: number
  /** [bucket, count] pairs. */
  buckets: [number, number][]
}

export class LatencyHistogram {
  private readonly counts = new Map<number, number>()
  count = 0
  maxMs = 0

  record(ms: number): void {
    const bucket = ms <= BASE_MS ? 0 : Math.ceil(Math.log(ms / BASE_MS) / LOG_STEP)
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1)
    this.count++
    if (ms > this.maxMs) this.maxMs = ms
  }

  add(other: LatencyJson): void {
    for (const [b, n] of other.buckets) this.counts.set(b, (this.counts.get(b) ?? 0) + n)
    this.count += other.count
    this.maxMs = Math.max(this.maxMs, other.maxMs)
  }

  /** The latency at quantile q (0..1), in ms, 3 decimals; 0 when empty. */
  quantileMs(q: number): number {
    if (this.count === 0) return 0
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (const b of [...this.counts.keys()].sort((x, y) => x - y)) {
      seen += this.counts.get(b)!
      if (seen >= rank) return Number(Math.min(BASE_MS * Math.exp(b * LOG_STEP), this.maxMs).toFixed(3))
    }
    return Number(this.maxMs.toFixed(3))
  }

  summary(): { count: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number } {
    return {
      count: this.count,
      p50Ms: this.quantileMs(0.5),
      p99Ms: this.quantileMs(0.99),
      p999Ms: this.quantileMs(0.999),
      maxMs: Number(this.maxMs.toFixed(3)),
    }
  }

  toJSON(): LatencyJson {
    return { count: this.count, maxMs: this.maxMs, buckets: [...this.counts] }
  }

  static merged(parts: readonly LatencyJson[]): LatencyHistogram {
    const h = new LatencyHistogram()
    for (const p of parts) h.add(p)
    return h
  }
}
