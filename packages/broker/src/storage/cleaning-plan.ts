// Whether a log needs compacting and over which segments (Kafka's LogCleanerManager.
// cleanableOffsets and LogToClean), and which segments one cleaned segment may replace. Shared by
// the disk and memory logs; pure.
//
// A compacted log is a clean section (segments below the first dirty offset, already compacted)
// followed by a dirty section (appended since), up to the first uncleanable offset:
//   - the active segment is never cleaned;
//   - nor anything at or past the log's uncleanable bound (the disk log's durable recovery point,
//     so a cleaned segment never needs recovery's scan; the last stable offset once transactions
//     exist);
//   - with min.compaction.lag.ms > 0, nor the first segment whose largest timestamp is younger
//     than that, or anything after it.
// Only whole segments are cleaned. The log is cleanable when, as in Kafka, dirty bytes over all
// cleanable bytes is above min.cleanable.dirty.ratio, or when a dirty segment's first batch is
// older than max.compaction.lag.ms. Runnel adds one trigger: the delete horizon of a tombstone the
// last cleaning kept has passed, so delete.retention.ms is honoured without waiting for new writes.
import { compacts, type LogConfig } from './log-config.ts'
import { largestTimestamp } from './retention.ts'
import { MAX_RELATIVE_OFFSET } from './roll-policy.ts'
import { NO_TIMESTAMP } from './time-index.ts'

/** A segment as the cleaner sees it (the disk Segment and the memory segment both fit). */
export interface CleanerSegment {
  readonly baseOffset: number
  /** Last offset + 1 of its last batch: the next segment's base offset. */
  readonly nextOffset: number
  readonly size: number
  /** Largest batch maxTimestamp, or -1. */
  readonly maxTimestamp: number
  readonly lastModifiedMs: number
  /** maxTimestamp of its first batch, or -1. */
  readonly firstBatchTimestamp: number
}

export interface CleaningInput<S extends CleanerSegment = CleanerSegment> {
  /** Every segment, oldest first; the last is the active one. */
  readonly segments: readonly S[]
  readonly logStartOffset: number
  readonly logEndOffset: number
  /** Where the last cleaning stopped (0 when the log was never cleaned). */
  readonly firstDirtyOffset: number
  readonly config: LogConfig
  /** Nothing at or past this offset is cleaned (recovery point, last stable offset). */
  readonly uncleanableFrom: number
  /** The earliest delete horizon of a tombstone the last cleaning kept, if it kept any. */
  readonly nextDeleteHorizon: number | undefined
}

export const CleaningReason = {
  dirtyRatio: 'dirtyRatio',
  maxCompactionLag: 'maxCompactionLag',
  deleteHorizon: 'deleteHorizon',
} as const
export type CleaningReason = (typeof CleaningReason)[keyof typeof CleaningReason]

export interface CleaningPlan<S extends CleanerSegment = CleanerSegment> {
  readonly firstDirtyOffset: number
  readonly firstUncleanableOffset: number
  /** The sealed segments wholly below firstUncleanableOffset, oldest first. */
  readonly candidates: readonly S[]
  /** How many of the candidates lie wholly below firstDirtyOffset (the clean section). */
  readonly cleanCount: number
  readonly cleanBytes: number
  /** Bytes of the dirty candidates. */
  readonly cleanableBytes: number
  /** cleanableBytes / (cleanBytes + cleanableBytes), 0 for an empty log. */
  readonly dirtyRatio: number
  /** Why to clean now, or undefined when the log can wait. */
  readonly reason: CleaningReason | undefined
}

/** The plan for one log, or undefined when its policy does not include compact. */
export function planCleaning<S extends CleanerSegment>(
  input: CleaningInput<S>,
  now: number,
): CleaningPlan<S> | undefined {
  const { config, segments } = input
  if (!compacts(config)) return undefined
  // Kafka resets a checkpoint that lies outside the log to the log start.
  const checkpointed = input.firstDirtyOffset
  const firstDirtyOffset =
    checkpointed < input.logStartOffset || checkpointed > input.logEndOffset
      ? input.logStartOffset
      : checkpointed

  const active = segments[segments.length - 1]
  let firstUncleanableOffset = Math.min(active.baseOffset, input.uncleanableFrom)
  if (config.minCompactionLagMs > 0) {
    for (const segment of segments) {
      if (segment === active || segment.baseOffset >= firstUncleanableOffset) break
      if (segment.nextOffset <= firstDirtyOffset) continue
      if (largestTimestamp(segment) > now - config.minCompactionLagMs) {
        firstUncleanableOffset = segment.baseOffset
        break
      }
    }
  }

  const candidates: S[] = []
  let cleanCount = 0
  let cleanBytes = 0
  let cleanableBytes = 0
  let earliestDirtyTimestamp = Number.POSITIVE_INFINITY
  for (const segment of segments) {
    if (segment === active || segment.nextOffset > firstUncleanableOffset) break
    candidates.push(segment)
    if (segment.nextOffset <= firstDirtyOffset) {
      cleanCount++
      cleanBytes += segment.size
    } else {
      cleanableBytes += segment.size
      if (segment.firstBatchTimestamp > NO_TIMESTAMP && segment.firstBatchTimestamp < earliestDirtyTimestamp)
        earliestDirtyTimestamp = segment.firstBatchTimestamp
    }
  }
  const total = cleanBytes + cleanableBytes
  const dirtyRatio = total > 0 ? cleanableBytes / total : 0

  let reason: CleaningReason | undefined
  if (cleanableBytes > 0 && dirtyRatio > config.minCleanableDirtyRatio) reason = CleaningReason.dirtyRatio
  else if (cleanableBytes > 0 && earliestDirtyTimestamp < now - config.maxCompactionLagMs)
    reason = CleaningReason.maxCompactionLag
  else if (candidates.length > 0 && input.nextDeleteHorizon !== undefined && input.nextDeleteHorizon <= now)
    reason = CleaningReason.deleteHorizon

  return {
    firstDirtyOffset,
    firstUncleanableOffset,
    candidates,
    cleanCount,
    cleanBytes,
    cleanableBytes,
    dirtyRatio,
    reason,
  }
}

/**
 * Whether `segment` may join a cleaned segment that starts at `groupBase` and holds `outputBytes`
 * so far: even if cleaning removes nothing from it, the result stays within `maxBytes`
 * (segment.bytes) and its offsets fit 32-bit relative offsets. Kafka plans its groups from the
 * sizes before cleaning; deciding on the output so far merges much more, and still never
 * overflows a segment.
 */
export function fitsCleanedSegment(
  groupBase: number,
  outputBytes: number,
  segment: CleanerSegment,
  maxBytes: number,
): boolean {
  return outputBytes + segment.size <= maxBytes && segment.nextOffset - 1 - groupBase <= MAX_RELATIVE_OFFSET
}
