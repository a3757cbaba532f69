// Opening a partition directory: find the segments, decide how far to trust them, repair what a
// crash left behind.
//   - Leftovers are removed: `*.deleted` (a deletion the crash interrupted), `*.tmp` (an atomic
//     write that never got renamed), index files whose .log is gone.
//   - After a clean shutdown every segment is trusted: its indexes are loaded and sanity-checked
//     and only the bytes past the last offset-index entry are scanned (CRC included).
//   - After an unclean shutdown every segment at or past the recovery point (the checkpointed
//     offset below which all segments were sealed and fsynced), and always the last one, is
//     scanned batch by batch: length bounds, magic, offsets, CRC32C. The log is truncated at the
//     first invalid batch, its indexes are rebuilt, and any later segment is deleted (its data
//     would follow a hole). Older segments are trusted as above.
//   - An index that is missing or fails its sanity check is rebuilt from the log, in any mode.
// A batch that was fsynced is never cut: truncation happens only at bytes that fail validation,
// and fsynced bytes validate.
import { join } from 'node:path'
import { StorageError } from './errors.ts'
import { TMP_SUFFIX } from './file-helpers.ts'
import { offsetFileStem, parseSegmentFileName, SegmentFile } from './file-names.ts'
import { type LogCheckpointState, readLogCheckpoint } from './log-checkpoint.ts'
import type { LogConfig } from './log-config.ts'
import { Segment, type SegmentContext, SegmentOpenMode } from './segment.ts'

export interface LoadedPartition {
  readonly segments: Segment[]
  readonly logStartOffset: number
  readonly recoveryPoint: number
  readonly checkpoint: LogCheckpointState | undefined
  /** Bytes cut from segment tails plus bytes of segments dropped after a cut. */
  readonly truncatedBytes: number
  /** Segments whose indexes were rebuilt. */
  readonly rebuiltSegments: number
  /** Whether anything on disk changed (the caller fsyncs before accepting writes). */
  readonly repaired: boolean
}

function removeSegmentFiles(ctx: SegmentContext, baseOffset: number): number {
  const stem = offsetFileStem(baseOffset) + '.'
  let bytes = 0
  for (const name of ctx.fs.readdir(ctx.dir)) {
    if (!name.startsWith(stem)) continue
    const path = join(ctx.dir, name)
    if (name.endsWith(SegmentFile.log)) bytes += ctx.fs.stat(path)?.size ?? 0
    ctx.fs.unlink(path)
  }
  return bytes
}

export function loadPartition(ctx: SegmentContext, config: LogConfig, clean: boolean): LoadedPartition {
  const { fs, logger } = ctx
  let repaired = false
  const names = fs.readdir(ctx.dir)
  const logBases = new Set<number>()
  for (const name of names) {
    const parsed = parseSegmentFileName(name)
    if (parsed?.suffix === SegmentFile.log) logBases.add(parsed.baseOffset)
  }
  for (const name of names) {
    const parsed = parseSegmentFileName(name)
    const leftover = name.endsWith(SegmentFile.deleted) || name.endsWith(TMP_SUFFIX)
    const orphanIndex =
      parsed !== undefined &&
      (parsed.suffix === SegmentFile.offsetIndex || parsed.suffix === SegmentFile.timeIndex) &&
      !logBases.has(parsed.baseOffset)
    if (leftover || orphanIndex) {
      fs.unlink(join(ctx.dir, name))
      repaired = true
    }
  }
  const bases = [...logBases].sort((a, b) => a - b)

  let checkpoint: LogCheckpointState | undefined
  try {
    checkpoint = readLogCheckpoint(fs, ctx.dir)
  } catch (error) {
    if (!(error instanceof StorageError)) throw error
    logger.warn(
      { dir: ctx.dir, error: error.message },
      'ignoring unreadable checkpoint; recovering every segment',
    )
  }
  const recoveryPoint = clean ? Number.POSITIVE_INFINITY : (checkpoint?.recoveryPoint ?? 0)

  const segments: Segment[] = []
  let truncatedBytes = 0
  let rebuiltSegments = 0
  for (let i = 0; i < bases.length; i++) {
    const baseOffset = bases[i]
    const prev = segments[segments.length - 1]
    const expected = prev?.nextOffset ?? 0
    const last = i === bases.length - 1
    if (baseOffset < expected) {
      logger.warn(
        { dir: ctx.dir, baseOffset, expected },
        'segment overlaps the previous one; dropping it and later ones',
      )
      for (const b of bases.slice(i)) truncatedBytes += removeSegmentFiles(ctx, b)
      repaired = true
      break
    }
    const mode =
      !clean && (baseOffset >= recoveryPoint || last) ? SegmentOpenMode.recover : SegmentOpenMode.trust
    const opened = Segment.open(ctx, baseOffset, config, mode, expected, last)
    segments.push(opened.segment)
    if (opened.rebuiltIndexes) rebuiltSegments++
    if (opened.rebuiltIndexes || opened.truncatedBytes > 0) repaired = true
    truncatedBytes += opened.truncatedBytes
    if (opened.truncatedBytes > 0 && !last) {
      // Data after a cut would follow a hole: drop the later segments, make this one active again.
      logger.warn({ dir: ctx.dir, baseOffset }, 'dropping segments after a truncated one')
      for (const b of bases.slice(i + 1)) truncatedBytes += removeSegmentFiles(ctx, b)
      opened.segment.close()
      segments[segments.length - 1] = Segment.open(
        ctx,
        baseOffset,
        config,
        SegmentOpenMode.trust,
        expected,
        true,
      ).segment
      break
    }
  }
  if (segments.length === 0) {
    segments.push(Segment.create(ctx, checkpoint?.logStartOffset ?? 0, config))
    repaired = true
  }
  const logEndOffset = segments[segments.length - 1].nextOffset
  const logStartOffset = Math.min(
    Math.max(checkpoint?.logStartOffset ?? 0, segments[0].baseOffset),
    logEndOffset,
  )
  return {
    segments,
    logStartOffset,
    recoveryPoint: Math.min(checkpoint?.recoveryPoint ?? 0, segments[segments.length - 1].baseOffset),
    checkpoint,
    truncatedBytes,
    rebuiltSegments,
    repaired,
  }
}
