/**
 * The value of a `records` field. Decoding yields one Buffer (a slice of the frame, never a
 * copy) or null; encoding also takes a list of Buffers, written one after another, so that a
 * Fetch response can hand stored batches to the socket without concatenating them.
 */
export type Records = Buffer | readonly Buffer[] | null

export function recordsLength(records: Records): number {
  if (records === null) return 0
  if (Buffer.isBuffer(records)) return records.length
  let n = 0
  for (const b of records as readonly Buffer[]) n += b.length
  return n
}
