// Which segments retention deletes (Kafka's UnifiedLog.deleteOldSegments), shared by the disk and
// memory logs. Three passes run in Kafka's order, each over the segments the previous left:
//   1. logStartOffset: a segment whose successor starts at or below logStartOffset (DeleteRecords
//      moved the start past all of it). Runs whatever the cleanup policy.
//   2. retention.bytes (policy includes delete, limit >= 0, log size >= limit): oldest segments
//      while the log stays at or above the limit without them.
//   3. retention.ms (policy includes delete, limit >= 0): oldest segments whose largest timestamp
//      (max batch timestamp, or the file's last-modified time when no batch has one) is more than
//      retention.ms before `now`.
// A pass stops at the first segment it keeps (only a prefix is ever deleted). The active segment
// is deletable like any other when it is not empty; when a pass would delete every segment,
// Kafka first rolls a new empty active segment at the log end offset, so the log always keeps
// one segment and logStartOffset becomes the log end offset. An empty active segment is never
// deleted.
import { deletesByRetention, type LogConfig } from './log-config.ts'
import { NO_TIMESTAMP } from './time-index.ts'

export interface RetentionCandidate {
  readonly baseOffset: number
  readonly size: number
  /** Largest batch maxTimestamp in the segment, or -1. */
  readonly maxTimestamp: number
  /** Wall-clock time of the last append (or the file's mtime after a restart). */
  readonly lastModifiedMs: number
}

export interface RetentionPlan {
  /** Delete this many segments from the front. */
  readonly deleteCount: number
  /** Roll the active segment first (the plan deletes every existing segment). */
  readonly rollFirst: boolean
  readonly reason: 'logStartOffset' | 'retentionBytes' | 'retentionMs' | undefined
}

export const largestTimestamp = (s: RetentionCandidate): number =>
  s.maxTimestamp > NO_TIMESTAMP ? s.maxTimestamp : s.lastModifiedMs

type Predicate = (segment: RetentionCandidate, next: RetentionCandidate | undefined) => boolean

function deletablePrefix(
  segments: readonly RetentionCandidate[],
  from: number,
  predicate: Predicate,
): number {
  let i = from
  while (i < segments.length) {
    const segment = segments[i]
    const next = segments[i + 1]
    const lastAndEmpty = next === undefined && segment.size === 0
    if (lastAndEmpty || !predicate(segment, next)) break
    i++
  }
  return i - from
}

/**
 * `passes`: 'all' for the retention timer; 'logStartOffset' right after DeleteRecords (which
 * deletes the segments it made unreachable but does not apply time/size retention).
 */
export function planRetention(
  segments: readonly RetentionCandidate[],
  config: LogConfig,
  logStartOffset: number,
  now: number,
  passes: 'all' | 'logStartOffset' = 'all',
): RetentionPlan {
  let deleted = 0
  let reason: RetentionPlan['reason']
  const run = (name: NonNullable<RetentionPlan['reason']>, predicate: Predicate) => {
    const n = deletablePrefix(segments, deleted, predicate)
    if (n > 0) {
      deleted += n
      reason ??= name
    }
  }

  run('logStartOffset', (_s, next) => next !== undefined && next.baseOffset <= logStartOffset)

  if (passes === 'all' && deletesByRetention(config)) {
    if (config.retentionBytes >= 0) {
      let size = 0
      for (let i = deleted; i < segments.length; i++) size += segments[i].size
      if (size >= config.retentionBytes) {
        let excess = size - config.retentionBytes
        run('retentionBytes', (s) => {
          if (excess - s.size < 0) return false
          excess -= s.size
          return true
        })
      }
    }
    if (config.retentionMs >= 0) {
      run('retentionMs', (s) => now - largestTimestamp(s) > config.retentionMs)
    }
  }
  return { deleteCount: deleted, rollFirst: deleted > 0 && deleted === segments.length, reason }
}
