// Opening a partition directory: find the segments, decide how far to trust them, repair what a
// crash left behind.
//   - Leftovers are removed: `*.tmp` (an atomic write that never got renamed), index files whose
//     .log is gone, and segments wholly below the checkpointed logStartOffset (retention removes
//     files only after that checkpoint is durable, so these are deletions a crash interrupted).
//   - After a clean shutdown every segment is trusted: its indexes are loaded and sanity-checked
//     and only the bytes past the last offset-index entry are scanned (CRC included).
//   - After an unclean shutdown every segment at or past the recovery point (the checkpointed
//     offset below which all segments were sealed and fsynced), and always the last one, is
//     scanned batch by batch: length bounds, magic, offsets, CRC32C. The log is truncated at the
//     first invalid batch, its indexes are rebuilt, and any later segment is deleted (its data
//     would follow a hole); so is a recovered segment that does not start where the previous one
//     ends. Older segments are trusted as above.
//   - An index that is missing or fails its sanity check is rebuilt from the log, in any mode.
//   - The log cleaner's leftovers, first of all: a `.log.cleaned` file is a replacement that was
//     never committed (deleted; the old segments are intact), a `.log.swap` file one that was (it
//     was fsynced before the rename that made it a swap, and the old segments are removed only
//     after that rename is durable): the swap is finished by deleting every segment file with a
//     base offset from the swap's own up to the swap's next offset, then renaming it to `.log`.
//     A cleaned segment always ends where the group it replaced ended, so that range is exact.
// A batch that was fsynced is never cut: truncation happens only at bytes that fail validation,
// and fsynced bytes validate.
import { join } from 'node:path'
import { BATCH_HEADER_SIZE, batchLastOffsetDelta, batchSize } from '@runnel/protocol'
import { batchStructureProblem, int64At } from './batches.ts'
import { StorageError } from './errors.ts'
import { readAt, TMP_SUFFIX } from './file-helpers.ts'
import { offsetFileStem, parseSegmentFileName, SegmentFile, segmentFileName } from './file-names.ts'
import { OpenFlags } from './file-system.ts'
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

/** Last offset + 1 of the last whole batch in a log file (its start offset when it has none). */
function nextOffsetOfFile(ctx: SegmentContext, path: string, baseOffset: number): number {
  const fd = ctx.fs.open(path, OpenFlags.read)
  try {
    const size = ctx.fs.size(fd)
    let next = baseOffset
    let pos = 0
    while (pos + BATCH_HEADER_SIZE <= size) {
      const header = readAt(ctx.fs, fd, pos, BATCH_HEADER_SIZE)
      const problem = batchStructureProblem(header, 0, header.length)
      if (problem !== undefined && problem !== 'incomplete') break
      const batchBytes = batchSize(header, 0)
      if (pos + batchBytes > size) break
      next = int64At(header, 0) + batchLastOffsetDelta(header, 0) + 1
      pos += batchBytes
    }
    return next
  } finally {
    ctx.fs.close(fd)
  }
}

/** Removes uncommitted cleaner output and finishes committed swaps; true when anything changed. */
function finishCleanerSwaps(ctx: SegmentContext): boolean {
  const { fs, logger } = ctx
  let changed = false
  const swaps: number[] = []
  for (const name of fs.readdir(ctx.dir)) {
    const parsed = parseSegmentFileName(name)
    if (parsed?.suffix === SegmentFile.cleaned) {
      fs.unlink(join(ctx.dir, name))
      changed = true
    } else if (parsed?.suffix === SegmentFile.swap) swaps.push(parsed.baseOffset)
  }
  for (const base of swaps.sort((a, b) => a - b)) {
    const swapPath = join(ctx.dir, segmentFileName(base, SegmentFile.swap))
    const end = nextOffsetOfFile(ctx, swapPath, base)
    logger.info({ dir: ctx.dir, baseOffset: base, nextOffset: end }, 'finishing an interrupted cleaner swap')
    for (const name of fs.readdir(ctx.dir)) {
      const parsed = parseSegmentFileName(name)
      if (parsed === undefined || parsed.suffix === SegmentFile.swap || parsed.suffix === SegmentFile.cleaned)
        continue
      if (parsed.baseOffset >= base && parsed.baseOffset < end) fs.unlink(join(ctx.dir, name))
    }
    fs.rename(swapPath, join(ctx.dir, segmentFileName(base, SegmentFile.log)))
    changed = true
  }
  return changed
}

export function loadPartition(ctx: SegmentContext, config: LogConfig, clean: boolean): LoadedPartition {
  const { fs, logger } = ctx
  let repaired = finishCleanerSwaps(ctx)
  const names = fs.readdir(ctx.dir)
  const logBases = new Set<number>()
  for (const name of names) {
    const parsed = parseSegmentFileName(name)
    if (parsed?.suffix === SegmentFile.log) logBases.add(parsed.baseOffset)
  }
  for (const name of names) {
    const parsed = parseSegmentFileName(name)
    const leftover = name.endsWith(TMP_SUFFIX)
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
  const checkpointedStart = checkpoint?.logStartOffset ?? 0
  while (bases.length > 1 && bases[1] <= checkpointedStart) {
    const stale = bases.shift()!
    logger.info(
      { dir: ctx.dir, baseOffset: stale },
      'removing a segment below logStartOffset left by a crash',
    )
    removeSegmentFiles(ctx, stale)
    repaired = true
  }

  const segments: Segment[] = []
  let truncatedBytes = 0
  let rebuiltSegments = 0
  for (let i = 0; i < bases.length; i++) {
    const baseOffset = bases[i]
    const prev = segments[segments.length - 1]
    const expected = prev?.nextOffset ?? 0
    const last = i === bases.length - 1
    const mode =
      !clean && (baseOffset >= recoveryPoint || last) ? SegmentOpenMode.recover : SegmentOpenMode.trust
    // A segment is created at the log end offset, so a recovered segment starts exactly where the
    // previous one ends; a gap means the data between was lost (e.g. a file whose directory entry
    // never reached the disk) and what follows the gap cannot be kept. (A future log cleaner may
    // leave gaps, but only below the recovery point: it cleans sealed, fsynced segments.)
    const gap = prev !== undefined && mode === SegmentOpenMode.recover && baseOffset !== expected
    if (baseOffset < expected || gap) {
      logger.warn(
        { dir: ctx.dir, baseOffset, expected },
        'segment does not follow the previous one; dropping it and later ones',
      )
      for (const b of bases.slice(i)) truncatedBytes += removeSegmentFiles(ctx, b)
      repaired = true
      break
    }
    const opened = Segment.open(ctx, baseOffset, config, mode, expected, last)
    segments.push(opened.segment)
    if (opened.rebuiltIndexes) rebuiltSegments++
    if (opened.rebuiltIndexes || opened.truncatedBytes > 0) repaired = true
    truncatedBytes += opened.truncatedBytes
    if (opened.truncatedBytes > 0 && !last) {
      // Data after a cut would follow a hole: drop the later segments.
      logger.warn({ dir: ctx.dir, baseOffset }, 'dropping segments after a truncated one')
      for (const b of bases.slice(i + 1)) truncatedBytes += removeSegmentFiles(ctx, b)
      break
    }
  }
  const tail = segments[segments.length - 1]
  if (tail?.sealed) {
    // Later segments were dropped: the last one left becomes the active segment again.
    tail.close()
    const expected = segments[segments.length - 2]?.nextOffset ?? 0
    const reopened = Segment.open(ctx, tail.baseOffset, config, SegmentOpenMode.trust, expected, true).segment
    reopened.markUnsynced() // its repair has not been fsynced yet
    segments[segments.length - 1] = reopened
    repaired = true
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
