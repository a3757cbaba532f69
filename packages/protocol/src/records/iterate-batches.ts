import { BATCH_HEADER_SIZE, LOG_OVERHEAD, Offsets } from './batch-header.ts'

/** Where one whole batch lies: bytes [pos, pos + size). */
export interface BatchLocation {
  pos: number
  size: number
}

/**
 * Yields the whole batches in [start, end), front to back, from their length fields alone
 * (nothing else is checked: pair it with validateBatch where trust matters). It stops,
 * without throwing, at the first batch that does not fit: a Fetch response cut by its max
 * bytes ends that way, and so does a log segment torn by a crash. It also stops at a length
 * field too small to hold a batch header, since nothing after it can be located. So
 * `last.pos + last.size` is where the readable bytes end.
 */
export function* iterateBatches(
  buf: Buffer,
  start = 0,
  end = buf.length,
): Generator<BatchLocation, void, undefined> {
  let pos = Math.max(0, start)
  const limit = Math.min(end, buf.length)
  while (limit - pos >= LOG_OVERHEAD) {
    const size = buf.readInt32BE(pos + Offsets.batchLength) + LOG_OVERHEAD
    if (size < BATCH_HEADER_SIZE || size > limit - pos) return
    yield { pos, size }
    pos += size
  }
}
