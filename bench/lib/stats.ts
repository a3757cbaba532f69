// Summaries of repeated runs and of latency samples.

/** Nearest rank: the smallest sample with at least `q` of the samples at or below it, in ms. */
export function percentileMs(sortedNanos: readonly number[], q: number): number {
  if (sortedNanos.length === 0) return 0
  const rank = Math.max(1, Math.ceil(q * sortedNanos.length))
  return Number((sortedNanos[rank - 1] / 1e6).toFixed(3))
}

export interface Spread {
  median: number
  min: number
  max: number
}

/** Median (the middle run; the mean of the two middle ones for an even count), min and max. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN }
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { median, min: sorted[0], max: sorted[sorted.length - 1] }
}
